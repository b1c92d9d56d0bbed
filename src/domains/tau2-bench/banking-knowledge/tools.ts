/**
 * The agent's tools of τ²'s banking_knowledge domain (KnowledgeTools), except document search
 * (retrieval.ts): customer lookups, email change, verification logging, human transfer, and the
 * discoverable-tool protocol.
 *
 * Discoverable tools are hidden until the knowledge base names them. The agent unlocks one with
 * `unlock_discoverable_agent_tool` (τ² keeps that in the toolkit's memory, outside its DB: here
 * the `_unlocked_agent_tools` table) and runs it with `call_discoverable_agent_tool`, which logs
 * writes — and reads the task's gold actions use (`_read_log_allowlist`) — to the
 * `agent_discoverable_tools` table τ² hashes. `give_discoverable_user_tool` records a tool for the
 * user in `user_discoverable_tools`, which the user's `call_discoverable_user_tool` checks.
 */
import { z } from 'zod';
import { ToolError } from '../../../errors.ts';
import type { JsonObject } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import type { DomainTool } from '../../domain.ts';
import { enumString } from '../../tau-bench/world.ts';
import { BANK_ACCOUNT_TOOLS } from './agent-bank-accounts.ts';
import { CREDIT_CARD_TOOLS } from './agent-credit-cards.ts';
import { DEBIT_CARD_TOOLS } from './agent-debit-cards.ts';
import { ATM_DEPOSIT_TOOLS } from './agent-atm-deposits.ts';
import { AGENT_DISCOVERABLE_TOOLS, type DiscoverableToolSpec } from './catalog.ts';
import { queryByField, queryDatabaseText } from './db-query.ts';
import {
  addRecord,
  bindArguments,
  type DiscoverableImpl,
  formatToolForAgent,
  NOW_ISO,
  noteArgumentFloats,
  parseToolArguments,
} from './discoverable.ts';
import { agentToolId, userToolId, verificationId } from './ids.ts';
import { type PyValue, pyJsonDumpsIndent, pyTruthy, pyTypeName } from './py.ts';
import { READ_LOG_ALLOWLIST_TABLE, UNLOCKED_TOOLS_TABLE } from './tables.ts';
import { runPython, USER_DISCOVERABLE } from './user-tools.ts';

const IMPLEMENTATIONS: Readonly<Record<string, DiscoverableImpl>> = {
  ...CREDIT_CARD_TOOLS,
  ...BANK_ACCOUNT_TOOLS,
  ...DEBIT_CARD_TOOLS,
  ...ATM_DEPOSIT_TOOLS,
};

/** An agent discoverable tool: its published spec and body. */
interface AgentDiscoverableTool {
  spec: DiscoverableToolSpec;
  run: DiscoverableImpl;
}

/** The agent discoverable tools by name, in τ²'s class order. */
export const AGENT_DISCOVERABLE: ReadonlyMap<string, AgentDiscoverableTool> = new Map(
  AGENT_DISCOVERABLE_TOOLS.map((spec) => {
    const run = IMPLEMENTATIONS[spec.name];
    if (!run) throw new Error(`banking_knowledge: no implementation of discoverable tool ${spec.name}`);
    return [spec.name, { spec, run }];
  }),
);

const TRANSFER_REASONS = [
  'fraud_or_security_concern',
  'account_closure_request',
  'deceased_account_holder',
  'legal_or_regulatory_matter',
  'account_ownership_dispute',
  'complex_billing_dispute',
  'abusive_customer_behavior',
  'third_party_inquiry',
  'technical_system_error',
  'unconfirmed_external_communication',
  'customer_demands_after_unavailable_offer_refusal',
  'kb_search_unsuccessful_customer_requests_transfer',
  'specialized_department_required',
  'accessibility_or_special_needs',
  'customer_frustrated_demands_human',
  'supervisor_request_service_complaint',
  'customer_requests_human_no_specific_reason',
  'request_completed_customer_wants_human_followup',
  'other',
];

