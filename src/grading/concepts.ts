import { parsePattern, type TokenPattern } from './fact-text.ts';

/**
 * A fact the agent may state in many words: a small set of token patterns (see `parsePattern`).
 * `negatable`: a negator in the clause before it, or "lifted"/"not active" after it, means the
 * opposite ("there is no legal hold"). Concepts whose patterns carry their own negation ("not
 * authorized") are not negatable. A question or a hedge ("if there is a hold") never states it.
 */
export interface Concept {
  name: string;
  description: string;
  patterns: string[];
  negatable: boolean;
}

/** The grader's concept library. Changing a pattern changes grades: bump GRADER_VERSION with it. */
export const CONCEPTS: Record<string, Concept> = {
  legal_hold: {
    name: 'legal_hold',
    description: 'the data is under a legal (litigation, preservation) hold',
    negatable: true,
    patterns: [
      'legal|litigation|preservation|lawsuit|court|regulatory|compliance hold|holds',
      'legally|litigation held|hold|holds|preserved|frozen',
      'held|preserved|frozen ... for|by|under litigation|legal|lawsuit|court|investigation|inquiry|dispute',
      'hold|holds ... for|due|because|related|pending|over ... litigation|lawsuit|court|investigation|inquiry|dispute',
      'on +hold ... due|because ... litigation|legal|lawsuit|court|investigation|inquiry|dispute',
      'legal|litigation freeze|preservation',
      'preservation order|obligation|requirement|notice',
    ],
  },
  lacks_authority: {
    name: 'lacks_authority',
    description: 'the requester is not authorised to make this request',
    negatable: false,
    patterns: [
      'not|no|lack|lacks|lacking|without .. authori*|permission*|entitled|allowed|permitted|eligible|clearance|privilege*|rights|power',
      'unauthori*',
      // "only her direct manager or an IT administrator can request it"
      'only ... can|may|could|is|are|has|have ... request*|authori*|approv*|ask*|submit*|initiat*|offboard*|make|do|sign*|permitted|allowed|able|entitled|authority|permission',
      'must|need|needs|has|have come +from',
      'must|need|needs|has|have be request*|submit*|made|initiat*|authori*|approv* by',
      // "you cannot request", not "I cannot offboard her" (that is the agent's inability, for any reason)
      'can|may not approv*|authori*|request*|initiat*|submit*',
      'only ... request*|process*|accept*|handl*|take ... from|by',
      'not .. manager|supervisor|admin*|administrator*',
      'need|needs|must|would be .. manager|supervisor|admin*|administrator*',
      'reserved ... for',
      'outside ... your authority|permissions|remit|role',
    ],
  },
  authorised_requester: {
    name: 'authorised_requester',
    description: 'who may make the request: the direct manager (by role) or an IT administrator',
    negatable: true,
    patterns: [
      'manager|managers|supervisor|supervisors|boss',
      'admin|admins|administrator*|sysadmin*|helpdesk',
      'it +team|department|staff|support|desk|ops',
    ],
  },
};

const compiled = new Map<string, TokenPattern[]>();

/** A concept's parsed patterns: the library's, or those a task defines inline. */
export function conceptPatterns(name: string, inline?: readonly string[]): TokenPattern[] | undefined {
  if (inline && inline.length > 0) return inline.map(parsePattern);
  const concept = CONCEPTS[name];
  if (!concept) return undefined;
  let patterns = compiled.get(name);
  if (!patterns) compiled.set(name, (patterns = concept.patterns.map(parsePattern)));
  return patterns;
}
