import { GroundworkError } from '../../errors.ts';
import type { EpisodeAudit } from '../../schema/audit.ts';
import { redactStoreLocation } from '../../store/open-store.ts';
import { episodeKey, type RunRecord, requireRun, type Store } from '../../store/store.ts';
import { openStore, openStoreReadOnly, printJson, resolveStoreLocation } from '../context.ts';
import { createProgressReporter } from '../progress.ts';

export interface CopyRunsOptions {
  /** Store to copy from (a SQLite path or a PostgreSQL URL); opened read-only. */
  from: string;
  /** Store to copy into (created when it is a new SQLite file). */
  to: string;
  json?: boolean;
}

/**
 * What happened to one run: `copied` (new in the target), `completed` (a partial copy finished),
 * `skipped` (already complete in the target), `refused` (running, or another run under its id).
 */
export type CopyResult = 'copied' | 'completed' | 'skipped' | 'refused';

/** One run's line of the `copy-runs` report (counts are what the target holds afterwards). */
export interface RunCopy {
  runId: string;
  result: CopyResult;
  /** Episodes written by this copy (0 when skipped). */
  episodesWritten: number;
  episodes: number;
  episodeAudits: number;
  runAudit: boolean;
  attempts: number;
  /** Why a run was refused. */
  reason?: string;
}

/** Episode audits written per transaction. */
const AUDIT_BATCH = 500;
/** Runs at least this large show progress on stderr while their episodes are copied. */
const PROGRESS_FROM = 1000;

/**
 * `groundwork copy-runs --from A --to B [RUN_ID...]`: copies runs (all when none is named) with
 * their tasks and task hashes, episodes, episode audits, run audit and queue-worker attempts.
 * Idempotent: a run complete in the target is skipped, a partial copy (an interrupted copy-runs)
 * is completed. A run that a live process is running (or that queue workers are filling) is
 * refused until it is finished or interrupted.
 */
export async function copyRunsAction(runIds: readonly string[], options: CopyRunsOptions): Promise<void> {
  const from = resolveStoreLocation(options.from);
  const to = resolveStoreLocation(options.to);
  if (from === to)
    throw new GroundworkError('INVALID_ARGUMENT', `--from and --to are the same store (${redactStoreLocation(from)})`, {
      hint: 'copy into another SQLite file or PostgreSQL database',
    });
  const source = await openStoreReadOnly(from);
  let target: Store | undefined;
  try {
    // Every named run must exist before anything is written.
    const ids = runIds.length > 0 ? [...new Set(runIds)] : (await source.listRuns()).map((run) => run.id).reverse();
    const runs: RunRecord[] = [];
    for (const id of ids) runs.push(await requireRun(source, id));
    target = await openStore(to);
    const copies: RunCopy[] = [];
    for (const run of runs) {
      const copy = await copyRun(source, target, run);
      copies.push(copy);
      if (!options.json) process.stdout.write(`${formatCopy(copy)}\n`);
    }
    if (options.json) printJson({ from: source.location, to: target.location, runs: copies });
    else if (copies.length === 0) process.stdout.write(`no runs in ${source.location}\n`);
    const refused = copies.filter((copy) => copy.result === 'refused');
    if (refused.length > 0)
      throw new GroundworkError(
        'RUN_BUSY',
        `${refused.length} run(s) not copied: ${refused.map((copy) => `${copy.runId} (${copy.reason})`).join('; ')}`,
        { hint: 'copy them again once they are finished or interrupted' },
      );
  } finally {
    await source.close();
    await target?.close();
  }
}

/** One line of text output. */
function formatCopy(copy: RunCopy): string {
  if (copy.result === 'refused') return `${copy.runId}  refused: ${copy.reason}`;
  const what = `${copy.episodes} episodes, ${copy.episodeAudits} episode audits, ${copy.runAudit ? 'run audit' : 'no run audit'}, ${copy.attempts} attempts`;
  return `${copy.runId}  ${copy.result}${copy.result === 'completed' ? ` (${copy.episodesWritten} episodes written)` : ''}: ${what}`;
}

