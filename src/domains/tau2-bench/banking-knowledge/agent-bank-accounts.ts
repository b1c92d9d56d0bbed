/**
 * Discoverable agent tools for bank (checking and savings) accounts (τ²'s KnowledgeTools):
 * opening, closing, transfers, credits, interest discrepancy reports and transaction history.
 */
import type { JsonObject } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import { pyRound } from '../../tau-bench/py-format.ts';
import { formatRecords, foundNothing, pyEquals, queryByField, queryTable } from './db-query.ts';
import {
  accountBalance,
  type Args,
  addRecord,
  daysSinceNow,
  type DiscoverableImpl,
  editRecord,
  field,
  getRecord,
  hasRecord,
  isOneOf,
  parseBalance,
  parseMdy,
  s,
  TODAY,
} from './discoverable.ts';
import { deterministicId } from './ids.ts';
import { PyException, type PyValue, pyFixed, pyFloat, pyListRepr, pyNumberStr, pyStr, pyStrMethod, pyTruthy } from './py.ts';
import { RECORD_FLOATS } from './tables.ts';

/** `(get_now() - strptime(date_opened)).days`, 0 when the date does not parse (ValueError). */
function accountAgeDays(account: JsonObject): number {
  try {
    return daysSinceNow(parseMdy(field(account, 'date_opened', '')));
  } catch (error) {
    if (error instanceof PyException && error.kind === 'ValueError') return 0;
    throw error;
  }
}

/** `acc.get("account_type", acc.get("class", ""))`. */
const accountKind = (account: JsonObject): PyValue => field(account, 'account_type', field(account, 'class', ''));
const isOpen = (account: JsonObject) => isOneOf(field(account, 'status', ''), ['OPEN', 'ACTIVE']);

function openBankAccount(state: TableState, a: Args): string {
  const { user_id: userId, account_type: type, account_class: accountClass } = a;
  if (!pyTruthy(userId) || !pyTruthy(type) || !pyTruthy(accountClass)) return 'Error: Missing required parameters.';
  const types = ['checking', 'savings', 'business_checking', 'business_savings'];
  if (!isOneOf(type, types)) return `Error: Invalid account_type. Must be one of: ${pyListRepr(types)}`;
  const accounts = state.rows('accounts').filter((acc) => pyEquals((acc as JsonObject).user_id, userId)) as JsonObject[];
  const notMet = 'Error: Account eligibility requirements not met.';
  if (type === 'savings') {
    const eligible = accounts.some(
      (acc) => isOneOf(accountKind(acc), ['checking', 'personal_checking']) && isOpen(acc) && accountAgeDays(acc) >= 14,
    );
    if (!eligible) return notMet;
  }
  if (type === 'business_checking') {
    if (accounts.some((acc) => field(acc, 'status') === 'CLOSED')) return notMet;
    if (!accounts.some((acc) => isOneOf(accountKind(acc), ['checking', 'personal_checking']) && isOpen(acc))) return notMet;
  }
  if (type === 'business_savings') {
    for (const acc of accounts) if (parseBalance(field(acc, 'current_holdings', field(acc, 'balance', 0))) < 0) return notMet;
    if (!accounts.some((acc) => accountKind(acc) === 'business_checking' && isOpen(acc) && accountAgeDays(acc) >= 30)) return notMet;
  }
  const accountId = deterministicId(`account:${s(userId)}:${s(type)}:${s(accountClass)}`);
  const record = {
    account_id: accountId,
    user_id: userId,
    account_type: type,
    account_class: accountClass,
    current_holdings: '0.00',
    status: 'OPEN',
    date_opened: TODAY,
  } as JsonObject;
  if (!addRecord(state, 'accounts', accountId, record)) return `Failed to open account: Account ID '${accountId}' may already exist.`;
  return (
    'Bank account opened successfully!\n' +
    `  - Account ID: ${accountId}\n` +
    `  - User ID: ${s(userId)}\n` +
    `  - Account Type: ${s(type)}\n` +
    `  - Account Class: ${s(accountClass)}\n` +
    '  - Status: OPEN\n' +
    '  - Initial Balance: $0.00\n' +
    `  - Date Opened: ${TODAY}`
  );
}

/** Early closure fees by account level: fee in dollars, window in days since opening. */
const CHECKING_EARLY_CLOSURE: Readonly<Record<string, readonly [number, number]>> = {
  'Light Blue Account': [15, 30],
  'Light Green Account': [15, 30],
  'Green Fee-Free Account': [15, 30],
  'Blue Account': [25, 60],
  'Green Account': [25, 60],
  'Evergreen Account': [50, 90],
  'Bluest Account': [100, 180],
};
const SAVINGS_EARLY_CLOSURE: Readonly<Record<string, readonly [number, number]>> = {
  'Bronze Account': [20, 60],
  'Silver Account': [35, 90],
  'Silver Plus Account': [35, 90],
  'Gold Account': [75, 180],
  'Gold Plus Account': [75, 180],
  'Gold Years Account': [75, 180],
  'Platinum Account': [150, 270],
  'Platinum Plus Account': [150, 270],
  'Diamond Elite Account': [150, 270],
};

