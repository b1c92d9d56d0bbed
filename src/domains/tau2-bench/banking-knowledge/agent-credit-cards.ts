/**
 * Discoverable agent tools for credit cards (τ²'s KnowledgeTools): disputes, replacements,
 * closures, statement credits, account flags, payments and credit limit increases, plus the
 * scripted transfer-protocol tools. Messages are τ²'s, character for character.
 */
import type { JsonObject } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import { pyEquals, foundNothing, queryByField } from './db-query.ts';
import {
  accountBalance,
  type Args,
  display,
  historyTool,
  isOneOf,
  addRecord,
  type DiscoverableImpl,
  editRecord,
  field,
  getRecord,
  hasRecord,
  s,
  TODAY,
} from './discoverable.ts';
import { closureReasonId, accountFlagId, creditCardOrderId, creditLimitRequestId, disputeId, transactionId } from './ids.ts';
import {
  PyException,
  type PyValue,
  pyCompare,
  pyFixed,
  pyFloat,
  pyJsonDumpsIndent,
  pyListRepr,
  pyStr,
  pyInt,
  pyStrMethod,
  pyThousands,
  pyTruthy,
  pyTypeName,
} from './py.ts';
import { RECORD_FLOATS } from './tables.ts';

/** `":".join(parts)`: Python refuses non-strings (TypeError naming the item). */
function joinSeed(parts: readonly PyValue[]): string {
  parts.forEach((part, i) => {
    if (typeof part !== 'string')
      throw new PyException('TypeError', `sequence item ${i}: expected str instance, ${pyTypeName(part)} found`);
  });
  return parts.join(':');
}

/** `generate_transaction_id(...)`, which joins its parts with ':' (so every part must be a string). */
function txnId(userId: PyValue, cardType: string, merchant: PyValue, amount: PyValue, category: string): string {
  joinSeed(['transaction', userId, cardType, merchant, pyFixed(amount, 2), category]);
  return transactionId(userId as string, cardType, merchant as string, pyFloat(amount), category);
}

/** Verifies a credit card account exists the way τ² does (a query whose text says nothing was found). */
function creditAccountMissing(state: TableState, accountId: PyValue): boolean {
  return foundNothing(queryByField(state, 'credit_card_accounts', 'account_id', accountId));
}

/** `float(str(x).replace("$", "").replace(",", ""))`, 0.0 when that fails. */
function dollars(value: PyValue): number {
  try {
    return pyFloat(pyStr(value, false).replaceAll('$', '').replaceAll(',', ''));
  } catch (error) {
    if (error instanceof PyException) return 0;
    throw error;
  }
}

const argsJson = (args: Record<string, PyValue>) => pyJsonDumpsIndent(args);

const DISPUTE_REASONS = [
  'unauthorized_fraudulent_charge',
  'duplicate_charge',
  'incorrect_amount',
  'goods_services_not_received',
  'goods_services_not_as_described',
  'canceled_subscription_still_charging',
  'refund_never_processed',
];

