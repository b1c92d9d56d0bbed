import { z } from 'zod';
import type { DomainRegistry } from '../../domains/registry.ts';
import { GroundworkError } from '../../errors.ts';
import { choose } from '../../grading/pass-k.ts';
import type { JsonValue } from '../../schema/json.ts';
import type { Task } from '../../schema/task.ts';
import { domainFor } from '../../runner/local-runner.ts';
import { type EpisodeRecord, type Store, requireRun } from '../../store/store.ts';

// τ²-bench's leaderboard submission (`submission.json`). The zod schema below is our source of
// truth for its shape: it encodes the constraints of τ²'s published JSON Schema
// (web/leaderboard/public/submissions/schema.json at commit a2c0247, generated from
// tau2/scripts/leaderboard/submission.py): closed objects, required fields, percentages in
// [0, 100], non-negative costs, dates as YYYY-MM-DD, the four text domains. A test validates our
// output against τ²'s own file where a τ² checkout is present.

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const percent = z.number().min(0).max(100).nullable();

/** Results of one domain: pass^1..4 in percent, average agent cost per trajectory in USD. */
export const tau2DomainResultsSchema = z
  .object({
    pass_1: percent.optional(),
    pass_2: percent.optional(),
    pass_3: percent.optional(),
    pass_4: percent.optional(),
    cost: z.number().min(0).nullable().optional(),
    /** banking_knowledge only: the retrieval method. */
    retrieval_config: z.string().nullable().optional(),
  })
  .strict();
export type Tau2DomainResults = z.infer<typeof tau2DomainResultsSchema>;

/** The domains a submission may report (τ²'s `Results`). */
export const TAU2_SUBMISSION_DOMAINS = ['retail', 'airline', 'telecom', 'banking_knowledge'] as const;
export type Tau2SubmissionDomain = (typeof TAU2_SUBMISSION_DOMAINS)[number];

const nullableString = z.string().nullable().optional();

/**
 * A leaderboard submission (text modality; the voice-only blocks are not produced). Its top level
 * is open, as τ²'s schema leaves it (published submissions carry e.g. a top-level `notes`); every
 * nested object is closed.
 */
export const tau2SubmissionSchema = z.looseObject({
  model_name: z.string(),
  model_organization: z.string(),
  submitting_organization: z.string(),
  submission_date: isoDate,
  submission_type: z.enum(['standard', 'custom']).optional(),
  modality: z.enum(['text', 'voice']).optional(),
  contact_info: z.object({ email: nullableString, name: nullableString, github: nullableString }).strict(),
  results: z
    .object({
      retail: tau2DomainResultsSchema.nullable().optional(),
      airline: tau2DomainResultsSchema.nullable().optional(),
      telecom: tau2DomainResultsSchema.nullable().optional(),
      banking_knowledge: tau2DomainResultsSchema.nullable().optional(),
    })
    .strict(),
  is_new: z.boolean().optional(),
  trajectories_available: z.boolean().optional(),
  trajectory_files: z.record(z.string(), z.string()).nullable().optional(),
  references: z
    .array(z.object({ title: z.string(), url: z.string(), type: nullableString }).strict())
    .nullable()
    .optional(),
  methodology: z
    .object({
      evaluation_date: isoDate.nullable().optional(),
      tau2_bench_version: nullableString,
      user_simulator: nullableString,
      notes: nullableString,
      verification: z
        .object({
          modified_prompts: z.boolean().nullable().optional(),
          omitted_questions: z.boolean().nullable().optional(),
          details: nullableString,
        })
        .strict()
        .nullable()
        .optional(),
    })
    .strict()
    .nullable()
    .optional(),
  model_release: z
    .object({ release_date: isoDate.nullable().optional(), announcement_url: nullableString, announcement_title: nullableString })
    .strict()
    // τ²'s documented rule: an announcement link needs its release date.
    .refine((r) => !r.announcement_url || !!r.release_date, 'model_release.announcement_url needs release_date')
    .nullable()
    .optional(),
  reasoning_effort: nullableString,
});
export type Tau2Submission = z.infer<typeof tau2SubmissionSchema>;

