import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { JsonValue } from '../../../schema/json.ts';
import { checkDomain } from '../../check-domain.ts';
import { initialStateFor } from '../../initial-state.ts';
import { executeSideToolCall } from '../../tools.ts';
import { canonicalTau2Json } from '../canonical.ts';
import { AGENT_DISCOVERABLE_TOOLS } from './catalog.ts';
import { createTau2BankingKnowledgeDomain, tau2DbDump } from './index.ts';

const DISCOVERABLE = AGENT_DISCOVERABLE_TOOLS.map((tool) => tool.name);

/**
 * Reference values from running τ²'s own banking_knowledge code (see the fixture's `how`): per task
 * the initial and gold DB dumps, every gold output, and a probe of off-path calls.
 */
const reference = JSON.parse(readFileSync(new URL('./tau2-reference.json', import.meta.url), 'utf8')) as {
  tasks: Record<
    string,
    {
      initial: string;
      gold: string[];
      final: string;
      probe: { calls: (number | [string, string, Record<string, JsonValue>])[]; outputs: string[]; final: string };
      deep: { outputs: string; final: string };
    }
  >;
};

const domain = createTau2BankingKnowledgeDomain();
const tasks = domain.tasks({});
const short = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
const dumpHash = (state: Parameters<typeof tau2DbDump>[0]) => short(canonicalTau2Json(tau2DbDump(state, 'agent')));
const goldOf = (task: (typeof tasks)[number]) => (task.expected.kind === 'tau2' ? task.expected.actions : []);

type ProbeCall = [side: 'agent' | 'user', name: string, args: Record<string, JsonValue>];

/**
 * Calls that reach the deep paths of every discoverable tool on the task's own records: all tools
 * unlocked, then each debit card, bank account and credit card of the task's scenario (the last few
 * of each table) run through the tools that act on it, with arguments varied by position. Built
 * from the initial state alone, so τ²'s run (see `deep` in the fixture) used the very same calls.
 */