function fileCreditCardDispute(state: TableState, a: Args): string {
  if (!pyTruthy(a.transaction_id) || !pyTruthy(a.user_id)) return 'Error: Missing required parameters.';
  const cardActions = ['keep_active', 'cancel_and_reissue'];
  if (!isOneOf(a.card_action, cardActions)) return `Error: Invalid card_action. Must be one of: ${pyListRepr(cardActions)}`;
  if (!isOneOf(a.dispute_reason, DISPUTE_REASONS)) return `Error: Invalid dispute_reason. Must be one of: ${pyListRepr(DISPUTE_REASONS)}`;
  const resolutions = ['full_refund', 'partial_refund'];
  if (!isOneOf(a.resolution_requested, resolutions))
    return `Error: Invalid resolution_requested. Must be one of: ${pyListRepr(resolutions)}`;
  if (a.resolution_requested === 'partial_refund' && a.partial_refund_amount === null) {
    return "Error: partial_refund_amount is required when resolution_requested is 'partial_refund'.";
  }
  const id = disputeId(s(a.user_id), s(a.transaction_id));
  const record: JsonObject = {
    dispute_id: id,
    transaction_id: a.transaction_id,
    user_id: a.user_id,
    card_action: a.card_action,
    card_last_4_digits: a.card_last_4_digits,
    full_name: a.full_name,
    phone: a.phone,
    email: a.email,
    address: a.address,
    contacted_merchant: a.contacted_merchant,
    purchase_date: a.purchase_date,
    issue_noticed_date: a.issue_noticed_date,
    dispute_reason: a.dispute_reason,
    resolution_requested: a.resolution_requested,
    partial_refund_amount: a.partial_refund_amount,
    eligible_for_provisional_credit: a.eligible_for_provisional_credit,
    provisional_credit_given: a.eligible_for_provisional_credit,
    submitted_at: TODAY,
    status: 'SUBMITTED',
  } as JsonObject;
  if (!addRecord(state, 'transaction_disputes', id, record)) return 'Error: Dispute may have already been filed for this transaction.';
  const parts = [
    'Credit card transaction dispute filed successfully. A case has been opened and will be reviewed within 10 business days.',
    '',
    'Executed: file_credit_card_transaction_dispute_4829',
    `Dispute ID: ${id}`,
    `Transaction: ${s(a.transaction_id)}`,
    `Reason: ${display(a.dispute_reason)}`,
    `Resolution Requested: ${display(a.resolution_requested)}`,
  ];
  if (pyTruthy(a.partial_refund_amount)) parts.push(`Partial Refund Amount: $${pyFixed(a.partial_refund_amount, 2)}`);
  parts.push(
    pyTruthy(a.eligible_for_provisional_credit)
      ? 'Provisional Credit: ELIGIBLE - Credit will be applied within 2 business days.'
      : 'Provisional Credit: Not eligible at this time.',
  );
  return parts.join('\n');
}

function orderReplacementCreditCard(state: TableState, a: Args): string {
  const { credit_card_account_id: accountId, user_id: userId, shipping_address: address, reason } = a;
  if (!pyTruthy(accountId) || !pyTruthy(userId) || !pyTruthy(address) || !pyTruthy(reason)) {
    return 'Error: Missing required parameters (credit_card_account_id, user_id, shipping_address, reason).';
  }
  const reasons = ['fraud_suspected', 'lost', 'stolen', 'damaged', 'expired', 'other'];
  if (!isOneOf(reason, reasons)) return `Error: Invalid reason. Must be one of: ${pyListRepr(reasons)}`;
  if (creditAccountMissing(state, accountId)) return `Error: Credit card account '${s(accountId)}' not found.`;
  const orderId = creditCardOrderId(s(accountId), s(userId), s(reason));
  const record = {
    order_id: orderId,
    credit_card_account_id: accountId,
    user_id: userId,
    shipping_address: address,
    reason,
    expedited_shipping: a.expedited_shipping,
    order_date: TODAY,
    status: 'ORDERED',
    old_card_cancelled: true,
  } as JsonObject;
  if (!addRecord(state, 'credit_card_orders', orderId, record))
    return 'Error: Order may have already been placed for this card replacement.';
  if (hasRecord(state, 'credit_card_accounts', accountId)) {
    const account = editRecord(state, 'credit_card_accounts', accountId as string);
    account.status = 'CLOSED';
    account.closed_date = TODAY;
  }
  const expedited = pyTruthy(a.expedited_shipping);
  return [
    `Order ID: ${orderId}`,
    `Card Account: ${s(accountId)}`,
    `Reason: ${display(reason)}`,
    `Shipping Address: ${s(address)}`,
    `Shipping Method: ${expedited ? 'Expedited' : 'Standard'}`,
    `Expected Delivery: ${expedited ? '2-3 business days' : '7-10 business days'}`,
    '',
    'The old card has been cancelled for security. The new card will have the same account number but a new card number and CVV.',
  ].join('\n');
}

