import { shortHash } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import { seedFrom } from '../util/seeded-random.ts';

/** The runner's unit of work: one task × agent × trial with its seed. Serialisable, so it can be queued. */
export interface EpisodeSpec {
  episodeId: string;
  runId: string;
  agent: string;
  taskId: string;
  trial: number;
  /** Same for every agent on a task and trial, so agents meet identical users (paired comparisons). */
  seed: number;
}

/** Stable id of an episode slot. */
export function episodeIdFor(runId: string, agent: string, taskId: string, trial: number): string {
  return `ep-${shortHash(`${runId}\u0000${agent}\u0000${taskId}\u0000${trial}`).slice(0, 12)}`;
}

/**
 * Plans tasks × agents × trials. Trials are the outer loop so a partial run is balanced across
 * tasks and agents.
 */
export function planEpisodes(
  runId: string,
  runSeed: number,
  tasks: readonly Task[],
  agents: readonly string[],
  trials: number,
): EpisodeSpec[] {
  const plan: EpisodeSpec[] = [];
  for (let trial = 0; trial < trials; trial++) {
    for (const task of tasks) {
      const seed = seedFrom('episode', runSeed, task.id, trial);
      for (const agent of agents)
        plan.push({ episodeId: episodeIdFor(runId, agent, task.id, trial), runId, agent, taskId: task.id, trial, seed });
    }
  }
  return plan;
}