function deepProbeCalls(state: ReturnType<typeof initialStateFor>): ProbeCall[] {
  const calls: ProbeCall[] = [];
  const agent = (name: string, args: Record<string, JsonValue>) => calls.push(['agent', name, args]);
  const run = (tool: string, args: Record<string, JsonValue>) =>
    agent('call_discoverable_agent_tool', { agent_tool_name: tool, arguments: JSON.stringify(args) });
  const pick = <T>(options: readonly T[], i: number) => options[i % options.length];
  const rows = (table: string) => state.entries(table).slice(-4) as [string, Record<string, JsonValue>][];
  for (const tool of DISCOVERABLE) agent('unlock_discoverable_agent_tool', { agent_tool_name: tool });
  rows('debit_cards').forEach(([cardId, card], i) => {
    const last4 = (card.last_4_digits as string | undefined) ?? '1234';
    for (const tool of ['activate_debit_card_8291', 'activate_debit_card_8292', 'activate_debit_card_8293']) {
      run(tool, {
        card_id: cardId,
        last_4_digits: last4,
        expiration_date: '11/29',
        cvv: '123',
        pin: pick(['2580', '1234', '1111', '97531'], i),
      });
    }
    run('request_temporary_debit_card_limit_increase_8374', {
      card_id: cardId,
      limit_type: pick(['atm', 'purchase'], i),
      new_limit: pick([600, 900, 2000, 750], i),
    });
    run('set_debit_card_recurring_block_7382', { card_id: cardId, block_recurring: i % 2 === 0 });
    run('clear_debit_card_fraud_alert_4892', { card_id: cardId, reason: pick(['customer_verified', 'velocity_clear'], i) });
    run('reset_debit_card_pin_6284', { card_id: cardId, last_4_digits: last4, new_pin: '2580' });
    run('change_debit_card_pin_6285', { card_id: cardId, current_pin: '1357', new_pin: '2468' });
    run(pick(['freeze_debit_card_3892', 'unfreeze_debit_card_3893'], i), { card_id: cardId });
    run('get_debit_cards_by_account_id_7823', { account_id: card.account_id ?? 'x' });
    run('file_debit_card_transaction_dispute_6281', {
      transaction_id: 'btxn_probe',
      account_id: card.account_id ?? 'x',
      card_id: cardId,
      user_id: card.user_id ?? 'u',
      dispute_category: pick(['unauthorized_transaction', 'duplicate_charge', 'card_not_present_fraud'], i),
      transaction_date: '11/01/2025',
      discovery_date: '11/10/2025',
      disputed_amount: pick([45.5, 600, 1250.75], i),
      transaction_type: 'online_purchase',
      card_in_possession: true,
      pin_compromised: pick(['no', 'yes_shared'], i),
      contacted_merchant: false,
      police_report_filed: false,
      written_statement_provided: true,
      provisional_credit_eligible: i % 2 === 1,
      customer_max_liability_amount: pick([0, 50, -1], i),
      card_action: 'keep_active',
    });
    run('close_debit_card_4721', { card_id: cardId, reason: pick(['Lost', 'fraud_suspected', 'damaged'], i) });
  });
  const accounts = state.entries('accounts') as [string, Record<string, JsonValue>][];
  rows('accounts').forEach(([accountId, account], i) => {
    const userId = account.user_id ?? 'u';
    run('get_bank_account_transactions_9173', { account_id: accountId });
    run('order_debit_card_5739', {
      account_id: accountId,
      user_id: userId,
      delivery_option: pick(['standard', 'EXPEDITED', 'RUSH'], i),
      delivery_fee: pick([0, 15, 25.5], i),
      card_design: pick(['classic', 'PREMIUM'], i),
      design_fee: pick([0, 10], i),
      shipping_address: '1 Main St',
      excess_replacement_fee: pick([null, 0, 15], i),
    });
    run('apply_checking_account_credit_5829', { account_id: accountId, amount: pick([2.5, 35, 0.125], i), credit_type: 'fee_refund' });
    run('apply_savings_account_credit_6831', {
      account_id: accountId,
      amount: pick([12.34, 5], i),
      credit_type: pick(['interest_correction', 'goodwill_credit'], i),
    });
    run('submit_interest_discrepancy_report_7294', {
      account_id: accountId,
      user_id: userId,
      expected_apy: pick([2.775, 4], i),
      actual_apy: 2.5,
      amount_difference: 3.21,
    });
    const opened = pick(['savings', 'business_checking', 'business_savings', 'checking'], i);
    run('open_bank_account_4821', { user_id: userId, account_type: opened, account_class: pick(['Gold Account', 'Blue Account'], i) });
    run('transfer_funds_between_bank_accounts_7291', {
      source_account_id: accountId,
      destination_account_id: pick(accounts, i * 7)[0],
      amount: pick([10, 100.5, 99999], i),
    });
    run('close_bank_account_7392', { account_id: accountId, waive_early_closure_fee: i % 2 === 0 });
    run('get_all_user_accounts_by_user_id_3847', { user_id: userId });
    calls.push([
      'user',
      'call_discoverable_user_tool',
      { discoverable_tool_name: 'deposit_check_3847', arguments: JSON.stringify({ account_id: accountId, check_amount: 250 }) },
    ]);
  });
  agent('give_discoverable_user_tool', {
    discoverable_tool_name: 'deposit_check_3847',
    arguments: '{"account_id": "x", "check_amount": 250}',
  });
  agent('give_discoverable_user_tool', { discoverable_tool_name: 'get_card_last_4_digits' });
  rows('credit_card_accounts').forEach(([cardId, card], i) => {
    const userId = card.user_id ?? 'u';
    calls.push([
      'user',
      'call_discoverable_user_tool',
      { discoverable_tool_name: 'get_card_last_4_digits', arguments: JSON.stringify({ credit_card_account_id: cardId }) },
    ]);
    run('get_payment_history_6183', { credit_card_account_id: cardId, months: pick([3, 6, 12], i) });
    run('submit_credit_limit_increase_request_7392', {
      credit_card_account_id: cardId,
      user_id: userId,
      requested_increase_amount: pick([2500, 1000, 250.5], i),
    });
    run('approve_credit_limit_increase_5847', {
      credit_card_account_id: cardId,
      user_id: userId,
      new_credit_limit: pick([7500, 12000], i),
    });
    run('deny_credit_limit_increase_5848', { credit_card_account_id: cardId, user_id: userId, denial_reason: 'high_utilization' });
    run('apply_statement_credit_8472', {
      user_id: userId,
      credit_card_account_id: cardId,
      amount: pick([25, 99.99], i),
      reason: 'goodwill_adjustment',
    });
    run('apply_credit_card_account_flag_6147', {
      credit_card_account_id: cardId,
      user_id: userId,
      flag_type: 'annual_fee_waived',
      expiration_date: '11/14/2026',
      reason: 'retention_offer',
    });
    const checking = accounts.find(([, account]) => account.user_id === userId)?.[0] ?? 'chk_x';
    run('pay_credit_card_from_checking_9182', {
      user_id: userId,
      checking_account_id: checking,
      credit_card_account_id: cardId,
      amount: pick([50, 125.25, 100000], i),
    });
    run('order_replacement_credit_card_7291', {
      credit_card_account_id: cardId,
      user_id: userId,
      shipping_address: 'addr',
      reason: 'lost',
      expedited_shipping: i % 2 === 0,
    });
    run('log_credit_card_closure_reason_4521', { credit_card_account_id: cardId, user_id: userId, closure_reason: 'annual_fee' });
    run('close_credit_card_account_7834', { credit_card_account_id: cardId, user_id: userId });
    run('get_closure_reason_history_8293', { credit_card_account_id: cardId });
    run('get_credit_limit_increase_history_4829', { credit_card_account_id: cardId });
  });
  const deposits = (state.entries('bank_account_transaction_history') as [string, Record<string, JsonValue>][]).filter(
    ([, t]) => t.type === 'atm_deposit',
  );
  for (const [id] of deposits.slice(0, 3)) run('get_atm_deposit_images_8473', { transaction_id: id });
  agent('list_discoverable_agent_tools', {});
  calls.push(['user', 'list_discoverable_user_tools', {}]);
  return calls;
}

