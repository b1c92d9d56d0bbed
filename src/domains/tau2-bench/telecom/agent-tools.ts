import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ToolError } from '../../../errors.ts';
import type { TableState } from '../../../state/table-state.ts';
import type { DomainTool } from '../../domain.ts';
import { pyDumps, pyRound, pyStr } from '../../tau-bench/py-format.ts';
import {
  TELECOM_AGENT_DATETIME_FIELDS,
  TELECOM_AGENT_FLOAT_FIELDS,
  type TelecomAgentRecords,
  type TelecomBill,
  type TelecomCustomer,
  type TelecomLine,
  type TelecomLineItem,
  type TelecomPlan,
} from './agent-tables.ts';

/**
 * The agent's tools of τ²-bench telecom (τ²'s `TelecomTools`), re-implemented from its semantics.
 * Names, descriptions and argument schemas are the ones τ² publishes (docstring → description);
 * results are the exact `ToolMessage.content` strings τ² builds with `Environment.to_json_str`;
 * refusals are τ²'s `ValueError` texts (the agent sees `Error: <text>`).
 *
 * Known differences: a number argument is taken as a Python float (`2` prints `2.0`, as τ²'s gold
 * calls write it); a draft bill created by a charge gets a deterministic id instead of τ²'s random
 * `B` + 8 hex digits; wrongly typed or missing arguments are refused with our validation wording.
 */

type AgentState = TableState<TelecomAgentRecords>;
// biome-ignore lint/suspicious/noExplicitAny: the list mixes tools of different inputs; each is typed by its own schema.
type AgentTool = DomainTool<any, TelecomAgentRecords>;

/** τ²'s fixed "today" (`tau2/domains/telecom/utils.py`). */
export const TELECOM_TODAY = '2025-02-25';

// ---------------------------------------------------------------------------------------------
// Python formatting of results

/** A model's `model_dump()` as `json.dumps(..., default=str)` prints it: floats by field, date-times with a space. */
export function dumpModel(record: unknown): string {
  return pyDumps(spacedDateTimes(record), { floatKeys: TELECOM_AGENT_FLOAT_FIELDS });
}

/** `str(datetime)` is `YYYY-MM-DD HH:MM:SS` (what `default=str` prints for model_dump's datetime values). */
function spacedDateTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(spacedDateTimes);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = TELECOM_AGENT_DATETIME_FIELDS.has(key) && typeof field === 'string' ? field.replace('T', ' ') : spacedDateTimes(field);
  }
  return out;
}

/** `str(x)` of a Python float (`5.0`, `0.1`). */
const floatStr = (value: number) => pyStr(value, true);

/** Python's `f"{x:.2f}"`: correctly rounded, exact ties to even. */
const fixed2 = (value: number) => pyRound(value, 2).toFixed(2);

/**
 * A dict result as `to_json_str` prints it: numbers at the dict's top level become `str(number)`
 * (`"8.7"`), models inside it are dumped as they are.
 */
function dumpDict(entries: Record<string, string | number | TelecomLine>): string {
  const processed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entries)) {
    processed[key] = typeof value === 'number' ? floatStr(value) : typeof value === 'string' ? value : spacedDateTimes(value);
  }
  return pyDumps(processed, { floatKeys: TELECOM_AGENT_FLOAT_FIELDS });
}

// ---------------------------------------------------------------------------------------------
// Lookups (τ²'s helpers; their errors are the tools' errors). Exported for the sync and functions.

export function customerById(state: AgentState, customerId: string): Readonly<TelecomCustomer> {
  return state.get('customers', customerId) ?? fail(`Customer with ID ${customerId} not found`);
}

export function lineById(state: AgentState, lineId: string): Readonly<TelecomLine> {
  return state.get('lines', lineId) ?? fail(`Line with ID ${lineId} not found`);
}

export function planById(state: AgentState, planId: string): Readonly<TelecomPlan> {
  return state.get('plans', planId) ?? fail(`Plan with ID ${planId} not found`);
}

export function billById(state: AgentState, billId: string): Readonly<TelecomBill> {
  return state.get('bills', billId) ?? fail(`Bill with ID ${billId} not found`);
}