function closeBankAccount(state: TableState, a: Args): string {
  const { account_id: accountId, reason, waive_early_closure_fee: waive } = a;
  if (!pyTruthy(accountId)) return 'Error: Missing required parameter (account_id).';
  const existing = getRecord(state, 'accounts', accountId);
  if (!existing) return `Error: Account '${s(accountId)}' not found.`;
  if (field(existing, 'status') === 'CLOSED') return `Error: Account '${s(accountId)}' is already closed.`;
  const balance = accountBalance(existing);
  let feeApplied = 0;
  if (!pyTruthy(waive)) {
    const level = field(existing, 'level', '');
    const accountClass = field(existing, 'class', '');
    const opened = field(existing, 'date_opened', '');
    const table = accountClass === 'checking' ? CHECKING_EARLY_CLOSURE : accountClass === 'savings' ? SAVINGS_EARLY_CLOSURE : undefined;
    const config = table && typeof level === 'string' && Object.hasOwn(table, level) ? table[level] : undefined;
    if (config && pyTruthy(opened)) {
      try {
        const age = daysSinceNow(parseMdy(opened));
        if (age < config[1]) {
          if (balance < config[0]) return 'Error: Account unable to be closed.';
          feeApplied = config[0];
        }
      } catch (error) {
        if (!(error instanceof PyException && error.kind === 'ValueError')) throw error;
      }
    }
  }
  if (balance - feeApplied !== 0) return `Error: Account balance must be $0.00 before closing. Current balance: $${pyFixed(balance)}`;
  const account = editRecord(state, 'accounts', accountId as string);
  account.status = 'CLOSED';
  account.date_closed = TODAY;
  account.closure_reason = reason as JsonObject[string];
  account.early_closure_fee_waived = waive as JsonObject[string];
  const shown = (name: string) => pyStr(field(account, name, 'N/A'), RECORD_FLOATS(name));
  return (
    'Bank account closed successfully!\n' +
    `  - Account ID: ${s(accountId)}\n` +
    `  - Account Type: ${shown('account_type')}\n` +
    `  - Account Class: ${shown('account_class')}\n` +
    '  - Status: CLOSED\n' +
    `  - Date Closed: ${TODAY}\n` +
    `  - Reason: ${s(reason)}\n` +
    `  - Early Closure Fee Waived: ${pyTruthy(waive) ? 'Yes' : 'No'}`
  );
}

function allUserAccounts(state: TableState, a: Args): string {
  const userId = a.user_id;
  if (!pyTruthy(userId)) return 'Error: Missing required parameter: user_id';
  const accounts = queryByField(state, 'accounts', 'user_id', userId);
  const cards = queryByField(state, 'credit_card_accounts', 'user_id', userId);
  const parts = [
    'User accounts retrieved successfully.',
    '',
    'Executed: get_all_user_accounts_by_user_id_3847',
    `Accounts for user ${s(userId)}:`,
    '',
    'Bank Accounts:',
  ];
  parts.push(foundNothing(accounts) ? '  No bank accounts found.' : accounts);
  parts.push('\nCredit Card Accounts:');
  parts.push(foundNothing(cards) ? '  No credit card accounts found.' : cards);
  return parts.join('\n');
}

