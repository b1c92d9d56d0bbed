import { passKCoverageNote, summarise, type AgentMetrics } from '../grading/metrics.ts';
import { addUsage, emptyUsage } from '../models/usage.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Tau2RewardComponent } from '../schema/task.ts';
import type { Usage } from '../schema/trajectory.ts';
import type { EpisodeRecord, RunListing, RunRecord, RunStatus, Store } from '../store/store.ts';

/**
 * The status to show for a run: the stored one, plus "nothing graded" when episodes exist but
 * every one ended in infra_error, so a run where nothing ran never reads like a run of zeros.
 */
export function runStatusText(status: RunStatus, episodes: number, graded: number): string {
  return episodes > 0 && graded === 0 ? `${status}, nothing graded` : status;
}

/** A run as `groundwork runs --json` and the viewer's run list show it. */
export interface RunListItem {
  runId: string;
  createdAt: string;
  status: string;
  domain: string;
  split?: string;
  agents: string[];
  trials: number;
  planned: number;
  episodes: number;
  /** Episodes that ran (not infra_error). */
  graded: number;
  /** The status to show, e.g. "finished, nothing graded". */
  statusText: string;
  /** Mean reward by agent; null for an agent with nothing graded. */
  meanReward: Record<string, number | null>;
}

/** The list row of a stored run. */
export function runListItem(run: RunListing): RunListItem {
  return {
    runId: run.id,
    createdAt: run.createdAt,
    status: run.status,
    domain: run.config.domain,
    split: run.config.split,
    agents: run.config.agents,
    trials: run.config.trials,
    planned: run.planned,
    episodes: run.episodes,
    graded: run.graded,
    statusText: runStatusText(run.status, run.episodes, run.graded),
    meanReward: run.meanReward,
  };
}

/** Everything `groundwork run`/`show` print about a run, as one JSON-ready object. */
export interface RunSummary {
  runId: string;
  status: RunRecord['status'];
  createdAt: string;
  domain: string;
  split: string | undefined;
  tasks: number;
  trials: number;
  user: string;
  seed: number;
  planned: number;
  episodes: number;
  /** Episodes that ran (not infra_error), all agents. */
  graded: number;
  /** The status to show (`runStatusText`): e.g. "finished, nothing graded". */
  statusText: string;
  /**
   * Lines that qualify the numbers: agents with nothing graded (and why), pass^k columns that
   * cover different tasks. Shown under the summary by the CLI, the report and the viewer.
   */
  notes: string[];
  agents: Record<string, AgentMetrics & { usage: Record<string, Usage> }>;
  /** Model usage of the whole run by role (agent, user, judge). */
  usage: Record<string, Usage>;
  /** τ²'s reward beside Groundwork's own checks, when the run's tasks are graded by τ²'s rule. */
  tau2?: Tau2RunSummary;
}

/** One reward component of τ²'s: episodes where it counted, and how many passed. */
export interface Tau2ComponentTally {
  counted: number;
  passed: number;
}

/**
 * τ²'s reward of a run (its own rule, recomputed by Groundwork) beside Groundwork's checks of the
 * same episodes. The episodes' `reward` is τ²'s (0 while it awaits a judge); pending ones are
 * counted here so a reader sees the reward is incomplete.
 */
export interface Tau2RunSummary {
  /** Episodes graded by τ²'s rule. */
  episodes: number;
  /** Mean τ² reward (pending counted as 0). */
  meanReward: number;
  passed: number;
  /** Episodes whose τ² reward awaits a judge (NL assertions), and their distinct tasks. */
  pending: { episodes: number; tasks: number };
  /** Episodes τ² scores 0 for ending otherwise than by a stop (max_steps, errors). */
  premature: number;
  /** Per component of the reward basis: episodes where it counted, and passes. */
  components: Partial<Record<Tau2RewardComponent, Tau2ComponentTally>>;
  /** Groundwork's checks of the same episodes (labelled as Groundwork's). */
  groundwork: {
    /** Final state equals the gold replay's, field by field. */
    statePass: number;
    /** Episodes with changes outside what the task allows. */
    collateral: number;
    /** τ² passes it but Groundwork's state check fails, or the other way round. */
    disagreeWithTau2: number;
  };
  /** Imported τ² results: the recorded reward against the recomputed one. */
  imported?: {
    records: number;
    /** Records whose reward needs no judge, and those where the recomputed reward equals τ²'s. */
    noJudgeNeeded: number;
    agreement: number;
    /** Records graded with τ²'s recorded NL verdicts (judged by τ², not here). */
    judgedByTau2: number;
    /** Mean of τ²'s recorded rewards. */
    recordedMeanReward: number;
  };
}

