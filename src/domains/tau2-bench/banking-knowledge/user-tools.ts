/**
 * The customer's tools (τ²'s KnowledgeUserTools): applying for a card, referrals, transfer
 * requests, test transactions, and the discoverable tools the agent can give the user
 * (`give_discoverable_user_tool`), which the user runs through `call_discoverable_user_tool`.
 * τ²'s user toolkit works on the agent's DB object, so these tools change the shared tables.
 */
import { z } from 'zod';
import { ToolError } from '../../../errors.ts';
import type { JsonObject } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import type { DomainTool } from '../../domain.ts';
import { type DiscoverableToolSpec, USER_DISCOVERABLE_TOOLS } from './catalog.ts';
import { foundNothing, queryByField, queryDatabaseText } from './db-query.ts';
import {
  type Args,
  addRecord,
  type DiscoverableImpl,
  editRecord,
  field,
  getRecord,
  noteArgumentFloats,
  parseToolArguments,
  parseBalance,
  s,
  TODAY,
} from './discoverable.ts';
import { applicationId, disputeId, referralId, referralLinkId, sha256Hex, transactionId, userToolCallId } from './ids.ts';
import { PyException, type PyValue, pyFixed, pyFloat, pyJsonDumpsIndent, pyListRepr, pyNumberStr, pyTruthy, pyTypeName } from './py.ts';

/** The user must have been given the tool (a `user_discoverable_tools` record) before using it. */
function notGiven(state: TableState, name: string): string | undefined {
  const result = queryByField(state, 'user_discoverable_tools', 'tool_name', name);
  if (!result.includes('No records found')) return undefined;
  return `Error: Tool '${name}' has not been given to you by the agent. The agent must first use \`give_discoverable_user_tool\` to give this tool to you.`;
}

/** `_log_user_tool_call`: one record per distinct (tool, arguments). */
function logUserToolCall(state: TableState, name: string, args: Record<string, PyValue>): void {
  addRecord(state, 'user_discoverable_tool_calls', userToolCallId(name, args), {
    tool_name: name,
    arguments: args,
    called_at: TODAY,
    status: 'CALLED',
  } as JsonObject);
}

/** A user discoverable tool: checks it was given, logs the call, then runs. */
function given(name: string, argNames: readonly string[], body: (state: TableState, a: Args, echo: string) => string): DiscoverableImpl {
  return (state, a) => {
    const refusal = notGiven(state, name);
    if (refusal) return refusal;
    const args: Record<string, PyValue> = {};
    for (const argName of argNames) args[argName] = a[argName];
    logUserToolCall(state, name, args);
    return body(state, a, pyJsonDumpsIndent(args));
  };
}