function logClosureReason(state: TableState, a: Args): string {
  const { credit_card_account_id: accountId, user_id: userId, closure_reason: reason } = a;
  if (!pyTruthy(accountId) || !pyTruthy(userId) || !pyTruthy(reason)) return 'Error: Missing required parameters.';
  const reasons = [
    'annual_fee',
    'not_using_card',
    'found_better_card',
    'unhappy_with_rewards',
    'simplifying_finances',
    'negative_experience',
    'other',
  ];
  if (!isOneOf(reason, reasons)) return `Error: Invalid closure_reason. Must be one of: ${pyListRepr(reasons)}`;
  const id = closureReasonId(s(accountId), s(userId));
  addRecord(state, 'credit_card_closure_reasons', id, {
    record_id: id,
    credit_card_account_id: accountId,
    user_id: userId,
    closure_reason: reason,
    logged_at: TODAY,
    status: 'LOGGED',
  } as JsonObject);
  return (
    'Closure reason logged successfully.\n\n' +
    'Executed: log_credit_card_closure_reason_4521\n' +
    `Arguments: ${argsJson({ credit_card_account_id: accountId, user_id: userId, closure_reason: reason })}\n` +
    `Closure reason '${s(reason)}' logged for account ${s(accountId)}.`
  );
}

function applyStatementCredit(state: TableState, a: Args): string {
  const { user_id: userId, credit_card_account_id: accountId, amount, reason } = a;
  if (!pyTruthy(userId) || !pyTruthy(accountId) || amount === null || !pyTruthy(reason)) {
    return 'Error: Missing required parameters (user_id, credit_card_account_id, amount, reason).';
  }
  if (pyCompare(amount, '<=', 0)) return 'Error: Credit amount must be positive.';
  const reasons = [
    'goodwill_adjustment',
    'promotional_credit',
    'annual_fee_reversal',
    'late_fee_reversal',
    'interest_charge_reversal',
    'dispute_resolution',
    'price_match',
    'retention_offer',
    'error_correction',
    'other',
  ];
  if (!isOneOf(reason, reasons)) return `Error: Invalid reason. Must be one of: ${pyListRepr(reasons)}`;
  if (creditAccountMissing(state, accountId)) return `Error: Credit card account '${s(accountId)}' not found.`;
  const id = txnId(userId, 'STATEMENT_CREDIT', reason, amount, 'Statement Credit');
  const record = {
    transaction_id: id,
    user_id: userId,
    credit_card_account_id: accountId,
    credit_card_type: 'N/A',
    merchant_name: 'Rho-Bank Statement Credit',
    transaction_amount: `-$${pyFixed(amount, 2)}`,
    transaction_date: TODAY,
    category: 'Statement Credit',
    status: 'COMPLETED',
    rewards_earned: '0 points',
    credit_reason: reason,
  } as JsonObject;
  if (!addRecord(state, 'credit_card_transaction_history', id, record)) {
    return `Error: Failed to apply statement credit. Transaction ID '${id}' may already exist.`;
  }
  return (
    'Statement credit applied successfully.\n\n' +
    'Executed: apply_statement_credit_8472\n' +
    `  - Transaction ID: ${id}\n` +
    `  - User ID: ${s(userId)}\n` +
    `  - Account: ${s(accountId)}\n` +
    `  - Credit Amount: $${pyFixed(amount, 2)}\n` +
    `  - Reason: ${display(reason)}\n` +
    `  - Date: ${TODAY}`
  );
}

function applyAccountFlag(state: TableState, a: Args): string {
  const { credit_card_account_id: accountId, user_id: userId, flag_type: flagType, expiration_date: expiration, reason } = a;
  if (!pyTruthy(accountId) || !pyTruthy(userId) || !pyTruthy(flagType) || !pyTruthy(expiration) || !pyTruthy(reason)) {
    return 'Error: Missing required parameters (credit_card_account_id, user_id, flag_type, expiration_date, reason).';
  }
  const flagTypes = ['annual_fee_waived', 'promotional_apr', 'rewards_bonus', 'other'];
  if (!isOneOf(flagType, flagTypes)) return `Error: Invalid flag_type. Must be one of: ${pyListRepr(flagTypes)}`;
  const reasons = ['retention_offer', 'loyalty_benefit', 'promotional', 'error_correction', 'other'];
  if (!isOneOf(reason, reasons)) return `Error: Invalid reason. Must be one of: ${pyListRepr(reasons)}`;
  if (creditAccountMissing(state, accountId)) return `Error: Credit card account '${s(accountId)}' not found.`;
  const id = accountFlagId(s(accountId), s(flagType), s(expiration));
  const record = {
    flag_id: id,
    credit_card_account_id: accountId,
    user_id: userId,
    flag_type: flagType,
    effective_date: TODAY,
    expiration_date: expiration,
    reason,
    applied_at: TODAY,
    status: 'ACTIVE',
  } as JsonObject;
  if (!addRecord(state, 'credit_card_account_flags', id, record))
    return `Error: Failed to apply account flag. Flag ID '${id}' may already exist.`;
  return (
    'Account flag applied successfully!\n' +
    `  - Flag ID: ${id}\n` +
    `  - Account: ${s(accountId)}\n` +
    `  - User ID: ${s(userId)}\n` +
    `  - Flag Type: ${display(flagType)}\n` +
    `  - Effective Date: ${TODAY}\n` +
    `  - Expiration Date: ${s(expiration)}\n` +
    `  - Reason: ${display(reason)}`
  );
}

