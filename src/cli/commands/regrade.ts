import type { Command } from 'commander';
import { GroundworkError } from '../../errors.ts';
import { outcomeChanged, regradeEpisode } from '../../grading/regrade.ts';
import { domainFor } from '../../runner/local-runner.ts';
import { openStore, printJson } from '../context.ts';
import { table } from '../format.ts';
import { requireRun } from '../../store/store.ts';

/** `groundwork regrade RUN_ID`: grade every stored episode again with the current grader. */
export function registerRegradeCommand(program: Command): void {
  program
    .command('regrade')
    .description('grade a stored run again from its stored trajectories (no episode is re-run)')
    .argument('<runId>', 'run id (see groundwork runs)')
    .option('--dry-run', 'report what would change, store nothing')
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (runId: string, options: { dryRun?: boolean; db?: string; json?: boolean }) => {
      const store = openStore(options.db);
      try {
        const run = await requireRun(store, runId);
        const domain = domainFor(run.config);
        const tasks = new Map((await store.runTasks(runId)).map((t) => [t.id, t]));
        let episodes = 0;
        let mismatches = 0;
        const changed: { episodeId: string; agent: string; taskId: string; trial: number; before: number; after: number }[] = [];
        const updates: [string, Awaited<ReturnType<typeof regradeEpisode>>['outcome']][] = [];
        for await (const episode of store.iterateEpisodes(runId)) {
          episodes++;
          if (episode.termination === 'infra_error') continue;
          const task = tasks.get(episode.taskId);
          if (!task) throw new GroundworkError('STORE_FAILED', `episode ${episode.id} refers to task ${episode.taskId}, which is not stored with run ${runId}`);
          const { outcome, initialStateMismatch } = regradeEpisode(domain, task, episode.trajectory);
          if (initialStateMismatch) mismatches++;
          if (outcomeChanged(episode.outcome, outcome)) {
            changed.push({ episodeId: episode.id, agent: episode.agent, taskId: episode.taskId, trial: episode.trial, before: episode.outcome.reward, after: outcome.reward });
            updates.push([episode.id, outcome]);
          }
        }
        if (!options.dryRun) for (const [id, outcome] of updates) await store.updateOutcome(id, outcome);
        const result = { runId, episodes, changed: changed.length, rewardChanged: changed.filter((c) => c.before !== c.after).length, initialStateMismatches: mismatches, stored: !options.dryRun, changes: changed };
        if (options.json) {
          printJson(result);
          return;
        }
        process.stdout.write(`${episodes} episodes re-graded: ${changed.length} outcome(s) changed, ${result.rewardChanged} reward(s) changed${options.dryRun ? ' (dry run: nothing stored)' : ''}.\n`);
        if (mismatches > 0) process.stdout.write(`warning: ${mismatches} episode(s) started from a state this domain no longer reproduces (data or generator changed); their grades may not be comparable.\n`);
        const flips = changed.filter((c) => c.before !== c.after);
        if (flips.length > 0) process.stdout.write(`${table(['episode', 'agent', 'task', 'trial', 'reward'], flips.slice(0, 50).map((c) => [c.episodeId, c.agent, c.taskId, String(c.trial), `${c.before} → ${c.after}`]))}\n`);
      } finally {
        await store.close();
      }
    });
}