const USER_DISCOVERABLE_IMPLS: Readonly<Record<string, DiscoverableImpl>> = {
  submit_cash_back_dispute_0589: given('submit_cash_back_dispute_0589', ['user_id', 'transaction_id'], (state, a, echo) => {
    const id = disputeId(s(a.user_id), s(a.transaction_id));
    const settings = state.get('task_config', 'dispute_settings') as JsonObject | undefined;
    const autoResolve = pyTruthy((settings?.auto_resolve_disputes ?? false) as PyValue);
    const base = { dispute_id: id, user_id: a.user_id, transaction_id: a.transaction_id, submitted_at: TODAY };
    const record = (autoResolve ? { ...base, status: 'RESOLVED', resolution: 'APPROVED' } : { ...base, status: 'SUBMITTED' }) as JsonObject;
    const status = autoResolve
      ? 'Status: RESOLVED - The dispute has been reviewed and approved. The transaction rewards need to be updated.'
      : 'Status: SUBMITTED - Your dispute has been queued for review.';
    const added = addRecord(state, 'cash_back_disputes', id, record);
    const head = `Cash back dispute submitted successfully. Your case has been queued for review.\n\nExecuted: submit_cash_back_dispute_0589\nArguments: ${echo}\n`;
    return head + (added ? `Dispute ID: ${id}\n${status}` : 'Note: Dispute may have already been submitted for this transaction.');
  }),
  get_referral_link: given('get_referral_link', ['user_id', 'card_name'], (state, a, echo) => {
    const id = referralLinkId(s(a.user_id), s(a.card_name));
    const added = addRecord(state, 'referrals', id, {
      referral_id: id,
      referrer_id: a.user_id,
      referred_account_type: a.card_name,
      referral_status: 'NO_PROGRESS',
      date: TODAY,
    } as JsonObject);
    const head = `Referral link generated successfully. Share this link with the person you want to refer.\n\nExecuted: get_referral_link\nArguments: ${echo}\n`;
    return (
      head +
      (added
        ? `Referral ID: ${id}\nReferral link: https://rhobank.com/refer/${id}`
        : 'Note: A referral link for this card may have already been generated.')
    );
  }),
  get_card_last_4_digits: given('get_card_last_4_digits', ['credit_card_account_id'], (state, a, echo) => {
    const accountId = a.credit_card_account_id;
    if (foundNothing(queryByField(state, 'credit_card_accounts', 'account_id', accountId))) {
      return `Error: Credit card account '${s(accountId)}' not found.`;
    }
    const last4 = sha256Hex(`card_last4:${s(accountId)}`)
      .replace(/\D/g, '')
      .slice(0, 4)
      .padEnd(4, '0');
    return `Card information retrieved successfully.\n\nExecuted: get_card_last_4_digits\nArguments: ${echo}\nLast 4 digits of card: ${last4}`;
  }),
  deposit_check_3847: given('deposit_check_3847', ['account_id', 'check_amount'], (state, a, echo) => {
    const accountId = a.account_id;
    let amount: number;
    try {
      amount = pyFloat(a.check_amount);
    } catch (error) {
      if (error instanceof PyException && (error.kind === 'TypeError' || error.kind === 'ValueError')) {
        return `Error: Invalid check amount '${s(a.check_amount)}'. Must be a number.`;
      }
      throw error;
    }
    if (amount <= 0) return 'Error: Check amount must be positive.';
    const account = getRecord(state, 'accounts', accountId);
    if (!account) return `Error: Account '${s(accountId)}' not found.`;
    const status = field(account, 'status');
    if (status !== 'ACTIVE' && status !== 'OPEN') return `Error: Account '${s(accountId)}' is not active.`;
    const current = parseBalance(field(account, 'current_holdings', field(account, 'balance', 0)));
    const updated = current + amount;
    editRecord(state, 'accounts', accountId as string).current_holdings = `$${pyFixed(updated)}`;
    return (
      "Check deposited successfully. Funds will be available according to your account's deposit policy.\n\n" +
      'Executed: deposit_check_3847\n' +
      `Arguments: ${echo}\n` +
      'Check deposit processed!\n' +
      `  - Account: ${s(accountId)}\n` +
      `  - Check Amount: $${pyFixed(amount)}\n` +
      `  - Previous Balance: $${pyFixed(current)}\n` +
      `  - New Balance: $${pyFixed(updated)}`
    );
  }),
};

/** A user discoverable tool: its published spec and body. */
export interface UserDiscoverableTool {
  spec: DiscoverableToolSpec;
  run: DiscoverableImpl;
}

/** The user discoverable tools by name, in τ²'s class order. */
export const USER_DISCOVERABLE: ReadonlyMap<string, UserDiscoverableTool> = new Map(
  USER_DISCOVERABLE_TOOLS.map((spec) => [spec.name, { spec, run: USER_DISCOVERABLE_IMPLS[spec.name] }]),
);

const VALID_CREDIT_CARD_TYPES = [
  'Bronze Rewards Card',
  'Business Bronze Rewards Card',
  'Business Gold Rewards Card',
  'Business Platinum Rewards Card',
  'Business Silver Rewards Card',
  'Crypto-Cash Back',
  'Diamond Elite Card',
  'EcoCard',
  'Gold Rewards Card',
  'Green Rewards Card',
  'Platinum Rewards Card',
  'Silver Rewards Card',
  'Silver Zoom Card',
];

/** Reward rate (percent) by card and category; `default` for other categories. */
const CREDIT_CARD_REWARDS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'Bronze Rewards Card': { default: 1.0 },
  'Silver Rewards Card': { Travel: 4.0, Software: 4.0, default: 1.0 },
  'Gold Rewards Card': { default: 2.5 },
  'Platinum Rewards Card': { default: 10.0 },
  'Business Bronze Rewards Card': { default: 1.0 },
  'Business Silver Rewards Card': { Travel: 10.0, Software: 10.0, default: 1.0 },
  'Green Rewards Card': { Sustainable: 3.0, default: 1.0 },
  'Business Gold Rewards Card': { Operations: 2.5, default: 1.0 },
  'Business Platinum Rewards Card': { Travel: 4.0, Software: 4.0, Media: 4.0, default: 1.5 },
  'Silver Zoom Card': { Transportation: 3.0, default: 1.0 },
  'Diamond Elite Card': { default: 5.0 },
  EcoCard: { Green: 5.0, default: 1.0 },
  'Crypto-Cash Back': { default: 2.0 },
};

