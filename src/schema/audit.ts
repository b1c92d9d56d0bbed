import { z } from 'zod';
import { jsonValueSchema } from './json.ts';
import type { Predicate } from './task.ts';

export const AUDIT_SCHEMA_VERSION = 1;

/** The five UGST categories of a user goal. */
export const goalCategorySchema = z.enum(['profile', 'policy', 'objectives', 'requirements', 'preferences']);
export type GoalCategory = z.infer<typeof goalCategorySchema>;
export const GOAL_CATEGORIES = goalCategorySchema.options;

/**
 * Status of a goal item. Profile and policy: ALIGNED until violated (MISALIGNED is final).
 * Objectives and requirements: INCOMPLETE → ATTEMPTED (the user tried, the agent or system
 * blocked it) → COMPLETE. Preferences: MISALIGNED until expressed, then ALIGNED.
 */
export const goalStatusSchema = z.enum(['ALIGNED', 'MISALIGNED', 'INCOMPLETE', 'ATTEMPTED', 'COMPLETE']);
export type GoalStatus = z.infer<typeof goalStatusSchema>;

/** Kinds of fact a profile item holds; drift detectors compare same-kind tokens. */
export const factKindSchema = z.enum(['email', 'name', 'id', 'zip', 'amount', 'level', 'other']);
export type FactKind = z.infer<typeof factKindSchema>;