const objectOf = (value: JsonValue | undefined): Record<string, JsonValue> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};

/** τ²'s reward and Groundwork's checks over a run's episodes; undefined when none is graded by τ²'s rule. */
export function tau2RunSummary(episodes: Iterable<Pick<EpisodeRecord, 'taskId' | 'outcome' | 'trajectory'>>): Tau2RunSummary | undefined {
  let count = 0;
  let passed = 0;
  let premature = 0;
  let statePass = 0;
  let collateral = 0;
  let disagree = 0;
  const pendingTasks = new Set<string>();
  let pending = 0;
  const components: Partial<Record<Tau2RewardComponent, Tau2ComponentTally>> = {};
  const imported = { records: 0, noJudgeNeeded: 0, agreement: 0, judgedByTau2: 0, recordedSum: 0 };
  for (const { taskId, outcome, trajectory } of episodes) {
    const tau2 = outcome.tau2;
    if (!tau2) continue;
    count++;
    if (tau2.reward === 1) passed++;
    if (tau2.reward === null) pending++, pendingTasks.add(taskId);
    if (tau2.premature) premature++;
    for (const [component, value] of Object.entries(tau2.breakdown) as [Tau2RewardComponent, 0 | 1][]) {
      const tally = (components[component] ??= { counted: 0, passed: 0 });
      tally.counted++;
      tally.passed += value;
    }
    if (outcome.state.pass) statePass++;
    if (!outcome.collateral.pass) collateral++;
    if (tau2.reward !== null && !tau2.premature && (tau2.reward === 1) !== outcome.state.pass) disagree++;
    const info = objectOf(trajectory.participants.import);
    if (info.format === 'tau2' && typeof info.recordedReward === 'number') {
      imported.records++;
      imported.recordedSum += info.recordedReward;
      const agrees = objectOf(info.comparison).reward === true;
      if (info.judgedBy === 'none-needed') {
        imported.noJudgeNeeded++;
        if (agrees) imported.agreement++;
      } else if (info.judgedBy === 'tau2-recorded') imported.judgedByTau2++;
    }
  }
  if (count === 0) return undefined;
  const { recordedSum, ...importedCounts } = imported;
  return {
    episodes: count,
    meanReward: passed / count,
    passed,
    pending: { episodes: pending, tasks: pendingTasks.size },
    premature,
    components,
    groundwork: { statePass, collateral, disagreeWithTau2: disagree },
    ...(imported.records > 0 ? { imported: { ...importedCounts, recordedMeanReward: recordedSum / imported.records } } : {}),
  };
}

/** The lines that put τ²'s reward beside Groundwork's checks (shown by the CLI, the report and the viewer). */
export function tau2SummaryNotes(t: Tau2RunSummary, runId: string): string[] {
  const pct = (n: number, of: number) => (of === 0 ? '-' : `${n}/${of}`);
  const parts = Object.entries(t.components).map(([c, v]) => `${c} ${pct(v.passed, v.counted)}`);
  const notes = [
    `τ² reward (τ²'s rule): ${t.meanReward.toFixed(3)} mean, ${t.passed}/${t.episodes} passed` +
      (parts.length ? `; components counted: ${parts.join(', ')}` : '') +
      (t.premature ? `; ${t.premature} ended prematurely (τ² scores 0)` : ''),
  ];
  if (t.pending.episodes > 0)
    notes.push(
      `τ² reward incomplete: ${t.pending.episodes} episode(s) of ${t.pending.tasks} task(s) await an NL-assertion judge and count as failed (groundwork regrade ${runId} --judge MODEL)`,
    );
  notes.push(
    `Groundwork's checks beside it: final state equals the gold replay in ${t.groundwork.statePass}/${t.episodes}, collateral changes in ${t.groundwork.collateral}; differs from τ²'s verdict in ${t.groundwork.disagreeWithTau2}`,
  );
  if (t.imported)
    notes.push(
      `Imported τ² results: recomputed reward equals τ²'s recorded one on ${t.imported.agreement}/${t.imported.noJudgeNeeded} records needing no judge; ${t.imported.judgedByTau2} judged by τ² (its recorded NL verdicts); recorded mean ${t.imported.recordedMeanReward.toFixed(3)}`,
    );
  return notes;
}

