import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Agent } from '../agents/agent.ts';
import type { Domain } from '../domains/domain.ts';
import { builtInDomains, type DomainRegistry } from '../domains/registry.ts';
import { runEpisode, type EpisodeResult } from '../episode/orchestrator.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { describeError, GroundworkError } from '../errors.ts';
import { gradeEpisode } from '../grading/grade.ts';
import { probePack, probeTasks } from '../probes/index.ts';
import { OUTCOME_SCHEMA_VERSION, type Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import type { EpisodeAudit } from '../schema/audit.ts';
import { taskContentHash } from '../schema/task-hash.ts';
import { TRAJECTORY_SCHEMA_VERSION, type Trajectory } from '../schema/trajectory.ts';
import { episodeKey, type EpisodeRecord, type LeaseOwner, type RunLease, type RunRecord, type Store, requireRun } from '../store/store.ts';
import type { TableState } from '../state/table-state.ts';
import type { UserSimulator } from '../users/user.ts';
import { deferredToCheckPhase } from '../util/check-phase.ts';
import { buildAgent, buildUser, type ParticipantFactory } from './build.ts';
import { runConfigSchema, type RunConfig, type RunConfigInput } from '../schema/run-config.ts';
import { checkConcurrency, checkPlannedTasks, checkPlanSize, planEpisodes, type EpisodeSpec } from './plan.ts';

/** Progress of a run, reported after every stored episode. */
export interface RunProgress {
  done: number;
  total: number;
  /** Episodes already stored when this invocation started (resume). */
  skipped: number;
  last?: { agent: string; taskId: string; trial: number; reward: number; termination: string };
}

/** Options of `createRun`. */
export interface CreateRunOptions {
  /** Builds model-backed agents and users (checked here, so a bad agent name fails before the run is stored). */
  participants?: ParticipantFactory;
  /** Clock, injectable for deterministic tests. */
  now?: () => Date;
  /** The domains to take the config's `domain` from. @default builtInDomains */
  domains?: DomainRegistry;
  /** Most episodes (tasks × agents × trials) the run may plan. @default MAX_PLANNED_EPISODES */
  maxEpisodes?: number;
}

/** Options of `executeRun`. */
export interface ExecuteRunOptions {
  store: Store;
  /** Builds model-backed agents and users (see `ParticipantFactory`). */
  participants?: ParticipantFactory;
  onProgress?: (progress: RunProgress) => void;
  /** Abort to stop scheduling new episodes; in-flight ones finish and are stored. */
  signal?: AbortSignal;
  /** Clock, injectable for deterministic tests. */
  now?: () => Date;
  /** The domains to build the run's domain from (by the config's `domain` name). @default builtInDomains */
  domains?: DomainRegistry;
  /** Delete the run's infra_error episodes first, so exactly those run again. @default false */
  retryErrors?: boolean;
  /**
   * The run's tasks exactly as `store.runTasks(runId)` gave them, when the caller has just read them
   * (the CLI does, for its auditor): not read and validated a second time. @default read from the store
   */
  tasks?: readonly Task[];
  /** The run's lease (see `leaseTiming`). @default leaseTiming() */
  lease?: LeaseTiming;
  /**
   * Audits each episode once it is graded; the audit is stored with the episode in one transaction
   * (the CLI passes the audit-runner's episode auditor: the runner cannot import it, same layer).
   * Called at the event loop's next check phase, back to back with the other episodes graded since,
   * in the order they were graded (see `deferredToCheckPhase`: about a third of the CPU at high
   * concurrency). `domain` is the run's domain, built once by the runner. An audit that throws (or
   * returns undefined) leaves the episode stored without an audit; `onAuditError` hears of it. A
   * promise (an audit made on another thread) is awaited: the episode is stored when its audit arrives.
   */
  auditEpisode?: (graded: GradedEpisode, task: Task, domain: Domain) => EpisodeAudit | undefined | Promise<EpisodeAudit | undefined>;
  /** An episode's audit threw: the episode is stored without one (the end-of-run summary audits it again). */
  onAuditError?: (episodeId: string, error: unknown) => void;
  /**
   * Runs, grades and audits episodes somewhere else (the CLI's episode threads) instead of in this
   * thread: the runner still plans, skips what is stored, stores each result with its audit and
   * reports progress. `auditEpisode` is not called then (the executor audits). An executor that
   * rejects (a crashed thread) stops the run: no new episode starts, those in flight elsewhere are
   * stored, the run is left `interrupted` and the rejection is thrown. The caller closes it.
   */
  runEpisodes?: EpisodeExecutor;
}

/** What an `EpisodeExecutor` made of one episode. */
export interface ExecutedEpisode {
  record: EpisodeRecord;
  audit?: EpisodeAudit;
  /** Why the episode's audit failed (it is stored without one; `onAuditError` hears of it). */
  auditError?: unknown;
}

/** Runs, grades and audits one episode of a run away from the runner (see `ExecuteRunOptions.runEpisodes`). */
export interface EpisodeExecutor {
  run(spec: EpisodeSpec, task: Task): Promise<ExecutedEpisode>;
  /**
   * The same in two steps, when the executor can tell: resolves once the episode is played, with
   * its result still to come (`executed`). The runner then starts the lane's next episode at once,
   * as it does on its own thread. A failure rejects whichever of the two is pending.
   */
  play?(spec: EpisodeSpec, task: Task): Promise<{ executed: Promise<ExecutedEpisode> }>;
  close(): Promise<void>;
}

/** How long a run's lease lasts without a heartbeat, and how often the heartbeat renews it. */
export interface LeaseTiming {
  ttlMs: number;
  heartbeatMs: number;
}

/**
 * Lease timing: expiry 15 s, heartbeat every 5 s. `GROUNDWORK_LEASE_MS` sets the expiry (the
 * heartbeat is a third of it), e.g. for tests that wait for a killed run's lease to expire.
 */
export function leaseTiming(env: NodeJS.ProcessEnv = process.env): LeaseTiming {
  const raw = env.GROUNDWORK_LEASE_MS;
  if (raw === undefined || raw === '') return { ttlMs: 15_000, heartbeatMs: 5_000 };
  if (!/^\d+$/.test(raw) || Number(raw) < 300 || Number(raw) > 86_400_000)
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `GROUNDWORK_LEASE_MS must be milliseconds from 300 to 86400000, not ${JSON.stringify(raw)}`,
      {
        hint: 'unset it for the default of 15000',
      },
    );
  const ttlMs = Number(raw);
  return { ttlMs, heartbeatMs: Math.floor(ttlMs / 3) };
}