function transferFunds(state: TableState, a: Args): string {
  const { source_account_id: sourceId, destination_account_id: destId } = a;
  if (!pyTruthy(sourceId) || !pyTruthy(destId) || a.amount === null) {
    return 'Error: Missing required parameters (source_account_id, destination_account_id, amount).';
  }
  let amount: number;
  try {
    amount = pyFloat(a.amount);
  } catch (error) {
    if (error instanceof PyException) return `Error: Invalid amount '${s(a.amount)}'. Must be a number.`;
    throw error;
  }
  if (amount <= 0) return 'Error: Transfer amount must be positive.';
  if (pyEquals(sourceId, destId)) return 'Error: Source and destination accounts cannot be the same.';
  if (!hasRecord(state, 'accounts', sourceId)) return `Error: Source account '${s(sourceId)}' not found.`;
  if (!hasRecord(state, 'accounts', destId)) return `Error: Destination account '${s(destId)}' not found.`;
  const source = getRecord(state, 'accounts', sourceId)!;
  if (!isOneOf(field(source, 'status'), ['ACTIVE', 'OPEN'])) return `Error: Source account '${s(sourceId)}' is not active.`;
  const dest = getRecord(state, 'accounts', destId)!;
  if (!isOneOf(field(dest, 'status'), ['ACTIVE', 'OPEN'])) return `Error: Destination account '${s(destId)}' is not active.`;
  const sourceBalance = accountBalance(source);
  if (sourceBalance < amount) {
    return `Error: Insufficient funds. Source account balance is $${pyFixed(sourceBalance)}, but transfer amount is $${pyFixed(amount)}.`;
  }
  const destBalance = accountBalance(dest);
  const newSource = sourceBalance - amount;
  const newDest = destBalance + amount;
  editRecord(state, 'accounts', sourceId as string).current_holdings = `$${pyFixed(newSource)}`;
  editRecord(state, 'accounts', destId as string).current_holdings = `$${pyFixed(newDest)}`;
  return (
    'Transfer completed successfully!\n' +
    `  - Amount: $${pyFixed(amount)}\n` +
    `  - From: ${s(sourceId)} (new balance: $${pyFixed(newSource)})\n` +
    `  - To: ${s(destId)} (new balance: $${pyFixed(newDest)})`
  );
}

/** The two account-credit tools differ in account class, ledger text and balance format. */
function accountCredit(options: {
  seed: string;
  types: readonly string[];
  classes: readonly string[];
  wrongClass: (id: string) => string;
  balanceText: (value: number) => string;
  description: (type: string) => string;
}): DiscoverableImpl {
  return (state, a) => {
    const { account_id: accountId, credit_type: creditType } = a;
    if (!pyTruthy(accountId) || a.amount === null || !pyTruthy(creditType)) return 'Error: Missing required parameters.';
    let amount: number;
    try {
      amount = pyFloat(a.amount);
    } catch (error) {
      if (error instanceof PyException && (error.kind === 'TypeError' || error.kind === 'ValueError'))
        return 'Error: Invalid credit amount. Must be a number.';
      throw error;
    }
    if (amount <= 0) return 'Error: Credit amount must be positive.';
    if (!isOneOf(creditType, options.types)) return `Error: Invalid credit_type. Must be one of: ${pyListRepr(options.types)}`;
    const existing = getRecord(state, 'accounts', accountId);
    if (!existing) return `Error: Account '${s(accountId)}' not found.`;
    const accountClass = pyStrMethod(field(existing, 'class', ''), 'lower').toLowerCase();
    if (!options.classes.includes(accountClass)) return options.wrongClass(s(accountId));
    if (!isOneOf(field(existing, 'status'), ['ACTIVE', 'OPEN'])) return `Error: Account '${s(accountId)}' is not active.`;
    const current = accountBalance(existing);
    const updated = current + amount;
    editRecord(state, 'accounts', accountId as string).current_holdings = options.balanceText(updated);
    const id = `txn_${deterministicId(`${options.seed}:${s(accountId)}:${s(creditType)}:${pyNumberStr(amount, true)}:${TODAY}`)}`;
    state.put('bank_account_transaction_history', id, {
      transaction_id: id,
      account_id: accountId,
      date: TODAY,
      description: options.description(creditType as string),
      amount,
      type: creditType,
      status: 'posted',
    } as JsonObject);
    return (
      '\nCredit applied successfully!\n' +
      `  - Transaction ID: ${id}\n` +
      `  - Account: ${s(accountId)}\n` +
      `  - Credit Type: ${s(creditType)}\n` +
      `  - Amount: $${pyFixed(amount)}\n` +
      `  - Previous Balance: $${pyFixed(current)}\n` +
      `  - New Balance: $${pyFixed(updated)}`
    );
  };
}

function interestDiscrepancyReport(state: TableState, a: Args): string {
  const { account_id: accountId, user_id: userId } = a;
  if (!pyTruthy(accountId) || !pyTruthy(userId) || a.expected_apy === null || a.actual_apy === null || a.amount_difference === null) {
    return 'Error: Missing required parameters.';
  }
  let expected: number;
  let actual: number;
  let difference: number;
  try {
    expected = pyFloat(a.expected_apy);
    actual = pyFloat(a.actual_apy);
    difference = pyFloat(a.amount_difference);
  } catch (error) {
    if (error instanceof PyException) return 'Error: expected_apy, actual_apy, and amount_difference must be numbers.';
    throw error;
  }
  const account = getRecord(state, 'accounts', accountId);
  if (!account) return `Error: Account '${s(accountId)}' not found.`;
  const user = getRecord(state, 'users', userId);
  if (!user) return `Error: User '${s(userId)}' not found.`;
  const reportId = `IDR_${deterministicId(`interest_report:${s(accountId)}:${s(userId)}:${pyNumberStr(expected, true)}:${pyNumberStr(actual, true)}:${TODAY}`)}`;
  // τ² adds the report to a table its DB does not have (`interest_discrepancy_reports`): nothing is stored.
  const shown = (record: JsonObject, name: string) => pyStr(field(record, name, 'Unknown'), RECORD_FLOATS(name));
  return (
    '\nInterest Discrepancy Report Submitted Successfully!\n' +
    `  - Report ID: ${reportId}\n` +
    `  - Account: ${s(accountId)} (${shown(account, 'level')})\n` +
    `  - Customer: ${shown(user, 'name')}\n` +
    `  - Expected APY: ${pyNumberStr(expected, true)}%\n` +
    `  - Actual APY: ${pyNumberStr(actual, true)}%\n` +
    `  - APY Difference: ${pyNumberStr(pyRound(expected - actual, 4), true)}%\n` +
    `  - Amount Difference: $${pyFixed(difference)}\n` +
    '  - Status: PENDING_REVIEW\n' +
    '\nThe backend team will investigate this discrepancy and ensure correct APY calculations are applied going forward.'
  );
}

