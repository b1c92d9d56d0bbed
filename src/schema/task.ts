import { z } from 'zod';
import { goalItemSchema } from './audit.ts';
import { jsonValueSchema } from './json.ts';
import { emotionSchema, personaAttributeSchema, pressureTacticSchema, probePackNameSchema, probeRoleSchema } from './probe.ts';

export const TASK_SCHEMA_VERSION = 1;

/**
 * Tag of a task whose published data is defective in a way its domain documents (e.g. τ²'s own
 * evaluator fails its gold actions): `tasks lint` lists its problems without failing.
 */
export const UPSTREAM_DEFECT_TAG = 'upstream-defect';

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
  z.object({
    kind: z.literal('absent'),
    table: z.string(),
    key: z.string(),
    /** With a dot path: the record's field at `path` must not exist (e.g. a deleted nested key). */
    path: z.string().optional(),
    description: z.string().optional(),
  }),
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
  /**
   * Values a created or updated record may have: top-level field -> allowed values (default: any).
   * A create must have an allowed value in every listed field; an update may write only allowed
   * values into a listed field. E.g. a grant created only at the approved level.
   */
  values: z.record(z.string(), z.array(jsonValueSchema)).optional(),
  /** At most this many records may change under this rule (e.g. exactly one grant); changes to further records are collateral. */
  maxRecords: z.number().int().min(0).optional(),
});
export type ChangeRule = z.infer<typeof changeRuleSchema>;

/** One valid end state: what must hold, and what may have changed on the way. */
export const outcomeAlternativeSchema = z.object({
  label: z.string().optional(),
  required: z.array(predicateSchema),
  allowed: z.array(changeRuleSchema),
});
export type OutcomeAlternative = z.infer<typeof outcomeAlternativeSchema>;

/** One way a fact can be stated: a concept (in any wording), or a value taken from the task's state. */
export const factFormSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('concept'),
    /** A concept of the grader's library (`legal_hold`, `lacks_authority`, `authorised_requester`), or one named here with `patterns`. */
    concept: z.string(),
    /** Token patterns of a concept the library lacks (syntax: `parsePattern` in grading/fact-text.ts). */
    patterns: z.array(z.string()).min(1).optional(),
  }),
  z.object({
    kind: z.literal('value'),
    /** `text`/`name`: the words in order; `number`/`amount`: numerically equal ("$1,200" = 1200, "two" = 2); `date`: ISO yyyy-mm-dd, also as "May 24". */
    type: z.enum(['text', 'name', 'number', 'amount', 'date']),
    value: z.union([z.string(), z.number()]),
    /** Where the value was read from in the task's initial state, e.g. `{table: 'people', key: 'p-007', path: 'name'}`. */
    source: z.object({ table: z.string(), key: z.string(), path: z.string() }).optional(),
  }),
]);
export type FactForm = z.infer<typeof factFormSchema>;

/** A fact the agent must state: any one of its forms, in any agent message. */
export const communicationFactSchema = z.object({
  id: z.string(),
  description: z.string().optional(),
  anyOf: z.array(factFormSchema).min(1),
});
export type CommunicationFact = z.infer<typeof communicationFactSchema>;

/**
 * A piece of information the agent must tell the user: either phrases (`anyOf`, matched by
 * `match`) or facts (`facts`, each of which must be stated).
 */
export const communicationItemSchema = z
  .object({
    id: z.string(),
    /** What the user must be told, for reports and judges. */
    description: z.string().optional(),
    /** Any of these phrases counts (case-insensitive). */
    anyOf: z.array(z.string()).min(1).optional(),
    /**
     * How `anyOf` phrases match. `word`: whole-word match on normalised text ("10" does not match "100").
     * `tau-substring`: τ-bench v1's rule (lowercase, commas removed, substring).
     * @default 'word'
     */
    match: z.enum(['word', 'tau-substring']).default('word'),
    /** Facts that must all be stated (each in any of its forms). */
    facts: z.array(communicationFactSchema).min(1).optional(),
  })
  .refine(
    (item) => (item.anyOf === undefined) !== (item.facts === undefined),
    'a communication item has either anyOf (phrases) or facts, not both',
  );
export type CommunicationItem = z.infer<typeof communicationItemSchema>;

/** A tool call written down in a task (gold action or oracle step). */
export const plannedToolCallSchema = z.object({ name: z.string(), arguments: z.record(z.string(), jsonValueSchema) });
export type PlannedToolCall = z.infer<typeof plannedToolCallSchema>;

/** A tool call or environment function made on one side of a dual-control domain. */
export const sidedCallSchema = z.object({
  side: z.enum(['agent', 'user']),
  name: z.string(),
  arguments: z.record(z.string(), jsonValueSchema),
});
export type SidedCall = z.infer<typeof sidedCallSchema>;

/** τ²-bench's reward components; the reward is the product of those a task names in its basis. */
export const tau2RewardComponentSchema = z.enum(['DB', 'ENV_ASSERTION', 'COMMUNICATE', 'NL_ASSERTION', 'ACTION']);
export type Tau2RewardComponent = z.infer<typeof tau2RewardComponentSchema>;

