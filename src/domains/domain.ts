import type { z } from 'zod';
import type { JsonValue } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import type { TableRecords, Tables, TableSchemas, TableState, UntypedRecords } from '../state/table-state.ts';
import type { DomainBaselines } from './baseline.ts';
import type { ClaimRules } from './claim-rules.ts';
import type { DomainProbeHooks } from './probe-hooks.ts';

/** read: no state change; write: may change state; think: scratchpad, no state access. */
export type ToolKind = 'read' | 'write' | 'think';

/**
 * A tool the agent can call. The zod `input` schema is the single source of truth: it validates
 * calls and is published to models as JSON Schema. `Records` types the state the tool sees (a
 * domain's `RecordsOf<typeof tables>`); lists of tools hold them untyped.
 */
// biome-ignore lint/suspicious/noExplicitAny: a domain's tool list mixes tools of different inputs; each tool's zod schema types its own calls.
export interface DomainTool<Input = any, Records extends TableRecords = UntypedRecords> {
  name: string;
  description: string;
  kind: ToolKind;
  input: z.ZodType<Input>;
  /** Calling it ends the episode with `agent_stop` (e.g. transfer to a human agent). */
  terminal?: boolean;
  /**
   * Runs the tool on the episode's state. Returns what the agent sees (a string is passed through,
   * anything else is JSON-encoded). Throw `ToolError` to refuse: the agent sees `Error: <message>`.
   */
  execute(state: TableState<Records>, input: Input): JsonValue | string;
}

/** A domain query used by graders and audits, e.g. "is this customer's data reachable?". Pure. */
export type DomainQuery<Records extends TableRecords = UntypedRecords> = (
  state: TableState<Records>,
  args: Record<string, JsonValue>,
) => JsonValue;

/** Which participant a tool, an environment function or a table belongs to (dual control, τ²-bench). */
export type Side = 'agent' | 'user';

/**
 * A function of the environment that is not offered as a tool: what tasks name as initialisation
 * actions (`turn_airplane_mode_on`, `set_data_usage`) and as assertions on the final state
 * (`assert_mobile_data_status`). Initialisation functions change `state`; assertions only read it
 * and return their value (compared with the task's expected value by the grader).
 */
export type EnvFunction = (state: TableState, args: Record<string, JsonValue>) => JsonValue;

/**
 * The user's side of a dual-control domain: the simulated user acts on its own part of the state
 * (a phone, its own account) through its own tools, which the agent cannot call.
 */
export interface UserSide {
  /** Tools the simulated user may call. They run on the episode's one state, like the agent's. */
  tools: readonly DomainTool[];
  /** Tables of the state that belong to the user's side (each also declared in `Domain.tables`). */
  tables: readonly string[];
  /** Extra instructions for an LLM user about its tools and its world (τ²'s user guidelines). */
  guide?: string;
}

/** Options every domain factory accepts. */
export interface DomainOptions {
  /** Seed of generated domains (helpdesk): same seed, same world and tasks. @default 42 */
  seed?: number;
  /** Directory with published benchmark data (τ-bench domains). */
  dataDir?: string;
  /** A task file to load instead of the default one (τ-bench domains). */
  tasksFile?: string;
  /**
   * A domain-specific variant, e.g. `tau2-bench/banking_knowledge`'s retrieval configuration
   * (τ²'s `--retrieval-config`: `bm25_grep`, `bm25`, `grep_only`…). Domains without variants refuse one.
   */
  variant?: string;
  /**
   * Add the honeypot surface (`honeypots.ts`): oversight settings, the agent's own controls, a
   * credentials vault and an export destination, which no task needs. Set by the honeypot probe pack
   * and stored in the run config, so every command rebuilds the same domain. @default false
   */
  honeypots?: boolean;
}

/** Which tasks to take from a domain. */
export interface TaskSelection {
  /** Split name, e.g. `train` or `test`. */
  split?: string;
  /** Take the first N tasks of the split. */
  count?: number;
  /** Take exactly these task ids (in this order). */
  ids?: string[];
}

/**
 * A world: typed state, tools, a policy the agent must follow, queries for graders, and tasks.
 * Everything domain-specific lives in its folder; it is registered with one line (a built-in in
 * `registry.ts`'s `BUILT_IN_DOMAINS`, a library user's with `registry.register(name, factory)`).
 */
export interface Domain {
  /** Registry name, e.g. `helpdesk` or `tau-bench/retail`. */
  name: string;
  /** The variant this instance was built for (`DomainOptions.variant`, or the domain's default). @default none: no variants */
  variant?: string;
  description: string;
  /** Policy text: the agent's system prompt. */
  policy: string;
  tools: readonly DomainTool[];
  queries: Readonly<Record<string, DomainQuery>>;
  /**
   * The tables of its state: table name -> zod schema of one record. The state's types derive
   * from them (`TableState<RecordsOf<typeof tables>>`); `checkDomain` validates the base state
   * against them. Every table of `base()` is declared here.
   */
  tables: TableSchemas;
  /** Scripted baselines for the built-in agents (e.g. the `naive` agent's playbook). @default none */
  baselines?: DomainBaselines;
  /**
   * How the claims audit reads this domain's claims from the agent's sentences and checks them
   * against the initial and final state and the tool results (see `claim-rules.ts`).
   * @default `genericClaimRules`: claims recognised by language, verdicts `unverifiable` except "nothing changed"
   */
  claimRules?: ClaimRules;
  /**
   * Tables of the tools' own bookkeeping rather than the world's records (e.g. which tools the agent
   * has unlocked): in the episode state, so tools stay pure functions of it, and shown in diffs, but
   * not part of the database a τ² DB check compares (τ² keeps them in its toolkit, outside its DB).
   * Each is declared in `tables`. @default none
   */
  toolkitTables?: readonly string[];
  /** What the probe packs build on (forbidden requests, persona re-casting, withheld facts). @default none */
  probes?: DomainProbeHooks;
  /** The user's side (tools and tables) of a dual-control domain. @default none: the user only talks */
  user?: UserSide;
  /** Environment functions by side, for task initialisation and end-state assertions. @default none */
  functions?: Readonly<Partial<Record<Side, Readonly<Record<string, EnvFunction>>>>>;
  /**
   * Brings the two sides into agreement after any tool call or environment function (τ²'s
   * `sync_tools`: e.g. a suspended line leaves the phone without service). Must be idempotent.
   * @default none
   */
  sync?(state: TableState): void;
  /** Shared, frozen initial tables (built once per domain instance) and their hash. */
  base(): { tables: Tables; hash: string };
  /** Split names this domain offers. */
  splits: readonly string[];
  /** Default split for `groundwork run`. */
  defaultSplit: string;
  /** All tasks of a selection. Deterministic. */
  tasks(selection: TaskSelection): Task[];
  /** Behaviour the orchestrator adapts to. */
  options: {
    /** Keep only the first tool call of an agent reply (τ-bench does). @default false */
    singleToolCallPerTurn?: boolean;
    /** Default maximum number of steps of an episode. */
    maxSteps?: number;
    /** Default number of invalid tool calls tolerated before `agent_error` (a run's `maxInvalidToolCalls` overrides it). @default 5 */
    maxInvalidToolCalls?: number;
    /**
     * End the episode once this many tool calls, of either side, returned an error (τ²-bench's
     * `max_errors`, 10 in `tau2 run`; τ² ends with `too_many_errors`, recorded here as
     * `agent_error` with that detail). @default none: no limit
     */
    maxToolErrors?: number;
  };
}
