// How agents and users write, read clause by clause: sentence and clause splitting, mood, fact-like
// tokens. Domain-independent; domains' claim rules and the audits build on it.
export {
  agentMessages,
  plainText,
  moodOf,
  clausesOf,
  agentClauses,
  claimClauses,
  describesResult,
  countValue,
  amountsIn,
  CHANGE_VERBS,
  CLAIM_MOODS,
  HYPOTHETICAL,
  type AgentMessage,
  type Clause,
  type Mood,
} from './claim-language.ts';
export { agentSentences, REFUSAL, GENERIC_DONE, NO_CHANGE, type AgentSentence } from './agent-sentences.ts';
export { factTokens, normaliseFact, emailSpans, type FactToken } from './fact-tokens.ts';
export { CLARIFY_ASKED, CONFIRM_ASKED } from './question-cues.ts';