/** RUN_BUSY: another live process holds the run's lease; names its pid and how to proceed. */
export function runBusyError(runId: string, holder: RunLease): GroundworkError {
  return new GroundworkError(
    'RUN_BUSY',
    `run ${runId} is being run by pid ${holder.pid} on ${holder.host} (lease held until ${new Date(holder.expiresAt).toISOString()})`,
    { hint: `wait for it to finish, or stop that process (kill ${holder.pid}) and then resume: groundwork run --resume ${runId}` },
  );
}

/** This process's lease owner id: pid + host + random, unique per invocation. */
export function leaseOwner(): LeaseOwner {
  const host = hostname();
  return { owner: `${process.pid}@${host}#${randomBytes(4).toString('hex')}`, pid: process.pid, host };
}

/** What `executeRun` did. */
export interface ExecuteRunResult {
  runId: string;
  status: 'finished' | 'interrupted';
  /** Episodes run by this invocation. */
  ran: number;
  /** Episodes found already stored (resume). */
  skipped: number;
  planned: number;
  /** Infra-error episodes deleted to run again (`retryErrors`). */
  retried: number;
  durationMs: number;
}

/** A new run id: time-ordered and unique. */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `run-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Build the domain of a config from a registry (by default the built-in domains). */
export function domainFor(config: RunConfig, domains: DomainRegistry = builtInDomains): Domain {
  return domains.create(config.domain, config.domainOptions);
}

/**
 * Select the tasks of a config from its domain. With `probes`, the tasks are the pack's variants of
 * the first `tasks.count` base scenarios (all when absent); `tasks.ids` then names variant ids.
 */
export function selectTasks(domain: Domain, config: RunConfig): Task[] {
  const split = config.split ?? domain.defaultSplit;
  if (!config.probes) return domain.tasks({ split, count: config.tasks.count, ids: config.tasks.ids });
  const variants = probeTasks(domain, config.probes.pack, { split, ...(config.tasks.ids ? {} : { count: config.tasks.count }) });
  if (!config.tasks.ids) return variants;
  const byId = new Map(variants.map((task) => [task.id, task]));
  const unknown = config.tasks.ids.filter((id) => !byId.has(id));
  if (unknown.length > 0)
    throw new GroundworkError(
      'UNKNOWN_TASK',
      `no ${config.probes.pack} variant ${unknown.map((id) => JSON.stringify(id)).join(', ')} in ${config.domain}/${split}`,
      {
        hint: `variant ids are <base task>~${config.probes.pack}~<variant>, e.g. ${variants
          .slice(0, 3)
          .map((t) => t.id)
          .join(', ')}${variants.length > 3 ? ` (${variants.length} in all: groundwork probes list)` : ''}`,
      },
    );
  return config.tasks.ids.map((id) => byId.get(id)!);
}

/**
 * The config with its probe pack's domain options (honeypot: `{honeypots: true}`) merged into
 * `domainOptions`, so everything that rebuilds the domain from the stored config (resume, audit,
 * report, regrade, export, the viewer) builds the same one.
 */
export function withProbeDomainOptions(config: RunConfig): RunConfig {
  if (!config.probes) return config;
  const extra = probePack(config.probes.pack).domainOptions;
  return extra ? { ...config, domainOptions: { ...config.domainOptions, ...extra } } : config;
}

/** A validated run config with its selected tasks: everything a new run stores but its id. */
export interface RunPlan {
  config: RunConfig;
  tasks: Task[];
  /** Content hash of each task against the state it starts from, by task id. */
  taskHashes: Record<string, string>;
}

/**
 * Validates a config and selects its tasks without touching any store, so a caller can refuse bad
 * input before it opens (or creates) a database. Participants are built once here so an unknown
 * agent fails at this point.
 */
export function planRun(input: RunConfigInput, options: Pick<CreateRunOptions, 'participants' | 'domains' | 'maxEpisodes'> = {}): RunPlan {
  const parsed = runConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new GroundworkError(
      'INVALID_CONFIG',
      `invalid run config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      { hint: 'see `groundwork run --help` and `groundwork schema`' },
    );
  const config = withProbeDomainOptions(parsed.data);
  // Sizes first: a huge count must fail here, before a domain generates or a plan allocates anything.
  checkConcurrency(config.concurrency);
  const size = { agents: config.agents.length, trials: config.trials };
  checkPlanSize({ ...size, tasks: config.tasks.count ?? config.tasks.ids?.length }, options.maxEpisodes);
  const domain = domainFor(config, options.domains);
  config.split ??= domain.defaultSplit;
  for (const agent of config.agents) buildAgent(agent, domain, options.participants);
  buildUser(config.user, options.participants);
  if (new Set(config.agents).size !== config.agents.length)
    throw new GroundworkError('INVALID_ARGUMENT', `agent listed twice: ${config.agents.join(', ')}`);
  const tasks = selectTasks(domain, config);
  if (tasks.length === 0) throw new GroundworkError('INVALID_ARGUMENT', `no tasks selected from ${config.domain}/${config.split}`);
  checkPlanSize({ ...size, tasks: tasks.length }, options.maxEpisodes);
  checkPlannedTasks(tasks, `${config.domain}/${config.split}`);
  // Hashed against the state each task starts from, so tasks of different worlds never pair.
  const taskHashes = Object.fromEntries(tasks.map((task) => [task.id, taskContentHash(task, initialStateFor(domain, task).hash())]));
  return { config, tasks, taskHashes };
}

