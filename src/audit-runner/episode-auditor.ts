import { auditEpisode, EPISODE_PROBLEM_KINDS } from '../audits/audit-run.ts';
import type { AuditedEpisode, JudgedAnswers } from '../audits/audit.ts';
import { builtInAudits, type AuditRegistry } from '../audits/registry.ts';
import { countTokens, stateTokenIndex, tokenIndexWith, type KeyedRecord } from '../audits/simulator-fidelity.ts';
import { lintTaskStatic } from '../audits/task-lint.ts';
import { createAuditTextWork, createTaskAuditWork, type TaskAuditWork } from '../audits/task-work.ts';
import type { Domain } from '../domains/domain.ts';
import { finalStateFrom, initialStateFor } from '../domains/initial-state.ts';
import { describeError } from '../errors.ts';
import type { EpisodeAudit, TaskProblem } from '../schema/audit.ts';
import type { Task } from '../schema/task.ts';
import { TableState } from '../state/table-state.ts';

/** The light part of an episode that cross-episode task problems are read from (`problemsFromEpisodes`). */
export interface ProblemRow {
  agent: string;
  taskId: string;
  reward: number;
  termination: string;
}

/** A graded episode as the runner has it: the record, and the states it was graded on when it has them. */
export interface GradedForAudit {
  record: AuditedEpisode;
  initialState?: TableState;
  finalState?: TableState;
}

/** Options of `createEpisodeAuditor`. */
export interface EpisodeAuditorOptions {
  /** The run's domain (the one its episodes ran in). */
  domain: Domain;
  /** The run's tasks, as stored with the run (by id: cross-episode problems read `noChange`; the end-of-run summary reads them). */
  tasks: readonly Task[];
  /** The audits to run. @default the built-in audits */
  registry?: AuditRegistry;
  /** Episodes already stored (a resumed run): their cross-episode task problems are known from the start. */
  stored?: readonly ProblemRow[];
  /**
   * Audits `audit` keeps in memory for the end-of-run summary, so a run of up to this many
   * episodes is summarised without reading its audits back (beyond it, the summary streams them
   * from the store). @default 0 (a queue worker keeps none)
   */
  keep?: number;
}

/**
 * Audits one episode at a time, the way `auditStoredRun` audits a stored run, without reading the
 * store: per task, the initial state, its token index and the static lint are computed once;
 * cross-episode task problems (the oracle failing a task, noop passing one) are tracked as
 * episodes arrive. An audit made before such a problem appeared differs from the offline audit:
 * `auditedWith` keeps the problem set each episode was audited with, so the end of the run
 * (`summariseStoredRun`) audits again exactly those whose task's problems changed since.
 */
export interface EpisodeAuditor {
  readonly domain: Domain;
  readonly registry: AuditRegistry;
  /** The run's tasks it was made over, as given. */
  readonly tasks: readonly Task[];
  /**
   * Audit a graded episode from its in-memory record (and states, when given); counts the episode
   * towards its task's cross-episode problems first (the oracle's own failing episode is audited
   * with `oracle_fails`).
   */
  audit(graded: GradedForAudit, task: Task): EpisodeAudit;
  /**
   * Audit an episode with the given task problems (the end-of-run re-audit, and `auditStoredRun`),
   * with judge answers when there are any. Throws when the task's initial state cannot be built.
   */
  auditWith(graded: GradedForAudit, task: Task, taskProblems: readonly TaskProblem[], judged?: JudgedAnswers): EpisodeAudit;
  /** Count an episode towards its task's cross-episode problems (what `audit` does before auditing). */
  observe(row: ProblemRow): void;
  /**
   * Undo `audit` (or `observe`/`begin`) of an episode that was not stored after all (a queue worker
   * whose `saveEpisode` returned false: another attempt stored the slot first): it no longer counts
   * towards its task's problems, and its audit is not kept. Call it once per episode audited.
   */
  forget(record: ProblemRow & { id: string }): void;
  /**
   * The first half of `audit`, for an audit made elsewhere (another thread): counts the episode
   * towards its task's problems and returns the problems to audit it with.
   */
  begin(record: ProblemRow & { id: string }, task: Task): TaskProblem[];
  /** The second half of `audit`: remember the problems an episode was audited with (and keep its audit). */
  finish(episodeId: string, problems: readonly TaskProblem[], audit: EpisodeAudit): void;
  /** The task's static lint problems (`lint_failed` when the lint itself fails), computed once. */
  staticProblems(task: Task): TaskProblem[];
  /** The task problems known so far: static lint, then the cross-episode ones in the order they appeared. */
  problemsOf(task: Task): TaskProblem[];
  /** Problem-set key (see `problemKey`) each episode was audited with by `audit`, by episode id. */
  readonly auditedWith: ReadonlyMap<string, string>;
  /** The audits `audit` made, by episode id, while there are at most `keep` of them (else empty). */
  readonly kept: ReadonlyMap<string, EpisodeAudit>;
  /** The task's initial state (shared: never mutate it), built once. */
  initialState(task: Task): TableState;
}

