// What the grade misses, pure over stored episodes. Helpers of individual audits stay internal.
export { auditEpisode, summariseAudits, AUDITOR_VERSION, type SummariseAuditsOptions } from './audit-run.ts';
export {
  defineAudit,
  fixedCell,
  percentCell,
  type Audit,
  type AnyAudit,
  type AuditDisplay,
  type AuditTable,
  type AuditCell,
  type AuditChart,
  type AgentSummary,
  type AuditedEpisode,
  type EpisodeAuditInput,
  type JudgedAnswers,
  type SummaryContext,
} from './audit.ts';
export { createAuditRegistry, builtInAudits, BUILT_IN_AUDITS, type AuditRegistry } from './registry.ts';
export { vegaChart, shareHeatmap, stackedAgentBars } from './vega-specs.ts';
export { FIDELITY_TEXT, GOAL_OUTCOME_TEXT } from './audit-texts.ts';
export { auditClaims } from './claims.ts';
export { brierScore, expectedCalibrationError, auroc, rlcrReward, calibrationSummary, type CalibrationPoint } from './calibration.ts';
export { goalItemsFor, trackGoalState, type GoalTracking } from './goal-state.ts';
export { auditSimulator, type SimulatorAuditInput } from './simulator-fidelity.ts';
export { attributeFault, type FaultInput } from './fault-attribution.ts';
export {
  comparePaired,
  mcnemarExact,
  type PairedComparison,
  type PairedEpisodeFacts,
  type CompareOptions,
  type TaskFlip,
} from './compare.ts';
export { lintTaskStatic, lintTasksStatic, TASK_LINT_WARNINGS } from './task-lint.ts';
export {
  extractClaimsWithJudge,
  decomposeGoalWithJudge,
  trackGoalWithJudge,
  judgeProbeIntent,
  JUDGE_PROMPT_VERSION,
  type JudgeSession,
} from './judge.ts';
export {
  probeAudit,
  probeEpisodeSchema,
  probeSummarySchema,
  wilsonInterval,
  type ProbeEpisode,
  type ProbeEpisodeFields,
  type ProbeSummary,
  type TacticStats,
  type EmotionDelta,
  type PersonaDisparity,
  type PairedDelta,
} from './probe-audit.ts';
export { judgeCommunication, COMMUNICATION_JUDGE_PROMPT_VERSION } from './communication-judge.ts';