/** Stores a new run from a plan (see `planRun`) and returns its id. Nothing runs yet. */
export async function createPlannedRun(
  store: Store,
  plan: RunPlan,
  options: { now?: () => Date } = {},
): Promise<{ runId: string; config: RunConfig; tasks: Task[] }> {
  const { config, tasks, taskHashes } = plan;
  const now = options.now ?? (() => new Date());
  const runId = newRunId(now());
  await store.createRun({
    id: runId,
    config,
    tasks,
    planned: tasks.length * config.agents.length * config.trials,
    createdAt: now().toISOString(),
    taskHashes,
  });
  return { runId, config, tasks };
}

/**
 * Validates a config, stores a new run with its tasks, and returns its id. Nothing runs yet.
 * Participants are built once here so an unknown agent fails before anything is stored.
 */
export async function createRun(
  store: Store,
  input: RunConfigInput,
  options: CreateRunOptions = {},
): Promise<{ runId: string; config: RunConfig; tasks: Task[] }> {
  return createPlannedRun(store, planRun(input, options), options);
}

/**
 * Runs a bounded pool of episode jobs, `concurrency` at a time. A job plays one episode and hands
 * back the promise of what follows (its grading, audit and storage; nothing when nothing is
 * stored). Its lane starts the next episode without waiting for that, so a model-bound episode's
 * first call goes out before the work on the last one (and on every episode that ended with it),
 * but holds at most one unsettled save. Resolves once every save has settled; a save that fails
 * stops the scheduling and rejects at once, as an awaited save did.
 */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal | undefined,
  job: (item: T) => Promise<{ stored: Promise<void> } | undefined>,
): Promise<void> {
  let next = 0;
  let stopped = false;
  let fail!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    let unsettled: Promise<void> | undefined;
    while (next < items.length && !stopped && !signal?.aborted) {
      const item = items[next++];
      const turn = eventLoopTurn();
      const stored = (await job(item))?.stored;
      stored?.catch((error: unknown) => {
        stopped = true;
        fail(error);
      });
      // Built-in participants never wait on I/O: an episode that did not let the event loop turn
      // yields once, so signals, timers and the group commit are handled between episodes.
      if (!turn.passed()) await turn.promise;
      await unsettled;
      unsettled = stored;
    }
    await unsettled;
  });
  await Promise.race([Promise.all(lanes), failed]);
}

