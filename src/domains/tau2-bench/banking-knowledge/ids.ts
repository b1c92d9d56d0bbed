/**
 * τ²'s deterministic record ids (banking_knowledge/utils.py): hex prefixes of sha256 over seed
 * strings, so the same call always makes the same record and gold replays compare by DB hash.
 */
import { createHash } from 'node:crypto';
import { pyFixed, pyJsonDumpsCompact, type PyValue } from './py.ts';

/** sha256 hex digest of a UTF-8 seed. */
export function sha256Hex(seed: string): string {
  return createHash('sha256').update(seed, 'utf8').digest('hex');
}

/** `_deterministic_id`: the first `length` hex digits (whole bytes) of sha256(seed). */
export function deterministicId(seed: string, length = 16): string {
  return sha256Hex(seed).slice(0, 2 * Math.floor(length / 2));
}

export const verificationId = (userId: string, timeVerified: string) =>
  `${userId}_${timeVerified.replaceAll(' ', '_').replaceAll(':', '').replaceAll('-', '')}`;

export const transactionId = (userId: string, cardType: string, merchant: string, amount: number, category: string) =>
  `txn_${deterministicId(['transaction', userId, cardType, merchant, pyFixed(amount, 2), category].join(':'), 12)}`;

export const referralId = (referrerId: string, accountType: string) => deterministicId(`referral:${referrerId}:${accountType}`);

export const applicationId = (cardType: string, name: string, incomeRepr: string, subscriptionRepr: string) =>
  deterministicId(`credit_card:${cardType}:${name}:${incomeRepr}:${subscriptionRepr}`);

export const userToolId = (toolName: string) => deterministicId(`user_discoverable_tool:${toolName}`);

/** Seed uses `json.dumps(arguments, sort_keys=True)` (Python's default separators). */
export const userToolCallId = (toolName: string, args: Record<string, PyValue>) =>
  deterministicId(`user_discoverable_tool_call:${toolName}:${pyJsonDumpsCompact(args, true)}`);

export const agentToolId = (toolName: string) => deterministicId(`agent_discoverable_tool:${toolName}`);

export const disputeId = (userId: string, txnId: string) => `dsp_${deterministicId(`dispute:${userId}:${txnId}`, 12)}`;

export const referralLinkId = (userId: string, cardName: string) => deterministicId(`referral_link:${userId}:${cardName}`);

export const creditCardOrderId = (accountId: string, userId: string, reason: string) =>
  `ccord_${deterministicId(`credit_card_order:${accountId}:${userId}:${reason}`, 12)}`;

export const closureReasonId = (accountId: string, userId: string) =>
  `clsr_${deterministicId(`closure_reason:${accountId}:${userId}`, 12)}`;

export const accountFlagId = (accountId: string, flagType: string, expiration: string) =>
  `ccflag_${deterministicId(`account_flag:${accountId}:${flagType}:${expiration}`, 12)}`;

export const creditLimitRequestId = (accountId: string, userId: string, amount: number) =>
  `cli_${deterministicId(`cli_request:${accountId}:${userId}:${pyFixed(amount, 2)}`, 12)}`;

export const debitCardOrderId = (accountId: string, userId: string, delivery: string) =>
  `dcord_${deterministicId(`debit_card_order:${accountId}:${userId}:${delivery}`, 12)}`;

export const debitCardId = (accountId: string, userId: string, issueDate: string) =>
  `dbc_${deterministicId(`debit_card:${accountId}:${userId}:${issueDate}`, 12)}`;
