import { AUDITOR_VERSION, auditedAgentOrder, problemsFromEpisodes, runAuditRecord, summariseAgentAudits } from '../audits/audit-run.ts';
import { builtInAudits, type AuditRegistry } from '../audits/registry.ts';
import { builtInDomains, type DomainRegistry } from '../domains/registry.ts';
import { describeError } from '../errors.ts';
import type { AgentAudit, EpisodeAudit, RunAudit, TaskProblem } from '../schema/audit.ts';
import type { Task } from '../schema/task.ts';
import { requireRun, type EpisodeRow, type Store } from '../store/store.ts';
import { TASK_LINT_WARNINGS } from '../audits/task-lint.ts';
import { createEpisodeAuditor, isEpisodeProblem, problemKey, runTaskProblemsOf, type EpisodeAuditor } from './episode-auditor.ts';

/** Episode audits written per transaction when audits are made again. */
export const AUDIT_BATCH = 500;

/** Episode audits held in memory at once while summarising (a larger agent is summarised alone). */
export const MAX_AUDITS_IN_MEMORY = 10_000;

/** Missing audits read one by one (by id) rather than by streaming the run's audits. */
const READ_ONE_BY_ONE = 1_000;

/** Options of `summariseStoredRun`. */
export interface SummariseStoredRunOptions {
  /**
   * The auditor that audited the run's episodes in this process (its `auditedWith` says which
   * audits are current, and its kept audits are not read back; made over the run's stored tasks,
   * which are then not read again). Without it, each stored audit says
   * which of the run's own task problems it was made with (`runTaskProblems`): right for runs
   * audited elsewhere (a queue worker, an earlier process, before a regrade).
   */
  auditor?: EpisodeAuditor;
  /** The domains to build the run's domain from when no auditor is given. @default builtInDomains */
  domains?: DomainRegistry;
  /** The audits (when no auditor is given). @default the built-in audits */
  audits?: AuditRegistry;
  /** Clock for the audit's stamp. @default () => new Date() */
  now?: () => Date;
  /** Stops between batches (rejects with the signal's reason); the run audit is not written. */
  signal?: AbortSignal;
  /** Episode audits held in memory at once (agents are summarised in groups under it). @default MAX_AUDITS_IN_MEMORY */
  maxAuditsInMemory?: number;
  /**
   * The caller (`auditStoredRun`) has just stored current audits of exactly these episodes:
   * summarise those, audit nothing again and note nothing (its `notes` say what was skipped).
   */
  only?: ReadonlySet<string>;
  /**
   * Episodes whose stored audits are made again whatever they say: their outcome changed after they
   * were audited (`groundwork regrade`), which a stored audit cannot show when the reward stayed.
   */
  reaudit?: ReadonlySet<string>;
  /** Notes to keep in the run audit (before this function's own). */
  notes?: readonly string[];
  /** The judge model the episode audits were made with (`only`). */
  judge?: string;
}

/** Groups of agents summarised in one pass over the stored audits, each holding at most `max` audits (or one agent). */
function agentPasses(counts: ReadonlyMap<string, number>, max: number): string[][] {
  const passes: string[][] = [];
  let current: string[] = [];
  let held = 0;
  for (const [agent, count] of counts) {
    if (current.length > 0 && held + count > max) {
      passes.push(current);
      current = [];
      held = 0;
    }
    current.push(agent);
    held += count;
  }
  if (current.length > 0) passes.push(current);
  return passes;
}

const sameVersions = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

/**
 * The end of a run's audit, from its stored episode audits (no second auditing pass): audits again
 * only the episodes whose audit is missing (an interrupted or older run, a failed audit) or stale
 * (their task's problems changed after they were audited: see `EpisodeAuditor`; their reward
 * changed, by a regrade; or another auditor version made them), then summarises agent by agent from `store.iterateEpisodeAudits` and stores
 * the run audit. Equal to what `auditStoredRun` makes of the same stored run (but `createdAt`).
 *
 * A queue worker that stores a distributed run's last episode calls this (without an auditor).
 */