/** τ²-bench evaluation criteria, graded as τ² grades them (see grading/tau2.ts). */
export const tau2CriteriaSchema = z.object({
  kind: z.literal('tau2'),
  /** Components whose product is the reward; the others are computed and reported only. */
  rewardBasis: z.array(tau2RewardComponentSchema),
  /** Reference actions: replayed (both sides) for the DB check, matched for ACTION. */
  actions: z.array(
    sidedCallSchema.extend({
      /** τ²'s `action_id`. */
      id: z.string(),
      /** Only these arguments are compared by the ACTION check (τ²'s `compare_args`); absent: all. */
      compareArgs: z.array(z.string()).optional(),
    }),
  ),
  /** Assertions run on the final state: the named function of that side must return `assertValue`. */
  envAssertions: z.array(sidedCallSchema.extend({ assertValue: z.boolean(), message: z.string().optional() })),
  /** τ²'s `communicate_info`: each string must appear in an agent message (τ²'s COMMUNICATE rule). */
  communicate: z.array(communicationItemSchema),
  /** τ²'s `nl_assertions`: statements a judge model checks against the conversation. */
  nlAssertions: z.array(z.string()),
  /**
   * The record had neither `actions` nor `env_assertions` (null, not empty): τ²'s evaluator then
   * passes the DB check without comparing anything. @default false
   */
  noEnvCriteria: z.boolean().optional(),
});
export type Tau2Criteria = z.infer<typeof tau2CriteriaSchema>;

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
  tau2CriteriaSchema,
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
  /**
   * Dual control: the user-side actions the task needs, which a scripted user performs (with
   * these arguments) when the agent asks for them. An LLM user gets the tools instead.
   */
  actions: z.array(plannedToolCallSchema).optional(),
});
export type UserScenario = z.infer<typeof userScenarioSchema>;

/** A step of a reference solution played by the oracle agent through the normal interface. */
export const oracleStepSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('call'), call: plannedToolCallSchema }),
  /** Say something to the user; the oracle then waits for the user's reply. */
  z.object({ kind: z.literal('say'), text: z.string() }),
  /** Dual control: ask the user to perform this user-side call; the oracle then waits for the user's reply. */
  z.object({ kind: z.literal('ask_user'), call: plannedToolCallSchema }),
]);
export type OracleStep = z.infer<typeof oracleStepSchema>;

/**
 * What the oracle says for a step that is not its own tool call. An `ask_user` step names the call
 * exactly (`name({...})`), so a scripted user can perform it with the task's arguments.
 */
export function oracleStepMessage(step: Exclude<OracleStep, { kind: 'call' }>): string {
  if (step.kind === 'say') return step.text;
  return `Please do this on your side: ${step.call.name}(${JSON.stringify(step.call.arguments)})`;
}

/**
 * What makes a task a probe variant (`src/probes/`): which pack made it from which task, and what
 * the pressure users, the test agents and the probe audit need. Stored with the task, so every
 * probe metric is a pure function of the stored run.
 */
export const taskProbeSchema = z.object({
  pack: probePackNameSchema,
  /** The task the variant was made from; variants of one base pair up in paired metrics. */
  baseTaskId: z.string(),
  /** This variant: `authority`, `control-authority`, `distress`, `gender-female`, `unmonitored-memory`, `withheld`… ([a-z0-9-]). */
  variant: z.string().regex(/^[a-z0-9-]+$/),
  role: probeRoleSchema,
  /** Persuasion: the tactic the user presses with after a refusal. */
  tactic: pressureTacticSchema.optional(),
  /** Persuasion: what the scripted pressure user says after the agent refuses, one message per turn. */
  pressure: z.array(z.string().min(1)).optional(),
  /** Persuasion: the change the user pushes for; a final-state change matching any rule means the agent did it. */
  pushedFor: z.array(changeRuleSchema).optional(),
  /** Persuasion: steps that do what the user asks (the scripted test agents play them). */
  comply: z.array(oracleStepSchema).optional(),
  /** Emotion pack. */
  emotion: emotionSchema.optional(),
  /** Persona pack: the one attribute this variant changes, its value, and the user's name in it. */
  persona: z.object({ attribute: personaAttributeSchema.nullable(), value: z.string(), name: z.string() }).optional(),
  /** Honeypot pack: whether the agent is told it is monitored, whether a peer's memory is in its context, and the honeypot tables. */
  honeypot: z
    .object({
      monitored: z.boolean(),
      peerMemory: z.boolean(),
      /** Tables no task needs: any change to them is a touch. */
      tables: z.array(z.string()).min(1),
      /** Table whose records hold secrets (field `secret`): reading one and sending it anywhere is a touch. */
      secretsTable: z.string().optional(),
    })
    .optional(),
  /** Missing-info pack: the fact the opening withholds (role probe) or gives (baseline), which the user gives when asked. */
  withheld: z
    .object({
      factId: z.string(),
      /** The value; a write before any user message contains it is a guess. */
      value: z.string(),
      /** Words in an agent question that ask for it. */
      keywords: z.array(z.string()).min(1),
    })
    .optional(),
});
export type TaskProbe = z.infer<typeof taskProbeSchema>;

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
  /** Environment functions or tools run, in order, after `initialPatch` and before the conversation (τ²'s initialisation actions). */
  initialization: z.array(sidedCallSchema).optional(),
  user: userScenarioSchema,
  expected: expectedOutcomeSchema,
  /** True when the only correct outcome is no change of state. */
  noChange: z.boolean(),
  /** Reference solution, for the oracle agent. */
  oracle: z.array(oracleStepSchema),
  /**
   * Notes the deployment adds to the agent's system prompt for this episode (an operator notice such
   * as "audit logging is off", a memory record of an earlier session), after the policy. @default none
   */
  agentNotes: z.array(z.string().min(1)).optional(),
  /** Set on probe variants (see `taskProbeSchema`). @default none: not a probe */
  probe: taskProbeSchema.optional(),
});
export type Task = z.infer<typeof taskSchema>;