/** Reads every episode of a run graded by τ²'s rule (τ² domains only; others return undefined without reading). */
async function loadTau2Summary(store: Store, run: RunRecord): Promise<Tau2RunSummary | undefined> {
  if (!run.config.domain.startsWith('tau2-bench/')) return undefined;
  const episodes: Pick<EpisodeRecord, 'taskId' | 'outcome' | 'trajectory'>[] = [];
  for await (const e of store.iterateEpisodes(run.id))
    episodes.push({
      taskId: e.taskId,
      outcome: e.outcome,
      trajectory: { participants: e.trajectory.participants } as EpisodeRecord['trajectory'],
    });
  return tau2RunSummary(episodes);
}

/** Summarise a stored run (pure over the stored episodes). */
export async function summariseRun(store: Store, run: RunRecord): Promise<RunSummary> {
  const rows = await store.listEpisodes(run.id);
  const tasks = await store.runTasks(run.id);
  const metrics = summarise(
    rows.map((r) => ({ agent: r.agent, taskId: r.taskId, family: r.family, trial: r.trial, reward: r.reward, termination: r.termination })),
  );
  const usageByAgent: Record<string, Record<string, Usage>> = {};
  const usage: Record<string, Usage> = {};
  for (const row of await store.listUsage(run.id)) {
    for (const [role, value] of Object.entries(row.usage)) {
      const byAgent = (usageByAgent[row.agent] ??= {});
      byAgent[role] = addUsage(byAgent[role] ?? emptyUsage(), value);
      usage[role] = addUsage(usage[role] ?? emptyUsage(), value);
    }
  }
  // Keep the configured agent order.
  const agents: RunSummary['agents'] = {};
  for (const name of run.config.agents) if (metrics[name]) agents[name] = { ...metrics[name], usage: usageByAgent[name] ?? {} };
  const graded = Object.values(metrics).reduce((n, m) => n + m.graded, 0);
  const notes: string[] = [];
  for (const [name, m] of Object.entries(agents)) {
    if (m.graded === 0) notes.push(`${name}: nothing graded, no reward: ${await infraReason(store, run.id, name, m.episodes)}`);
    const coverage = passKCoverageNote(m);
    if (coverage) notes.push(`${name}: pass^k columns cover different tasks (${coverage}); compare columns only over the same tasks`);
  }
  const tau2 = await loadTau2Summary(store, run);
  if (tau2) notes.push(...tau2SummaryNotes(tau2, run.id));
  return {
    runId: run.id,
    status: run.status,
    createdAt: run.createdAt,
    domain: run.config.domain,
    split: run.config.split,
    tasks: tasks.length,
    trials: run.config.trials,
    user: run.config.user,
    seed: run.config.seed,
    planned: run.planned,
    episodes: rows.length,
    graded,
    statusText: runStatusText(run.status, rows.length, graded),
    notes,
    agents,
    usage,
    ...(tau2 ? { tau2 } : {}),
  };
}

/**
 * Why none of an agent's (or a run's) episodes was graded, in one line: "all 21 episodes ended in
 * infra_error: <the most common detail>" (read from the trajectories of up to 50 of them).
 */
export async function infraReason(
  store: Pick<Store, 'listEpisodes' | 'getEpisode'>,
  runId: string,
  agent: string | undefined,
  episodes: number,
): Promise<string> {
  const failed = await store.listEpisodes(runId, { ...(agent ? { agent } : {}), termination: 'infra_error', limit: 50 });
  const details = new Map<string, number>();
  for (const row of failed) {
    const detail = (await store.getEpisode(runId, row.id))?.trajectory.termination.detail ?? 'no detail recorded';
    details.set(detail, (details.get(detail) ?? 0) + 1);
  }
  const top = [...details.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
  return `${episodes === 1 ? 'the only episode' : `all ${episodes} episodes`} ended in infra_error${top ? `: ${top}` : ''}`;
}