/** Why a run cannot be copied now, if it cannot. */
function busyReason(run: RunRecord, where: string): string | undefined {
  if (run.lease) return `running in the ${where} store (pid ${run.lease.pid} on ${run.lease.host})`;
  if (run.status === 'running') return `running in the ${where} store`;
  if (run.status === 'queued') return `queued in the ${where} store (queue workers are still storing its episodes)`;
  return undefined;
}

/** Copies one run (see copyRunsAction); the episodes and audits are streamed, never held all at once. */
export async function copyRun(source: Store, target: Store, run: RunRecord): Promise<RunCopy> {
  const refused = (reason: string): RunCopy => ({
    runId: run.id,
    result: 'refused',
    episodesWritten: 0,
    episodes: 0,
    episodeAudits: 0,
    runAudit: false,
    attempts: 0,
    reason,
  });
  const busy = busyReason(run, 'source');
  if (busy) return refused(busy);
  const existing = await target.getRun(run.id);
  if (existing) {
    const targetBusy = busyReason(existing, 'target');
    if (targetBusy) return refused(targetBusy);
    if (JSON.stringify(existing.config) !== JSON.stringify(run.config) || existing.createdAt !== run.createdAt)
      return refused('the target holds a different run under this id');
  }
  const [episodes, totals, runAudit, attempts] = await Promise.all([
    source.countEpisodes(run.id),
    source.auditTotals(run.id),
    source.getRunAudit(run.id),
    source.listAttempts(run.id),
  ]);
  const summary = { episodes, episodeAudits: totals.audited, runAudit: runAudit !== undefined, attempts: attempts.length };
  if (existing && (await isComplete(target, run, existing, summary, runAudit)))
    return { runId: run.id, result: 'skipped', episodesWritten: 0, ...summary };

  if (!existing) {
    await target.createRun({
      id: run.id,
      config: run.config,
      tasks: await source.runTasks(run.id),
      planned: run.planned,
      createdAt: run.createdAt,
      taskHashes: Object.fromEntries(await source.runTaskHashes(run.id)),
    });
    // Interrupted until the copy is done: a copy stopped half-way is not mistaken for a whole run.
    await target.setRunStatus(run.id, 'interrupted');
  }
  const episodesWritten = await copyEpisodes(source, target, run.id, episodes);
  let batch: EpisodeAudit[] = [];
  for await (const audit of source.iterateEpisodeAudits(run.id)) {
    batch.push(audit);
    if (batch.length >= AUDIT_BATCH) {
      await target.saveEpisodeAudits(run.id, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await target.saveEpisodeAudits(run.id, batch);
  if (runAudit) await target.saveRunAudit(run.id, runAudit);
  for (const attempt of attempts) await target.saveAttempt(attempt);
  await target.setRunStatus(run.id, run.status);
  return { runId: run.id, result: existing ? 'completed' : 'copied', episodesWritten, ...summary };
}

/** Copies the episodes the target lacks, in the source's order; returns how many were written. */
async function copyEpisodes(source: Store, target: Store, runId: string, total: number): Promise<number> {
  const present = await target.episodeKeys(runId);
  const progress = total >= PROGRESS_FROM ? createProgressReporter() : undefined;
  if (progress) process.stderr.write(`copying ${runId}: ${total} episodes\n`);
  let done = 0;
  let written = 0;
  for await (const episode of source.iterateEpisodes(runId)) {
    if (!present.has(episodeKey(episode.agent, episode.taskId, episode.trial)) && (await target.saveEpisode(episode))) written++;
    done++;
    progress?.update({ done, total, skipped: done - written });
  }
  progress?.finish();
  return written;
}

/** Whether the target already holds everything the source has of the run. */
async function isComplete(
  target: Store,
  run: RunRecord,
  existing: RunRecord,
  summary: { episodes: number; episodeAudits: number; runAudit: boolean; attempts: number },
  runAudit: unknown,
): Promise<boolean> {
  if (existing.status !== run.status) return false;
  const [episodes, totals, audit, attempts] = await Promise.all([
    target.countEpisodes(run.id),
    target.auditTotals(run.id),
    target.getRunAudit(run.id),
    target.listAttempts(run.id),
  ]);
  return (
    episodes === summary.episodes &&
    totals.audited === summary.episodeAudits &&
    attempts.length === summary.attempts &&
    JSON.stringify(audit ?? null) === JSON.stringify(runAudit ?? null)
  );
}