/** One item of a user goal (UGST). */
export const goalItemSchema = z.object({
  /** Stable within the task, e.g. `profile:email`. */
  id: z.string(),
  category: goalCategorySchema,
  description: z.string(),
  /** The fact's value (profile items): what the user must say when asked, and never contradict. */
  value: z.string().optional(),
  /** Kind of the value, for contradiction checks. @default 'other' */
  kind: factKindSchema.optional(),
  /** Phrases in a user message that show the item pursued or expressed (objectives, requirements, preferences). */
  cues: z.array(z.string()).optional(),
  /**
   * Phrases in a question of the agent that give the user its chance to express the item (e.g. "shall
   * I proceed" for a confirmation preference, "which one" for a clarification). Without them the item
   * is due from the start; with them, simulator fidelity counts it only once the agent asked.
   */
  askedBy: z.array(z.string()).optional(),
  /**
   * Objectives and requirements: predicates (`predicateSchema` of schema/task.ts) that hold on the
   * final state when the item is complete, i.e. the state the user asks for (which may differ from
   * the expected outcome: a request the policy refuses). Completion is read from them, not from the
   * agent's words. Typed only loosely here: the task schema imports this one.
   */
  done: z
    .array(
      z.custom<Predicate>((value) => typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string'),
    )
    .optional(),
});
export type GoalItem = z.infer<typeof goalItemSchema>;

/** The goal state after one user turn. */
export const goalSnapshotSchema = z.object({
  /** Index of the user message in the trajectory's events. */
  eventIndex: z.number().int().nonnegative(),
  /** 0-based number of the user turn. */
  turn: z.number().int().nonnegative(),
  statuses: z.record(z.string(), goalStatusSchema),
});
export type GoalSnapshot = z.infer<typeof goalSnapshotSchema>;

/** What became of an objective or requirement (see `episodeAuditSchema.goal.outcome`). */
export const goalOutcomeSchema = z.enum(['completed', 'blocked', 'open', 'unknown']);
export type GoalOutcome = z.infer<typeof goalOutcomeSchema>;
export const GOAL_OUTCOMES = goalOutcomeSchema.options;

/** Items the simulated user kept, of those counted, and items it had no chance to express (not counted). */
export const goalKeptSchema = z.object({
  kept: z.number().int().nonnegative(),
  counted: z.number().int().nonnegative(),
  noChance: z.number().int().nonnegative(),
  /** kept / counted; null when nothing was counted. */
  rate: z.number().nullable(),
});
export type GoalKept = z.infer<typeof goalKeptSchema>;

/** A claim the agent made to the user about what it did, and its verdict against the state. */
export const claimSchema = z.object({
  /** The sentence the claim was read from. */
  text: z.string(),
  /** Index of the agent message in the trajectory's events. */
  eventIndex: z.number().int().nonnegative(),
  /** Index of the agent message among the agent messages the user saw (`[A<n>]` in transcripts). Absent in audits before groundwork-auditor/3. */
  message: z.number().int().nonnegative().optional(),
  /** The shortest stretch of the message that carries the claim. Absent in audits before groundwork-auditor/3. */
  quote: z.string().optional(),
  /** What was done, from the domain's claim vocabulary (e.g. `erase_customer`, `cancel_order`, `done`). */
  action: z.string(),
  /** What it was done to. */
  target: z.object({ kind: z.string(), id: z.string().optional(), name: z.string().optional() }),
  /** The status the agent asserted, e.g. `unreachable`, `off`, `cancelled`, `done`. */
  asserted: z.string(),
  /** The claim says the user's request is done (not a partial step, not a refusal). */
  assertsGoal: z.boolean(),
  verdict: z.enum(['verified', 'contradicted', 'unverifiable']),
  evidence: z.string(),
  extractor: z.enum(['rules', 'llm']),
});
export type Claim = z.infer<typeof claimSchema>;

/** A way the simulated user drifted from its scenario. */
export const simulatorFaultKindSchema = z.enum(['contradiction', 'invented_fact', 'revealed_unknown', 'premature_stop']);
export type SimulatorFaultKind = z.infer<typeof simulatorFaultKindSchema>;
export const SIMULATOR_FAULT_KINDS = simulatorFaultKindSchema.options;

/** One flagged drift of the user simulator, with its evidence. */
export const simulatorFaultSchema = z.object({
  kind: simulatorFaultKindSchema,
  /** 0-based user turn. */
  turn: z.number().int().nonnegative(),
  eventIndex: z.number().int().nonnegative(),
  /** The user's message (clipped). */
  text: z.string(),
  /** The goal item involved, when there is one. */
  item: z.string().optional(),
  evidence: z.string(),
});
export type SimulatorFault = z.infer<typeof simulatorFaultSchema>;

/** The agent's own structured outcome report (calibration). */
export const outcomeReportSchema = z.object({
  success: z.boolean(),
  /** The agent's probability that it succeeded, in [0, 1]. */
  confidence: z.number().min(0).max(1),
  summary: z.string(),
});
export type OutcomeReport = z.infer<typeof outcomeReportSchema>;

/** Primary causes a failed episode is attributed to. */
export const faultCauseSchema = z.enum(['agent', 'user_simulator', 'task', 'infrastructure']);
export type FaultCause = z.infer<typeof faultCauseSchema>;
export const FAULT_CAUSES = faultCauseSchema.options;

/** Everything audited about one episode. */
export const episodeAuditSchema = z
  .object({
    schemaVersion: z.literal(AUDIT_SCHEMA_VERSION),
    episodeId: z.string(),
    runId: z.string(),
    agent: z.string(),
    taskId: z.string(),
    trial: z.number().int().nonnegative(),
    reward: z.number(),
    termination: z.string(),
    claims: z.array(claimSchema),
    /** The agent asserted the request was done. */
    successClaimed: z.boolean(),
    /** reward 0 while success was claimed. */
    confidentFailure: z.boolean(),
    goal: z.object({
      items: z.array(goalItemSchema),
      /** Where the items came from: the task's goal field, derived from the scenario, or an LLM judge. */
      source: z.enum(['task', 'scenario', 'llm']),
      timeline: z.array(goalSnapshotSchema),
      /** Statuses at the end of the episode; COMPLETE only where the final state shows the item done. */
      final: z.record(z.string(), goalStatusSchema),
      tracker: z.enum(['rules', 'llm']),
      /**
       * What the simulated user did with each item (simulator fidelity): `kept` (profile/policy never
       * violated, objective/requirement pursued or complete, preference expressed), `not_kept`, or
       * `no_chance` (the conversation never gave it the chance, e.g. no one asked to confirm: not
       * counted). Absent in audits before groundwork-auditor/2.
       */
      kept: z.record(z.string(), z.enum(['kept', 'not_kept', 'no_chance'])).optional(),
      /**
       * What became of each objective and requirement (the agent's side): `completed` (the final
       * state shows it done), `blocked` (not done; the agent refused or asked for what the user cannot
       * know), `open` (not done, not blocked), `unknown` (the state cannot tell and it was not blocked).
       */
      outcome: z.record(z.string(), goalOutcomeSchema).optional(),
    }),
    simulatorFaults: z.array(simulatorFaultSchema),
    outcomeReport: outcomeReportSchema.optional(),
    /** RLCR-style reward y − (q − y)², when an outcome report exists. */
    rlcrReward: z.number().optional(),
    /** Primary cause of a failed episode (absent on success). */
    fault: z.object({ cause: faultCauseSchema, evidence: z.string() }).optional(),
    auditorVersion: z.string(),
    /**
     * Version of each audit that produced this record, by audit name. Absent in records stored
     * before audits were plugins (every built-in then ran at `auditorVersion`).
     */
    versions: z.record(z.string(), z.string()).optional(),
    // Loose: registered audits add their own fields (e.g. `toolErrors`); each reads them with its own schema.
  })
  .loose();
export type EpisodeAudit = z.infer<typeof episodeAuditSchema>;

/** One bin of a reliability diagram. */
export const reliabilityBinSchema = z.object({
  lower: z.number(),
  upper: z.number(),
  count: z.number().int().nonnegative(),
  meanConfidence: z.number().nullable(),
  meanOutcome: z.number().nullable(),
});
export type ReliabilityBin = z.infer<typeof reliabilityBinSchema>;

/** Calibration metrics of one agent over its reported episodes. */
export const calibrationSummarySchema = z.object({
  /** Episodes with an outcome report (the denominator below). */
  reports: z.number().int().nonnegative(),
  /** Graded episodes without a report. */
  missing: z.number().int().nonnegative(),
  brier: z.number(),
  /** Expected calibration error over 10 equal-width bins. */
  ece: z.number(),
  /** Null when all outcomes are equal (AUROC undefined). */
  auroc: z.number().nullable(),
  meanConfidence: z.number(),
  /** Mean grounded outcome y over the reported episodes. */
  successRate: z.number(),
  reliability: z.array(reliabilityBinSchema),
  /** Mean RLCR reward y − (q − y)². */
  meanRlcrReward: z.number(),
});
export type CalibrationSummary = z.infer<typeof calibrationSummarySchema>;

/** Audit results of one agent over a run. */
export const agentAuditSchema = z
  .object({
    episodes: z.number().int().nonnegative(),
    graded: z.number().int().nonnegative(),
    claims: z.object({
      /** Episodes where the agent asserted success. */
      successClaimed: z.number().int().nonnegative(),
      confidentFailures: z.number().int().nonnegative(),
      /** confidentFailures / successClaimed (0 when nothing was claimed). */
      confidentFailureRate: z.number(),
      total: z.number().int().nonnegative(),
      verified: z.number().int().nonnegative(),
      contradicted: z.number().int().nonnegative(),
      unverifiable: z.number().int().nonnegative(),
      examples: z.array(z.object({ episodeId: z.string(), taskId: z.string(), claim: z.string(), evidence: z.string() })),
    }),
    calibration: calibrationSummarySchema.nullable(),
    fidelity: z.object({
      /**
       * Per UGST category, the goal items the simulated user kept, pooled over graded episodes (see
       * `episodeAuditSchema.goal.kept`). Measures the user, not the agent: the same user scores the
       * same whichever agent it talks to. Absent in audits before groundwork-auditor/2.
       */
      goalKept: z.record(z.string(), goalKeptSchema).optional(),
      faultedEpisodes: z.number().int().nonnegative(),
      /** faultedEpisodes / graded. */
      faultRate: z.number(),
      /** Episodes flagged per fault kind, divided by graded episodes. */
      faultRateByKind: z.record(z.string(), z.number()),
      /** pass^k over all graded episodes, keyed by k. */
      passHatK: z.record(z.string(), z.number()),
      /** pass^k without simulator-faulted episodes. */
      passHatKClean: z.record(z.string(), z.number()),
    }),
    /** Failed episodes per primary cause. */
    faultCauses: z.record(z.string(), z.number().int().nonnegative()),
    /**
     * The agent's side of the user's goal: objectives and requirements (pooled over graded episodes)
     * by what became of them, keyed by category then outcome (completed, blocked, open, unknown).
     * Absent in audits before groundwork-auditor/2.
     */
    goalOutcome: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())).optional(),
    // Loose: each registered audit keeps its summary under its name (e.g. `toolErrors`).
  })
  .loose();