const transferToHumanAgents: DomainTool<{ summary: string; reason: string }> = {
  name: 'transfer_to_human_agents',
  description:
    'Transfer the user to a human agent.\n\nThe proper transfer reason enum can be found in the knowledge base: search it before calling this tool to select the proper applicable reason.',
  kind: 'read',
  terminal: true,
  input: z.strictObject({
    summary: z.string().describe("A summary of the user's issue and what was attempted before transfer."),
    reason: enumString(TRANSFER_REASONS, 'The specific reason code for the transfer.').default('other'),
  }),
  execute(_state, { reason }) {
    if (!TRANSFER_REASONS.includes(reason))
      return `Error: Invalid transfer reason '${reason}'. Must be one of: ${TRANSFER_REASONS.join(', ')}`;
    return `Transfer successful (reason: ${reason}). A human agent will assist you shortly.`;
  },
};

const getCurrentTime: DomainTool<Record<string, never>> = {
  name: 'get_current_time',
  description: 'Get the current time. Use this to get the current timestamp for logging verification records.',
  kind: 'read',
  input: z.strictObject({}),
  execute: () => 'The current time is 2025-11-14 03:40:00 EST.',
};

/** A read tool that is one `query_database_tool(table, {"field": "<arg>"})`. */
function lookupTool(name: string, description: string, arg: string, argDescription: string, table: string, field: string): DomainTool {
  return {
    name,
    description,
    kind: 'read',
    input: z.strictObject({ [arg]: z.string().describe(argDescription) }),
    execute: (state, input: Record<string, string>) => queryByField(state, table, field, input[arg]),
  };
}

const USER_INFO = 'Get the information (date of birth, email, phone number, address) for a user by their';

const changeUserEmail: DomainTool<{ user_id: string; new_email: string }> = {
  name: 'change_user_email',
  description: 'Change the email address for a user.',
  kind: 'write',
  input: z.strictObject({
    user_id: z.string().describe('The ID of the user whose email should be changed'),
    new_email: z.string().describe('The new email address to set for the user'),
  }),
  execute(state, { user_id: userId, new_email: email }) {
    const user = state.mutable('users', userId) as JsonObject | undefined;
    if (!user) return `Error: User with ID '${userId}' not found.`;
    user.email = email;
    return `Email updated successfully.\n  - User ID: ${userId}\n  - New Email: ${email}`;
  },
};

const VERIFICATION_FIELDS = ['name', 'user_id', 'address', 'email', 'phone_number', 'date_of_birth', 'time_verified'] as const;
type Verification = Record<(typeof VERIFICATION_FIELDS)[number], string>;

const logVerification: DomainTool<Verification> = {
  name: 'log_verification',
  description:
    "Log a verification record after successfully verifying a user's identity.\n\nCall this tool after you have verified a user by confirming 2 out of 4 identity fields\n(date of birth, email, phone number, address). This creates an audit record of the verification.",
  kind: 'write',
  input: z.strictObject({
    name: z.string().describe("The verified user's full name"),
    user_id: z.string().describe("The verified user's ID"),
    address: z.string().describe("The verified user's address"),
    email: z.string().describe("The verified user's email"),
    phone_number: z.string().describe("The verified user's phone number"),
    date_of_birth: z.string().describe("The verified user's date of birth (MM/DD/YYYY format)"),
    time_verified: z.string().describe('The timestamp of the verification (e.g., "2025-11-14 03:40:00 EST")'),
  }),
  execute(state, input) {
    const record = Object.fromEntries(VERIFICATION_FIELDS.map((f) => [f, input[f]]));
    if (!addRecord(state, 'verification_history', verificationId(input.user_id, input.time_verified), record)) {
      return 'Failed to log verification: Record may already exist.';
    }
    return `Verification logged successfully.\n  - User: ${input.name} (ID: ${input.user_id})\n  - Verified at: ${input.time_verified}`;
  },
};

/** Python's `for name in json.loads(arguments)`: dict keys, list items, characters; TypeError for scalars. */
function iterated(value: PyValue): PyValue[] {
  if (value !== null && typeof value === 'object') return Array.isArray(value) ? value : Object.keys(value);
  if (typeof value === 'string') return [...value];
  throw new ToolError(`'${pyTypeName(value)}' object is not iterable`);
}