const applyForCreditCard: DomainTool<{ card_type: string; customer_name: string; annual_income: number; rho_bank_subscription: boolean }> =
  {
    name: 'apply_for_credit_card',
    description: 'Apply for a credit card.',
    kind: 'write',
    input: z.strictObject({
      card_type: z.string().describe('Type of credit card'),
      customer_name: z.string().describe('Full legal name'),
      annual_income: z.number().describe('Annual income in USD'),
      rho_bank_subscription: z.boolean().default(false).describe('Whether user has Rho-Bank+ subscription'),
    }),
    execute(state, { card_type: cardType, customer_name: name, annual_income: income, rho_bank_subscription: subscription }) {
      if (!VALID_CREDIT_CARD_TYPES.includes(cardType)) {
        return `Error: Invalid card_type '${cardType}'. Must be one of: ${pyListRepr(VALID_CREDIT_CARD_TYPES)}`;
      }
      const id = applicationId(cardType, name, pyNumberStr(income, true), subscription ? 'True' : 'False');
      const record = {
        application_id: id,
        card_type: cardType,
        customer_name: name,
        annual_income: income,
        rho_bank_subscription: subscription,
        status: 'PENDING',
        date: TODAY,
      };
      if (!addRecord(state, 'credit_card_applications', id, record))
        return `Failed to submit application: Record ID '${id}' may already exist.`;
      return 'Credit card application submitted:\nYour application has been successfully submitted. You will receive a decision within 5-7 business days via email.';
    },
  };

const submitReferral: DomainTool<{ user_id: string; account_type: string }> = {
  name: 'submit_referral',
  description: 'Submit a referral request to refer someone to open an account.',
  kind: 'write',
  input: z.strictObject({
    user_id: z.string().describe('Your user ID (the referrer)'),
    account_type: z.string().describe('The type of account you are referring someone to open'),
  }),
  execute(state, { user_id: userId, account_type: type }) {
    const id = referralId(userId, type);
    const record = { referral_id: id, referrer_id: userId, referred_account_type: type, referral_status: 'NO_PROGRESS', date: TODAY };
    if (!addRecord(state, 'referrals', id, record)) return `Failed to submit referral: Record ID '${id}' may already exist.`;
    return (
      'Referral request submitted successfully!\n' +
      `  - Referral ID: ${id}\n` +
      `  - Referrer ID: ${userId}\n` +
      `  - Account Type: ${type}\n` +
      '  - Status: NO_PROGRESS\n' +
      `  - Date: ${TODAY}\n\n` +
      "Share your referral ID with the person you're referring. They will need to use this when applying for their account."
    );
  },
};

/** What Python's `name in args` tests against, for what `json.loads` gave (dict keys, list items); TypeError for scalars. */
function argumentNames(args: PyValue): PyValue[] {
  if (args !== null && typeof args === 'object') return Array.isArray(args) ? args : Object.keys(args);
  if (typeof args === 'string') return [...args];
  throw new ToolError(`argument of type '${pyTypeName(args)}' is not iterable`);
}

const callDiscoverableUserTool: DomainTool<{ discoverable_tool_name: string; arguments: string }> = {
  name: 'call_discoverable_user_tool',
  description:
    'Call a tool that was given to you by the agent.\n\nUse this when the agent has instructed you to perform an action using\na discoverable tool. The agent will have told you the tool name and arguments.\n\nThis simulates you performing the action in the real world (e.g., opening\na webpage, navigating to a section, clicking a button).',
  kind: 'write',
  input: z.strictObject({
    discoverable_tool_name: z.string().describe('The name of the discoverable tool to call (e.g., "open_webpage")'),
    arguments: z.string().default('{}').describe('JSON string of arguments for the tool (e.g., \'{"url": "https://example.com"}\')'),
  }),
  execute(state, { discoverable_tool_name: name, arguments: argumentsJson }) {
    const tool = USER_DISCOVERABLE.get(name);
    if (!tool) return `Error: Unknown discoverable tool '${name}'.`;
    const parsed = parseToolArguments(argumentsJson, true);
    if ('error' in parsed) return parsed.error;
    const args = parsed.args;
    const given = argumentNames(args);
    const has = (name: string) => (typeof args === 'string' ? args.includes(name) : given.includes(name));
    for (const param of tool.spec.signature) {
      if (!('default' in param) && !has(param.name)) return `Error: Missing required parameter: ${param.name}`;
    }
    const known = new Set(tool.spec.signature.map((p) => p.name));
    for (const argName of given) {
      if (typeof argName !== 'string' || !known.has(argName)) return `Error: Unexpected parameter: ${s(argName)}`;
    }
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      return `Error: Invalid arguments for tool '${name}': tau2.domains.banking_knowledge.tools.KnowledgeUserTools.${name}() argument after ** must be a mapping, not ${pyTypeName(args)}`;
    }
    const bound: Record<string, PyValue> = {};
    for (const param of tool.spec.signature)
      bound[param.name] = Object.hasOwn(args, param.name) ? args[param.name] : ((param.default ?? null) as PyValue);
    const before = state.fork();
    const text = runPython(
      () => tool.run(state, bound),
      (message) => `Error: Invalid arguments for tool '${name}': ${message}`,
    );
    noteArgumentFloats(state, before);
    return text;
  },
};

