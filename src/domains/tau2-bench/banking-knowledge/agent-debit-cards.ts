/**
 * Discoverable agent tools for debit cards (τ²'s KnowledgeTools): Regulation E disputes, orders,
 * the three activation variants, closing, freezing, fraud alerts, PINs, listing and temporary
 * limit increases.
 */
import type { JsonObject, JsonValue } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import { pyEquals } from './db-query.ts';
import {
  type Args,
  addRecord,
  daysSinceToday,
  type DiscoverableImpl,
  display,
  editRecord,
  field,
  getRecord,
  hasRecord,
  historyTool,
  isOneOf,
  parseMdy,
  s,
  TODAY,
} from './discoverable.ts';
import { debitCardId, debitCardOrderId, deterministicId, disputeId } from './ids.ts';
import {
  PyException,
  type PyValue,
  type FloatRule,
  pyCompare,
  pyFixed,
  pyFloat,
  pyIsDigit,
  pyJsonDumpsIndent,
  pyListRepr,
  pyNumberStr,
  pyStr,
  pyStrMethod,
  pyTruthy,
} from './py.ts';
import { RECORD_FLOATS, recordFloats } from './tables.ts';

const DEBIT_DISPUTE_CATEGORIES = [
  'unauthorized_transaction',
  'atm_cash_discrepancy',
  'atm_deposit_not_credited',
  'duplicate_charge',
  'incorrect_amount',
  'goods_services_not_received',
  'recurring_charge_after_cancellation',
  'card_present_fraud',
  'card_not_present_fraud',
];
const DEBIT_TRANSACTION_TYPES = [
  'pin_purchase',
  'signature_purchase',
  'online_purchase',
  'atm_withdrawal',
  'atm_deposit',
  'recurring_payment',
  'person_to_person',
];

function fileDebitCardDispute(state: TableState, a: Args): string {
  const required = [
    a.transaction_id,
    a.account_id,
    a.card_id,
    a.user_id,
    a.dispute_category,
    a.transaction_date,
    a.discovery_date,
    a.disputed_amount,
    a.transaction_type,
    a.pin_compromised,
    a.card_action,
  ];
  if (!required.every(pyTruthy)) return 'Error: Missing required parameters.';
  if (a.customer_max_liability_amount === null) return 'Error: customer_max_liability_amount is required.';
  if (
    a.card_in_possession === null ||
    a.contacted_merchant === null ||
    a.police_report_filed === null ||
    a.written_statement_provided === null
  ) {
    return 'Error: card_in_possession, contacted_merchant, police_report_filed, and written_statement_provided are required boolean fields.';
  }
  if (!isOneOf(a.dispute_category, DEBIT_DISPUTE_CATEGORIES))
    return `Error: Invalid dispute_category. Must be one of: ${pyListRepr(DEBIT_DISPUTE_CATEGORIES)}`;
  if (!isOneOf(a.transaction_type, DEBIT_TRANSACTION_TYPES))
    return `Error: Invalid transaction_type. Must be one of: ${pyListRepr(DEBIT_TRANSACTION_TYPES)}`;
  const pinStatuses = ['yes_shared', 'yes_observed', 'no', 'unknown'];
  if (!isOneOf(a.pin_compromised, pinStatuses)) return `Error: Invalid pin_compromised. Must be one of: ${pyListRepr(pinStatuses)}`;
  const cardActions = ['keep_active', 'freeze_pending_investigation', 'close_and_reissue'];
  if (!isOneOf(a.card_action, cardActions)) return `Error: Invalid card_action. Must be one of: ${pyListRepr(cardActions)}`;
  if (pyCompare(a.disputed_amount, '<=', 0)) return 'Error: disputed_amount must be a positive number.';
  const id = disputeId(s(a.user_id), s(a.transaction_id));
  const isFraud = isOneOf(a.dispute_category, ['unauthorized_transaction', 'card_present_fraud', 'card_not_present_fraud']);
  const pinShared = a.pin_compromised === 'yes_shared';
  const eligible = pyTruthy(a.provisional_credit_eligible);
  const record = {
    dispute_id: id,
    transaction_id: a.transaction_id,
    account_id: a.account_id,
    card_id: a.card_id,
    user_id: a.user_id,
    dispute_category: a.dispute_category,
    transaction_date: a.transaction_date,
    discovery_date: a.discovery_date,
    disputed_amount: a.disputed_amount,
    transaction_type: a.transaction_type,
    card_in_possession: a.card_in_possession,
    pin_compromised: a.pin_compromised,
    contacted_merchant: a.contacted_merchant,
    police_report_filed: a.police_report_filed,
    written_statement_provided: a.written_statement_provided,
    provisional_credit_eligible: a.provisional_credit_eligible,
    provisional_credit_issued: a.provisional_credit_eligible,
    provisional_credit_amount: eligible ? a.disputed_amount : null,
    customer_max_liability_amount: a.customer_max_liability_amount,
    card_action: a.card_action,
    is_fraud_category: isFraud,
    pin_shared_voluntarily: pinShared,
    submitted_at: TODAY,
    status: 'OPEN',
  } as JsonObject;
  if (!addRecord(state, 'debit_card_disputes', id, record)) return 'Error: Dispute may have already been filed for this transaction.';
  const amount = pyFixed(a.disputed_amount);
  const parts = [
    `Dispute ID: ${id}`,
    `Transaction: ${s(a.transaction_id)}`,
    `Account: ${s(a.account_id)}`,
    `Category: ${display(a.dispute_category)}`,
    `Disputed Amount: $${amount}`,
    `Card Action: ${display(a.card_action)}`,
  ];
  parts.push(
    eligible
      ? `Provisional Credit: ISSUED - $${amount} credited within 10 business days per Regulation E.`
      : 'Provisional Credit: Not eligible - see Debit Card Provisional Credit Guidelines for details.',
  );
  if (pinShared) parts.push('WARNING: Customer indicated PIN was shared voluntarily. This may affect liability determination.');
  if (isFraud && !pyTruthy(a.police_report_filed) && pyCompare(a.disputed_amount, '>', 500)) {
    parts.push('RECOMMENDATION: For fraud disputes over $500, filing a police report is recommended.');
  }
  return parts.join('\n');
}

