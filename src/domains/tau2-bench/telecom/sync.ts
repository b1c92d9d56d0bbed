import { ToolError } from '../../../errors.ts';
import { jsonEqual } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import type { TelecomAgentRecords } from './agent-tables.ts';
import { billsAwaitingPayment, customerByPhone, lineByPhone, planById, setBillPaid } from './agent-tools.ts';
import { readPhone, writePhone } from './phone.ts';
import type { UserSurroundings } from './user-tables.ts';

/**
 * τ²'s `TelecomEnvironment.sync_tools`: how the account the agent manages shows on the user's
 * phone, run after every tool call of either side and every environment function. Once the phone
 * knows its number, the line decides whether it has service (`line_active`), may roam
 * (`roaming_allowed`) and has data left (`mobile_data_usage_exceeded`); a payment the user made is
 * recorded on the bill, and a bill awaiting payment arrives on the phone as a payment request.
 *
 * Throws `ToolError` with τ²'s text when the phone's number or its line's plan is unknown (τ²
 * raises; a tool call then answers `Error: ...` after its own change was made). Idempotent.
 */
export function syncTelecom(state: TableState): void {
  const current = readPhone(state).surroundings;
  const phoneNumber = current.phone_number;
  if (phoneNumber === null) return;
  // Write only on change: most calls leave the phone as it was. Fields are set in τ²'s order, so
  // a failing lookup leaves what τ² leaves.
  const set = <Field extends keyof UserSurroundings>(field: Field, value: UserSurroundings[Field]) => {
    if (!jsonEqual(current[field], value)) writePhone(state).surroundings[field] = value;
  };
  const agent = state as TableState<TelecomAgentRecords>;
  const line = lineByPhone(agent, phoneNumber);
  if (!line) throw new ToolError(`Line with phone number ${phoneNumber} not found`);
  set('line_active', line.status === 'Active');
  set('roaming_allowed', line.roaming_enabled);
  const plan = planById(agent, line.plan_id);
  set('mobile_data_usage_exceeded', line.data_used_gb >= plan.data_limit_gb + line.data_refueling_gb);

  const request = current.payment_request;
  if (request?.paid) {
    setBillPaid(agent, request.bill_id);
    set('payment_request', null);
  }
  if (readPhone(state).surroundings.payment_request === null) {
    const awaiting = billsAwaitingPayment(agent, customerByPhone(agent, phoneNumber));
    if (awaiting.length > 0) set('payment_request', { bill_id: awaiting[0].bill_id, amount_due: awaiting[0].total_due, paid: false });
  }
}
