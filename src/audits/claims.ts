import {
  genericClaimRules,
  verifyNoChange,
  type ClaimContext,
  type ClaimRules,
  type ClaimVerdict,
  type ExtractedClaim,
} from '../domains/claim-rules.ts';
import type { Claim } from '../schema/audit.ts';
import { agentMessages } from '../text/claim-language.ts';

// The contract and the generic helpers belong to the domain contract (`domains/claim-rules.ts`).
export type { ClaimContext, ClaimRules, ClaimVerdict, ExtractedClaim } from '../domains/claim-rules.ts';

/**
 * Claims of one episode, checked: the domain's rules extract and verify them (`genericClaimRules`
 * when the domain has none: claims recognised by language, verdicts `unverifiable` unless it is a
 * no-change claim); `preExtracted` (an LLM judge's) replaces extraction.
 */
export function auditClaims(rules: ClaimRules | undefined, context: ClaimContext, preExtracted?: readonly ExtractedClaim[]): Claim[] {
  const checker = rules ?? genericClaimRules;
  const extracted = preExtracted ?? checker.extract(context);
  const messageOf = new Map(agentMessages(context.trajectory.events).map((m) => [m.eventIndex, m.index]));
  return extracted.map((claim) => {
    const checked: ClaimVerdict =
      claim.action === 'no_change'
        ? verifyNoChange(context)
        : claim.action === 'done'
          ? { verdict: 'unverifiable', evidence: 'names no action or target the state can check' }
          : checker.verify(claim, context);
    const { singular: _singular, ...rest } = claim;
    const message = claim.message ?? messageOf.get(claim.eventIndex);
    return { ...rest, ...(message !== undefined ? { message } : {}), quote: claim.quote ?? claim.text, ...checked };
  });
}
