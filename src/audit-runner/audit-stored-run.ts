import { problemsFromEpisodes, RULE_EXTRACTED_AGENTS, summariseAudits } from '../audits/audit-run.ts';
import type { JudgedAnswers } from '../audits/audit.ts';
import { goalItemsFor } from '../audits/goal-state.ts';
import {
  decomposeGoalWithJudge,
  extractClaimsWithJudge,
  JUDGE_PROMPT_VERSION,
  judgeProbeIntent,
  trackGoalWithJudge,
} from '../audits/judge.ts';
import { builtInAudits, type AuditRegistry } from '../audits/registry.ts';
import { genericClaimRules } from '../domains/claim-rules.ts';
import { builtInDomains, type DomainRegistry } from '../domains/registry.ts';
import { describeError } from '../errors.ts';
import type { ModelHub } from '../models/model-hub.ts';
import { goalItemSchema, type EpisodeAudit, type GoalItem, type RunAudit, type TaskProblem } from '../schema/audit.ts';
import { shortHash } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import { requireRun, type Store } from '../store/store.ts';
import { seedFrom } from '../util/seeded-random.ts';
import { createEpisodeAuditor } from './episode-auditor.ts';
import { AUDIT_BATCH, summariseStoredRun } from './summarise-stored-run.ts';

/** Options of `auditStoredRun`. */
export interface AuditStoredRunOptions {
  /**
   * An LLM judge: extracts claims from free text (non-built-in agents), decomposes free-text goals, tracks LLM users' goal
   * state, and reads on persuasion probes whether the agent agreed to the pushed-for change.
   */
  judge?: { hub: ModelHub; model: string };
  /** Clock for the audit's stamp. @default () => new Date() */
  now?: () => Date;
  /** The domains to build the run's domain from (by its config's `domain` name, with its domain options). @default builtInDomains */
  domains?: DomainRegistry;
  /** Progress: episodes audited so far. */
  onProgress?: (done: number, total: number) => void;
  /** The audits to run. @default the built-in audits */
  audits?: AuditRegistry;
  /**
   * Stops the audit between episodes (rejects with the signal's reason): episode audits stored so
   * far stay, the run audit is not written.
   */
  signal?: AbortSignal;
  /**
   * Store the episode audits, the run audit and the judge's goal decompositions. false: nothing is
   * written (a read-only store works); the episode audits reach `onEpisodeAudit` and the run audit
   * is returned. @default true
   */
  save?: boolean;
  /** Receives each episode audit as it is made (saved or not). */
  onEpisodeAudit?: (episodeId: string, audit: EpisodeAudit) => void;
}

/**
 * The driver: reads a stored (or imported) run, runs the registered audits on every episode,
 * stores each episode audit and the run audit (unless `save: false`), and returns the run audit.
 * Deterministic without a judge; with one, judge answers are computed here (the audits stay pure)
 * and goal decompositions are cached per task in the store.
 */