function setRecurringBlock(state: TableState, a: Args): string {
  const cardId = a.card_id;
  if (!pyTruthy(cardId)) return 'Error: Missing required parameter: card_id';
  const card = getRecord(state, 'debit_cards', cardId);
  if (!card || !pyTruthy(card)) return `Error: Debit card '${s(cardId)}' not found.`;
  const status = pyStrMethod(field(card, 'status', ''), 'upper').toUpperCase();
  if (status !== 'ACTIVE') return `Error: Cannot update recurring block settings for a card with status '${status}'. Card must be ACTIVE.`;
  editRecord(state, 'debit_cards', cardId as string).recurring_blocked = a.block_recurring as JsonValue;
  return pyTruthy(a.block_recurring)
    ? `Recurring payments BLOCKED for debit card ${s(cardId)}.\nAll recurring/subscription charges will be declined.\nOne-time purchases are not affected.\nThis change takes effect within 24 hours.`
    : `Recurring payments UNBLOCKED for debit card ${s(cardId)}.\nRecurring/subscription charges will now be allowed.\nThis change takes effect within 24 hours.`;
}

/** `float(x) if x is not None else None`, with the tool's message when float() fails. */
function optionalFee(value: PyValue, name: string): number | null | string {
  if (value === null) return null;
  try {
    return pyFloat(value);
  } catch (error) {
    if (error instanceof PyException && (error.kind === 'TypeError' || error.kind === 'ValueError'))
      return `Error: ${name} must be a number.`;
    throw error;
  }
}

/** Digits of a hex digest, first `n`, left-padded with zeros (`"".join(c for c in h if c.isdigit())[:n].zfill(n)`). */
const digitsOf = (hex: string, n: number) => hex.replace(/\D/g, '').slice(0, n).padStart(n, '0');