/** The event loop's next check phase (setImmediate), and whether it has come yet. */
function eventLoopTurn(): { passed: () => boolean; promise: Promise<void> } {
  let passed = false;
  const promise = new Promise<void>((resolve) =>
    setImmediate(() => {
      passed = true;
      resolve();
    }),
  );
  return { passed: () => passed, promise };
}

/** An outcome for an episode that could not be graded normally (infra error before any state). */
function infraOutcome(note: string): Outcome {
  return {
    schemaVersion: OUTCOME_SCHEMA_VERSION,
    reward: 0,
    alternative: -1,
    state: { pass: false, predicates: [] },
    collateral: { pass: true, changes: [] },
    communication: { pass: false, items: [] },
    diff: [],
    note,
    graderVersion: 'none',
  };
}

/**
 * Runs (or resumes) a stored run: every planned episode not yet stored is run, graded and
 * committed as it finishes. Safe to call again after a crash or SIGKILL: stored episodes are
 * never repeated or duplicated.
 */
export async function executeRun(runId: string, options: ExecuteRunOptions): Promise<ExecuteRunResult> {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  const started = Date.now();
  const run = await requireRun(store, runId);
  // One process per run: a second one is refused while the first holds a live lease, so no episode
  // is paid for twice. Taken before anything changes (even --retry-errors' deletions).
  const timing = options.lease ?? leaseTiming();
  const me = leaseOwner();
  const taken = await store.acquireLease(runId, me, timing.ttlMs);
  if (!taken.acquired) throw runBusyError(runId, taken.holder);
  // The heartbeat renews the lease; if another process took it over (we stalled past expiry), stop
  // scheduling episodes at once.
  const lost = new AbortController();
  const heartbeat = setInterval(() => {
    store.renewLease(runId, me.owner, timing.ttlMs).then(
      (ours) => ours || lost.abort(),
      // A failed write (busy, disk) is not a lost lease: the next beat tries again, and a failing
      // disk stops the run through saveEpisode's error.
      () => undefined,
    );
  }, timing.heartbeatMs);
  heartbeat.unref();
  try {
    return await executeLeased(
      run,
      options,
      started,
      now,
      options.signal ? AbortSignal.any([options.signal, lost.signal]) : lost.signal,
      lost.signal,
    );
  } finally {
    clearInterval(heartbeat);
    // Released after the final status is stored; a crash before this leaves a lease that expires.
    if (!lost.signal.aborted) await store.releaseLease(runId, me.owner).catch(() => undefined);
  }
}