test('97 tasks from tasks/task_*.json in τ²’s order (file names sorted)', () => {
  assert.equal(tasks.length, 97);
  assert.deepEqual(
    tasks.map((t) => t.id),
    Object.keys(reference.tasks),
  );
});

test('initial states, every gold output and the gold end states are τ²’s', () => {
  for (const task of tasks) {
    const expected = reference.tasks[task.id];
    const state = initialStateFor(domain, task);
    assert.equal(dumpHash(state), expected.initial, `${task.id}: initial`);
    const outputs = goldOf(task).map((action) =>
      short(executeSideToolCall(domain, state, action.side, action.name, action.arguments).content),
    );
    assert.deepEqual(outputs, expected.gold, `${task.id}: outputs`);
    assert.equal(dumpHash(state), expected.final, `${task.id}: final`);
  }
});

test('off-path calls (unknown, locked, malformed, mistyped) answer as τ² does and change the DB as it does', () => {
  for (const task of tasks) {
    const { probe } = reference.tasks[task.id];
    const gold = goldOf(task);
    const state = initialStateFor(domain, task);
    const outputs = probe.calls.map((call) => {
      const [side, name, args] =
        typeof call === 'number'
          ? [gold[call].side, gold[call].name, gold[call].arguments]
          : [call[0] === 'u' ? 'user' : 'agent', call[1], call[2]];
      const result = executeSideToolCall(domain, state, side as 'agent' | 'user', name, args);
      return short(result.content) + (result.isError ? '!' : '');
    });
    assert.deepEqual(outputs, probe.outputs, `${task.id}: probe outputs`);
    assert.equal(dumpHash(state), probe.final, `${task.id}: probe final`);
  }
});

