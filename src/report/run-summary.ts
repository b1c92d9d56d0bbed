import { passKCoverageNote, summarise, type AgentMetrics } from '../grading/metrics.ts';
import { addUsage, emptyUsage } from '../models/usage.ts';
import type { Usage } from '../schema/trajectory.ts';
import type { RunListing, RunRecord, RunStatus, Store } from '../store/store.ts';

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
