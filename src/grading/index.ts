export { gradeEpisode, type GradeInput, GRADER_VERSION, replayGoldActions, evaluatePredicate } from './grade.ts';
export {
  gradeTau2,
  tau2GoldState,
  tau2LiveGoldState,
  tau2ActionMatches,
  nlJudgementsOf,
  pyEqual,
  type Tau2GradeInput,
  type Tau2Grade,
  type Tau2NlJudgements,
} from './tau2.ts';
export { regradeEpisode, outcomeChanged, type Regrade } from './regrade.ts';
export { checkCommunication, type CommunicationJudgements } from './communication.ts';
export { CONCEPTS, type Concept } from './concepts.ts';
export { parsePattern } from './fact-text.ts';
export { passHatK, passAtK, taskPassHatK, taskPassAtK, type TaskTally } from './pass-k.ts';
export { summarise, passKCoverageNote, bootstrapMeanCi, type AgentMetrics, type EpisodeFacts, type SummaryOptions } from './metrics.ts';
export { mutationCheck, type MutationReport, type MutationCheckOptions } from './mutation-check.ts';