/**
 * Sums as numpy's `add.reduce` does on a contiguous float64 array (pairwise, 8 accumulators,
 * blocks of 128), so means equal the ones τ²'s pandas metrics compute bit for bit.
 */
export function pairwiseSum(values: readonly number[], start = 0, end = values.length): number {
  const n = end - start;
  if (n < 8) {
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i]!;
    return sum;
  }
  if (n <= 128) {
    const r = values.slice(start, start + 8);
    const whole = n - (n % 8);
    for (let i = 8; i < whole; i += 8) for (let j = 0; j < 8; j++) r[j]! += values[start + i + j]!;
    let sum = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (let i = start + whole; i < end; i++) sum += values[i]!;
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(values, start, start + half) + pairwiseSum(values, start + half, end);
}

/** One episode as the submission's metrics see it. */
export interface SubmissionEpisode {
  taskId: string;
  /** τ²'s success (reward 1); null while the reward awaits a judge. */
  success: boolean | null;
  /** τ² leaves infrastructure errors out of every metric. */
  infraError: boolean;
  /** Agent cost in USD; null when unknown. */
  agentCost: number | null;
}

/** pass^1..4 and cost of one domain, computed as τ²'s `compute_metrics` computes them. */
export interface DomainMetrics {
  results: Tau2DomainResults;
  /** pass^k as fractions, k = 1 … the largest k every task allows. */
  passHatK: Record<string, number>;
  episodes: number;
  excludedInfraErrors: number;
  tasks: number;
}

/**
 * τ²'s metrics (tau2/metrics/agent_metrics.py): infrastructure errors left out; per task,
 * pass^k = C(successes, k) / C(trials, k); k runs to the run's trials capped by the fewest trials
 * of any task; the domain's pass^k is the mean over tasks, taken in τ²'s order (tasks sorted by id,
 * then by number of gold actions, transfer-only tasks first), as percentages. Cost: the mean agent
 * cost of the episodes that have one. `actionCount` gives τ²'s `task_num_actions` of a task.
 */
export function tau2DomainMetrics(
  episodes: readonly SubmissionEpisode[],
  trials: number,
  actionCount: (taskId: string) => number,
): DomainMetrics {
  const counted = episodes.filter((e) => !e.infraError);
  const byTask = new Map<string, { n: number; s: number }>();
  for (const e of counted) {
    const tally = byTask.get(e.taskId) ?? { n: 0, s: 0 };
    tally.n++;
    if (e.success === true) tally.s++;
    byTask.set(e.taskId, tally);
  }
  const minTrials = byTask.size ? Math.min(...[...byTask.values()].map((t) => t.n)) : 0;
  const maxK = Math.min(trials, minTrials);
  // groupby sorts task ids as strings; the stable sort by action count keeps that order for ties.
  const order = [...byTask.keys()].sort().sort((a, b) => actionCount(a) - actionCount(b));
  const passHatK: Record<string, number> = {};
  for (let k = 1; k <= maxK; k++) {
    const values = order.map((id) => {
      const t = byTask.get(id)!;
      return choose(t.s, k) / choose(t.n, k);
    });
    passHatK[String(k)] = pairwiseSum(values) / values.length;
  }
  // pandas' mean skips missing costs: the sum runs over all (missing as 0), divided by the known ones.
  const costs = counted.map((e) => e.agentCost ?? 0);
  const known = counted.filter((e) => e.agentCost !== null).length;
  const pct = (k: number) => (passHatK[String(k)] === undefined ? null : passHatK[String(k)]! * 100);
  return {
    results: { pass_1: pct(1), pass_2: pct(2), pass_3: pct(3), pass_4: pct(4), cost: known > 0 ? pairwiseSum(costs) / known : null },
    passHatK,
    episodes: counted.length,
    excludedInfraErrors: episodes.length - counted.length,
    tasks: byTask.size,
  };
}

