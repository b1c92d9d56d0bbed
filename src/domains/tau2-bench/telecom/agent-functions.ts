import { z } from 'zod';
import { GroundworkError, ToolError } from '../../../errors.ts';
import type { JsonValue } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import type { EnvFunction } from '../../domain.ts';
import { pyStr } from '../../tau-bench/py-format.ts';
import { formatZodIssues } from '../../tools.ts';
import { TELECOM_LINE_STATUSES, type TelecomAgentRecords, type TelecomBill } from './agent-tables.ts';
import { addDays, billById, customerById, lineById, mutable, planById, TELECOM_TODAY, targetLine } from './agent-tools.ts';

/**
 * τ²-bench telecom's agent-side environment functions that are not tools: the initialisation
 * actions tasks name with `env_type: "assistant"` (`set_data_usage`, `suspend_line_for_overdue_bill`)
 * and the assertions on the final state (`assert_data_refueling_amount`, `assert_no_overdue_bill`…).
 * Tasks also name tools (`enable_roaming`, `refuel_data`…) as initialisation actions; those run
 * through the tools (`runEnvFunction` falls back to them). Failures are τ²'s `ValueError` texts.
 */

type AgentState = TableState<TelecomAgentRecords>;

/** Validates an environment function's arguments (a task-data mistake is INVALID_TASK, not a tool refusal). */
function argumentsOf<Shape extends z.ZodRawShape>(
  name: string,
  shape: Shape,
  args: Record<string, JsonValue>,
): z.output<z.ZodObject<Shape>> {
  const parsed = z.strictObject(shape).safeParse(args);
  if (!parsed.success)
    throw new GroundworkError('INVALID_TASK', `invalid arguments for agent-side ${name}: ${formatZodIssues(parsed.error)}`, {
      hint: 'check the task initialisation actions and assertions',
    });
  return parsed.data;
}

const lineArgs = { customer_id: z.string(), line_id: z.string() };

/** `set_data_usage`: sets a line's data used in this cycle. */
function setDataUsage(state: TableState, args: Record<string, JsonValue>): JsonValue {
  const { customer_id, line_id, data_used_gb } = argumentsOf('set_data_usage', { ...lineArgs, data_used_gb: z.number() }, args);
  const typed = state as AgentState;
  targetLine(typed, customer_id, line_id);
  mutable(typed, 'lines', line_id).data_used_gb = data_used_gb;
  return `Data usage set to ${pyStr(data_used_gb, true)} GB for line ${line_id}`;
}

/**
 * `suspend_line_for_overdue_bill`: a bill for last month's plan price, overdue, and the line
 * suspended (its contract ended last month when `contract_ended`). The line is not checked to
 * belong to the customer, as in τ².
 */
function suspendLineForOverdueBill(state: TableState, args: Record<string, JsonValue>): JsonValue {
  const { customer_id, line_id, new_bill_id, contract_ended } = argumentsOf(
    'suspend_line_for_overdue_bill',
    { ...lineArgs, new_bill_id: z.string(), contract_ended: z.boolean() },
    args,
  );
  const typed = state as AgentState;
  const line = lineById(typed, line_id);
  if (line.status !== 'Active') throw new ToolError('Line must be active to suspend for unpaid bill');
  const amount = planById(typed, line.plan_id).price_per_month;
  if (amount <= 0) throw new ToolError('Amount must be positive for overdue bill');
  const customer = customerById(typed, customer_id);
  if (customer.bill_ids.some((id) => billById(typed, id).status === 'Overdue')) throw new ToolError('Customer already has an overdue bill');
  // Last month relative to τ²'s today (2025-02-25): 2025-01-01 .. 2025-01-31, due 14 days after issue.
  const lastMonthEnd = addDays(`${TELECOM_TODAY.slice(0, 8)}01`, -1);
  const lastMonthStart = `${lastMonthEnd.slice(0, 8)}01`;
  const bill: TelecomBill = {
    bill_id: new_bill_id,
    customer_id,
    period_start: lastMonthStart,
    period_end: lastMonthEnd,
    issue_date: lastMonthStart,
    total_due: amount,
    due_date: addDays(lastMonthStart, 14),
    line_items: [{ description: `Charge for line ${line.line_id}`, amount, date: TELECOM_TODAY, item_type: 'Charge' }],
    status: 'Overdue',
  };
  // τ² appends to its list even when the id exists, and lookups find the first bill of an id: a
  // second bill of the same id is kept under a key of its own, where lookups by id do not see it.
  typed.put('bills', unusedKey(typed, new_bill_id), bill);
  mutable(typed, 'customers', customer_id).bill_ids.push(new_bill_id);
  const changed = mutable(typed, 'lines', line_id);
  changed.status = 'Suspended';
  changed.suspension_start_date = TELECOM_TODAY;
  if (contract_ended) changed.contract_end_date = lastMonthEnd;
  return `Line ${line_id} suspended for unpaid bill ${new_bill_id}. Contract ended: ${contract_ended ? 'True' : 'False'}`;
}

