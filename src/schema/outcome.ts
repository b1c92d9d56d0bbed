import { z } from 'zod';
import { jsonValueSchema } from './json.ts';
import { predicateSchema, sidedCallSchema, tau2RewardComponentSchema } from './task.ts';
import { terminationReasonSchema } from './trajectory.ts';

export const OUTCOME_SCHEMA_VERSION = 1;

/** One changed field (or created/deleted record) between initial and final state. */
export const fieldChangeSchema = z.object({
  table: z.string(),
  key: z.string(),
  op: z.enum(['create', 'update', 'delete']),
  /** Dot path of the changed field; empty for a whole-record create/delete. */
  path: z.string(),
  before: jsonValueSchema.optional(),
  after: jsonValueSchema.optional(),
  /** required: needed by the outcome; allowed: permitted; collateral: outside what the task allows. */
  verdict: z.enum(['required', 'allowed', 'collateral']),
});
export type FieldChange = z.infer<typeof fieldChangeSchema>;

export const predicateResultSchema = z.object({
  predicate: predicateSchema,
  pass: z.boolean(),
  actual: jsonValueSchema.optional(),
});

/** How one required fact was found (or not) in the agent's messages. */
export const factCheckSchema = z.object({
  id: z.string(),
  pass: z.boolean(),
  /** The form that matched: `concept legal_hold` or `name "Dana Smith"`. */
  matched: z.string().optional(),
  /** The words that stated it, and in which agent message (1-based). */
  quote: z.string().optional(),
  message: z.number().int().optional(),
  /** Why a mention did not count ("negated by \"no\": …", "a question: …"), or what was looked for. */
  note: z.string().optional(),
});
export type FactCheck = z.infer<typeof factCheckSchema>;

/** A judge's verdict on a communication item, computed before grading and passed in (grading stays pure). */
export const communicationJudgementSchema = z.object({
  pass: z.boolean(),
  /** The judge's reason, shown as evidence. */
  rationale: z.string().optional(),
  /** Which judge (model, prompt version). */
  judge: z.string().optional(),
});
export type CommunicationJudgement = z.infer<typeof communicationJudgementSchema>;

/** One communication item's verdict. Absent `method` is a phrase match (outcomes stored before grader 3). */
export const communicationCheckSchema = z.object({
  id: z.string(),
  pass: z.boolean(),
  evidence: z.string().optional(),
  method: z.enum(['phrase', 'facts', 'judge']).optional(),
  facts: z.array(factCheckSchema).optional(),
  /** The judge's verdict when `method` is `judge`, kept whole so a later re-grade can reuse it. */
  judgement: communicationJudgementSchema.optional(),
});
export type CommunicationCheck = z.infer<typeof communicationCheckSchema>;

const bit = z.union([z.literal(0), z.literal(1)]);

/**
 * τ²-bench's own grade of an episode (tasks with `expected.kind: 'tau2'`), computed by τ²'s rules
 * (grading/tau2.ts). A component is null when τ² does not compute it (premature termination, or
 * nothing to check of that kind: τ² then counts it as 1). Components outside `basis` are reported
 * but do not count.
 */
export const tau2OutcomeSchema = z.object({
  /** Product of the basis components; null while a basis component awaits a judge and the others all pass. */
  reward: bit.nullable(),
  basis: z.array(tau2RewardComponentSchema),
  /** Basis components with no verdict yet (NL_ASSERTION without a judge); the reward is incomplete when `reward` is null (another failed component already makes it 0). */
  pending: z.array(tau2RewardComponentSchema),
  /** The episode ended otherwise than by the user or the agent stopping: τ² gives 0 and checks nothing. */
  premature: terminationReasonSchema.optional(),
  /** Each basis component's value (τ²'s `reward_breakdown`); pending ones are absent. */
  breakdown: z.partialRecord(tau2RewardComponentSchema, bit),
  /** DB: both sides' final databases equal the gold replay's (user: null when the domain has no user side). */
  db: z.object({ pass: z.boolean(), agent: z.boolean(), user: z.boolean().nullable() }).nullable(),
  /** ENV_ASSERTION: each assertion run on the final state, in order. */
  envAssertions: z
    .array(
      sidedCallSchema.extend({
        assertValue: z.boolean(),
        met: z.boolean(),
        /** What the function returned. */
        actual: jsonValueSchema.optional(),
        /** Why the assertion could not be evaluated (τ² raises: not a boolean, unknown function). */
        error: z.string().optional(),
      }),
    )
    .nullable(),
  /** ACTION: each gold action, and the index (among all tool calls of the episode, both sides) of the call that matched it. */
  actions: z.array(sidedCallSchema.extend({ id: z.string(), met: z.boolean(), matchedCall: z.number().int().optional() })).nullable(),
  /** COMMUNICATE: each `communicate_info` string, and the agent message (1-based) that contained it. */
  communicate: z.array(z.object({ info: z.string(), met: z.boolean(), message: z.number().int().optional() })).nullable(),
  /** NL_ASSERTION: each assertion with the judge's verdict, kept whole so a later re-grade reuses it (met null: not judged). */
  nlAssertions: z
    .array(z.object({ assertion: z.string(), met: z.boolean().nullable(), judgement: communicationJudgementSchema.optional() }))
    .nullable(),
  /** τ²'s note (premature termination, criteria without checks). */
  note: z.string().optional(),
});
export type Tau2Outcome = z.infer<typeof tau2OutcomeSchema>;

/** The grade of an episode, computed only from initial state, final state and trajectory. */
export const outcomeSchema = z.object({
  schemaVersion: z.literal(OUTCOME_SCHEMA_VERSION),
  /** 1 when state, collateral and communication all pass; else 0. For a τ² task: τ²'s reward (`tau2.reward`, 0 while pending). */
  reward: z.union([z.literal(0), z.literal(1)]),
  /** Index of the expected-outcome alternative that matched best (-1 for gold replay). */
  alternative: z.number().int(),
  state: z.object({ pass: z.boolean(), predicates: z.array(predicateResultSchema) }),
  collateral: z.object({ pass: z.boolean(), changes: z.array(fieldChangeSchema) }),
  communication: z.object({
    pass: z.boolean(),
    items: z.array(communicationCheckSchema),
  }),
  /** Every field that changed, with its verdict. */
  diff: z.array(fieldChangeSchema),
  /** Why the episode was not graded normally (e.g. infra error). */
  note: z.string().optional(),
  /**
   * τ²-bench's grade (τ² tasks only): `reward` above is τ²'s. The fields above it (state, collateral,
   * communication, diff) are Groundwork's own field-level view against the same gold state.
   */
  tau2: tau2OutcomeSchema.optional(),
  graderVersion: z.string(),
});
export type Outcome = z.infer<typeof outcomeSchema>;
