import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { taskSchema, type TablePatch } from '../../schema/task.ts';
import type { DomainTool } from '../domain.ts';
import { benchmarksDir } from '../tau-bench/data.ts';
import { parseTau2TaskRecords, readTau2TaskRecords, tau2TaskToTask, type Tau2TaskContext } from './task-format.ts';

// Every τ² task file here (read from ../shared/benchmarks, never copied), as τ²'s loaders read them.
const root = path.join(benchmarksDir(), 'tau2-bench');
const bankingDir = path.join(root, 'banking_knowledge', 'tasks');
const FILES: [string, string[]][] = [
  ['retail', [path.join(root, 'retail', 'tasks.json')]],
  ['telecom', [path.join(root, 'telecom', 'tasks_small.json'), path.join(root, 'telecom', 'tasks_full_generated.json')]],
  ['mock', [path.join(root, 'mock', 'tasks.json')]],
  [
    'banking_knowledge',
    readdirSync(bankingDir)
      .filter((f) => /^task_.*\.json$/.test(f))
      .sort()
      .map((f) => path.join(bankingDir, f)),
  ],
];

const tool = (name: string, kind: DomainTool['kind'], terminal = false): DomainTool => ({
  name,
  description: '',
  kind,
  input: z.looseObject({}),
  execute: () => '',
  ...(terminal ? { terminal } : {}),
});

/** A context standing in for a domain: tools named as the tasks name them, a recorded data patch. */
function contextFor(
  domain: string,
  records: { evaluation_criteria?: { actions?: { name: string; requestor?: string }[] | null } | null }[],
) {
  const names = (side: string) =>
    new Set(
      records.flatMap((r) =>
        (r.evaluation_criteria?.actions ?? []).filter((a) => (a.requestor ?? 'assistant') === side).map((a) => a.name),
      ),
    );
  const patches: [string, string][] = [];
  const ctx: Tau2TaskContext = {
    domain: {
      name: `tau2-bench/${domain}`,
      tools: [...names('assistant')].map((n) => tool(n, n.startsWith('get_') ? 'read' : 'write', n === 'transfer_to_human_agents')),
      user: { tools: [...names('user')].map((n) => tool(n, 'write')), tables: ['phone'] },
    },
    split: 'base',
    initialDataPatch: (data, side): TablePatch => {
      patches.push([side, Object.keys(data).sort().join(',')]);
      return { [`${side}_data`]: { init: { keys: Object.keys(data) } } };
    },
  };
  return { ctx, patches };
}

test('every τ² task record here parses, and converts to a valid Task', () => {
  const counts: Record<string, number> = {};
  for (const [domain, files] of FILES) {
    const records = files.flatMap((file) => readTau2TaskRecords(file));
    const { ctx } = contextFor(domain, records);
    for (const record of records) taskSchema.parse(tau2TaskToTask(record, ctx));
    counts[domain] = records.length;
  }
  assert.deepEqual(counts, { retail: 114, telecom: 20 + 3405, mock: 10, banking_knowledge: 97 });
});