/**
 * Runs a tool body with τ²'s exception handling: a TypeError becomes the given text (the wrappers
 * catch it), any other Python exception reaches the environment, which answers `Error: <message>`.
 */
export function runPython(body: () => string, onTypeError: (message: string) => string): string {
  try {
    return body();
  } catch (error) {
    if (error instanceof PyException) {
      if (error.kind === 'TypeError') return onTypeError(error.message);
      throw new ToolError(error.message);
    }
    throw error;
  }
}

const listDiscoverableUserTools: DomainTool<Record<string, never>> = {
  name: 'list_discoverable_user_tools',
  description:
    'List all tools that have been given to you by the agent.\n\nUse this to see what actions the agent has instructed you to perform.',
  kind: 'read',
  input: z.strictObject({}),
  execute(state) {
    const result = queryDatabaseText(state, 'user_discoverable_tools', '{}');
    // τ² tests for "No results found", which the query never prints: the listing is always returned.
    if (result.includes('No results found')) return 'No tools have been given to you yet by the agent.';
    return `Tools given to you by the agent:\n${result}`;
  },
};

const requestHumanAgentTransfer: DomainTool<Record<string, never>> = {
  name: 'request_human_agent_transfer',
  description:
    'Request to be transferred to a human agent for assistance.\n\nUse this when you want to speak with a real human agent instead of\nthe automated system. Each request will be logged and processed.',
  kind: 'write',
  input: z.strictObject({}),
  execute(state) {
    const existing = queryDatabaseText(state, 'human_transfer_requests', '{}');
    // τ² counts the occurrences of "request_id" in the listing text.
    const count = foundNothing(existing) ? 1 : existing.split('request_id').length;
    const id = `transfer_request_${count}`;
    addRecord(state, 'human_transfer_requests', id, { request_id: id, request_number: count, requested_at: TODAY, status: 'PENDING' });
    return `Transfer request #${count} submitted.\nThe agent will process your request.`;
  },
};

const submitTransaction: DomainTool<{
  user_id: string;
  credit_card_type: string;
  merchant_name: string;
  amount: number;
  category: string;
}> = {
  name: 'submit_transaction',
  description: 'Submit a credit card transaction.',
  kind: 'write',
  input: z.strictObject({
    user_id: z.string().describe('Your user ID'),
    credit_card_type: z.string().describe('Type of credit card used (e.g., "Bronze Rewards Card", "Gold Rewards Card")'),
    merchant_name: z.string().describe('Name of the merchant where the purchase was made'),
    amount: z.number().describe('Transaction amount in USD (e.g., 127.43)'),
    category: z
      .string()
      .describe('Transaction category (e.g., "Groceries", "Dining", "Travel", "Software", "Entertainment", "Utilities", "Shopping")'),
  }),
  execute(state, { user_id: userId, credit_card_type: cardType, merchant_name: merchant, amount, category }) {
    const rates = Object.hasOwn(CREDIT_CARD_REWARDS, cardType) ? CREDIT_CARD_REWARDS[cardType] : undefined;
    if (!rates) return `Error: Unknown credit card type '${cardType}'. Available types: ${pyListRepr(Object.keys(CREDIT_CARD_REWARDS))}`;
    const id = transactionId(userId, cardType, merchant, amount, category);
    const rate = Object.hasOwn(rates, category) ? rates[category] : rates.default;
    const points = Math.trunc(amount * rate);
    const record = {
      transaction_id: id,
      user_id: userId,
      credit_card_type: cardType,
      merchant_name: merchant,
      transaction_amount: `$${pyFixed(amount)}`,
      transaction_date: TODAY,
      category,
      status: 'COMPLETED',
      rewards_earned: `${points} points`,
    };
    if (!addRecord(state, 'credit_card_transaction_history', id, record)) {
      return `Failed to submit transaction: Record ID '${id}' may already exist.`;
    }
    return (
      'Transaction submitted successfully!\n' +
      `  - Transaction ID: ${id}\n` +
      `  - User ID: ${userId}\n` +
      `  - Card Type: ${cardType}\n` +
      `  - Merchant: ${merchant}\n` +
      `  - Amount: $${pyFixed(amount)}\n` +
      `  - Category: ${category}\n` +
      `  - Date: ${TODAY}\n` +
      `  - Rewards Earned: ${points} points (${pyNumberStr(rate, true)}% cashback rate)\n`
    );
  },
};

/** The user's tools, in τ²'s order (`env.get_user_tools()`). */
export const BANKING_USER_TOOLS: readonly DomainTool[] = [
  applyForCreditCard,
  submitReferral,
  callDiscoverableUserTool,
  listDiscoverableUserTools,
  requestHumanAgentTransfer,
  submitTransaction,
];