function closeCreditCardAccount(state: TableState, a: Args): string {
  const { credit_card_account_id: accountId, user_id: userId } = a;
  if (!pyTruthy(accountId) || !pyTruthy(userId)) return 'Error: Missing required parameters (credit_card_account_id, user_id).';
  if (creditAccountMissing(state, accountId)) return `Error: Credit card account '${s(accountId)}' not found.`;
  if (!hasRecord(state, 'credit_card_accounts', accountId)) return `Error: Failed to close credit card account '${s(accountId)}'.`;
  const account = editRecord(state, 'credit_card_accounts', accountId as string);
  account.status = 'CLOSED';
  account.closed_date = TODAY;
  account.closed_by = userId as JsonObject[string];
  return (
    'Credit card account closed successfully.\n\n' +
    'Executed: close_credit_card_account_7834\n' +
    `Arguments: ${argsJson({ credit_card_account_id: accountId, user_id: userId })}\n` +
    `Account ${s(accountId)} has been closed.`
  );
}

function payCreditCardFromChecking(state: TableState, a: Args): string {
  const { user_id: userId, checking_account_id: checkingId, credit_card_account_id: cardId } = a;
  if (!pyTruthy(userId) || !pyTruthy(checkingId) || !pyTruthy(cardId) || a.amount === null) {
    return 'Error: Missing required parameters (user_id, checking_account_id, credit_card_account_id, amount).';
  }
  let amount: number;
  try {
    amount = pyFloat(a.amount);
  } catch (error) {
    if (error instanceof PyException) return 'Error: Invalid payment amount. Must be a positive number.';
    throw error;
  }
  if (amount <= 0) return 'Error: Payment amount must be a positive number.';
  const checking = getRecord(state, 'accounts', checkingId);
  if (!checking) return `Error: Checking account '${s(checkingId)}' not found.`;
  if (!pyEquals(field(checking, 'user_id'), userId))
    return `Error: Checking account '${s(checkingId)}' does not belong to user '${s(userId)}'.`;
  if (field(checking, 'class') !== 'checking') return `Error: Account '${s(checkingId)}' is not a checking account.`;
  const balance = accountBalance(checking);
  if (amount > balance) {
    return `Error: Insufficient funds in checking account. Available balance: $${pyFixed(balance)}, requested payment: $${pyFixed(amount)}.`;
  }
  const card = getRecord(state, 'credit_card_accounts', cardId);
  if (!card) return `Error: Credit card account '${s(cardId)}' not found.`;
  if (!pyEquals(field(card, 'user_id'), userId)) return `Error: Credit card account '${s(cardId)}' does not belong to user '${s(userId)}'.`;
  const cardBalance = dollars(field(card, 'current_balance', '$0.00'));
  if (amount > cardBalance) {
    return `Error: Payment amount ($${pyFixed(amount)}) exceeds credit card balance ($${pyFixed(cardBalance)}). Please specify an amount up to the outstanding balance.`;
  }
  const newChecking = balance - amount;
  const newCard = cardBalance - amount;
  editRecord(state, 'accounts', checkingId as string).current_holdings = pyFixed(newChecking);
  editRecord(state, 'credit_card_accounts', cardId as string).current_balance = `$${pyFixed(newCard)}`;
  return (
    'Payment processed successfully!\n' +
    `  - Payment Amount: $${pyFixed(amount)}\n` +
    `  - From Checking Account: ${s(checkingId)}\n` +
    `  - To Credit Card Account: ${s(cardId)}\n` +
    `  - New Checking Balance: $${pyFixed(newChecking)}\n` +
    `  - New Credit Card Balance: $${pyFixed(newCard)}\n` +
    'The payment has been applied immediately.'
  );
}