test('τ² fields become the task: sides, compare_args, assertion defaults, basis default, initialisation, oracle', () => {
  const telecom = readTau2TaskRecords(path.join(root, 'telecom', 'tasks_small.json'));
  const withAction = telecom.find((r) => r.evaluation_criteria?.reward_basis.includes('ACTION'))!;
  const { ctx } = contextFor('telecom', telecom);
  const task = tau2TaskToTask(withAction, ctx);
  assert.equal(task.expected.kind, 'tau2');
  if (task.expected.kind !== 'tau2') return;
  assert.deepEqual(task.expected.rewardBasis, ['ENV_ASSERTION', 'ACTION']);
  assert.ok(task.tags.includes('reward:ENV_ASSERTION') && task.tags.includes('reward:ACTION'));
  // compare_args [] is kept (τ²: an empty list matches any call of that name); the transfer comes after the say step.
  assert.deepEqual(
    task.expected.actions.map((a) => [a.name, a.compareArgs]),
    [['transfer_to_human_agents', []]],
  );
  assert.deepEqual(
    task.oracle.map((s) => s.kind),
    ['say', 'call'],
  );
  assert.ok(task.tags.includes('transfer'));

  const mixed = telecom.find((r) => r.id.includes('overdue_bill_suspension'))!;
  const both = tau2TaskToTask(mixed, ctx);
  assert.ok(both.expected.kind === 'tau2');
  if (both.expected.kind !== 'tau2') return;
  const gold = mixed.evaluation_criteria!.actions!;
  assert.deepEqual(
    both.expected.actions.map((a) => [a.id, a.side, a.name, a.compareArgs]),
    gold.map((a) => [a.action_id, a.requestor === 'user' ? 'user' : 'agent', a.name, undefined]),
  );
  const userActions = both.expected.actions.filter((a) => a.side === 'user');
  assert.deepEqual(
    userActions.map((a) => a.name),
    ['make_payment', 'reboot_device'],
  );
  assert.deepEqual(
    both.user.actions,
    userActions.map((a) => ({ name: a.name, arguments: a.arguments })),
  );
  // The oracle asks the user for the user's actions, calls its own, in gold order, then speaks once.
  assert.deepEqual(
    both.oracle.map((s) => s.kind),
    ['call', 'ask_user', 'call', 'ask_user', 'say'],
  );
  const init = withAction.initial_state!.initialization_actions!;
  assert.deepEqual(
    task.initialization,
    init.map((a) => ({ side: a.env_type === 'user' ? 'user' : 'agent', name: a.func_name, arguments: a.arguments })),
  );
  assert.deepEqual(
    task.expected.envAssertions.map((a) => a.assertValue),
    withAction.evaluation_criteria!.env_assertions!.map((a) => a.assert_value),
  );

  const mock = readTau2TaskRecords(path.join(root, 'mock', 'tasks.json'));
  const mockCtx = contextFor('mock', mock).ctx;
  const nlOnly = tau2TaskToTask(mock.find((r) => r.id === 'create_task_1_nl_eval')!, mockCtx);
  // No reward_basis in the record: τ²'s default, τ-bench's rule.
  assert.deepEqual(nlOnly.expected.kind === 'tau2' && nlOnly.expected.rewardBasis, ['DB', 'COMMUNICATE']);
  assert.ok(nlOnly.expected.kind === 'tau2' && nlOnly.expected.noEnvCriteria, 'actions and env_assertions both null');
  assert.equal(typeof mock[0].user_scenario.instructions, 'string');
  assert.equal(nlOnly.user.instructions, mock.find((r) => r.id === 'create_task_1_nl_eval')!.user_scenario.instructions);
  // Tool calls already made in message_history run as initialisation, after the initialisation actions.
  const history = tau2TaskToTask(mock.find((r) => r.id === 'update_task_with_message_history')!, mockCtx);
  assert.deepEqual(history.initialization, [
    {
      side: 'agent',
      name: 'create_task',
      arguments: { user_id: 'user_1', title: 'Project Review', description: 'Review Q4 project status' },
    },
  ]);
  assert.ok(history.expected.kind === 'tau2' && !history.expected.noEnvCriteria);

  const retail = readTau2TaskRecords(path.join(root, 'retail', 'tasks.json'));
  const retailCtx = contextFor('retail', retail).ctx;
  const transfer = retail.find((r) => r.id === '26')!;
  const t = tau2TaskToTask(transfer, retailCtx);
  // Transfer ends the episode, so the oracle speaks before it.
  assert.deepEqual(t.oracle.at(-2), { kind: 'say', text: 'Done.' });
  const last = t.oracle.at(-1)!;
  assert.equal(last.kind === 'call' && last.call.name, 'transfer_to_human_agents');
  const told = retail.find((r) => (r.evaluation_criteria?.communicate_info?.length ?? 0) > 0)!;
  assert.deepEqual(tau2TaskToTask(told, retailCtx).oracle.at(-1), {
    kind: 'say',
    text: told.evaluation_criteria!.communicate_info!.join('. '),
  });
  assert.match(t.user.instructions, /^Reason for call: /);
  assert.equal(t.user.persona, 'τ²-bench retail customer');
  const silent = tau2TaskToTask(retail.find((r) => !r.evaluation_criteria?.communicate_info?.length)!, retailCtx);
  assert.deepEqual(
    silent.oracle.filter((s) => s.kind === 'say'),
    [{ kind: 'say', text: 'Done.' }],
  );
  assert.ok(t.expected.kind === 'tau2' && t.expected.communicate.every((c) => c.match === 'tau-substring'));
});

test('initialization_data goes through the domain’s patch, by side; without a converter the task is refused', () => {
  const banking = readdirSync(bankingDir)
    .filter((f) => /^task_.*\.json$/.test(f))
    .sort()
    .flatMap((f) => readTau2TaskRecords(path.join(bankingDir, f)));
  const withData = banking.filter((r) => r.initial_state?.initialization_data?.agent_data);
  assert.ok(withData.length > 0);
  const { ctx, patches } = contextFor('banking_knowledge', banking);
  const task = tau2TaskToTask(withData[0], ctx);
  assert.deepEqual(Object.keys(task.initialPatch ?? {}), ['agent_data']);
  assert.deepEqual(patches[0], ['agent', Object.keys(withData[0].initial_state!.initialization_data!.agent_data!).sort().join(',')]);
  const { initialDataPatch: _, ...bare } = ctx;
  assert.throws(() => tau2TaskToTask(withData[0], bare), /initialization_data/);
});

test('a malformed record fails in one line naming the file, record and field', () => {
  assert.throws(
    () =>
      parseTau2TaskRecords(
        [{ id: 'a', user_scenario: { instructions: 'x' }, evaluation_criteria: { reward_basis: ['DB', 'VIBES'] } }],
        'f.json',
      ),
    /f\.json: record 0: evaluation_criteria\.reward_basis\[1\]: /,
  );
  assert.throws(
    () =>
      parseTau2TaskRecords(
        [
          { id: 'a', user_scenario: { instructions: 'x' } },
          { id: 'a', user_scenario: { instructions: 'y' } },
        ],
        'f.json',
      ),
    /record 1: id: duplicate task id "a"/,
  );
  assert.throws(
    () =>
      parseTau2TaskRecords(
        [{ id: 'a', user_scenario: { instructions: 'x' }, evaluation_criteria: { actions: [{ name: 'f', arguments: {} }] } }],
        'f.json',
      ),
    /action_id/,
  );
});
