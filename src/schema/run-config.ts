import { z } from 'zod';
import { storedModelsConfigSchema } from './model-config.ts';
import { probePackNameSchema } from './probe.ts';

/**
 * Most episodes (tasks × agents × trials) a new run may plan unless raised explicitly
 * (`--max-episodes`, run file `maxEpisodes`): a plan is held in memory, so an absurd count must
 * fail with a clear line, not a heap crash.
 */
export const MAX_PLANNED_EPISODES = 1_000_000;

/**
 * Most tasks a run may select: every task is built in memory and stored with the run (a generated
 * helpdesk task is about 7 KB), so a count in the millions would exhaust the heap before any limit on
 * episodes applied.
 */
export const MAX_TASKS = 50_000;

/** Most episodes run at once: far beyond any provider's limits, low enough to stay a sane pool. */
export const MAX_CONCURRENCY = 4096;

/** A run as configured: stored with the run, so `--resume` rebuilds exactly the same plan. */
/** Episodes run at once when a run does not say. */
export const DEFAULT_CONCURRENCY = 4;

export const runConfigSchema = z.object({
  /** Domain name from the registry, e.g. `helpdesk` or `tau-bench/retail`. */
  domain: z.string().min(1),
  /** Options passed to the domain factory (generator seed, data directory, task file). */
  domainOptions: z
    .object({
      seed: z.number().int().optional(),
      dataDir: z.string().optional(),
      tasksFile: z.string().optional(),
      variant: z.string().optional(),
      /** Add the honeypot surface (set by the honeypot probe pack). */
      honeypots: z.boolean().optional(),
    })
    .default({}),
  /** Task split. Defaults to the domain's default split. */
  split: z.string().optional(),
  /** The first N tasks of the split, or exact task ids. All tasks of the split when absent. */
  tasks: z.object({ count: z.number().int().positive().optional(), ids: z.array(z.string()).optional() }).default({}),
  /**
   * Run a probe pack (`src/probes/`): the tasks are the pack's variants of the selected base
   * scenarios (`tasks.count` counts base scenarios; `tasks.ids` names variant ids).
   */
  probes: z.object({ pack: probePackNameSchema }).optional(),
  /** Agents under test: built-in names or model specs. */
  agents: z.array(z.string().min(1)).min(1),
  /** User simulator: `scripted` or a model spec. @default 'scripted' */
  user: z.string().default('scripted'),
  /** Trials per task and agent. @default 3 */
  trials: z.number().int().positive().default(3),
  /** Episodes run at once. @default 4 */
  concurrency: z.number().int().positive().default(DEFAULT_CONCURRENCY),
  /** Seed of the episodes (users, agents). @default 1 */
  seed: z.number().int().default(1),
  /** Steps per episode before `max_steps` (domain default when absent). */
  maxSteps: z.number().int().positive().optional(),
  /** Invalid tool calls tolerated per episode before `agent_error`. @default the domain's (5 unless it says otherwise) */
  maxInvalidToolCalls: z.number().int().nonnegative().optional(),
  /** Named models used by the run (no keys: only the variables that hold them). */
  models: storedModelsConfigSchema.default({}),
  /** Ask agents for a structured outcome report (`report_outcome`) at the end of each episode (calibration audit). @default false */
  outcomeReport: z.boolean().default(false),
  /** Write the tracked goal state (UGST) into the LLM user's prompt every turn. @default false */
  steerUser: z.boolean().default(false),
  /**
   * Experience given to the agents (set by `groundwork learn`): which mechanisms, from which
   * experience set and runs. Experience comes from the train split only (`trainOnly`), and the
   * retriever refuses any record whose provenance touches a task of the evaluated split.
   */
  experience: z
    .object({
      mechanisms: z.array(z.enum(['reflection', 'insight', 'demonstration', 'skill'])),
      /** Experience set (learning session id) the records are read from. */
      setId: z.string(),
      /** Runs whose episodes the experience was built from (so far). */
      sourceRunIds: z.array(z.string()),
      /** Split the experience was built from. */
      sourceSplit: z.literal('train'),
      trainOnly: z.literal(true),
      /** Learning round (train runs) or phase (test evaluations). */
      phase: z.string().optional(),
      /** How demonstrations and skills were retrieved: BM25 over the request, or embedding similarity. @default 'bm25' (runs before this field) */
      retrieval: z.enum(['bm25', 'embeddings']).optional(),
      /** The embedding model used when `retrieval` is `embeddings` through a model (spec or configured name). */
      embedModel: z.string().optional(),
    })
    .optional(),
});
export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;