function orderDebitCard(state: TableState, a: Args): string {
  const { account_id: accountId, user_id: userId, shipping_address: address } = a;
  let excess: PyValue = pyTruthy(a.excess_replacement_fee) ? a.excess_replacement_fee : 0;
  const deliveryFee = optionalFee(a.delivery_fee, 'delivery_fee');
  if (typeof deliveryFee === 'string') return deliveryFee;
  const designFee = optionalFee(a.design_fee, 'design_fee');
  if (typeof designFee === 'string') return designFee;
  try {
    excess = pyFloat(excess);
  } catch (error) {
    if (!(error instanceof PyException && (error.kind === 'TypeError' || error.kind === 'ValueError'))) throw error;
    excess = 0;
  }
  const excessFee = excess as number;
  if (![accountId, userId, a.delivery_option, deliveryFee !== null, a.card_design, designFee !== null, address].every(pyTruthy)) {
    return 'Error: Missing required parameters. Required: account_id, user_id, delivery_option, delivery_fee, card_design, design_fee, shipping_address.';
  }
  const deliveryOptions = ['STANDARD', 'EXPEDITED', 'RUSH'];
  const delivery = pyStrMethod(a.delivery_option, 'upper').toUpperCase();
  if (!deliveryOptions.includes(delivery)) return `Error: Invalid delivery_option. Must be one of: ${pyListRepr(deliveryOptions)}`;
  const designs = ['CLASSIC', 'PREMIUM', 'CUSTOM'];
  const design = pyStrMethod(a.card_design, 'upper').toUpperCase();
  if (!designs.includes(design)) return `Error: Invalid card_design. Must be one of: ${pyListRepr(designs)}`;
  const account = getRecord(state, 'accounts', accountId);
  if (!account) return `Error: Account '${s(accountId)}' not found.`;
  const shown = (name: string) => pyStr(field(account, name), RECORD_FLOATS(name));
  if (field(account, 'class') !== 'checking') {
    return `Error: Debit cards can only be ordered for checking accounts. Account '${s(accountId)}' is a ${shown('class')} account.`;
  }
  if (field(account, 'status') !== 'OPEN') return `Error: Account must be OPEN. Account '${s(accountId)}' has status: ${shown('status')}`;
  if (!pyEquals(field(account, 'user_id'), userId)) return `Error: Account '${s(accountId)}' does not belong to user '${s(userId)}'.`;
  let holdings: number;
  try {
    holdings = pyFloat(pyStr(field(account, 'current_holdings', '0'), RECORD_FLOATS('current_holdings')).replaceAll(',', ''));
  } catch (error) {
    if (!(error instanceof PyException && error.kind === 'ValueError')) throw error;
    holdings = 0;
  }
  if (holdings < 25) return `Error: Account must have a minimum balance of $25. Current balance: $${pyFixed(holdings)}`;
  for (const order of state.rows('debit_card_orders') as JsonObject[]) {
    if (pyEquals(order.account_id, accountId) && order.status === 'PENDING') {
      return `Error: There is already a pending debit card order for account '${s(accountId)}'.`;
    }
  }
  const cards = state.rows('debit_cards') as JsonObject[];
  if (cards.some((card) => pyEquals(card.account_id, accountId) && card.status === 'ACTIVE')) {
    return `Error: Account '${s(accountId)}' already has an active debit card. Maximum 1 active card per checking account.`;
  }
  const delivered = deliveryFee as number;
  const designed = designFee as number;
  const totalFee = delivered + designed + excessFee;
  if (totalFee > 0 && holdings < totalFee) {
    return `Error: Insufficient funds for fees. Total fees: $${pyFixed(totalFee)}. Current balance: $${pyFixed(holdings)}`;
  }
  const expected = { STANDARD: '7-10 business days', EXPEDITED: '3-5 business days', RUSH: '1-2 business days' }[delivery]!;
  const orderId = debitCardOrderId(s(accountId), s(userId), delivery);
  const order = {
    order_id: orderId,
    account_id: accountId,
    user_id: userId,
    delivery_option: delivery,
    card_design: design,
    shipping_address: address,
    delivery_fee: delivered,
    design_fee: designed,
    excess_replacement_fee: excessFee,
    total_fee: totalFee,
    order_date: TODAY,
    expected_delivery: expected,
    status: 'PENDING',
  } as JsonObject;
  if (!addRecord(state, 'debit_card_orders', orderId, order)) return 'Error: Failed to create debit card order. Order may already exist.';
  const feeText = (separator: string) => {
    const parts: string[] = [];
    if (delivered > 0) parts.push(`Delivery${separator}$${pyNumberStr(delivered, true)}`);
    if (designed > 0) parts.push(`Design${separator}$${pyNumberStr(designed, true)}`);
    if (excessFee > 0) parts.push(`Excess Replacement${separator}$${pyFixed(excessFee, 0)}`);
    return parts.join(', ');
  };
  if (totalFee > 0) {
    editRecord(state, 'accounts', accountId as string).current_holdings = pyFixed(holdings - totalFee);
    const feeId = `btxn_dcfee_${orderId.slice(-8)}`;
    addRecord(state, 'bank_account_transaction_history', feeId, {
      transaction_id: feeId,
      account_id: accountId,
      date: TODAY,
      description: `DEBIT CARD ORDER FEE - ${feeText(' ')}`,
      amount: -totalFee,
      type: 'debit_card_fee',
      status: 'posted',
    } as JsonObject);
  }
  const cardId = debitCardId(s(accountId), s(userId), TODAY);
  const seed = `card_details:${cardId}`;
  const user = getRecord(state, 'users', userId);
  const holder = user ? pyStrMethod(field(user, 'name', 'CARDHOLDER'), 'upper').toUpperCase() : 'CARDHOLDER';
  const [month, , year] = TODAY.split('/');
  const lastDay = ['01', '03', '05', '07', '08', '10', '12'].includes(month) ? '31' : month === '02' ? '28' : '30';
  const existing = cards.filter((card) => pyEquals(card.account_id, accountId));
  const closed = existing.find((card) => card.status === 'CLOSED');
  let issueReason: PyValue = existing.length > 0 ? 'first_card' : 'new_account';
  if (closed) {
    const closure = field(closed, 'closure_reason', 'first_card');
    issueReason = isOneOf(closure, ['lost', 'stolen', 'fraud', 'fraud_suspected'])
      ? closure === 'fraud_suspected'
        ? 'fraud'
        : closure
      : 'first_card';
  }
  addRecord(state, 'debit_cards', cardId, {
    card_id: cardId,
    account_id: accountId,
    user_id: userId,
    cardholder_name: holder,
    last_4_digits: digitsOf(deterministicId(`${seed}:last4`, 8), 4),
    cvv: digitsOf(deterministicId(`${seed}:cvv`, 6), 3),
    status: 'PENDING',
    issue_date: TODAY,
    expiration_date: `${month}/${lastDay}/${Number(year) + 4}`,
    card_design: design,
    issue_reason: issueReason,
  } as JsonObject);
  const lines = [
    'Debit Card Order Confirmed',
    `Order ID: ${orderId}`,
    `Card ID: ${cardId}`,
    `Linked Account: ${s(accountId)}`,
    `Delivery Option: ${delivery}`,
    `Card Design: ${design}`,
    `Shipping Address: ${s(address)}`,
    `Expected Delivery: ${expected}`,
    '',
    'Note: Card will arrive with status PENDING. Customer must call to activate after receiving the card.',
  ];
  if (totalFee > 0) {
    lines.push(`Total Fees: $${pyFixed(totalFee)} (${feeText(': ')}) - CHARGED to account ${s(accountId)}`);
    lines.push(`New Account Balance: $${pyFixed(holdings - totalFee)}`);
  } else lines.push('Total Fees: $0 (No additional charges)');
  return lines.join('\n');
}

