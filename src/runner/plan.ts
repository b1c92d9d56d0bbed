import { GroundworkError } from '../errors.ts';
import { shortHash } from '../schema/json.ts';
import { MAX_CONCURRENCY, MAX_PLANNED_EPISODES, MAX_TASKS } from '../schema/run-config.ts';
import { type Task, taskSchema } from '../schema/task.ts';
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

/**
 * Refuses a plan of more than `MAX_TASKS` tasks or `maxEpisodes` episodes before anything is
 * allocated. `tasks` is the task count when known (a count, or the selected tasks); without it only
 * agents × trials is checked, so a caller checks again once the tasks are selected.
 */
export function checkPlanSize(
  counts: { tasks?: number; agents: number; trials: number },
  maxEpisodes: number = MAX_PLANNED_EPISODES,
): void {
  if (counts.tasks !== undefined && counts.tasks > MAX_TASKS)
    throw new GroundworkError('INVALID_CONFIG', `the run would select ${counts.tasks} tasks, more than the limit of ${MAX_TASKS}`, {
      hint: `pass --tasks ${MAX_TASKS} or fewer, and split larger evaluations into several runs`,
    });
  const episodes = (counts.tasks ?? 1) * counts.agents * counts.trials;
  if (episodes <= maxEpisodes) return;
  const what =
    counts.tasks === undefined
      ? `${counts.agents} agent(s) × ${counts.trials} trials`
      : `${counts.tasks} task(s) × ${counts.agents} agent(s) × ${counts.trials} trials`;
  throw new GroundworkError('INVALID_CONFIG', `the run would plan ${episodes} episodes (${what}), more than the limit of ${maxEpisodes}`, {
    hint: 'lower tasks or trials, or raise the limit with --max-episodes (run file: maxEpisodes)',
  });
}

/** Refuses a concurrency above `MAX_CONCURRENCY`. */
export function checkConcurrency(concurrency: number): void {
  if (concurrency > MAX_CONCURRENCY)
    throw new GroundworkError('INVALID_CONFIG', `concurrency ${concurrency} is more than the limit of ${MAX_CONCURRENCY}`, {
      hint: `pass --concurrency ${MAX_CONCURRENCY} or less`,
    });
}

/**
 * Checks the selected tasks before a run stores them: ids unique (the store keys tasks by id) and
 * every task valid against the stored schema, so a run is never created that cannot be read back.
 */
export function checkPlannedTasks(tasks: readonly Task[], where: string): void {
  const seen = new Set<string>();
  for (let i = 0; i < tasks.length; i++) {
    const parsed = taskSchema.safeParse(tasks[i]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GroundworkError(
        'INVALID_CONFIG',
        `${where}: task ${i} (${JSON.stringify(String(tasks[i]?.id))}): ${issue.path.join('.') || '(task)'}: ${issue.message.replace(/\s+/g, ' ')}`,
        { hint: 'fix the task source' },
      );
    }
    if (seen.has(tasks[i].id))
      throw new GroundworkError('INVALID_CONFIG', `${where}: task ${i}: id: task ${JSON.stringify(tasks[i].id)} selected twice`, {
        hint: 'list each task id once',
      });
    seen.add(tasks[i].id);
  }
}