export async function summariseStoredRun(store: Store, runId: string, options: SummariseStoredRunOptions = {}): Promise<RunAudit> {
  const run = await requireRun(store, runId);
  const now = options.now ?? (() => new Date());
  // The run's auditor was made over the run's stored tasks: not read (and validated) again.
  const tasks = options.auditor?.tasks ?? (await store.runTasks(runId));
  const tasksById = new Map(tasks.map((t) => [t.id, t]));
  const rows = await store.listEpisodes(runId);
  let auditor = options.auditor;
  const auditorOf = (): EpisodeAuditor =>
    (auditor ??= createEpisodeAuditor({
      domain: (options.domains ?? builtInDomains).create(run.config.domain, run.config.domainOptions),
      tasks,
      registry: options.audits ?? builtInAudits,
    }));
  const registry = auditor?.registry ?? options.audits ?? builtInAudits;

  // The task problems exactly as the offline audit finds them: static lint of every task used, in
  // the run's task order, then those seen in the episodes, in episode order.
  const used = new Set(rows.map((r) => r.taskId));
  const taskProblems: TaskProblem[] = [];
  for (const task of tasks) if (used.has(task.id)) taskProblems.push(...auditorOf().staticProblems(task));
  taskProblems.push(...problemsFromEpisodes(rows, tasksById));
  const problemsByTask = new Map<string, TaskProblem[]>();
  for (const p of taskProblems) {
    const list = problemsByTask.get(p.taskId);
    if (list) list.push(p);
    else problemsByTask.set(p.taskId, [p]);
  }
  // Per task, computed once (every audit of the task asks): its problems' key and the kinds seen in the run.
  const keys = new Map<string, string>();
  const runProblems = new Map<string, string>();
  for (const [taskId, problems] of problemsByTask) {
    keys.set(taskId, problemKey(problems));
    runProblems.set(
      taskId,
      problems
        .filter(isEpisodeProblem)
        .map((p) => p.kind)
        .join(','),
    );
  }
  const noProblems = problemKey([]);
  const keyOf = (taskId: string) => keys.get(taskId) ?? noProblems;
  const runProblemsOf = (taskId: string) => runProblems.get(taskId) ?? '';
  const brokenTasks = new Set(taskProblems.filter((p) => !TASK_LINT_WARNINGS.has(p.kind)).map((p) => p.taskId));
  const rowsById = new Map(rows.map((row) => [row.id, row]));
  const auditedWith = options.auditor?.auditedWith;
  const { only, reaudit } = options;
  // An audit is current when the same audits made it, from the episode as it is stored now (its
  // reward: a regrade changes it), with the task problems the stored run shows now.
  const current = (audit: EpisodeAudit): boolean => {
    if (only) return only.has(audit.episodeId);
    if (reaudit?.has(audit.episodeId)) return false;
    if (audit.auditorVersion !== AUDITOR_VERSION || !audit.versions || !sameVersions(audit.versions, registry.versions)) return false;
    const row = rowsById.get(audit.episodeId);
    if (!row || audit.reward !== row.reward || audit.termination !== row.termination) return false;
    const key = auditedWith?.get(audit.episodeId);
    if (key !== undefined) return key === keyOf(audit.taskId);
    if (runTaskProblemsOf(audit).join(',') !== runProblemsOf(audit.taskId)) return false;
    // Audits stored before they recorded their problems: a failed episode's fault is the task's
    // exactly when the task has a problem that is not a mere warning (`attributeFault`).
    const failed = row.reward < 1 && row.termination !== 'infra_error';
    return !failed || registry.versions.faultCauses === undefined || (audit.fault?.cause === 'task') === brokenTasks.has(audit.taskId);
  };

  // Episodes by agent in the store's episode order (the offline audit's order, which summaries keep).
  const rowsByAgent = new Map<string, EpisodeRow[]>();
  const notes: { at: number; note: string }[] = [];
  rows.forEach((row, at) => {
    if (!tasksById.has(row.taskId)) {
      if (!only) notes.push({ at, note: `episode ${row.id}: task ${row.taskId} is not stored with the run; skipped` });
      return;
    }
    const list = rowsByAgent.get(row.agent);
    if (list) list.push(row);
    else rowsByAgent.set(row.agent, [row]);
  });
  const position = new Map(rows.map((row, at) => [row.id, at]));

  const entries = new Map<string, AgentAudit>();
  let audited = 0;
  const counts = new Map([...rowsByAgent].map(([agent, list]) => [agent, list.length]));
  for (const pass of agentPasses(counts, options.maxAuditsInMemory ?? MAX_AUDITS_IN_MEMORY)) {
    options.signal?.throwIfAborted();
    const agents = new Set(pass);
    const kept = new Map<string, EpisodeAudit>();
    // The audits this process made and kept in memory are not read back; the store is read only when some are missing.
    for (const agent of pass)
      for (const row of rowsByAgent.get(agent)!) {
        const audit = only ? undefined : options.auditor?.kept.get(row.id);
        if (audit && current(audit)) kept.set(row.id, audit);
      }
    const missing = pass.flatMap((agent) => rowsByAgent.get(agent)!.filter((row) => !kept.has(row.id)));
    if (missing.length > 0 && missing.length <= READ_ONE_BY_ONE) {
      // A few (a resumed run's earlier episodes): read by id rather than through the whole run.
      for (const row of missing) {
        const audit = await store.getEpisodeAudit(row.id);
        if (audit && current(audit)) kept.set(row.id, audit);
      }
    } else if (missing.length > 0)
      for await (const audit of store.iterateEpisodeAudits(runId)) {
        if (agents.has(audit.agent) && position.has(audit.episodeId) && !kept.has(audit.episodeId) && current(audit))
          kept.set(audit.episodeId, audit);
      }
    const pending: EpisodeAudit[] = [];
    const flush = async () => {
      if (pending.length > 0) await store.saveEpisodeAudits(runId, pending.splice(0));
    };
    for (const agent of pass) {
      for (const row of rowsByAgent.get(agent)!) {
        if (kept.has(row.id) || only) continue;
        options.signal?.throwIfAborted();
        const task = tasksById.get(row.taskId) as Task;
        const episode = await store.getEpisode(runId, row.id);
        if (!episode) continue;
        try {
          auditorOf().initialState(task);
        } catch (error) {
          notes.push({
            at: position.get(row.id)!,
            note: `episode ${row.id}: cannot rebuild the initial state (${describeError(error)}); skipped`,
          });
          continue;
        }
        const audit = auditorOf().auditWith({ record: episode }, task, problemsByTask.get(task.id) ?? []);
        kept.set(row.id, audit);
        pending.push(audit);
        if (pending.length >= AUDIT_BATCH) await flush();
      }
    }
    await flush();
    for (const agent of pass) {
      const list = rowsByAgent.get(agent)!.flatMap((row) => kept.get(row.id) ?? []);
      if (list.length === 0) continue;
      entries.set(agent, summariseAgentAudits(list, { registry }));
      audited += list.length;
    }
  }
  options.signal?.throwIfAborted();
  const agents: Record<string, AgentAudit> = {};
  for (const agent of auditedAgentOrder(run.config.agents, new Set(entries.keys()))) agents[agent] = entries.get(agent)!;
  const runAudit = runAuditRecord(runId, agents, audited, {
    taskProblems,
    createdAt: now().toISOString(),
    ...(options.judge ? { judge: options.judge } : {}),
    notes: [...(options.notes ?? []), ...notes.sort((a, b) => a.at - b.at).map((n) => n.note)],
    registry,
  });
  await store.saveRunAudit(runId, runAudit);
  return runAudit;
}