/** The first line with this phone number (τ²'s `_get_line_by_phone`), or undefined. */
export function lineByPhone(state: AgentState, phoneNumber: string): Readonly<TelecomLine> | undefined {
  return state.rows('lines').find((line) => line.phone_number === phoneNumber);
}

/** τ²'s `get_customer_by_phone`: customers in order, primary number first, then their lines' numbers. */
export function customerByPhone(state: AgentState, phoneNumber: string): Readonly<TelecomCustomer> {
  for (const customer of state.rows('customers')) {
    if (customer.phone_number === phoneNumber) return customer;
    for (const lineId of customer.line_ids) if (lineById(state, lineId).phone_number === phoneNumber) return customer;
  }
  return fail(`Customer with phone number ${phoneNumber} not found`);
}

/** The customer's line (τ²'s `_get_target_line`). */
export function targetLine(state: AgentState, customerId: string, lineId: string): Readonly<TelecomLine> {
  const customer = customerById(state, customerId);
  if (!customer.line_ids.includes(lineId)) fail(`Line ${lineId} not found for customer ${customerId}`);
  return lineById(state, lineId);
}

/** The customer's bills with status Awaiting Payment, in `bill_ids` order. */
export function billsAwaitingPayment(state: AgentState, customer: Readonly<TelecomCustomer>): Readonly<TelecomBill>[] {
  return customer.bill_ids.map((id) => billById(state, id)).filter((bill) => bill.status === 'Awaiting Payment');
}

/** τ²'s `_set_bill_to_paid` (the sync calls it when the user has paid). */
export function setBillPaid(state: AgentState, billId: string): void {
  billById(state, billId);
  mutable(state, 'bills', billId).status = 'Paid';
}

/** A record this episode may change (it exists: looked up before). */
export function mutable<Table extends keyof TelecomAgentRecords & string>(
  state: AgentState,
  table: Table,
  key: string,
): TelecomAgentRecords[Table] {
  const record = state.mutable(table, key);
  if (!record) throw new ToolError(`${table} ${key} not found`);
  return record;
}

function fail(message: string): never {
  throw new ToolError(message);
}