const giveDiscoverableUserTool: DomainTool<{ discoverable_tool_name: string; arguments: string }> = {
  name: 'give_discoverable_user_tool',
  description:
    'Pass a tool to the user so they can execute it themselves.\n\nUse this when the knowledge base indicates that the user should perform\nan action themselves (e.g., "to do X, have the user call tool_name(args)").\n\nThe user will then be able to call `call_discoverable_tool` with the same\ntool name and arguments to simulate executing the action.',
  kind: 'write',
  input: z.strictObject({
    discoverable_tool_name: z.string().describe('The name of the discoverable tool (e.g., "open_webpage", "navigate_to_section")'),
    arguments: z.string().default('{}').describe('JSON string of arguments for the tool (e.g., \'{"url": "https://example.com"}\')'),
  }),
  execute(state, { discoverable_tool_name: name, arguments: argumentsJson }) {
    const tool = USER_DISCOVERABLE.get(name);
    if (!tool) return `Error: Unknown discoverable tool '${name}'.`;
    // Unlike the call tools, this parse keeps ints as ints (they are echoed back as written).
    const parsed = parseToolArguments(argumentsJson, false);
    if ('error' in parsed) return parsed.error;
    const args = parsed.args;
    const params = new Set(tool.spec.signature.map((p) => p.name));
    for (const argName of iterated(args)) {
      if (argName !== 'self' && !(typeof argName === 'string' && params.has(argName)))
        return `Error: Unexpected parameter: ${String(argName)}`;
    }
    addRecord(state, 'user_discoverable_tools', userToolId(name), { tool_name: name, status: 'GIVEN' });
    const shown = pyTruthy(args) ? pyJsonDumpsIndent(args) : '(no arguments)';
    return (
      `Tool given to user: ${name}\n` +
      `Description: ${tool.spec.description}\n` +
      `Arguments: ${shown}\n\n` +
      `The user can now execute this action by calling \`call_discoverable_user_tool\` with discoverable_tool_name='${name}' and the same arguments.`
    );
  },
};

const unlockDiscoverableAgentTool: DomainTool<{ agent_tool_name: string }> = {
  name: 'unlock_discoverable_agent_tool',
  description:
    'Unlock an agent discoverable tool that was found in the knowledge base.\n\nUse this when the knowledge base indicates that you have access to a specialized\ninternal tool. The knowledge base will tell you the tool name to unlock.\n\nAfter unlocking, you can use the tool by calling `call_discoverable_agent_tool` with\nthe tool name and required arguments.',
  kind: 'write',
  input: z.strictObject({
    agent_tool_name: z.string().describe('The name of the agent discoverable tool to unlock\n(e.g., "calculate_apr_adjustment_7842")'),
  }),
  execute(state, { agent_tool_name: name }) {
    const tool = AGENT_DISCOVERABLE.get(name);
    if (!tool) return `Error: Unknown agent tool '${name}'. This tool is not available.`;
    state.put(UNLOCKED_TOOLS_TABLE, name, { tool_name: name, unlocked_at: NOW_ISO });
    return (
      `Tool unlocked: ${name}\n` +
      `Description: ${tool.spec.description}\n\n` +
      `${formatToolForAgent(tool.spec)}\n\n` +
      `You can now use this tool by calling \`call_discoverable_agent_tool\` with agent_tool_name='${name}' and the required arguments.`
    );
  },
};

/** Runs an unlocked discoverable tool with τ²'s argument handling; the caller logs the call. */
function callUnlocked(state: TableState, tool: AgentDiscoverableTool, argumentsJson: string): { text: string; ran: boolean } {
  // τ² parses every number as a float, so 33 and 33.0 make the same ids and records.
  const parsed = parseToolArguments(argumentsJson, true);
  if ('error' in parsed) return { text: parsed.error, ran: false };
  const args = parsed.args;
  let ran = true;
  const before = state.fork();
  const text = runPython(
    () => tool.run(state, bindArguments(`KnowledgeTools.${tool.spec.name}`, tool.spec, args)),
    (message) => {
      ran = false;
      return `Error: Invalid arguments: ${message}`;
    },
  );
  if (ran) noteArgumentFloats(state, before);
  return { text, ran };
}