function submitCreditLimitIncrease(state: TableState, a: Args): string {
  const { credit_card_account_id: accountId, user_id: userId } = a;
  if (!pyTruthy(accountId) || !pyTruthy(userId) || a.requested_increase_amount === null) return 'Error: Missing required parameters.';
  let requested: number;
  try {
    requested = pyFloat(a.requested_increase_amount);
  } catch (error) {
    if (error instanceof PyException) return 'Error: Invalid requested_increase_amount. Must be a whole number.';
    throw error;
  }
  if (!Number.isInteger(requested)) return 'Error: Invalid requested_increase_amount. Must be a whole number of dollars.';
  if (requested <= 0) return 'Error: Requested increase amount must be positive.';
  const account = getRecord(state, 'credit_card_accounts', accountId);
  if (!account) return `Error: Credit card account '${s(accountId)}' not found.`;
  if (!pyEquals(field(account, 'user_id'), userId))
    return `Error: Credit card account '${s(accountId)}' does not belong to user '${s(userId)}'.`;
  const id = creditLimitRequestId(s(accountId), s(userId), requested);
  const record = {
    request_id: id,
    credit_card_account_id: accountId,
    user_id: userId,
    requested_increase_amount: requested,
    submitted_at: TODAY,
    status: 'PENDING',
  } as JsonObject;
  if (!addRecord(state, 'credit_limit_increase_requests', id, record)) return 'Error: A similar request may already exist.';
  return (
    'Credit limit increase request submitted successfully.\n\n' +
    'Executed: submit_credit_limit_increase_request_7392\n' +
    `  - Request ID: ${id}\n` +
    `  - Account: ${s(accountId)}\n` +
    `  - Requested Increase: $${pyThousands(requested)}\n` +
    '  - Status: PENDING'
  );
}

function paymentHistory(state: TableState, a: Args): string {
  const accountId = a.credit_card_account_id;
  if (!pyTruthy(accountId) || a.months === null) return 'Error: Missing required parameters (credit_card_account_id, months).';
  let months: number;
  try {
    months = pyInt(a.months);
  } catch (error) {
    if (error instanceof PyException && (error.kind === 'ValueError' || error.kind === 'TypeError')) {
      return 'Error: Invalid months value. Must be a positive integer.';
    }
    throw error;
  }
  if (months <= 0) return 'Error: months must be a positive integer.';
  const payments = state
    .rows('payment_history')
    .filter((p) => pyEquals((p as JsonObject).credit_card_account_id, accountId)) as JsonObject[];
  if (payments.length === 0) return `No payment history found for account '${s(accountId)}'.`;
  const dateOf = (p: JsonObject) => {
    const date = field(p, 'payment_date');
    return pyTruthy(date) ? s(date) : '';
  };
  // sorted(reverse=True) is stable: equal dates keep their stored order.
  const recent = payments
    .map((p, i) => [p, i] as const)
    .sort(([x, i], [y, j]) => (dateOf(x) < dateOf(y) ? 1 : dateOf(x) > dateOf(y) ? -1 : i - j))
    .map(([p]) => p)
    .slice(0, months);
  let onTime = 0;
  for (const p of recent) {
    if (p.status !== 'ON_TIME') break;
    onTime++;
  }
  const parts = [`Payment history for account '${s(accountId)}' (last ${months} months):`, `Consecutive on-time payments: ${onTime}`];
  for (const p of recent) {
    const value = (name: string) => pyStr(field(p, name), RECORD_FLOATS(name));
    parts.push(`\n  - Payment Date: ${value('payment_date')}\n    Amount: ${value('amount')}\n    Status: ${value('status')}`);
  }
  return parts.join('\n');
}