/** `_validate_pin`: an error text, or undefined when the PIN is acceptable. */
function pinProblem(pin: PyValue): string | undefined {
  if (!pyTruthy(pin) || !pyIsDigit(pyStrMethod(pin, 'isdigit')) || (pin as string).length !== 4) return 'PIN must be exactly 4 digits.';
  const sequential = ['0123', '1234', '2345', '3456', '4567', '5678', '6789', '9876', '8765', '7654', '6543', '5432', '4321', '3210'];
  if (sequential.includes(pin as string)) return 'PIN cannot be sequential (e.g., 1234). Please choose a more secure PIN.';
  if (new Set(pin as string).size === 1) return 'PIN cannot be all the same digit (e.g., 1111). Please choose a more secure PIN.';
  return undefined;
}

/** `len(x)` of a string argument (after `.isdigit()` succeeded, so it is a string). */
const digitsExactly = (value: PyValue, n: number) => pyIsDigit(pyStrMethod(value, 'isdigit')) && [...(value as string)].length === n;

const ACTIVATION_TOOL_BY_REASON: Readonly<Record<string, string>> = {
  new_account: 'activate_debit_card_8291',
  first_card: 'activate_debit_card_8291',
  lost: 'activate_debit_card_8292',
  stolen: 'activate_debit_card_8292',
  fraud: 'activate_debit_card_8292',
  expired: 'activate_debit_card_8293',
  damaged: 'activate_debit_card_8293',
  upgrade: 'activate_debit_card_8293',
  bank_reissue: 'activate_debit_card_8293',
};

/** `_validate_activation_common`: an error text, or the card to activate. */
function activationProblem(state: TableState, a: Args, allowed: readonly string[], toolName: string): string | JsonObject {
  const { card_id: cardId, last_4_digits: last4, expiration_date: expiration, cvv, pin } = a;
  if (![cardId, last4, expiration, cvv, pin].every(pyTruthy)) {
    return 'Error: Missing required parameters. Required: card_id, last_4_digits, expiration_date, cvv, pin.';
  }
  const problem = pinProblem(pin);
  if (problem) return `Error: ${problem}`;
  if (!digitsExactly(cvv, 3)) return 'Error: CVV must be exactly 3 digits.';
  if (!digitsExactly(last4, 4)) return 'Error: Last 4 digits must be exactly 4 digits.';
  const card = getRecord(state, 'debit_cards', cardId);
  if (!hasRecord(state, 'debit_cards', cardId) || !card) return `Error: Debit card '${s(cardId)}' not found.`;
  const reason = field(card, 'issue_reason', 'new_account');
  if (!isOneOf(reason, allowed)) {
    const correct = (typeof reason === 'string' && ACTIVATION_TOOL_BY_REASON[reason]) || 'unknown';
    return `Error: Wrong activation tool. This card has issue_reason='${s(reason)}'. Please use ${correct} instead of ${toolName}.`;
  }
  if (field(card, 'status') === 'ACTIVE') return `Error: Debit card '${s(cardId)}' is already active.`;
  if (field(card, 'status') !== 'PENDING') {
    return `Error: Debit card '${s(cardId)}' cannot be activated. Current status: ${pyStr(field(card, 'status'))}. Only PENDING cards can be activated.`;
  }
  if (!pyEquals(field(card, 'last_4_digits'), last4)) return 'Error: Card verification failed. The last 4 digits do not match our records.';
  const accountId = field(card, 'account_id');
  if (pyTruthy(accountId)) {
    const account = getRecord(state, 'accounts', accountId);
    if (account && field(account, 'status') !== 'OPEN') {
      return `Error: The linked checking account '${s(accountId)}' is no longer open. Card cannot be activated.`;
    }
  }
  return card;
}

/** What an activation variant does to the account's other active cards, and how it reports. */
interface ActivationVariant {
  allowed: readonly string[];
  defaultReason: string;
  /** Fields set on each other ACTIVE card of the account. */
  retire: (reason: string) => JsonObject;
  report: (cardId: string, reason: string, retired: string[]) => string[];
}

function activation(name: string, variant: ActivationVariant): DiscoverableImpl {
  return (state, a) => {
    const checked = activationProblem(state, a, variant.allowed, name);
    if (typeof checked === 'string') return checked;
    const cardId = a.card_id as string;
    const accountId = field(checked, 'account_id');
    const reason = s(field(checked, 'issue_reason', variant.defaultReason));
    const card = editRecord(state, 'debit_cards', cardId);
    card.status = 'ACTIVE';
    card.activated_date = TODAY;
    const retired: string[] = [];
    for (const [otherId, other] of state.entries('debit_cards') as [string, JsonObject][]) {
      if (otherId !== cardId && pyEquals(other.account_id, accountId) && other.status === 'ACTIVE') {
        Object.assign(editRecord(state, 'debit_cards', otherId), variant.retire(reason));
        retired.push(otherId);
      }
    }
    return variant.report(cardId, reason, retired).join('\n');
  };
}

