// Learning from earned feedback (train split only) and training-data exports.
export { learn, type LearnOptions, type LearnEvent, type TaskChoice } from './learn.ts';
export { updateExperience, type ExperienceUpdateOptions, type ExperienceUpdateResult } from './update.ts';
export {
  loadExperience,
  guardExperience,
  type LoadExperienceOptions,
  type GuardedExperience,
  type EvaluationScope,
} from './experience-store.ts';
export {
  selectExperience,
  systemPromptWithExperience,
  DEFAULT_EXPERIENCE_LIMITS,
  type ExperienceLimits,
  type SelectedExperience,
} from './context.ts';
export { retrieveDemonstrations, type EmbedFunction, type RetrievalQuery } from './demonstrations.ts';
export {
  EXPORT_FORMATS,
  type ExportFormat,
  parseExportFormat,
  exportJsonSchema,
  EXPORT_LINE_SCHEMAS,
  sftLineSchema,
  type SftLine,
  preferenceLineSchema,
  type PreferenceLine,
  rlLineSchema,
  type RlLine,
  earlyExperienceLineSchema,
  type EarlyExperienceLine,
  chatMessageSchema,
  type ChatMessage,
  chatToolSchema,
  type ChatTool,
  exportRun,
  type ExportRunOptions,
  type ExportSummary,
  buildTau2Submission,
  tau2SubmissionSchema,
  type Tau2Submission,
} from './export/index.ts';