function approveCreditLimitIncrease(state: TableState, a: Args): string {
  const { credit_card_account_id: accountId, user_id: userId } = a;
  if (!pyTruthy(accountId) || !pyTruthy(userId) || a.new_credit_limit === null) return 'Error: Missing required parameters.';
  const account = getRecord(state, 'credit_card_accounts', accountId);
  if (!account) return `Error: Credit card account '${s(accountId)}' not found.`;
  if (!pyEquals(field(account, 'user_id'), userId))
    return `Error: Credit card account '${s(accountId)}' does not belong to user '${s(userId)}'.`;
  let ineligible = state
    .rows('transaction_disputes')
    .some(
      (d) =>
        pyEquals((d as JsonObject).user_id, userId) && isOneOf(field(d as JsonObject, 'status'), ['SUBMITTED', 'UNDER_REVIEW', 'PENDING']),
    );
  if (!ineligible) {
    ineligible = state
      .rows('credit_card_orders')
      .some(
        (o) =>
          pyEquals((o as JsonObject).credit_card_account_id, accountId) &&
          isOneOf(field(o as JsonObject, 'status'), ['PENDING', 'PROCESSING', 'SHIPPED']),
      );
  }
  if (!ineligible) {
    const status = pyStrMethod(field(account, 'account_status', ''), 'upper').toUpperCase();
    ineligible = ['PAST_DUE', 'DELINQUENT', 'COLLECTIONS', 'CLOSED'].includes(status);
  }
  if (ineligible) return 'Error: Credit limit increase request cannot be approved at this time.';
  const current = dollars(field(account, 'credit_limit', '$0.00'));
  const newLimit = pyFloat(a.new_credit_limit);
  editRecord(state, 'credit_card_accounts', accountId as string).credit_limit = `$${pyFixed(newLimit)}`;
  const id = creditLimitRequestId(s(accountId), s(userId), newLimit - current);
  addRecord(state, 'credit_limit_increase_requests', id, {
    request_id: id,
    credit_card_account_id: accountId,
    user_id: userId,
    previous_limit: `$${pyFixed(current)}`,
    new_limit: `$${pyFixed(newLimit)}`,
    increase_amount: `$${pyFixed(newLimit - current)}`,
    decision_date: TODAY,
    status: 'APPROVED',
  } as JsonObject);
  return (
    'Credit limit increase approved!\n' +
    `  - Account: ${s(accountId)}\n` +
    `  - Previous Limit: $${pyFixed(current)}\n` +
    `  - New Limit: $${pyFixed(newLimit)}\n` +
    `  - Increase: $${pyFixed(newLimit - current)}\n` +
    `  - Effective Date: ${TODAY}\n` +
    'The customer will receive a confirmation email.'
  );
}

function denyCreditLimitIncrease(state: TableState, a: Args): string {
  const { credit_card_account_id: accountId, user_id: userId, denial_reason: reason } = a;
  if (!pyTruthy(accountId) || !pyTruthy(userId) || !pyTruthy(reason)) return 'Error: Missing required parameters.';
  const reasons = [
    'insufficient_account_age',
    'cooldown_period_active',
    'pending_disputes',
    'pending_replacement_card',
    'past_due_balance',
    'high_utilization',
    'insufficient_payment_history',
    'requested_amount_exceeds_limit',
    'other',
  ];
  if (!isOneOf(reason, reasons)) return `Error: Invalid denial_reason. Must be one of: ${reasons.join(', ')}`;
  if (!hasRecord(state, 'credit_card_accounts', accountId)) return `Error: Credit card account '${s(accountId)}' not found.`;
  const id = creditLimitRequestId(s(accountId), s(userId), 0);
  addRecord(state, 'credit_limit_increase_requests', id, {
    request_id: id,
    credit_card_account_id: accountId,
    user_id: userId,
    denial_reason: reason,
    decision_date: TODAY,
    status: 'DENIED',
  } as JsonObject);
  return (
    'Credit limit increase request denied.\n' +
    `  - Account: ${s(accountId)}\n` +
    `  - Denial Reason: ${s(reason)}\n` +
    `  - Date: ${TODAY}\n` +
    'The customer will receive a notification explaining the denial.'
  );
}