/** `executeRun` once the run's lease is held. */
async function executeLeased(
  run: RunRecord,
  options: ExecuteRunOptions,
  started: number,
  now: () => Date,
  signal: AbortSignal,
  lost: AbortSignal,
): Promise<ExecuteRunResult> {
  const { store } = options;
  const runId = run.id;
  const config = run.config;
  const domain = domainFor(config, options.domains);
  const tasks = options.tasks ?? (await store.runTasks(runId));
  const tasksById = new Map(tasks.map((t) => [t.id, t]));
  const plan = planEpisodes(runId, config.seed, tasks, config.agents, config.trials);
  const retried = options.retryErrors ? await store.deleteInfraErrors(runId) : 0;
  const stored = await store.episodeKeys(runId);
  const todo = plan.filter((spec) => !stored.has(episodeKey(spec.agent, spec.taskId, spec.trial)));
  const skipped = plan.length - todo.length;
  await store.setRunStatus(runId, 'running');

  const executor = options.runEpisodes;
  // Built only when something is left to run here, so a complete run resumes as a no-op even when
  // its agent cannot run here (e.g. imported trajectories).
  const local = todo.length > 0 && !executor;
  const agents = new Map<string, Agent>(local ? config.agents.map((name) => [name, buildAgent(name, domain, options.participants)]) : []);
  const user: UserSimulator | undefined = local ? buildUser(config.user, options.participants) : undefined;
  let done = skipped;
  options.onProgress?.({ done, total: plan.length, skipped });
  // An executor that fails stops the scheduling; its error is thrown once the run's status is stored.
  const failed = new AbortController();
  let failure: { error: unknown } | undefined;
  // Grades and audits at the event loop's check phase, back to back (see deferredToCheckPhase).
  const grade = gradeLater();
  const auditLater = options.auditEpisode && deferredToCheckPhase(options.auditEpisode);

  // Durable when this resolves (the lane goes on meanwhile); progress counts stored episodes only.
  const save = (spec: EpisodeSpec, record: EpisodeRecord, audit: EpisodeAudit | undefined) =>
    store.saveEpisode(record, audit).then(() => {
      done++;
      options.onProgress?.({
        done,
        total: plan.length,
        skipped,
        last: { agent: spec.agent, taskId: spec.taskId, trial: spec.trial, reward: record.reward, termination: record.termination },
      });
    });

  await pool(todo, config.concurrency, executor ? AbortSignal.any([signal, failed.signal]) : signal, async (spec: EpisodeSpec) => {
    const task = tasksById.get(spec.taskId)!;
    if (executor) {
      // An executor that fails stops the scheduling; the run ends once the saves in flight settle.
      const stop = (error: unknown) => {
        failure ??= { error };
        failed.abort();
      };
      const store = (executed: ExecutedEpisode) => {
        if (executed.auditError !== undefined) options.onAuditError?.(executed.record.id, executed.auditError);
        return save(spec, executed.record, executed.audit);
      };
      if (executor.play) {
        let played: { executed: Promise<ExecutedEpisode> };
        try {
          played = await executor.play(spec, task);
        } catch (error) {
          stop(error);
          return undefined;
        }
        return { stored: played.executed.then(store, stop) };
      }
      let executed: ExecutedEpisode;
      try {
        executed = await executor.run(spec, task);
      } catch (error) {
        stop(error);
        return undefined;
      }
      return { stored: store(executed) };
    }
    // The lane starts its next episode as soon as this one is played: grading, the audit and the
    // save follow meanwhile, so a model-bound lane's next request does not wait for the episodes
    // graded and audited with this one (at c = 256 in step, all of them).
    const played = await runUngradedEpisode(spec, task, domain, agents.get(spec.agent)!, user!, config, now);
    const stored = played
      .graded(grade)
      .then(async (graded) => save(spec, graded.record, await auditOf(graded, task, domain, options, auditLater)));
    return { stored };
  });

  if (lost.aborted)
    throw new GroundworkError('RUN_BUSY', `run ${runId} was taken over by another process after this one stalled past its lease`, {
      hint: `see groundwork runs; resume later with groundwork run --resume ${runId}`,
    });
  const complete = (await store.episodeKeys(runId)).size >= plan.length;
  const status = complete ? 'finished' : 'interrupted';
  await store.setRunStatus(runId, status);
  if (failure) throw failure.error;
  return { runId, status, ran: done - skipped, skipped, retried, planned: plan.length, durationMs: Date.now() - started };
}