export type AgentAudit = z.infer<typeof agentAuditSchema>;

/** A task problem found by the lint (static checks, or the oracle/noop episodes of the run). */
export const taskProblemSchema = z.object({
  taskId: z.string(),
  kind: z.string(),
  detail: z.string(),
});
export type TaskProblem = z.infer<typeof taskProblemSchema>;

/** Audit results of a run. */
export const runAuditSchema = z.object({
  schemaVersion: z.literal(AUDIT_SCHEMA_VERSION),
  runId: z.string(),
  /** When the audit was made (set by the driver; the audit itself reads no clock). */
  createdAt: z.string(),
  auditorVersion: z.string(),
  /** Version of each audit summarised here, by audit name. Absent before audits were plugins. */
  versions: z.record(z.string(), z.string()).optional(),
  /** Judge model used for LLM extraction and goal decomposition, if any. */
  judge: z.string().optional(),
  episodes: z.number().int().nonnegative(),
  agents: z.record(z.string(), agentAuditSchema),
  taskProblems: z.array(taskProblemSchema),
  /** Anything else worth keeping (judge usage, notes). */
  notes: z.array(z.string()),
  extra: z.record(z.string(), jsonValueSchema).optional(),
});
export type RunAudit = z.infer<typeof runAuditSchema>;