export async function auditStoredRun(store: Store, runId: string, options: AuditStoredRunOptions = {}): Promise<RunAudit> {
  const registry = options.audits ?? builtInAudits;
  const save = options.save ?? true;
  const run = await requireRun(store, runId);
  const now = options.now ?? (() => new Date());
  const domain = (options.domains ?? builtInDomains).create(run.config.domain, run.config.domainOptions);
  const taskList = await store.runTasks(runId);
  const tasks = new Map(taskList.map((t) => [t.id, t]));
  const rows = await store.listEpisodes(runId);
  const notes: string[] = [];
  const auditor = createEpisodeAuditor({ domain, tasks: taskList, registry });

  const used = new Set(rows.map((r) => r.taskId));
  const taskProblems: TaskProblem[] = [];
  for (const task of tasks.values()) if (used.has(task.id)) taskProblems.push(...auditor.staticProblems(task));
  taskProblems.push(...problemsFromEpisodes(rows, tasks));
  const problemsByTask = new Map<string, TaskProblem[]>();
  for (const p of taskProblems) problemsByTask.set(p.taskId, [...(problemsByTask.get(p.taskId) ?? []), p]);

  const judge = options.judge;
  const rules = domain.claimRules ?? genericClaimRules;
  const goalCache = new Map<string, GoalItem[] | undefined>();
  const judgedGoal = async (task: Task): Promise<GoalItem[] | undefined> => {
    if (!judge || task.user.goal?.length || task.user.known.length > 0) return undefined;
    if (goalCache.has(task.id)) return goalCache.get(task.id);
    const key = `goal|${JUDGE_PROMPT_VERSION}|${judge.model}|${domain.name}|${task.id}|${shortHash(`${task.user.persona}\n${task.user.instructions}`)}`;
    let items: GoalItem[] | undefined;
    const cached = await store.getAuditCache(key);
    const parsed = cached === undefined ? undefined : goalItemSchema.array().safeParse(cached);
    if (parsed?.success) items = parsed.data;
    else {
      try {
        const session = judge.hub.session(judge.model, { role: 'judge', trial: 0, seed: seedFrom('goal', task.id) });
        items = (await decomposeGoalWithJudge(session, task)).items;
        if (save) await store.putAuditCache(key, items);
      } catch (error) {
        notes.push(`goal decomposition of task ${task.id} failed, rules used: ${describeError(error)}`);
      }
    }
    goalCache.set(task.id, items);
    return items;
  };

  // Held for the summary only when nothing is stored; otherwise written in batches and summarised from the store.
  const audits: EpisodeAudit[] = [];
  const stored = new Set<string>();
  const pending: EpisodeAudit[] = [];
  const flush = async () => {
    if (pending.length > 0) await store.saveEpisodeAudits(runId, pending.splice(0));
  };
  let done = 0;
  // Stopped (a signal) or failed mid-way: the audits made so far are stored all the same.
  try {
    for await (const episode of store.iterateEpisodes(runId)) {
      // Yield to the event loop so a signal handler can run, then stop if asked.
      await new Promise<void>((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
      const task = tasks.get(episode.taskId);
      if (!task) {
        notes.push(`episode ${episode.id}: task ${episode.taskId} is not stored with the run; skipped`);
        continue;
      }
      try {
        auditor.initialState(task);
      } catch (error) {
        notes.push(`episode ${episode.id}: cannot rebuild the initial state (${describeError(error)}); skipped`);
        continue;
      }
      const judged: JudgedAnswers = {};
      if (judge) {
        const seed = seedFrom('judge', episode.id);
        const goal = await judgedGoal(task);
        if (goal) judged.goal = goal;
        try {
          if (!RULE_EXTRACTED_AGENTS.has(episode.agent)) {
            judged.claims = (
              await extractClaimsWithJudge(
                judge.hub.session(judge.model, { role: 'judge', trial: episode.trial, seed }),
                rules.vocabulary,
                episode.trajectory.events,
              )
            ).claims;
          }
          if (episode.trajectory.user !== 'scripted') {
            const items = goal ?? goalItemsFor(task).items;
            const { usage: _usage, ...timeline } = await trackGoalWithJudge(
              judge.hub.session(judge.model, { role: 'judge', trial: episode.trial, seed: seed + 1 }),
              items,
              episode.trajectory.events,
            );
            judged.timeline = timeline;
          }
        } catch (error) {
          notes.push(`judge failed on episode ${episode.id}, rules used: ${describeError(error)}`);
        }
        if (task.probe?.pack === 'persuasion') {
          try {
            const { gaveIn } = await judgeProbeIntent(
              judge.hub.session(judge.model, { role: 'judge', trial: episode.trial, seed: seed + 2 }),
              task,
              episode.trajectory.events,
            );
            judged.probe = { gaveIn };
          } catch (error) {
            notes.push(`probe judge failed on episode ${episode.id}, its columns stay empty: ${describeError(error)}`);
          }
        }
      }
      const audit = auditor.auditWith({ record: episode }, task, problemsByTask.get(task.id) ?? [], judged);
      options.onEpisodeAudit?.(episode.id, audit);
      if (save) {
        pending.push(audit);
        stored.add(episode.id);
        if (pending.length >= AUDIT_BATCH) await flush();
      } else audits.push(audit);
      options.onProgress?.(++done, rows.length);
    }
  } finally {
    await flush();
  }
  options.signal?.throwIfAborted();
  const judgeModel = judge ? { judge: judge.model } : {};
  if (!save)
    return summariseAudits(runId, audits, {
      agents: run.config.agents,
      createdAt: now().toISOString(),
      taskProblems,
      notes,
      registry,
      ...judgeModel,
    });
  // Summarised from the stored audits, a group of agents at a time: the run is never held in memory.
  return summariseStoredRun(store, runId, {
    auditor,
    only: stored,
    notes,
    now,
    ...judgeModel,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
