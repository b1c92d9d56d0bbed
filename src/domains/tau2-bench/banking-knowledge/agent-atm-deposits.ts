/**
 * `get_atm_deposit_images_8473`: the envelope scans τ² keeps for a few Rho-Bank ATM deposits (its
 * scenario data, quoted), and the "images not available" report for any other Rho-Bank deposit.
 */
import { type Args, type DiscoverableImpl, field, getRecord, s } from './discoverable.ts';
import { pyFixed, pyFloat, pyStr, pyStrMethod, pyTruthy } from './py.ts';
import { RECORD_FLOATS } from './tables.ts';
import type { TableState } from '../../../state/table-state.ts';

interface DepositImages {
  atm: string;
  envelope: string;
  notes: string;
}

/** Scanned deposits by transaction id. */
const DEPOSIT_IMAGES: Readonly<Record<string, DepositImages>> = {
  btxn_834027370c20: {
    atm: 'ATM #3921',
    envelope:
      '\n=== ATM DEPOSIT ENVELOPE SCAN ===\nEnvelope ID: ENV-2025-3921-00923\nDeposit Time: 3:47 PM CST\nATM Location: Rho-Bank ATM #3921, Cedar Lane Branch, Austin, TX\n\n--- ENVELOPE CONTENTS ---\nItem 1: Personal Check\n  - Check Number: 7284\n  - Drawn On: First Texas Bank\n  - Payee: Derek Yamamoto\n  - Amount: $875.00\n  - Memo: "October rent refund"\n  - Signature: Present and legible\n  - Date on Check: 11/03/2025\n\nItem 2: Cash\n  - Denomination breakdown:\n    * 2 x $100 bills = $200.00\n    * 3 x $20 bills = $60.00\n  - Total Cash: $260.00\n\n--- DEPOSIT SUMMARY ---\nCheck Total: $875.00\nCash Total: $260.00\nGRAND TOTAL: $1,135.00\n\n--- MACHINE RECORD ---\nAmount Recorded by ATM: $385.00\nDISCREPANCY DETECTED: $750.00 difference\n\n--- IMAGE QUALITY ---\nEnvelope scan: CLEAR\nCheck front: CLEAR\nCheck back (endorsement): CLEAR - endorsed "For Deposit Only - Derek Yamamoto"\nCash image: CLEAR - bills visible and countable\n',
    notes:
      'Images clearly show deposit contents totaling $1,135.00. ATM machine recorded only $385.00. Discrepancy of $750.00 confirmed via image review.',
  },
  btxn_test_deposit_001: {
    atm: 'ATM #3921',
    envelope:
      '\n=== ATM DEPOSIT ENVELOPE SCAN ===\nEnvelope ID: ENV-2025-3921-00847\nDeposit Time: 2:34 PM EST\nATM Location: Rho-Bank ATM #3921, 742 Oak Avenue, Portland, OR\n\n--- ENVELOPE CONTENTS ---\nItem 1: Personal Check\n  - Check Number: 4821\n  - Drawn On: First National Bank\n  - Payee: Linda Patterson\n  - Amount: $875.00\n  - Memo: "October rent refund"\n  - Signature: Present and legible\n  - Date on Check: 11/05/2025\n\nItem 2: Cash\n  - Denomination breakdown:\n    * 2 x $100 bills = $200.00\n    * 3 x $20 bills = $60.00\n  - Total Cash: $260.00\n\n--- DEPOSIT SUMMARY ---\nCheck Total: $875.00\nCash Total: $260.00\nGRAND TOTAL: $1,135.00\n\n--- MACHINE RECORD ---\nAmount Recorded by ATM: $385.00\nDISCREPANCY DETECTED: $750.00 difference\n\n--- IMAGE QUALITY ---\nEnvelope scan: CLEAR\nCheck front: CLEAR\nCheck back (endorsement): CLEAR - endorsed "For Deposit Only - Linda Patterson"\nCash image: CLEAR - bills visible and countable\n',
    notes:
      'Images clearly show deposit contents totaling $1,135.00. ATM machine recorded only $385.00. Discrepancy of $750.00 confirmed via image review.',
  },
  btxn_test_atm_dep_partial: {
    atm: 'ATM #5847',
    envelope:
      '\n=== ATM DEPOSIT ENVELOPE SCAN ===\nEnvelope ID: ENV-2025-5847-00293\nDeposit Time: 10:15 AM EST\n\n--- ENVELOPE CONTENTS ---\nItem 1: Personal Check\n  - Check Number: 7392\n  - Amount: $500.00\n\n--- DEPOSIT SUMMARY ---\nCheck Total: $500.00\nCash Total: $0.00\nGRAND TOTAL: $500.00\n\n--- MACHINE RECORD ---\nAmount Recorded by ATM: $500.00\nNo discrepancy detected.\n',
    notes: 'Images confirm deposit matches recorded amount. No discrepancy found.',
  },
};

function atmDepositImages(state: TableState, a: Args): string {
  const id = a.transaction_id;
  if (!pyTruthy(id)) return 'Error: Missing required parameter: transaction_id';
  const txn = getRecord(state, 'bank_account_transaction_history', id);
  if (!txn) return `Error: Transaction '${s(id)}' not found.`;
  if (field(txn, 'type') !== 'atm_deposit') {
    return `Error: Transaction '${s(id)}' is not an ATM deposit. This tool only works for ATM deposit transactions.`;
  }
  const description = field(txn, 'description', '');
  const upper = pyStrMethod(description, 'upper').toUpperCase();
  if (!upper.includes('RHO-BANK') && !upper.includes('RHOBANK')) {
    return `Error: Transaction '${s(id)}' is from a third-party ATM. Deposit images are only available for Rho-Bank ATM deposits. For third-party ATM disputes, a chargeback request must be submitted to the ATM network.`;
  }
  const date = pyStr(field(txn, 'date', 'Unknown'), RECORD_FLOATS('date'));
  const header = `ATM Deposit Image Retrieval Results\n=====================================\nTransaction ID: ${s(id)}\n`;
  const images = Object.hasOwn(DEPOSIT_IMAGES, id as string) ? DEPOSIT_IMAGES[id as string] : undefined;
  if (images) {
    return `${header}ATM: ${images.atm}\nDeposit Date: ${date}\n\n${images.envelope}\n\n--- VERIFICATION NOTES ---\n${images.notes}\n`;
  }
  return (
    `${header}ATM: ${s(description)}\nDeposit Date: ${date}\nAmount Recorded: $${pyFixed(Math.abs(pyFloat(field(txn, 'amount', 0))))}\n\n` +
    '--- IMAGE STATUS ---\nStatus: IMAGES NOT AVAILABLE\nReason: Deposit images for this transaction have either expired (older than 90 days) or were not captured by the ATM system.\n\n' +
    'For deposits without available images, the dispute will proceed based on customer statement and ATM journal records only. Investigation timeline may be extended.\n'
  );
}

export const ATM_DEPOSIT_TOOLS: Readonly<Record<string, DiscoverableImpl>> = {
  get_atm_deposit_images_8473: atmDepositImages,
};
