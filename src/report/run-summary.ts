import { summarise, type AgentMetrics } from '../grading/metrics.ts';
import { addUsage, emptyUsage } from '../models/usage.ts';
import type { Usage } from '../schema/trajectory.ts';
import type { RunRecord, Store } from '../store/store.ts';


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
  agents: Record<string, AgentMetrics & { usage: Record<string, Usage> }>;
  /** Model usage of the whole run by role (agent, user, judge). */
  usage: Record<string, Usage>;
}

/** Summarise a stored run (pure over the stored episodes). */
export async function summariseRun(store: Store, run: RunRecord): Promise<RunSummary> {
  const rows = await store.listEpisodes(run.id);
  const tasks = await store.runTasks(run.id);
  const metrics = summarise(rows.map((r) => ({ agent: r.agent, taskId: r.taskId, family: r.family, trial: r.trial, reward: r.reward, termination: r.termination })));
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
    agents,
    usage,
  };
}