test('every discoverable tool, run on each task’s own cards and accounts, answers and changes the DB as τ²’s does', () => {
  for (const task of tasks) {
    const state = initialStateFor(domain, task);
    const outputs = deepProbeCalls(state).map(([side, name, args]) => {
      const result = executeSideToolCall(domain, state, side, name, args);
      return short(result.content) + (result.isError ? '!' : '');
    });
    assert.equal(short(outputs.join('\n')), reference.tasks[task.id].deep.outputs, `${task.id}: deep outputs`);
    assert.equal(dumpHash(state), reference.tasks[task.id].deep.final, `${task.id}: deep final`);
  }
});

// The texts and DB effects below are τ²'s: the same calls were run on τ²'s environment (task_001) when writing this test.
test('discoverable tools stay locked until unlocked; unlocking is not part of τ²’s DB, calling a write is', () => {
  const task = tasks[0];
  const state = initialStateFor(domain, task);
  const before = dumpHash(state);
  const call = (name: string, args: Record<string, JsonValue>) => executeSideToolCall(domain, state, 'agent', name, args).content;
  const freeze = { agent_tool_name: 'freeze_debit_card_3892', arguments: '{"card_id": "nope"}' };
  assert.match(call('call_discoverable_agent_tool', freeze), /has not been unlocked/);
  assert.match(
    call('unlock_discoverable_agent_tool', { agent_tool_name: 'freeze_debit_card_3892' }),
    /^Tool unlocked: freeze_debit_card_3892\n/,
  );
  assert.equal(dumpHash(state), before, 'unlocking leaves τ²’s DB as it was');
  assert.equal(call('call_discoverable_agent_tool', freeze), "Error: Debit card 'nope' not found.");
  assert.deepEqual(
    state.get('agent_discoverable_tools', state.keys('agent_discoverable_tools')[0]),
    { tool_name: 'freeze_debit_card_3892', status: 'CALLED' },
    'a write is logged even when it refuses',
  );
  // A read the gold actions do not use is not logged (τ²'s read_log_allowlist).
  call('unlock_discoverable_agent_tool', { agent_tool_name: 'get_all_user_accounts_by_user_id_3847' });
  call('call_discoverable_agent_tool', { agent_tool_name: 'get_all_user_accounts_by_user_id_3847', arguments: '{"user_id": "x"}' });
  assert.equal(state.keys('agent_discoverable_tools').length, 1);
});

test('the domain is well formed; tools are τ²’s, split between agent and user as τ² splits them', () => {
  assert.deepEqual(checkDomain(domain, { maxTasksPerSplit: 5 }), []);
  const knowledge = new Set(['KB_search', 'grep']);
  assert.deepEqual(
    domain.tools.map((t) => t.name).filter((name) => !knowledge.has(name)),
    [
      'transfer_to_human_agents',
      'get_current_time',
      'get_user_information_by_id',
      'get_user_information_by_name',
      'get_user_information_by_email',
      'change_user_email',
      'get_referrals_by_user',
      'get_credit_card_transactions_by_user',
      'get_credit_card_accounts_by_user',
      'log_verification',
      'give_discoverable_user_tool',
      'unlock_discoverable_agent_tool',
      'call_discoverable_agent_tool',
      'list_discoverable_agent_tools',
    ],
  );
  assert.deepEqual(
    domain.user?.tools.map((t) => t.name),
    [
      'apply_for_credit_card',
      'submit_referral',
      'call_discoverable_user_tool',
      'list_discoverable_user_tools',
      'request_human_agent_transfer',
      'submit_transaction',
    ],
  );
  assert.deepEqual(domain.user?.tables, []);
});

test('tau2DbDump gives τ²’s model_dump shape: every table with data and notes, the same for both sides', () => {
  const state = initialStateFor(domain, tasks[0]);
  const dump = tau2DbDump(state, 'agent') as Record<string, { data: object; notes: string }>;
  assert.equal(Object.keys(dump).length, 23);
  assert.deepEqual(Object.keys(dump.cash_back_disputes), ['data', 'notes']);
  assert.match(dump.debit_cards.notes, /^card_id: unique identifier/);
  assert.equal(canonicalTau2Json(tau2DbDump(state, 'user')), canonicalTau2Json(tau2DbDump(state, 'agent')));
});