/**
 * The field of an episode audit that records the kinds of the run's own task problems (the oracle
 * failing the task, noop passing it) it was made with, in order; absent when there were none. A
 * reward changed later (regrade) can make such a problem appear or disappear: `summariseStoredRun`
 * compares this with the problems of the stored run and audits again the audits it no longer fits.
 */
export const RUN_TASK_PROBLEMS_FIELD = 'runTaskProblems';

/** The run's own task problem kinds an audit was made with (its `runTaskProblems`; none when absent). */
export function runTaskProblemsOf(audit: EpisodeAudit): readonly string[] {
  const kinds = (audit as Record<string, unknown>)[RUN_TASK_PROBLEMS_FIELD];
  return Array.isArray(kinds) ? (kinds as string[]) : [];
}

/** Identity of a task's problem list (what an episode's audit depends on). */
export function problemKey(problems: readonly TaskProblem[]): string {
  return problems.length === 0 ? '' : JSON.stringify(problems.map((p) => [p.kind, p.detail]));
}

/** A per-episode auditor over one run's domain and tasks (see `EpisodeAuditor`). */
export function createEpisodeAuditor(options: EpisodeAuditorOptions): EpisodeAuditor {
  const { domain } = options;
  const registry = options.registry ?? builtInAudits;
  const tasks = new Map(options.tasks.map((t) => [t.id, t]));
  const initials = new Map<string, TableState>();
  const indexes = new Map<string, (token: string) => boolean>();
  const lint = new Map<string, TaskProblem[]>();
  // Per task, its cross-episode problems in the order they appeared, each with the episodes counted towards it.
  const cross = new Map<string, Map<string, { problem: TaskProblem; count: number }>>();
  const auditedWith = new Map<string, string>();
  const kept = new Map<string, EpisodeAudit>();
  const keep = options.keep ?? 0;

  const initialState = (task: Task): TableState => {
    let state = initials.get(task.id);
    if (!state) initials.set(task.id, (state = initialStateFor(domain, task)));
    return state;
  };
  // The domain's base state and its token counts, once per run: a task's index is the base's with the task's changes.
  let base: { state: TableState; counts: Map<string, number> } | null | undefined;
  const baseTokens = () => {
    if (base === undefined) {
      try {
        const { tables, hash } = domain.base();
        const state = TableState.over(tables, hash);
        base = { state, counts: countTokens(recordsOf(state)) };
      } catch {
        base = null;
      }
    }
    return base;
  };
  const buildIndex = (state: TableState, hash: string) => {
    const from = baseTokens();
    if (from) {
      // The state is the base plus its changes when the base plus those changes hashes as it does (same base, same changes).
      const changes = state.changesFromBase();
      const rebuilt = from.state.fork();
      rebuilt.apply(changes);
      if (rebuilt.hash() === hash) {
        const removed: KeyedRecord[] = [];
        const added: KeyedRecord[] = [];
        for (const [table, rows] of Object.entries(changes)) {
          for (const [key, record] of Object.entries(rows)) {
            const before = from.state.get(table, key);
            if (before !== undefined) removed.push({ key, record: before });
            if (record !== null) added.push({ key, record });
          }
        }
        return tokenIndexWith(from.counts, removed, added);
      }
    }
    return stateTokenIndex(recordsOf(state));
  };
  const existsOf = (state: TableState) => {
    const hash = state.hash();
    let index = indexes.get(hash);
    if (!index) indexes.set(hash, (index = buildIndex(state, hash)));
    return index;
  };
  const staticProblems = (task: Task): TaskProblem[] => {
    let problems = lint.get(task.id);
    if (!problems) {
      try {
        const initial = initialState(task);
        problems = lintTaskStatic(domain, task, initial, existsOf(initial));
      } catch (error) {
        problems = [{ taskId: task.id, kind: 'lint_failed', detail: describeError(error) }];
      }
      lint.set(task.id, problems);
    }
    return problems;
  };
  // The same rules and wording as `problemsFromEpisodes`, one episode at a time.
  const problemsShownBy = (row: ProblemRow): TaskProblem[] => {
    if (row.termination === 'infra_error') return [];
    const problems: TaskProblem[] = [];
    if (row.agent === 'oracle' && row.reward < 1)
      problems.push({ taskId: row.taskId, kind: 'oracle_fails', detail: 'the oracle (reference solution) fails this task in this run' });
    if (row.agent === 'noop' && row.reward >= 1 && tasks.get(row.taskId)?.noChange === false)
      problems.push({ taskId: row.taskId, kind: 'noop_succeeds', detail: 'a do-nothing agent passes a task that requires a change' });
    return problems;
  };
  const observe = (row: ProblemRow) => {
    for (const problem of problemsShownBy(row)) {
      let ofTask = cross.get(row.taskId);
      if (!ofTask) cross.set(row.taskId, (ofTask = new Map()));
      const counted = ofTask.get(problem.kind);
      if (counted) counted.count++;
      else ofTask.set(problem.kind, { problem, count: 1 });
    }
  };
  const unobserve = (row: ProblemRow) => {
    const ofTask = cross.get(row.taskId);
    for (const problem of problemsShownBy(row)) {
      const counted = ofTask?.get(problem.kind);
      if (counted && --counted.count === 0) ofTask!.delete(problem.kind);
    }
  };
  for (const row of options.stored ?? []) observe(row);
  const problemsOf = (task: Task) => [...staticProblems(task), ...[...(cross.get(task.id)?.values() ?? [])].map((c) => c.problem)];

  // Every episode of a task starts from the same state: its token index is looked up once per task, not hashed per episode.
  const existsByTask = new Map<string, (token: string) => boolean>();
  const existsFor = (task: Task, initial: TableState) => {
    let exists = existsByTask.get(task.id);
    if (!exists) existsByTask.set(task.id, (exists = existsOf(initial)));
    return exists;
  };
  // Likewise the work the audits of a task share, over the auditor's own initial state of the task (which
  // nothing else writes); none when that cannot be built (each audit then reads the episode's own states).
  const texts = createAuditTextWork();
  const workByTask = new Map<string, TaskAuditWork | undefined>();
  const workFor = (task: Task): TaskAuditWork | undefined => {
    if (!workByTask.has(task.id)) {
      let initial: TableState | undefined;
      try {
        initial = initialState(task);
      } catch {
        initial = undefined;
      }
      workByTask.set(task.id, initial && createTaskAuditWork(task, domain, initial, texts));
    }
    return workByTask.get(task.id);
  };

  const auditWith = (graded: GradedForAudit, task: Task, taskProblems: readonly TaskProblem[], judged: JudgedAnswers = {}) => {
    const episode = graded.record;
    const initial = graded.initialState ?? initialState(task);
    const finalState = graded.finalState ?? finalStateFrom(initial, episode.trajectory.finalChanges);
    const work = workFor(task);
    const audit = auditEpisode(
      {
        episode,
        task,
        domain,
        initialState: initial,
        finalState,
        exists: existsFor(task, initial),
        taskProblems,
        judged,
        ...(work ? { work } : {}),
      },
      registry,
    );
    // Which of the run's own task problems it was made with (see RUN_TASK_PROBLEMS_FIELD).
    const runProblems = taskProblems.filter(isEpisodeProblem).map((p) => p.kind);
    return runProblems.length > 0 ? ({ ...audit, [RUN_TASK_PROBLEMS_FIELD]: runProblems } as EpisodeAudit) : audit;
  };

  const begin = (record: ProblemRow, task: Task) => {
    observe(record);
    return problemsOf(task);
  };
  const finish = (episodeId: string, problems: readonly TaskProblem[], audit: EpisodeAudit) => {
    auditedWith.set(episodeId, problemKey(problems));
    // Past `keep`, none are kept: the summary then reads every audit back from the store.
    if (auditedWith.size <= keep) kept.set(episodeId, audit);
    else kept.clear();
  };

  return {
    domain,
    registry,
    tasks: options.tasks,
    auditedWith,
    kept,
    initialState,
    staticProblems,
    problemsOf,
    observe,
    forget(record) {
      unobserve(record);
      auditedWith.delete(record.id);
      kept.delete(record.id);
    },
    auditWith,
    begin,
    finish,
    audit(graded, task) {
      const problems = begin(graded.record, task);
      const audit = auditWith(graded, task, problems);
      finish(graded.record.id, problems, audit);
      return audit;
    },
  };
}

/** Every record of a state, under its key. */
const recordsOf = (state: TableState): KeyedRecord[] =>
  state.tables().flatMap((table) => state.keys(table).map((key) => ({ key, record: state.get(table, key) })));

/** Whether a task problem comes from the run's episodes (not from the task itself). */
export const isEpisodeProblem = (problem: TaskProblem): boolean => EPISODE_PROBLEM_KINDS.has(problem.kind);
