import { z } from 'zod';
import { jsonValueSchema } from './json.ts';
import { usageSchema } from './trajectory.ts';

export const EXPERIENCE_SCHEMA_VERSION = 1;

/** The four kinds of experience an agent learns from graded episodes. */
export const experienceKindSchema = z.enum(['reflection', 'insight', 'demonstration', 'skill']);
export type ExperienceKind = z.infer<typeof experienceKindSchema>;
export const EXPERIENCE_KINDS = experienceKindSchema.options;

/** Where a piece of experience came from: which run, episodes and tasks, and who wrote it. */
export const experienceProvenanceSchema = z.object({
  /** The run whose graded episodes produced it. */
  runId: z.string(),
  /** The episodes it was derived from (at least one). */
  episodeIds: z.array(z.string()).min(1),
  /** The tasks of those episodes. Split separation is checked against these. */
  taskIds: z.array(z.string()).min(1),
  /** Split of those tasks. Experience is only ever built from `train`. */
  split: z.string(),
  /** The model that wrote it (reflection, critic), or `rule` when no model was involved. */
  producedBy: z.string(),
  /** Learning round (1-based) in which it was produced, when made by `groundwork learn`. */
  round: z.number().int().positive().optional(),
});
export type ExperienceProvenance = z.infer<typeof experienceProvenanceSchema>;

const common = {
  schemaVersion: z.literal(EXPERIENCE_SCHEMA_VERSION),
  /** Unique id (stable for a given source, so rebuilding does not duplicate). */
  id: z.string(),
  /** The experience set it belongs to (one `groundwork learn` session, or a name). */
  setId: z.string(),
  domain: z.string(),
  /** Task family it applies to (absent: the whole domain). */
  family: z.string().optional(),
  provenance: experienceProvenanceSchema,
  createdAt: z.string(),
};

/** A compact conversation turn kept by demonstrations. */
export const demonstrationTurnSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('agent'), content: z.string() }),
  z.object({ role: z.literal('tool_call'), name: z.string(), arguments: jsonValueSchema }),
  z.object({ role: z.literal('tool_result'), name: z.string(), content: z.string(), isError: z.boolean() }),
]);
export type DemonstrationTurn = z.infer<typeof demonstrationTurnSchema>;

/** One stored piece of experience. */
export const experienceRecordSchema = z.discriminatedUnion('kind', [
  z.object({
    ...common,
    kind: z.literal('reflection'),
    /** Reflections are per task: given on the next trial of the same task. */
    taskId: z.string(),
    /** The agent model's self-diagnosis of a failed episode. */
    text: z.string(),
    /** The field-level diff was shown to the model (more than Reflexion's binary signal). */
    withDiff: z.boolean(),
  }),
  z.object({
    ...common,
    kind: z.literal('insight'),
    /** The rule, one sentence. */
    text: z.string(),
    /** ExpeL importance counter: ADD sets 2, AGREE and EDIT add 1, REMOVE subtracts 1; 0 removes it. */
    count: z.number().int().nonnegative(),
    /** Order of creation within the set (breaks ties in ranking). */
    order: z.number().int().nonnegative(),
  }),
  z.object({
    ...common,
    kind: z.literal('demonstration'),
    taskId: z.string(),
    /** The user's opening request: what retrieval compares against. */
    request: z.string(),
    /** The verified successful conversation, compact. */
    turns: z.array(demonstrationTurnSchema),
  }),
  z.object({
    ...common,
    kind: z.literal('skill'),
    /** `skill`: distilled from successes; `mistake`: a failure pattern to avoid. */
    polarity: z.enum(['skill', 'mistake']),
    title: z.string(),
    principle: z.string(),
    whenToApply: z.string(),
  }),
]);
export type ExperienceRecord = z.infer<typeof experienceRecordSchema>;
export type ReflectionRecord = Extract<ExperienceRecord, { kind: 'reflection' }>;
export type InsightRecord = Extract<ExperienceRecord, { kind: 'insight' }>;
export type DemonstrationRecord = Extract<ExperienceRecord, { kind: 'demonstration' }>;
export type SkillRecord = Extract<ExperienceRecord, { kind: 'skill' }>;

/** One round of a learning session: success on the train split with the experience so far. */
export const learningRoundSchema = z.object({
  round: z.number().int().positive(),
  runId: z.string(),
  episodes: z.number().int().nonnegative(),
  /** Mean reward over graded train episodes. */
  successRate: z.number(),
  passHatK: z.record(z.string(), z.number()),
  ci95: z.tuple([z.number(), z.number()]),
  /** Experience records by kind after this round's update. */
  experience: z.record(z.string(), z.number().int().nonnegative()),
});
export type LearningRound = z.infer<typeof learningRoundSchema>;

/** A test-split evaluation inside a learning session. */
export const learningEvaluationSchema = z.object({
  runId: z.string(),
  episodes: z.number().int().nonnegative(),
  successRate: z.number(),
  passHatK: z.record(z.string(), z.number()),
  ci95: z.tuple([z.number(), z.number()]),
  /** Experience records shown to the agent at least once in this evaluation. */
  experienceUsed: z.number().int().nonnegative(),
  /** Experience records refused by the split guard (provenance touching the evaluation split). */
  experienceRefused: z.number().int().nonnegative(),
});
export type LearningEvaluation = z.infer<typeof learningEvaluationSchema>;

/** A `groundwork learn` session: its settings and learning curve. */
export const learningSessionSchema = z.object({
  schemaVersion: z.literal(EXPERIENCE_SCHEMA_VERSION),
  /** Also the experience set id of everything it produced. */
  id: z.string(),
  createdAt: z.string(),
  status: z.enum(['running', 'finished', 'failed']),
  domain: z.string(),
  agent: z.string(),
  critic: z.string(),
  mechanisms: z.array(experienceKindSchema),
  settings: z.record(z.string(), jsonValueSchema),
  rounds: z.array(learningRoundSchema),
  test: z.object({ before: learningEvaluationSchema.optional(), after: learningEvaluationSchema.optional() }),
  /** Model usage of the learning calls (reflection, critic), by role; episodes keep their own. */
  usage: z.record(z.string(), usageSchema).default({}),
  /** Why the session failed, when it did. */
  error: z.string().optional(),
});
export type LearningSession = z.infer<typeof learningSessionSchema>;
