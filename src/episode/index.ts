export { runEpisode, type EpisodeOptions, type EpisodeResult } from './orchestrator.ts';
export { replayToStep, branchAction, trajectorySteps, type EpisodeSnapshot, type BranchResult, type TrajectoryStep } from './branching.ts';
export { playEpisode } from './loop.ts';
export { ConversationEnv } from './conversation-env.ts';
export { EpisodeRecord } from './record.ts';
export {
  EpisodeWrapper,
  TRUNCATION_REASONS,
  continues,
  ends,
  isOver,
  type Actor,
  type EpisodeAction,
  type EpisodeEnv,
  type EpisodeStep,
  type Termination,
  type WrapperSpec,
} from './env.ts';
export {
  EPISODE_WRAPPERS,
  episodeWrapperSpecs,
  makeEpisodeEnv,
  recordedWrapperSpecs,
  wrapEpisodeEnv,
  type EpisodeWrapperOptions,
  type WrapperFactory,
} from './make.ts';
export { InterceptOutcomeReport, InvalidCallBudget, RequestOutcomeReport, SingleToolCallPerTurn, StepLimit } from './wrappers/index.ts';