const callDiscoverableAgentTool: DomainTool<{ agent_tool_name: string; arguments: string }> = {
  name: 'call_discoverable_agent_tool',
  description:
    'Call an agent discoverable tool that you have previously unlocked.\n\nUse this after unlocking a tool with `unlock_discoverable_agent_tool`. The knowledge base\nwill tell you which tool to use and what arguments to provide.',
  kind: 'write',
  input: z.strictObject({
    agent_tool_name: z.string().describe('The name of the agent discoverable tool to call'),
    arguments: z.string().default('{}').describe('JSON string of arguments for the tool (e.g., \'{"user_id": "abc123"}\')'),
  }),
  execute(state, { agent_tool_name: name, arguments: argumentsJson }) {
    const tool = AGENT_DISCOVERABLE.get(name);
    if (!tool) return `Error: Unknown agent tool '${name}'. This tool is not available.`;
    if (!state.has(UNLOCKED_TOOLS_TABLE, name)) {
      return `Error: Tool '${name}' has not been unlocked. You must first use \`unlock_discoverable_agent_tool\` to unlock this tool before calling it.`;
    }
    const { text, ran } = callUnlocked(state, tool, argumentsJson);
    // Writes are always logged; reads only when the task's gold actions call them (τ²'s allowlist).
    if (ran && (tool.spec.mutates || state.has(READ_LOG_ALLOWLIST_TABLE, name))) {
      addRecord(state, 'agent_discoverable_tools', agentToolId(name), { tool_name: name, status: 'CALLED' });
    }
    return text;
  },
};

const listDiscoverableAgentTools: DomainTool<Record<string, never>> = {
  name: 'list_discoverable_agent_tools',
  description: 'List all agent discoverable tools that you have called.\n\nUse this to see what specialized tools you have used.',
  kind: 'read',
  input: z.strictObject({}),
  execute(state) {
    const result = queryDatabaseText(state, 'agent_discoverable_tools', '{}');
    // τ² tests for "No results found", which the query never prints: the listing is always returned.
    if (result.includes('No results found'))
      return 'No agent tools have been called yet. Search the knowledge base to discover available tools.';
    return `Your called agent tools:\n${result}`;
  },
};

/** The agent's banking tools in τ²'s order (document search tools go first, see index.ts). */
export const BANKING_AGENT_TOOLS: readonly DomainTool[] = [
  transferToHumanAgents,
  getCurrentTime,
  lookupTool('get_user_information_by_id', `${USER_INFO} user id.`, 'user_id', 'The ID of the user', 'users', 'user_id'),
  lookupTool(
    'get_user_information_by_name',
    `${USER_INFO} name. Case Sensitive.`,
    'customer_name',
    'The name of the user',
    'users',
    'name',
  ),
  lookupTool('get_user_information_by_email', `${USER_INFO} email.`, 'email', 'The email of the user', 'users', 'email'),
  changeUserEmail,
  lookupTool(
    'get_referrals_by_user',
    'Get all referrals made by a user.',
    'user_id',
    'The ID of the user (referrer) to look up referrals for',
    'referrals',
    'referrer_id',
  ),
  lookupTool(
    'get_credit_card_transactions_by_user',
    'Get all credit card transactions for a user.',
    'user_id',
    'The ID of the user to look up transactions for',
    'credit_card_transaction_history',
    'user_id',
  ),
  lookupTool(
    'get_credit_card_accounts_by_user',
    'Get all credit card accounts for a user.\n\nReturns information about each credit card account including card type,\ndate opened, current balance, and reward points.',
    'user_id',
    'The ID of the user to look up credit card accounts for',
    'credit_card_accounts',
    'user_id',
  ),
  logVerification,
  giveDiscoverableUserTool,
  unlockDiscoverableAgentTool,
  callDiscoverableAgentTool,
  listDiscoverableAgentTools,
];