/** The episode's audit by `audit` (`options.auditEpisode`, deferred), if any; an audit that fails never loses the episode. */
async function auditOf(
  graded: GradedEpisode,
  task: Task,
  domain: Domain,
  options: ExecuteRunOptions,
  audit: ExecuteRunOptions['auditEpisode'],
): Promise<EpisodeAudit | undefined> {
  if (!audit) return undefined;
  try {
    return await audit(graded, task, domain);
  } catch (error) {
    options.onAuditError?.(graded.record.id, error);
    return undefined;
  }
}

/** A graded episode record, with the states it was graded on (absent when the episode crashed outside its participants). */
export interface GradedEpisode {
  record: EpisodeRecord;
  initialState?: TableState;
  finalState?: TableState;
}

/** Grades a played episode: `gradeEpisode`, or the same deferred (see `gradeLater`). */
export type EpisodeGrader = (input: Parameters<typeof gradeEpisode>[0]) => Outcome | Promise<Outcome>;

/**
 * `gradeEpisode` at the event loop's next check phase, the episodes that ended since graded back
 * to back (see `deferredToCheckPhase`): one per run or worker, for `runGradedEpisode`. Against a
 * 100 ms model at c = 256 it takes about 6% of the harness's CPU per call away (docs/scale.md).
 */
export function gradeLater(): EpisodeGrader {
  return deferredToCheckPhase(gradeEpisode);
}

/**
 * Run and grade one episode exactly as `executeRun` does (the runner's own path, shared with
 * `serve`, whose agent is a remote client). Never throws for the episode's own failures: a crash
 * outside the participants becomes a stored `infra_error` record. `grade`: how it is graded (the
 * runner passes `gradeLater()`; the outcome is the same).
 */
export async function runGradedEpisode(
  spec: EpisodeSpec,
  task: Task,
  domain: Domain,
  agent: Agent,
  user: UserSimulator,
  config: Pick<RunConfig, 'maxSteps' | 'maxInvalidToolCalls' | 'outcomeReport'>,
  now: () => Date,
  grade: EpisodeGrader = gradeEpisode,
): Promise<GradedEpisode> {
  return (await runUngradedEpisode(spec, task, domain, agent, user, config, now)).graded(grade);
}