/** τ²'s `task_num_actions`: gold actions of both sides, -1 for a task whose only action is a transfer. */
export function tau2ActionCount(task: Pick<Task, 'expected'> | undefined): number {
  if (task?.expected.kind !== 'tau2') return 0;
  const actions = task.expected.actions;
  if (actions.length === 1 && actions[0]!.name.toLowerCase().includes('transfer')) return -1;
  return actions.length;
}

/** What the run cannot know about the model and the submitter. */
export interface Tau2SubmissionOptions {
  modelName?: string;
  modelOrganization?: string;
  /** @default modelOrganization */
  submittingOrganization?: string;
  contactEmail?: string;
  contactName?: string;
  github?: string;
  /** @default 'standard' for imported τ² runs, 'custom' for Groundwork runs (its own agent, user simulator and orchestration) */
  submissionType?: 'standard' | 'custom';
  /** @default today (UTC) */
  submissionDate?: string;
  /** τ²'s version the results come from. @default the imported results' git commit, else none */
  tau2Version?: string;
  /** banking_knowledge: the retrieval method. @default the imported results' `retrieval_config` */
  retrievalConfig?: string;
  reasoningEffort?: string;
  notes?: string;
  isNew?: boolean;
  /** Count rewards that await a judge as failures instead of refusing. @default false */
  allowPending?: boolean;
  /** Clock for the default submission date. */
  now?: () => Date;
  /** The domains to build the runs' domains from. @default builtInDomains */
  domains?: DomainRegistry;
}

/** The submission and what it was computed from. */
export interface Tau2SubmissionExport {
  submission: Tau2Submission;
  domains: Record<string, DomainMetrics & { runId: string; pending: number }>;
}

const SUBMISSION_DOMAIN_OF: Readonly<Record<string, Tau2SubmissionDomain>> = {
  'tau2-bench/retail': 'retail',
  'tau2-bench/airline': 'airline',
  'tau2-bench/telecom': 'telecom',
  'tau2-bench/banking_knowledge': 'banking_knowledge',
};

const str = (value: JsonValue | undefined): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const objectOf = (value: JsonValue | undefined): Record<string, JsonValue> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};

/** Model name of a participant as stored: τ²'s `llm` for imported runs, else the model id or name. */
function modelOf(participant: JsonValue | undefined): string | undefined {
  const p = objectOf(participant);
  return str(p.llm) ?? str(p.modelId) ?? str(p.model) ?? str(p.name);
}

/** The episode as the metrics see it: τ²'s reward (pending when the judge is missing) and cost. */
function submissionEpisode(episode: EpisodeRecord): SubmissionEpisode {
  const imported = objectOf(episode.trajectory.participants.import);
  const tau2Termination = str(imported.tau2Termination);
  const tau2 = episode.outcome.tau2;
  // Imported: τ²'s recorded agent cost. Groundwork runs: the priced model cost; 0 means unpriced (no
  // price table for the model, or no model at all), which a leaderboard must not read as free.
  const ownCost = episode.trajectory.usage.agent?.costUsd;
  const agentCost =
    imported.format === 'tau2' ? (typeof imported.agentCost === 'number' ? imported.agentCost : null) : ownCost ? ownCost : null;
  return {
    taskId: episode.taskId,
    success: tau2 ? (tau2.reward === null ? null : tau2.reward === 1) : episode.reward === 1,
    infraError: tau2Termination ? tau2Termination === 'infrastructure_error' : episode.termination === 'infra_error',
    agentCost,
  };
}

/**
 * Builds a τ² leaderboard submission from stored runs, one per domain (retail, airline, telecom,
 * banking_knowledge). pass^k and cost follow τ²'s own computation (`tau2DomainMetrics`); model and
 * user simulator come from the runs' stored participants unless given. Refuses runs of other
 * domains, two runs of one domain, runs whose τ² rewards await a judge (unless `allowPending`),
 * and runs of different agent models. The result is validated with `tau2SubmissionSchema`.
 */