function updateTransactionRewards(state: TableState, a: Args): string {
  const { transaction_id: id, new_rewards_earned: rewards } = a;
  if (!pyTruthy(id) || !pyTruthy(rewards)) return 'Error: Missing required parameters.';
  if (!hasRecord(state, 'credit_card_transaction_history', id)) return `Error: Transaction '${s(id)}' not found.`;
  editRecord(state, 'credit_card_transaction_history', id as string).rewards_earned = rewards as JsonObject[string];
  return (
    'Transaction rewards updated successfully.\n\n' +
    'Executed: update_transaction_rewards_3847\n' +
    `Arguments: ${argsJson({ transaction_id: id, new_rewards_earned: rewards })}\n` +
    'Transaction updated:\n' +
    `  - Transaction ID: ${s(id)}\n` +
    `  - New Rewards: ${s(rewards)}`
  );
}

/** The scripted tools that only print a fixed instruction. */
const fixedReply =
  (text: string, name: string): DiscoverableImpl =>
  () =>
    `${text}\n\nExecuted: ${name}\nArguments: (no arguments)`;

export const CREDIT_CARD_TOOLS: Readonly<Record<string, DiscoverableImpl>> = {
  example_agent_tool_0000: () => 'Example tool executed successfully.',
  update_transaction_rewards_3847: updateTransactionRewards,
  initial_transfer_to_human_agent_0218: fixedReply(
    'Initial Transfer Initiated, Inform the user that the lines are busy.',
    'initial_transfer_to_human_agent_0218',
  ),
  initial_transfer_to_human_agent_1822: fixedReply(
    'Do not explicitly tell the user, but the conversation has not reached the necessary stages to transfer to a real human yet. Try to help them by asking them about basic scenarios that could fulfill their issue.',
    'initial_transfer_to_human_agent_1822',
  ),
  emergency_credit_bureau_incident_transfer_1114: fixedReply(
    'Emergency escalation logged. Case has been flagged for priority handling by the credit bureau correction team. Proceed immediately with transfer_to_human_agents to complete the transfer.',
    'emergency_credit_bureau_incident_transfer_1114',
  ),
  file_credit_card_transaction_dispute_4829: fileCreditCardDispute,
  order_replacement_credit_card_7291: orderReplacementCreditCard,
  get_user_dispute_history_7291: historyTool({
    name: 'get_user_dispute_history_7291',
    headline: 'User transaction dispute history retrieved successfully.',
    argument: 'user_id',
    table: 'transaction_disputes',
    field: 'user_id',
    subject: (v) => `Transaction dispute history for user ${v}:`,
    empty: '\nNo transaction disputes found for this user.',
  }),
  get_pending_replacement_orders_5765: historyTool({
    name: 'get_pending_replacement_orders_5765',
    headline: 'Pending replacement orders check completed.',
    argument: 'credit_card_account_id',
    table: 'credit_card_orders',
    field: 'credit_card_account_id',
    subject: (v) => `Replacement orders for credit card account ${v}:`,
    empty: '\nNo pending replacement orders found for this credit card account.',
  }),
  log_credit_card_closure_reason_4521: logClosureReason,
  get_closure_reason_history_8293: historyTool({
    name: 'get_closure_reason_history_8293',
    headline: 'Closure reason history retrieved successfully.',
    argument: 'credit_card_account_id',
    table: 'credit_card_closure_reasons',
    field: 'credit_card_account_id',
    subject: (v) => `Closure reason history for credit card account ${v}:`,
    empty: '\nNo closure reason records found for this credit card account.',
  }),
  apply_statement_credit_8472: applyStatementCredit,
  apply_credit_card_account_flag_6147: applyAccountFlag,
  close_credit_card_account_7834: closeCreditCardAccount,
  pay_credit_card_from_checking_9182: payCreditCardFromChecking,
  submit_credit_limit_increase_request_7392: submitCreditLimitIncrease,
  get_credit_limit_increase_history_4829: historyTool({
    name: 'get_credit_limit_increase_history_4829',
    headline: 'Credit limit increase history retrieved.',
    argument: 'credit_card_account_id',
    table: 'credit_limit_increase_requests',
    field: 'credit_card_account_id',
    subject: (v) => `Credit limit increase history for account ${v}:`,
    empty: '\nNo credit limit increase requests found for this account.',
  }),
  get_payment_history_6183: paymentHistory,
  approve_credit_limit_increase_5847: approveCreditLimitIncrease,
  deny_credit_limit_increase_5848: denyCreditLimitIncrease,
};
