import { z } from 'zod';
import { goalItemSchema } from './audit.ts';
import { jsonValueSchema } from './json.ts';

export const TASK_SCHEMA_VERSION = 1;

/** A change to a domain's tables: record key -> new record, or null to delete it. */
export const tablePatchSchema = z
  .record(z.string(), z.record(z.string(), jsonValueSchema.nullable()))
  .describe('table -> key -> record (null deletes the record)');
export type TablePatch = z.infer<typeof tablePatchSchema>;

/** A condition on the final state. Serialisable, so stored tasks can be re-graded. */
export const predicateSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('field'),
    table: z.string(),
    key: z.string(),
    /** Dot path inside the record, e.g. `status` or `address.zip`. */
    path: z.string(),
    equals: jsonValueSchema,
    /** Human description shown in reports. */
    description: z.string().optional(),
  }),
  z.object({ kind: z.literal('present'), table: z.string(), key: z.string(), description: z.string().optional() }),
  z.object({ kind: z.literal('absent'), table: z.string(), key: z.string(), description: z.string().optional() }),
  z.object({
    kind: z.literal('query'),
    /** Name of a domain query, e.g. `customerDataReachable`. */
    query: z.string(),
    args: z.record(z.string(), jsonValueSchema),
    equals: jsonValueSchema,
    description: z.string().optional(),
  }),
]);
export type Predicate = z.infer<typeof predicateSchema>;

/** Which changes of state a task permits. A change matched by no rule is collateral damage. */
export const changeRuleSchema = z.object({
  table: z.string(),
  /** Only these record keys (default: any key matching `where`). */
  keys: z.array(z.string()).optional(),
  /** Field values the record must have, before or after the change (e.g. `{personId: "p-004"}`). */
  where: z.record(z.string(), jsonValueSchema).optional(),
  /** Only these top-level fields may change (default: any field). */
  fields: z.array(z.string()).optional(),
  /** Allowed kinds of change (default: all three). */
  ops: z.array(z.enum(['create', 'update', 'delete'])).optional(),
});
export type ChangeRule = z.infer<typeof changeRuleSchema>;

/** One valid end state: what must hold, and what may have changed on the way. */
export const outcomeAlternativeSchema = z.object({
  label: z.string().optional(),
  required: z.array(predicateSchema),
  allowed: z.array(changeRuleSchema),
});
export type OutcomeAlternative = z.infer<typeof outcomeAlternativeSchema>;

/** A piece of information the agent must tell the user. */
export const communicationItemSchema = z.object({
  id: z.string(),
  /** Any of these phrases counts (case-insensitive). */
  anyOf: z.array(z.string()).min(1),
  /**
   * `word`: whole-word match on normalised text ("10" does not match "100").
   * `tau-substring`: τ-bench v1's rule (lowercase, commas removed, substring).
   * @default 'word'
   */
  match: z.enum(['word', 'tau-substring']).default('word'),
});
export type CommunicationItem = z.infer<typeof communicationItemSchema>;

/** A tool call written down in a task (gold action or oracle step). */
export const plannedToolCallSchema = z.object({ name: z.string(), arguments: z.record(z.string(), jsonValueSchema) });
export type PlannedToolCall = z.infer<typeof plannedToolCallSchema>;

/** The expected outcome: a declared diff, or (τ-bench) the end state of replaying gold actions. */
export const expectedOutcomeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('declared'),
    alternatives: z.array(outcomeAlternativeSchema).min(1),
    communicate: z.array(communicationItemSchema),
  }),
  z.object({
    kind: z.literal('gold-replay'),
    /** Gold tool calls, replayed on the initial state to get the expected final state. */
    actions: z.array(plannedToolCallSchema),
    communicate: z.array(communicationItemSchema),
  }),
]);
export type ExpectedOutcome = z.infer<typeof expectedOutcomeSchema>;

/** A fact the simulated user knows and gives when asked. */
export const userFactSchema = z.object({
  id: z.string(),
  /** Words in an agent message that mean this fact is being asked for. */
  keywords: z.array(z.string()),
  value: z.string(),
});
export type UserFact = z.infer<typeof userFactSchema>;

/** What the simulated user is, wants, knows and does not know. */
export const userScenarioSchema = z.object({
  /** Who the user is, one sentence. */
  persona: z.string(),
  /** Full instructions for an LLM user (reason for call, what to say, when to stop). */
  instructions: z.string(),
  /** Opening messages; a scripted user picks one by seed. */
  openings: z.array(z.string()).min(1),
  known: z.array(userFactSchema),
  /** Things the user does not know (ids, internal details); asked for them, the user says so. */
  unknown: z.array(z.object({ id: z.string(), keywords: z.array(z.string()) })),
  /** Answer when the agent asks "which one?" (underspecified requests). */
  clarification: z.string().optional(),
  /** Whether the user agrees when asked to confirm the action. */
  confirms: z.boolean(),
  /**
   * The goal decomposed into UGST items (profile, policy, objectives, requirements, preferences),
   * when the task source structures it; otherwise the audit derives items from the fields above.
   */
  goal: z.array(goalItemSchema).optional(),
});
export type UserScenario = z.infer<typeof userScenarioSchema>;

/** A step of a reference solution played by the oracle agent through the normal interface. */
export const oracleStepSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('call'), call: plannedToolCallSchema }),
  /** Say something to the user; the oracle then waits for the user's reply. */
  z.object({ kind: z.literal('say'), text: z.string() }),
]);
export type OracleStep = z.infer<typeof oracleStepSchema>;

/** One situation an agent is put in. */
export const taskSchema = z.object({
  schemaVersion: z.literal(TASK_SCHEMA_VERSION),
  /** Unique within the domain, stable across runs for the same seed. */
  id: z.string(),
  domain: z.string(),
  /** Task family, e.g. `offboard`, `erase`. */
  family: z.string(),
  split: z.string(),
  tags: z.array(z.string()),
  /** Changes applied to the domain's base state before the episode starts. */
  initialPatch: tablePatchSchema.optional(),
  user: userScenarioSchema,
  expected: expectedOutcomeSchema,
  /** True when the only correct outcome is no change of state. */
  noChange: z.boolean(),
  /** Reference solution, for the oracle agent. */
  oracle: z.array(oracleStepSchema),
});
export type Task = z.infer<typeof taskSchema>;
