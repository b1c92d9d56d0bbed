export {
  createRun,
  executeRun,
  newRunId,
  runGradedEpisode,
  type CreateRunOptions,
  type GradedEpisode,
  type ExecuteRunOptions,
  type ExecuteRunResult,
  type RunProgress,
  type EpisodeExecutor,
  type ExecutedEpisode,
} from './local-runner.ts';
export { planEpisodes, episodeIdFor, type EpisodeSpec } from './plan.ts';
export { buildAgent, buildUser, BUILT_IN_USERS, type ParticipantFactory } from './build.ts';
export { loadRunFile, parseRunFile, runFileSchema, runFileJsonSchema, type RunFile, STARTER_RUN_FILE } from './run-file.ts';
export { runConfigSchema, type RunConfig, type RunConfigInput } from '../schema/run-config.ts';