/** Adds `days` to a `YYYY-MM-DD` date. */
export function addDays(day: string, days: number): string {
  const at = new Date(`${day}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** τ²'s `_apply_one_time_charge`: a line item on the customer's draft bill (created for next month if none). */
function applyOneTimeCharge(state: AgentState, customerId: string, amount: number, description: string): void {
  const customer = customerById(state, customerId);
  let draft = customer.bill_ids.map((id) => billById(state, id)).find((bill) => bill.status === 'Draft');
  if (!draft) {
    // Next month of τ²'s today: 2025-03-01 .. 2025-03-31, due 14 days after issue.
    const start = nextMonthStart(TELECOM_TODAY);
    const billId = draftBillId(state, customerId);
    const bill: TelecomBill = {
      bill_id: billId,
      customer_id: customerId,
      period_start: start,
      period_end: addDays(nextMonthStart(start), -1),
      issue_date: start,
      total_due: 0,
      due_date: addDays(start, 14),
      line_items: [],
      status: 'Draft',
    };
    state.put('bills', billId, bill);
    mutable(state, 'customers', customerId).bill_ids.push(billId);
    draft = bill;
  }
  const item: TelecomLineItem = { description, amount, date: TELECOM_TODAY, item_type: amount < 0 ? 'Credit' : 'Charge' };
  const bill = mutable(state, 'bills', draft.bill_id);
  bill.line_items.push(item);
  bill.total_due += amount;
}

/** The first day of the month after `day`'s month. */
function nextMonthStart(day: string): string {
  const [year, month] = day.split('-').map(Number);
  return month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
}

/** τ² draws `B` + 8 random hex digits; ours are derived from the customer and the number of bills, so runs repeat. */
function draftBillId(state: AgentState, customerId: string): string {
  for (let attempt = 0; ; attempt++) {
    const digest = createHash('sha256')
      .update(`${customerId}:${state.keys('bills').length}:${attempt}`)
      .digest('hex');
    const id = `B${digest.slice(0, 8)}`;
    if (!state.has('bills', id)) return id;
  }
}

// ---------------------------------------------------------------------------------------------
// Argument schemas as τ² publishes them

/** pydantic's default field title: `customer_id` → `Customer Id`. */
function fieldTitle(name: string): string {
  return name
    .split('_')
    .map((word) => (word ? word[0].toUpperCase() + word.slice(1).toLowerCase() : word))
    .join(' ');
}

/**
 * An argument object as τ² publishes it (pydantic's `model_json_schema` of the signature: titles,
 * descriptions, no `additionalProperties`), refusing unknown arguments as Python does.
 */
export function tau2Arguments<Shape extends Record<string, z.ZodType>>(
  descriptions: { [Key in keyof Shape]: string },
  shape: Shape,
): z.ZodType<z.output<z.ZodObject<Shape>>> {
  const titled: Record<string, z.ZodType> = {};
  for (const [name, schema] of Object.entries(shape))
    titled[name] = schema.meta({ title: fieldTitle(name), description: descriptions[name] });
  const object = z.object(titled).meta({ title: 'parameters' });
  return z.preprocess((value, ctx) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const key of Object.keys(value))
        if (!Object.hasOwn(shape, key)) ctx.addIssue({ code: 'custom', message: `unexpected keyword argument '${key}'`, input: value });
    }
    return value;
  }, object) as unknown as z.ZodType<z.output<z.ZodObject<Shape>>>;
}

/** A Python `int` argument: JSON Schema `integer`, no bounds. */
const pyInt = () => z.number().refine(Number.isInteger, 'expected an integer').meta({ type: 'integer' });

const CUSTOMER_OWNS = 'ID of the customer who owns the line.';

// ---------------------------------------------------------------------------------------------
// The tools, in τ²'s order

/** The agent's tools, in the order τ² lists them. */
export function createTelecomAgentTools(): AgentTool[] {
  return [
    {
      name: 'get_customer_by_phone',
      description: 'Finds a customer by their primary contact or line phone number.',
      kind: 'read',
      input: tau2Arguments({ phone_number: 'The phone number to search for.' }, { phone_number: z.string() }),
      execute: (state: AgentState, { phone_number }: { phone_number: string }) => dumpModel(customerByPhone(state, phone_number)),
    },
    {
      name: 'get_customer_by_id',
      description: 'Retrieves a customer directly by their unique ID.',
      kind: 'read',
      input: tau2Arguments({ customer_id: 'The unique identifier of the customer.' }, { customer_id: z.string() }),
      execute: (state: AgentState, { customer_id }: { customer_id: string }) => dumpModel(customerById(state, customer_id)),
    },
    {
      name: 'get_customer_by_name',
      description: 'Searches for customers by name and DOB. May return multiple matches if names are similar,\n\nDOB helps disambiguate.',
      kind: 'read',
      input: tau2Arguments(
        { full_name: 'The full name of the customer.', dob: 'Date of birth for verification, in the format YYYY-MM-DD.' },
        { full_name: z.string(), dob: z.string() },
      ),
      execute: (state: AgentState, { full_name, dob }: { full_name: string; dob: string }) =>
        dumpModel(
          state
            .rows('customers')
            .filter((customer) => pyLower(customer.full_name) === pyLower(full_name) && customer.date_of_birth === dob),
        ),
    },
    {
      name: 'get_details_by_id',
      description: 'Retrieves the details for a given ID.\n\nThe ID must be a valid ID for a Customer, Line, Device, Bill, or Plan.',
      kind: 'read',
      input: tau2Arguments({ id: 'The ID of the object to retrieve.' }, { id: z.string() }),
      execute: (state: AgentState, { id }: { id: string }) => {
        if (id.startsWith('L')) return dumpModel(lineById(state, id));
        if (id.startsWith('D')) return dumpModel(state.get('devices', id) ?? fail(`Device with ID ${id} not found`));
        if (id.startsWith('B')) return dumpModel(billById(state, id));
        if (id.startsWith('C')) return dumpModel(customerById(state, id));
        if (id.startsWith('P')) return dumpModel(planById(state, id));
        return fail(`Unknown ID format or type: ${id}`);
      },
    },
    {
      name: 'suspend_line',
      description:
        'Suspends a specific line (max 6 months).\n\nChecks: Line status must be Active.\nLogic: Sets line status to Suspended, records suspension_start_date.',
      kind: 'write',
      input: tau2Arguments(
        { customer_id: CUSTOMER_OWNS, line_id: 'ID of the line to suspend.', reason: 'Reason for suspension.' },
        { customer_id: z.string(), line_id: z.string(), reason: z.string() },
      ),
      execute: (state: AgentState, { customer_id, line_id }: { customer_id: string; line_id: string }) => {
        const line = targetLine(state, customer_id, line_id);
        if (line.status !== 'Active') fail('Line must be active to suspend');
        const changed = mutable(state, 'lines', line.line_id);
        changed.status = 'Suspended';
        changed.suspension_start_date = TELECOM_TODAY;
        return dumpDict({ message: 'Line suspended successfully. $5/month holding fee will apply.', line: changed });
      },
    },
    {
      name: 'resume_line',
      description:
        'Resumes a suspended line.\n\nChecks: Line status must be Suspended or Pending Activation.\nLogic: Sets line status to Active, clears suspension_start_date.',
      kind: 'write',
      input: tau2Arguments(
        { customer_id: CUSTOMER_OWNS, line_id: 'ID of the line to resume.' },
        { customer_id: z.string(), line_id: z.string() },
      ),
      execute: (state: AgentState, { customer_id, line_id }: { customer_id: string; line_id: string }) => {
        const line = targetLine(state, customer_id, line_id);
        if (line.status !== 'Suspended' && line.status !== 'Pending Activation') fail('Line must be suspended to resume');
        const changed = mutable(state, 'lines', line.line_id);
        changed.status = 'Active';
        changed.suspension_start_date = null;
        return dumpDict({ message: 'Line resumed successfully', line: changed });
      },
    },
    {
      name: 'get_bills_for_customer',
      description: "Retrieves a list of the customer's bills, most recent first.",
      kind: 'read',
      input: tau2Arguments(
        { customer_id: 'ID of the customer.', limit: 'Maximum number of bills to return.' },
        { customer_id: z.string(), limit: pyInt().default(12) },
      ),
      execute: (state: AgentState, { customer_id, limit }: { customer_id: string; limit: number }) => {
        const bills = customerById(state, customer_id).bill_ids.map((id) => billById(state, id));
        // Python's sorted(reverse=True) is stable: bills of the same issue date keep their order.
        const sorted = bills
          .map((bill, index) => ({ bill, index }))
          .sort((a, b) => (a.bill.issue_date === b.bill.issue_date ? a.index - b.index : a.bill.issue_date < b.bill.issue_date ? 1 : -1))
          .map(({ bill }) => bill);
        // Python slicing `[:limit]`: a negative limit drops bills from the end, like slice().
        return dumpModel(sorted.slice(0, limit));
      },
    },
    {
      name: 'send_payment_request',
      description:
        'Sends a payment request to the customer for a specific bill.\n\nChecks:\n    - Customer exists\n    - Bill exists and belongs to the customer\n    - No other bills are already awaiting payment for this customer\nLogic: Sets bill status to AWAITING_PAYMENT and notifies customer.\nWarning: This method does not check if the bill is already PAID.\nAlways check the bill status before calling this method.',
      kind: 'write',
      input: tau2Arguments(
        { customer_id: 'ID of the customer who owns the bill.', bill_id: 'ID of the bill to send payment request for.' },
        { customer_id: z.string(), bill_id: z.string() },
      ),
      execute: (state: AgentState, { customer_id, bill_id }: { customer_id: string; bill_id: string }) => {
        const customer = customerById(state, customer_id);
        if (billsAwaitingPayment(state, customer).length !== 0) fail('A bill is already awaiting payment for this customer');
        if (!customer.bill_ids.includes(bill_id)) fail(`Bill ${bill_id} not found for customer ${customer_id}`);
        billById(state, bill_id);
        mutable(state, 'bills', bill_id).status = 'Awaiting Payment';
        return `Payment request sent to the customer for bill ${bill_id}`;
      },
    },
    {
      name: 'get_data_usage',
      description:
        'Retrieves current billing cycle data usage for a line, including data\n\nrefueling amount, data limit, and cycle end date.',
      kind: 'read',
      input: tau2Arguments(
        { customer_id: CUSTOMER_OWNS, line_id: 'ID of the line to check usage for.' },
        { customer_id: z.string(), line_id: z.string() },
      ),
      execute: (state: AgentState, { customer_id, line_id }: { customer_id: string; line_id: string }) => {
        const line = targetLine(state, customer_id, line_id);
        const plan = planById(state, line.plan_id);
        return dumpDict({
          line_id,
          data_used_gb: line.data_used_gb,
          data_limit_gb: plan.data_limit_gb,
          data_refueling_gb: line.data_refueling_gb,
          // The last day of today's month.
          cycle_end_date: addDays(nextMonthStart(TELECOM_TODAY), -1),
        });
      },
    },
    {
      name: 'enable_roaming',
      description: 'Enables international roaming on a line.',
      kind: 'write',
      input: tau2Arguments(
        { customer_id: CUSTOMER_OWNS, line_id: 'ID of the line to enable roaming for.' },
        { customer_id: z.string(), line_id: z.string() },
      ),
      execute: (state: AgentState, { customer_id, line_id }: { customer_id: string; line_id: string }) =>
        setRoaming(state, customer_id, line_id, true),
    },
    {
      name: 'disable_roaming',
      description: 'Disables international roaming on a line.',
      kind: 'write',
      input: tau2Arguments(
        { customer_id: CUSTOMER_OWNS, line_id: 'ID of the line to disable roaming for.' },
        { customer_id: z.string(), line_id: z.string() },
      ),
      execute: (state: AgentState, { customer_id, line_id }: { customer_id: string; line_id: string }) =>
        setRoaming(state, customer_id, line_id, false),
    },
    {
      name: 'transfer_to_human_agents',
      description:
        "Transfer the user to a human agent, with a summary of the user's issue.\n\nOnly transfer if\n -  the user explicitly asks for a human agent\n -  given the policy and the available tools, you cannot solve the user's issue.",
      kind: 'read',
      terminal: true,
      input: tau2Arguments({ summary: "A summary of the user's issue." }, { summary: z.string() }),
      execute: () => 'Transfer successful',
    },
    {
      name: 'refuel_data',
      description:
        "Refuels data for a specific line, adding to the customer's bill.\n\nChecks: Line status must be Active, Customer owns the line.\nLogic: Adds data to the line and charges customer based on the plan's refueling rate.",
      kind: 'write',
      input: tau2Arguments(
        { customer_id: CUSTOMER_OWNS, line_id: 'ID of the line to refuel data for.', gb_amount: 'Amount of data to add in gigabytes.' },
        { customer_id: z.string(), line_id: z.string(), gb_amount: z.number() },
      ),
      execute: (state: AgentState, args: { customer_id: string; line_id: string; gb_amount: number }) => refuelData(state, args),
    },
  ];
}

/** Python's `str.lower()` for the name comparison (full Unicode lowering, like JavaScript's). */
function pyLower(text: string): string {
  return text.toLowerCase();
}

/** `enable_roaming` / `disable_roaming`. */
export function setRoaming(state: AgentState, customerId: string, lineId: string, enabled: boolean): string {
  const line = targetLine(state, customerId, lineId);
  const word = enabled ? 'enabled' : 'disabled';
  if (line.roaming_enabled === enabled) return `Roaming was already ${word}`;
  mutable(state, 'lines', line.line_id).roaming_enabled = enabled;
  return `Roaming ${word} successfully`;
}

/** `refuel_data`: adds data to the line and charges the plan's refueling price on the draft bill. */
export function refuelData(state: AgentState, args: { customer_id: string; line_id: string; gb_amount: number }): string {
  const { customer_id, line_id, gb_amount } = args;
  const line = targetLine(state, customer_id, line_id);
  if (gb_amount <= 0) fail('Refuel amount must be positive');
  const plan = planById(state, line.plan_id);
  const charge = gb_amount * plan.data_refueling_price_per_gb;
  const changed = mutable(state, 'lines', line.line_id);
  changed.data_refueling_gb += gb_amount;
  const refueled = changed.data_refueling_gb;
  applyOneTimeCharge(
    state,
    customer_id,
    charge,
    `Data refueling: ${floatStr(gb_amount)} GB at $${floatStr(plan.data_refueling_price_per_gb)}/GB`,
  );
  return dumpDict({
    message: `Successfully added ${floatStr(gb_amount)} GB of data for line ${line_id} for $${fixed2(charge)}`,
    new_data_refueling_gb: refueled,
    charge,
  });
}
