import { z } from 'zod';
import { jsonValueSchema } from './json.ts';
import { predicateSchema } from './task.ts';

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

/** The grade of an episode, computed only from initial state, final state and trajectory. */
export const outcomeSchema = z.object({
  schemaVersion: z.literal(OUTCOME_SCHEMA_VERSION),
  /** 1 when state, collateral and communication all pass; else 0. */
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
  graderVersion: z.string(),
});
export type Outcome = z.infer<typeof outcomeSchema>;