/** A transaction's date for sorting: `%m/%d/%Y %H:%M:%S`, else `%m/%d/%Y`, else `datetime.min`. */
function transactionTime(date: string): number {
  const withTime = /^(\d{1,2}\/\d{1,2}\/\d{4}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(date);
  try {
    if (withTime) {
      const [h, m, sec] = [Number(withTime[2]), Number(withTime[3]), Number(withTime[4])];
      if (h < 24 && m < 60 && sec < 62) return parseMdy(withTime[1]) + ((h * 60 + m) * 60 + Math.min(sec, 61)) * 1000;
    }
    return parseMdy(date);
  } catch (error) {
    if (error instanceof PyException && error.kind === 'ValueError') return Number.NEGATIVE_INFINITY;
    throw error;
  }
}

function bankAccountTransactions(state: TableState, a: Args): string {
  const accountId = a.account_id;
  if (!pyTruthy(accountId)) return 'Error: Missing required parameter: account_id';
  if (!hasRecord(state, 'accounts', accountId)) return `Error: Account '${s(accountId)}' not found.`;
  const rows = queryTable(state, 'bank_account_transaction_history', { account_id: accountId });
  const keyed = rows.map((row, i) => ({ row, i, time: transactionTime(pyStr(field(row[1], 'date', ''), RECORD_FLOATS('date'))) }));
  // Most recent first; sorted(reverse=True) keeps the stored order of equal dates.
  keyed.sort((x, y) => (x.time < y.time ? 1 : x.time > y.time ? -1 : x.i - y.i));
  const parts = [
    'Bank account transactions retrieved successfully.',
    '',
    'Executed: get_bank_account_transactions_9173',
    `Transactions for account ${s(accountId)}:`,
  ];
  parts.push(
    keyed.length > 0
      ? formatRecords(
          state,
          'bank_account_transaction_history',
          keyed.map((k) => k.row),
        )
      : '\nNo transactions found for this account.',
  );
  return parts.join('\n');
}

export const BANK_ACCOUNT_TOOLS: Readonly<Record<string, DiscoverableImpl>> = {
  open_bank_account_4821: openBankAccount,
  close_bank_account_7392: closeBankAccount,
  get_all_user_accounts_by_user_id_3847: allUserAccounts,
  transfer_funds_between_bank_accounts_7291: transferFunds,
  apply_checking_account_credit_5829: accountCredit({
    seed: 'checking_credit',
    types: ['rebate_credit', 'fee_refund'],
    classes: ['checking'],
    wrongClass: (id) => `Error: Account '${id}' is not a checking account. Credits can only be applied to checking accounts.`,
    balanceText: (value) => `$${pyFixed(value)}`,
    description: (type) => (type === 'rebate_credit' ? 'REBATE CREDIT - CUSTOMER SERVICE' : 'FEE REFUND - CUSTOMER SERVICE'),
  }),
  apply_savings_account_credit_6831: accountCredit({
    seed: 'savings_credit',
    types: ['interest_correction', 'fee_refund', 'goodwill_credit'],
    classes: ['saving', 'savings'],
    wrongClass: (id) => `Error: Account '${id}' is not a savings account. This tool only applies to savings accounts.`,
    balanceText: (value) => pyFixed(value),
    description: (type) =>
      type === 'interest_correction'
        ? 'INTEREST CORRECTION - CUSTOMER SERVICE'
        : type === 'fee_refund'
          ? 'FEE REFUND - CUSTOMER SERVICE'
          : 'GOODWILL CREDIT - CUSTOMER SERVICE',
  }),
  submit_interest_discrepancy_report_7294: interestDiscrepancyReport,
  get_bank_account_transactions_9173: bankAccountTransactions,
};