/** `id`, or `id#2`, `id#3`… when a bill already has that key. */
function unusedKey(state: AgentState, id: string): string {
  let key = id;
  for (let n = 2; state.has('bills', key); n++) key = `${id}#${n}`;
  return key;
}

/** `assert_data_refueling_amount`: the line's refueled data equals the amount (within 1e-6). */
function assertDataRefuelingAmount(state: TableState, args: Record<string, JsonValue>): JsonValue {
  const { customer_id, line_id, expected_amount } = argumentsOf(
    'assert_data_refueling_amount',
    { ...lineArgs, expected_amount: z.number() },
    args,
  );
  return Math.abs(targetLine(state as AgentState, customer_id, line_id).data_refueling_gb - expected_amount) < 1e-6;
}

/** `assert_line_status`: the line has the expected status. */
function assertLineStatus(state: TableState, args: Record<string, JsonValue>): JsonValue {
  const { customer_id, line_id, expected_status } = argumentsOf(
    'assert_line_status',
    { ...lineArgs, expected_status: z.enum(TELECOM_LINE_STATUSES) },
    args,
  );
  return targetLine(state as AgentState, customer_id, line_id).status === expected_status;
}

/** `assert_overdue_bill_exists`: true, or τ²'s error naming what is wrong. */
function assertOverdueBillExists(state: TableState, args: Record<string, JsonValue>): JsonValue {
  const { customer_id, overdue_bill_id } = argumentsOf(
    'assert_overdue_bill_exists',
    { customer_id: z.string(), overdue_bill_id: z.string() },
    args,
  );
  const typed = state as AgentState;
  if (!customerById(typed, customer_id).bill_ids.includes(overdue_bill_id))
    throw new ToolError(`Overdue bill ${overdue_bill_id} not found`);
  if (billById(typed, overdue_bill_id).status !== 'Overdue') throw new ToolError(`Overdue bill ${overdue_bill_id} is not overdue`);
  return true;
}

/** `assert_no_overdue_bill`: the bill is gone or paid. */
function assertNoOverdueBill(state: TableState, args: Record<string, JsonValue>): JsonValue {
  const { overdue_bill_id } = argumentsOf('assert_no_overdue_bill', { overdue_bill_id: z.string() }, args);
  const bill = (state as AgentState).get('bills', overdue_bill_id);
  return bill === undefined || bill.status === 'Paid';
}

/** Agent-side environment functions by τ²'s names. */
export const TELECOM_AGENT_FUNCTIONS: Readonly<Record<string, EnvFunction>> = Object.freeze({
  set_data_usage: setDataUsage,
  suspend_line_for_overdue_bill: suspendLineForOverdueBill,
  assert_data_refueling_amount: assertDataRefuelingAmount,
  assert_line_status: assertLineStatus,
  assert_overdue_bill_exists: assertOverdueBillExists,
  assert_no_overdue_bill: assertNoOverdueBill,
});