/** An episode played to its end and not graded yet: `graded` grades it (never rejects for the episode's own failures). */
export interface UngradedEpisode {
  graded(grade?: EpisodeGrader): Promise<GradedEpisode>;
}

/**
 * The first half of `runGradedEpisode`: the episode played, its grading left to the caller. The
 * runner's lanes start their next episode here and grade, audit and store this one meanwhile, so
 * a model-bound lane's next request never waits on that work (see `executeRun`).
 */
export async function runUngradedEpisode(
  spec: EpisodeSpec,
  task: Task,
  domain: Domain,
  agent: Agent,
  user: UserSimulator,
  config: Pick<RunConfig, 'maxSteps' | 'maxInvalidToolCalls' | 'outcomeReport'>,
  now: () => Date,
): Promise<UngradedEpisode> {
  const base = {
    id: spec.episodeId,
    runId: spec.runId,
    agent: spec.agent,
    taskId: spec.taskId,
    trial: spec.trial,
    seed: spec.seed,
    family: task.family,
    split: task.split,
  };
  const crashed = (error: unknown): GradedEpisode => ({ record: crashRecord(base, spec, domain, task, user, now, error) });
  let result: EpisodeResult;
  try {
    result = await runEpisode({
      domain,
      task,
      agent,
      user,
      episodeId: spec.episodeId,
      trial: spec.trial,
      seed: spec.seed,
      maxSteps: config.maxSteps,
      maxInvalidToolCalls: config.maxInvalidToolCalls,
      outcomeReport: config.outcomeReport,
      now,
    });
  } catch (error) {
    return { graded: async () => crashed(error) };
  }
  return {
    async graded(grade = gradeEpisode) {
      try {
        const outcome = await grade({
          domain,
          task,
          initialState: result.initialState,
          finalState: result.finalState,
          trajectory: result.trajectory,
        });
        return {
          record: {
            ...base,
            reward: outcome.reward,
            termination: result.trajectory.termination.reason,
            trajectory: result.trajectory,
            outcome,
            createdAt: now().toISOString(),
          },
          initialState: result.initialState,
          finalState: result.finalState,
        };
      } catch (error) {
        return crashed(error);
      }
    },
  };
}

/** The `infra_error` record of an episode that crashed outside its participants (a bug, a broken domain): recorded, never dropped. */
function crashRecord(
  base: Omit<EpisodeRecord, 'reward' | 'termination' | 'trajectory' | 'outcome' | 'createdAt'>,
  spec: EpisodeSpec,
  domain: Domain,
  task: Task,
  user: UserSimulator,
  now: () => Date,
  error: unknown,
): EpisodeRecord {
  const initial = (() => {
    try {
      return initialStateFor(domain, task).hash();
    } catch {
      return 'unknown';
    }
  })();
  const trajectory: Trajectory = {
    schemaVersion: TRAJECTORY_SCHEMA_VERSION,
    episodeId: spec.episodeId,
    taskId: spec.taskId,
    domain: domain.name,
    agent: spec.agent,
    user: user.name,
    trial: spec.trial,
    seed: spec.seed,
    events: [{ type: 'note', content: `episode crashed: ${describeError(error)}` }],
    termination: { reason: 'infra_error', detail: describeError(error) },
    finalChanges: {},
    initialStateHash: initial,
    finalStateHash: initial,
    steps: 0,
    usage: {},
    participants: {},
    startedAt: now().toISOString(),
    durationMs: 0,
  };
  return {
    ...base,
    reward: 0,
    termination: 'infra_error',
    trajectory,
    outcome: infraOutcome(`episode crashed: ${describeError(error)}`),
    createdAt: now().toISOString(),
  };
}