function closeDebitCard(state: TableState, a: Args): string {
  const cardId = a.card_id;
  if (!pyTruthy(cardId) || !pyTruthy(a.reason)) return 'Error: Missing required parameters. Required: card_id, reason.';
  const reasons = ['lost', 'stolen', 'fraud_suspected', 'damaged', 'no_longer_needed', 'account_closing'];
  const reason = pyStrMethod(a.reason, 'lower').toLowerCase();
  if (!reasons.includes(reason)) return `Error: Invalid reason. Must be one of: ${pyListRepr(reasons)}`;
  const card = getRecord(state, 'debit_cards', cardId);
  if (!card) return `Error: Debit card '${s(cardId)}' not found.`;
  const previous = field(card, 'status');
  if (!isOneOf(previous, ['ACTIVE', 'PENDING'])) {
    return `Error: Debit card '${s(cardId)}' cannot be closed. Current status: ${pyStr(previous)}. Only ACTIVE or PENDING cards can be closed.`;
  }
  Object.assign(editRecord(state, 'debit_cards', cardId as string), { status: 'CLOSED', closed_date: TODAY, closure_reason: reason });
  const parts = [
    'Debit Card Closed Successfully',
    `Card ID: ${s(cardId)}`,
    `Previous Status: ${s(previous)}`,
    'New Status: CLOSED',
    `Closure Reason: ${display(reason)}`,
    `Closure Date: ${TODAY}`,
    '',
  ];
  if (['lost', 'stolen', 'fraud_suspected'].includes(reason)) {
    parts.push('IMPORTANT: This card has been immediately deactivated for security.', 'Any pending transactions may still be processed.');
    if (reason === 'fraud_suspected') {
      parts.push(
        'Please advise the customer to review recent transactions and file disputes for any unauthorized charges.',
        'Also recommend changing their online banking password.',
      );
    }
  }
  parts.push(
    '',
    'Note: This card cannot be reactivated. If the customer needs a new card, they can order one through the standard ordering process.',
    'Any recurring payments linked to this card will need to be updated with new payment information.',
  );
  return parts.join('\n');
}

function freezeDebitCard(state: TableState, a: Args): string {
  const cardId = a.card_id;
  if (!pyTruthy(cardId)) return 'Error: Missing required parameter: card_id.';
  const card = getRecord(state, 'debit_cards', cardId);
  if (!card) return `Error: Debit card '${s(cardId)}' not found.`;
  if (field(card, 'status') === 'FROZEN') return `Error: Debit card '${s(cardId)}' is already frozen.`;
  if (field(card, 'status') !== 'ACTIVE') {
    return `Error: Debit card '${s(cardId)}' cannot be frozen. Current status: ${pyStr(field(card, 'status'))}. Only ACTIVE cards can be frozen.`;
  }
  Object.assign(editRecord(state, 'debit_cards', cardId as string), { status: 'FROZEN', frozen_date: TODAY });
  return [
    'Debit Card Frozen Successfully',
    `Card ID: ${s(cardId)}`,
    'Status: FROZEN',
    `Frozen Date: ${TODAY}`,
    '',
    'While frozen:',
    '- All new purchase transactions will be declined',
    '- Recurring payments and subscriptions will be declined',
    '- Pending transactions already authorized may still process',
    '',
    'To unfreeze, the customer can call customer service or use the mobile app.',
    'If the card is confirmed lost or stolen, recommend closing the card permanently instead.',
  ].join('\n');
}

function unfreezeDebitCard(state: TableState, a: Args): string {
  const cardId = a.card_id;
  if (!pyTruthy(cardId)) return 'Error: Missing required parameter: card_id.';
  const card = getRecord(state, 'debit_cards', cardId);
  if (!card) return `Error: Debit card '${s(cardId)}' not found.`;
  if (field(card, 'status') === 'ACTIVE') return `Error: Debit card '${s(cardId)}' is already active.`;
  if (field(card, 'status') !== 'FROZEN') {
    return `Error: Debit card '${s(cardId)}' cannot be unfrozen. Current status: ${pyStr(field(card, 'status'))}. Only FROZEN cards can be unfrozen.`;
  }
  const accountId = field(card, 'account_id');
  if (pyTruthy(accountId)) {
    const account = getRecord(state, 'accounts', accountId);
    if (account && field(account, 'status') !== 'OPEN') {
      return `Error: The linked checking account '${s(accountId)}' is no longer open. Card cannot be unfrozen.`;
    }
  }
  Object.assign(editRecord(state, 'debit_cards', cardId as string), { status: 'ACTIVE', unfrozen_date: TODAY });
  return [
    'Debit Card Unfrozen Successfully',
    `Card ID: ${s(cardId)}`,
    'Status: ACTIVE',
    `Unfrozen Date: ${TODAY}`,
    '',
    'The card is now active and ready to use immediately.',
    'All transactions will process normally.',
  ].join('\n');
}