export async function buildTau2Submission(
  store: Store,
  runIds: readonly string[],
  options: Tau2SubmissionOptions = {},
): Promise<Tau2SubmissionExport> {
  if (runIds.length === 0) throw new GroundworkError('INVALID_ARGUMENT', 'a submission needs at least one run');
  const results: Partial<Record<Tau2SubmissionDomain, Tau2DomainResults>> = {};
  const domains: Tau2SubmissionExport['domains'] = {};
  const agentModels = new Set<string>();
  const userModels = new Set<string>();
  const notes: string[] = [];
  let imported = false;
  let native = false;
  let omitted = false;
  let tau2Version = options.tau2Version;
  let retrievalConfig = options.retrievalConfig;
  let reasoningEffort = options.reasoningEffort;
  let evaluationDate: string | undefined;

  for (const runId of runIds) {
    const run = await requireRun(store, runId);
    const domain = SUBMISSION_DOMAIN_OF[run.config.domain];
    if (!domain)
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `run ${runId} is of ${run.config.domain}; a τ² submission reports ${TAU2_SUBMISSION_DOMAINS.join(', ')} only`,
        {
          hint: 'export runs of tau2-bench/retail, tau2-bench/telecom, tau2-bench/banking_knowledge (or airline)',
        },
      );
    if (results[domain])
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `two runs of ${domain} (${domains[domain]!.runId} and ${runId}); a submission has one result per domain`,
      );
    if (run.config.agents.length !== 1)
      throw new GroundworkError('INVALID_ARGUMENT', `run ${runId} has ${run.config.agents.length} agents; a submission reports one model`, {
        hint: 'run one agent per run',
      });
    const tasks = new Map((await store.runTasks(runId)).map((t) => [t.id, t]));
    // τ² asks for every task of the standard (`base`) split.
    const built = domainFor(run.config, options.domains);
    const standard = built.tasks({ split: built.splits.includes('base') ? 'base' : built.defaultSplit }).map((t) => t.id);
    const episodes: SubmissionEpisode[] = [];
    const rows: { order: number; episode: SubmissionEpisode }[] = [];
    let runImported = false;
    for await (const record of store.iterateEpisodes(runId)) {
      const participants = record.trajectory.participants;
      const importInfo = objectOf(participants.import);
      if (importInfo.format === 'tau2') {
        runImported = true;
        const commit = str(importInfo.tau2GitCommit);
        if (!tau2Version && commit && commit !== 'unknown') tau2Version = commit;
        if (!retrievalConfig && str(importInfo.retrievalConfig)) retrievalConfig = str(importInfo.retrievalConfig);
      }
      const agentModel = modelOf(participants.agent);
      if (agentModel) agentModels.add(agentModel);
      const userModel = modelOf(participants.user);
      if (userModel) userModels.add(userModel);
      if (!reasoningEffort) reasoningEffort = str(objectOf(objectOf(participants.agent).llm_args).reasoning_effort);
      // τ²'s metrics take simulations in file order; imported episodes keep theirs.
      const order = typeof importInfo.index === 'number' ? importInfo.index : rows.length;
      rows.push({ order, episode: submissionEpisode(record) });
      const started = record.trajectory.startedAt.slice(0, 10);
      if (!started.startsWith('1970') && (!evaluationDate || started > evaluationDate)) evaluationDate = started;
    }
    rows.sort((a, b) => a.order - b.order);
    for (const row of rows) episodes.push(row.episode);
    if (episodes.length === 0) throw new GroundworkError('INVALID_ARGUMENT', `run ${runId} has no episodes`);
    if (runImported) imported = true;
    else native = true;
    const pending = episodes.filter((e) => e.success === null && !e.infraError).length;
    if (pending > 0 && !options.allowPending)
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `run ${runId}: ${pending} episode(s) have τ² rewards awaiting a judge (NL assertions), so pass^k is incomplete`,
        {
          hint: `judge them first (groundwork regrade ${runId} --judge MODEL), or pass --allow-pending to count them as failures`,
        },
      );
    if (pending > 0) notes.push(`${domain}: ${pending} episode(s) whose reward awaited an NL-assertion judge were counted as failures.`);
    const metrics = tau2DomainMetrics(episodes, run.config.trials, (id) => tau2ActionCount(tasks.get(id)));
    const domainResults: Tau2DomainResults = { ...metrics.results };
    if (domain === 'banking_knowledge') {
      // A Groundwork run's retrieval configuration is its domain variant (τ²'s names).
      retrievalConfig ??= built.variant;
      if (!retrievalConfig)
        throw new GroundworkError('INVALID_ARGUMENT', `run ${runId}: a banking_knowledge result needs its retrieval method`, {
          hint: 'pass --retrieval-config NAME (e.g. bm25, alltools)',
        });
      domainResults.retrieval_config = retrievalConfig;
    }
    results[domain] = domainResults;
    domains[domain] = { ...metrics, runId, pending };
    const covered = new Set(episodes.filter((e) => !e.infraError).map((e) => e.taskId));
    const missing = standard.filter((id) => !covered.has(id)).length;
    if (missing > 0) {
      omitted = true;
      notes.push(`${domain}: ${missing} of the ${standard.length} standard tasks have no evaluated episode.`);
    }
    if (metrics.results.pass_4 === null)
      notes.push(`${domain}: ${metrics.tasks} tasks with fewer than 4 trials each; higher pass^k left null.`);
    if (!evaluationDate) evaluationDate = run.createdAt.slice(0, 10);
  }

  const modelName = options.modelName ?? (agentModels.size === 1 ? [...agentModels][0] : undefined);
  if (!modelName)
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      agentModels.size > 1
        ? `the runs use different agent models (${[...agentModels].join(', ')}); a submission reports one`
        : 'the runs do not name the agent model',
      { hint: 'pass --model-name NAME' },
    );
  if (!options.modelOrganization)
    throw new GroundworkError('INVALID_ARGUMENT', 'a submission names the organization that developed the model', {
      hint: 'pass --model-organization ORG',
    });
  const userSimulator = userModels.size === 1 ? [...userModels][0]! : userModels.size > 1 ? [...userModels].join(', ') : null;
  if (userModels.size > 1) notes.push(`Different user simulators across domains: ${[...userModels].join(', ')}.`);
  const source = imported && native ? 'imported τ² results and Groundwork runs' : imported ? 'imported τ² results' : 'Groundwork runs';
  notes.unshift(
    `Exported by Groundwork from ${source} (${runIds.join(', ')}); rewards are τ²'s rule as recomputed by Groundwork` +
      (native ? "; Groundwork's harness (agent scaffold, user simulator, orchestration) was used, not τ²'s." : '.'),
  );
  if (options.notes) notes.push(options.notes);
  const today = (options.now ?? (() => new Date()))().toISOString().slice(0, 10);
  const submission: Tau2Submission = {
    model_name: modelName,
    model_organization: options.modelOrganization,
    submitting_organization: options.submittingOrganization ?? options.modelOrganization,
    submission_date: options.submissionDate ?? today,
    submission_type: options.submissionType ?? (native ? 'custom' : 'standard'),
    modality: 'text',
    contact_info: { email: options.contactEmail ?? null, name: options.contactName ?? null, github: options.github ?? null },
    results,
    is_new: options.isNew ?? false,
    trajectories_available: false,
    methodology: {
      evaluation_date: evaluationDate ?? null,
      tau2_bench_version: tau2Version ?? null,
      user_simulator: userSimulator,
      notes: notes.join(' '),
      verification: {
        // Groundwork's own agent and user prompts are not τ²'s; for imported results it is unknown.
        modified_prompts: native ? true : null,
        omitted_questions: omitted,
        details: native ? "Groundwork's agent and user-simulator prompts, not τ²'s." : null,
      },
    },
    ...(reasoningEffort ? { reasoning_effort: reasoningEffort } : {}),
  };
  const parsed = tau2SubmissionSchema.safeParse(submission);
  if (!parsed.success)
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `the submission does not match τ²'s schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      { hint: 'check the --date and other options' },
    );
  return { submission: parsed.data, domains };
}