function clearFraudAlert(state: TableState, a: Args): string {
  const { card_id: cardId, reason } = a;
  if (!pyTruthy(cardId)) return 'Error: Missing required parameter: card_id.';
  if (!pyTruthy(reason)) return 'Error: Missing required parameter: reason.';
  const reasons = ['customer_verified', 'velocity_clear'];
  if (!isOneOf(reason, reasons)) return `Error: Invalid reason '${s(reason)}'. Must be one of: ${reasons.join(', ')}`;
  const card = getRecord(state, 'debit_cards', cardId);
  if (!card) return `Error: Debit card '${s(cardId)}' not found.`;
  if (reason === 'velocity_clear') {
    if (!pyTruthy(field(card, 'velocity_blocked', false)))
      return `Error: Debit card '${s(cardId)}' does not have an active velocity block.`;
    Object.assign(editRecord(state, 'debit_cards', cardId as string), { velocity_blocked: false, velocity_cleared_date: TODAY });
    return [
      'Velocity Block Cleared Successfully',
      `Card ID: ${s(cardId)}`,
      `Cleared Date: ${TODAY}`,
      '',
      'The card is now unblocked and ready for normal use.',
      'The velocity monitoring will continue - if the same unusual patterns recur,',
      'the card may be blocked again automatically.',
    ].join('\n');
  }
  if (!pyTruthy(field(card, 'fraud_alert_active', false))) return `Error: Debit card '${s(cardId)}' does not have an active fraud alert.`;
  if (field(card, 'alert_source') === 'bank_initiated') {
    return "Error: BANK_INITIATED_ALERT - This fraud alert was initiated by the bank's fraud detection system and cannot be cleared by customer service agents. Please transfer the customer to the security team using transfer_to_human_agents.";
  }
  Object.assign(editRecord(state, 'debit_cards', cardId as string), {
    fraud_alert_active: false,
    alert_source: null,
    fraud_alert_cleared_date: TODAY,
  });
  return [
    'Fraud Alert Cleared Successfully',
    `Card ID: ${s(cardId)}`,
    `Cleared Date: ${TODAY}`,
    '',
    'The fraud alert has been removed from the card.',
    'All transactions will process normally.',
    '',
    'Remind the customer to review recent transactions and report any unauthorized charges.',
  ].join('\n');
}

const PIN_EFFECTIVE = ['The new PIN is effective immediately.'];
const PIN_USE = [
  'Customer can use the new PIN for ATM withdrawals and point-of-sale transactions.',
  '',
  'Security reminder: Never share your PIN with anyone.',
];

function resetPin(state: TableState, a: Args): string {
  const { card_id: cardId, last_4_digits: last4, new_pin: pin } = a;
  if (![cardId, last4, pin].every(pyTruthy)) return 'Error: Missing required parameters. Required: card_id, last_4_digits, new_pin.';
  if (!digitsExactly(last4, 4)) return 'Error: Last 4 digits must be exactly 4 digits.';
  const problem = pinProblem(pin);
  if (problem) return `Error: ${problem}`;
  const card = getRecord(state, 'debit_cards', cardId);
  if (!card) return `Error: Debit card '${s(cardId)}' not found.`;
  if (!pyEquals(field(card, 'last_4_digits'), last4)) return 'Error: Card verification failed. The last 4 digits do not match our records.';
  if (field(card, 'status') !== 'ACTIVE') {
    return `Error: Cannot reset PIN. Card status is ${pyStr(field(card, 'status'))}. Only ACTIVE cards can have their PIN reset.`;
  }
  Object.assign(editRecord(state, 'debit_cards', cardId as string), {
    pin_last_changed: TODAY,
    pin_locked: false,
    pin_attempts_remaining: 3,
  });
  return [
    'Debit Card PIN Reset Successfully',
    `Card ID: ${s(cardId)}`,
    `PIN Changed: ${TODAY}`,
    '',
    ...PIN_EFFECTIVE,
    'Your card has been unlocked and is ready to use.',
    ...PIN_USE,
  ].join('\n');
}

function changePin(state: TableState, a: Args): string {
  const { card_id: cardId, current_pin: currentPin, new_pin: pin } = a;
  if (![cardId, currentPin, pin].every(pyTruthy)) return 'Error: Missing required parameters. Required: card_id, current_pin, new_pin.';
  if (!digitsExactly(currentPin, 4)) return 'Error: Current PIN must be exactly 4 digits.';
  const problem = pinProblem(pin);
  if (problem) return `Error: ${problem}`;
  if (pyEquals(currentPin, pin)) return 'Error: New PIN must be different from current PIN.';
  const card = getRecord(state, 'debit_cards', cardId);
  if (!card) return `Error: Debit card '${s(cardId)}' not found.`;
  if (field(card, 'status') !== 'ACTIVE') {
    return `Error: Cannot change PIN. Card status is ${pyStr(field(card, 'status'))}. Only ACTIVE cards can have their PIN changed.`;
  }
  editRecord(state, 'debit_cards', cardId as string).pin_last_changed = TODAY;
  return ['Debit Card PIN Changed Successfully', `Card ID: ${s(cardId)}`, `PIN Changed: ${TODAY}`, '', ...PIN_EFFECTIVE, ...PIN_USE].join(
    '\n',
  );
}

function debitCardsByAccount(state: TableState, a: Args): string {
  const accountId = a.account_id;
  if (!pyTruthy(accountId)) return "Error: Missing required parameter 'account_id'.";
  const account = getRecord(state, 'accounts', accountId);
  if (!account) return `Error: Account '${s(accountId)}' not found.`;
  const accountClass = pyStrMethod(field(account, 'class', ''), 'lower').toLowerCase();
  if (!['checking', 'business_checking'].includes(accountClass)) {
    return `Error: Account '${s(accountId)}' is not a checking account. Debit cards are only available for checking accounts.`;
  }
  const cards: Record<string, JsonValue>[] = [];
  const rules: FloatRule[] = [];
  const rename = (info: Record<string, JsonValue>, from: string, to: string) => {
    // dict.pop then insert: the renamed key moves to the end, as in τ².
    const value = info[from];
    delete info[from];
    info[to] = value;
  };
  for (const [cardId, card] of state.entries('debit_cards') as [string, JsonObject][]) {
    if (!pyEquals(card.account_id, accountId)) continue;
    const info: Record<string, JsonValue> = { card_id: cardId, ...card };
    if ('last_4_digits' in info && !('card_number_last_4' in info)) rename(info, 'last_4_digits', 'card_number_last_4');
    if ('issue_date' in info && !('date_issued' in info)) rename(info, 'issue_date', 'date_issued');
    else if ('created_date' in info && !('date_issued' in info)) rename(info, 'created_date', 'date_issued');
    cards.push(info);
    rules.push(recordFloats(state, 'debit_cards', cardId));
  }
  if (cards.length === 0) return `No debit cards found for account '${s(accountId)}'.`;
  const issued = (card: Record<string, JsonValue>) => (pyTruthy(card.date_issued as PyValue) ? s(card.date_issued as PyValue) : '');
  const sorted = cards
    .map((card, i) => ({ card, i }))
    .sort((x, y) => (issued(x.card) < issued(y.card) ? 1 : issued(x.card) > issued(y.card) ? -1 : x.i - y.i));
  const items = sorted.map((x) => pyJsonDumpsIndent(x.card as { [key: string]: PyValue }, rules[x.i], 1).replace(/^/, '  '));
  return `[\n${items.join(',\n')}\n]`;
}

const DEFAULT_ATM_LIMITS: Readonly<Record<string, number>> = {
  'blue account': 500,
  'green account': 600,
  'light blue account': 400,
  'green fee-free account': 500,
  'evergreen account': 750,
  'bluest account': 1500,
  'dark green account': 300,
  'gold years account': 600,
  'purple account': 1000,
};

function temporaryLimitIncrease(state: TableState, a: Args): string {
  const { card_id: cardId, limit_type: limitType } = a;
  if (!pyTruthy(cardId)) return 'Error: Missing required parameter: card_id.';
  if (!pyTruthy(limitType)) return 'Error: Missing required parameter: limit_type.';
  if (!isOneOf(limitType, ['atm', 'purchase'])) return `Error: Invalid limit_type '${s(limitType)}'. Must be 'atm' or 'purchase'.`;
  if (a.new_limit === null) return 'Error: Missing required parameter: new_limit.';
  let requested: number;
  try {
    requested = pyFloat(a.new_limit);
  } catch (error) {
    if (error instanceof PyException && (error.kind === 'TypeError' || error.kind === 'ValueError')) {
      return `Error: new_limit must be an integer, got '${s(a.new_limit)}'.`;
    }
    throw error;
  }
  if (!Number.isInteger(requested)) return `Error: new_limit must be an integer, got '${pyNumberStr(requested, true)}'.`;
  if (requested <= 0) return 'Error: new_limit must be a positive amount.';
  const card = getRecord(state, 'debit_cards', cardId);
  if (!card) return `Error: Debit card '${s(cardId)}' not found.`;
  if (field(card, 'status') !== 'ACTIVE') {
    return `Error: Debit card '${s(cardId)}' is not active. Current status: ${pyStr(field(card, 'status'))}. Only ACTIVE cards can have limit increases.`;
  }
  const accountId = field(card, 'account_id');
  const account = pyTruthy(accountId) ? getRecord(state, 'accounts', accountId) : undefined;
  if (!account) return `Error: Could not find linked account for debit card '${s(cardId)}'.`;
  if (field(account, 'status') !== 'OPEN') {
    return `Error: The linked account '${s(accountId)}' is not in good standing. Account status: ${pyStr(field(account, 'status'))}.`;
  }
  const opened = field(account, 'date_opened');
  if (pyTruthy(opened)) {
    try {
      const age = daysSinceToday(parseMdy(opened));
      if (age < 60) return `Error: Account must be at least 60 days old for a temporary limit increase. Account age: ${age} days.`;
    } catch (error) {
      if (!(error instanceof PyException && error.kind === 'ValueError')) throw error;
    }
  }
  const limitField = limitType === 'atm' ? 'daily_atm_limit' : 'daily_purchase_limit';
  const limitName = limitType === 'atm' ? 'Daily ATM Withdrawal Limit' : 'Daily Purchase Limit';
  let current = field(card, limitField);
  if (limitType === 'atm' && current === null) {
    const level = pyStrMethod(field(account, 'level', ''), 'lower').toLowerCase();
    if (level.includes('light green')) {
      return 'Error: Light Green Account (teen checking) cards have policy-based limits that cannot be modified. The daily ATM withdrawal limit of $150 is fixed by account policy for safety reasons. The customer may request the parent/guardian to withdraw cash from their own account if needed.';
    }
    current = Object.hasOwn(DEFAULT_ATM_LIMITS, level) ? DEFAULT_ATM_LIMITS[level] : null;
    if (current === null) {
      return `Error: Could not determine the default ATM limit for account type '${pyStr(field(account, 'level'))}'. Please verify the account type.`;
    }
  }
  if (current === null) {
    return `Error: The card does not have a ${limitName.toLowerCase()} configured. This may be a restricted account type where limits are set by account policy and cannot be modified.`;
  }
  const currentText = pyStr(current, RECORD_FLOATS(limitField));
  const currentNumber = pyFloat(current);
  const maxAllowed = Math.trunc(currentNumber * 1.5);
  if (requested > maxAllowed) {
    return `Error: Requested limit $${requested} exceeds the maximum allowed temporary increase. Maximum temporary limit is $${maxAllowed} (150% of current $${currentText} limit).`;
  }
  if (requested <= currentNumber) return `Error: Requested limit $${requested} is not higher than the current limit of $${currentText}.`;
  Object.assign(editRecord(state, 'debit_cards', cardId as string), {
    [limitField]: requested,
    [`temporary_${limitType}_limit_increase`]: true,
    [`original_${limitType}_limit`]: current,
    [`temporary_${limitType}_limit_expires`]: TODAY,
  });
  const increase =
    typeof current === 'number' && !Number.isInteger(current) ? pyNumberStr(requested - current, true) : String(requested - currentNumber);
  return [
    `Temporary ${limitName} Increase Granted Successfully`,
    `Card ID: ${s(cardId)}`,
    `Previous Limit: $${currentText}`,
    `New Temporary Limit: $${requested}`,
    `Increase Amount: $${increase}`,
    '',
    'Important Information:',
    '- This temporary increase expires in 24 hours',
    `- After expiration, the limit will revert to $${currentText}`,
    '- Only one temporary increase is allowed per 24-hour period',
    '',
    'Note: If the customer is at a third-party (non-Rho-Bank) ATM, that ATM may have its own',
    'per-transaction or daily limits that Rho-Bank cannot override. The customer may need to',
    'use a Rho-Bank ATM or make multiple smaller withdrawals at third-party ATMs.',
  ].join('\n');
}

const SECURITY_REMINDERS = [
  '',
  'IMPORTANT SECURITY REMINDERS:',
  '- Please review your recent transactions for any unauthorized charges',
  '- Report any suspicious activity immediately',
];

export const DEBIT_CARD_TOOLS: Readonly<Record<string, DiscoverableImpl>> = {
  file_debit_card_transaction_dispute_6281: fileDebitCardDispute,
  set_debit_card_recurring_block_7382: setRecurringBlock,
  get_debit_dispute_status_7483: historyTool({
    name: 'get_debit_dispute_status_7483',
    headline: 'Debit card dispute history retrieved successfully.',
    argument: 'user_id',
    table: 'debit_card_disputes',
    field: 'user_id',
    subject: (v) => `Debit card dispute history for user ${v}:`,
    empty: '\nNo debit card disputes found for this user.',
  }),
  order_debit_card_5739: orderDebitCard,
  activate_debit_card_8291: activation('activate_debit_card_8291', {
    allowed: ['new_account', 'first_card'],
    defaultReason: 'new_account',
    retire: () => ({ status: 'DEACTIVATED', deactivated_date: TODAY, deactivation_reason: 'New card activated' }),
    report: (cardId, _reason, retired) => [
      'New Debit Card Activation Successful',
      `Card ID: ${cardId}`,
      'Status: ACTIVE',
      `Activation Date: ${TODAY}`,
      '',
      'Your card is now ready to use at any ATM or point of sale terminal.',
      'For security, please sign the back of your card.',
      ...(retired.length > 0 ? [`\nNote: Previous card(s) have been deactivated: ${retired.join(', ')}`] : []),
    ],
  }),
  activate_debit_card_8292: activation('activate_debit_card_8292', {
    allowed: ['lost', 'stolen', 'fraud'],
    defaultReason: 'lost',
    retire: (reason) => ({ status: 'DEACTIVATED', deactivated_date: TODAY, deactivation_reason: `Replacement card activated (${reason})` }),
    report: (cardId, reason, retired) => [
      'Replacement Debit Card Activation Successful',
      `Card ID: ${cardId}`,
      `Replacement Reason: ${display(reason)}`,
      'Status: ACTIVE',
      `Activation Date: ${TODAY}`,
      '',
      'Your replacement card is now ready to use.',
      ...SECURITY_REMINDERS,
      ...(reason === 'fraud' ? ['- Since fraud was suspected, we recommend changing your online banking password'] : []),
      ...(retired.length > 0 ? [`\nPrevious card(s) have been deactivated for security: ${retired.join(', ')}`] : []),
    ],
  }),
  activate_debit_card_8293: activation('activate_debit_card_8293', {
    allowed: ['expired', 'damaged', 'upgrade', 'bank_reissue'],
    defaultReason: 'expired',
    retire: (reason) => ({ status: 'GRACE_PERIOD', grace_period_ends: TODAY, deactivation_reason: `Reissued card activated (${reason})` }),
    report: (cardId, reason, retired) => [
      'Reissued Debit Card Activation Successful',
      `Card ID: ${cardId}`,
      `Reissue Reason: ${display(reason)}`,
      'Status: ACTIVE',
      `Activation Date: ${TODAY}`,
      '',
      'Your reissued card is now ready to use.',
      ...(retired.length > 0
        ? [
            `\nNote: Your previous card(s) (${retired.join(', ')}) will remain active for 24 hours as a grace period.`,
            'After 24 hours, the old card(s) will be automatically deactivated.',
          ]
        : []),
      ...(['expired', 'bank_reissue'].includes(reason)
        ? ['\nReminder: If your card number changed, please update any recurring payments with your new card details.']
        : []),
    ],
  }),
  close_debit_card_4721: closeDebitCard,
  freeze_debit_card_3892: freezeDebitCard,
  unfreeze_debit_card_3893: unfreezeDebitCard,
  clear_debit_card_fraud_alert_4892: clearFraudAlert,
  reset_debit_card_pin_6284: resetPin,
  change_debit_card_pin_6285: changePin,
  get_debit_cards_by_account_id_7823: debitCardsByAccount,
  request_temporary_debit_card_limit_increase_8374: temporaryLimitIncrease,
};
