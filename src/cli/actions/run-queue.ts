import type { Command } from 'commander';
import { GroundworkError } from '../../errors.ts';
import { infraReason, summariseRun } from '../../report/run-summary.ts';
import { createPlannedRun, planRun, runBusyError } from '../../runner/local-runner.ts';
import { loadRunFile, type RunFile } from '../../runner/run-file.ts';
import {
  checkQueueReachable,
  enqueueRun,
  failedJobsOf,
  EpisodeQueues,
  queueCounts,
  runBacklog,
  type EnqueueResult,
} from '../../queue/episode-queue.ts';
import { finishRunIfComplete, openFinishLock, type FinishLock } from '../../queue/finish-run.ts';
import { checkQueueLocation, queueTiming, redactQueueLocation } from '../../queue/queue-settings.ts';
import { redactStoreLocation } from '../../store/open-store.ts';
import { requireRun, type Store } from '../../store/store.ts';
import { openStore, printJson, resolveStoreLocation } from '../context.ts';
import { modelParticipants } from '../participants.ts';
import { createProgressReporter } from '../progress.ts';
import { openRunLog } from '../run-log.ts';
import { formatRunSummary } from '../summary-text.ts';
import { formatRunAudit } from './audit.ts';
import { checkCassetteDirs, configFrom, PLAN_OPTIONS, type RunOptions } from './run.ts';

/** How often the producer reads progress from the store and the queue while it follows a run. */
const FOLLOW_INTERVAL_MS = 1_000;
/** Ticks without a newly stored episode before the producer checks whether anything is still queued for the run. */
const STUCK_TICKS = 5;

/**
 * `groundwork run --queue redis://… [--store …]`: plans the run exactly like a local run, stores it
 * as `queued`, enqueues one job per episode slot (deterministic ids: nothing stored or queued is
 * added again), then follows it until the workers have stored every episode (`--detach`: returns
 * at once). Ctrl-C stops following; the run stays queued for the workers.
 */
export async function runQueueAction(runFile: string | undefined, options: RunOptions, command: Command): Promise<void> {
  // `--queue` alone: the URL from the environment, so a password need not go on the command line.
  const location = options.queue === true ? process.env.GROUNDWORK_QUEUE : options.queue;
  if (!location)
    throw new GroundworkError('INVALID_ARGUMENT', '--queue needs a URL: --queue redis://HOST:PORT', {
      hint: 'or set GROUNDWORK_QUEUE and give --queue alone',
    });
  const queueUrl = checkQueueLocation(location);
  if (options.retryErrors && !options.resume) throw new GroundworkError('INVALID_ARGUMENT', '--retry-errors needs --resume RUN_ID');
  if (options.record !== undefined || options.replay !== undefined)
    throw new GroundworkError('INVALID_ARGUMENT', '--record and --replay do not apply to --queue (episodes run on the workers)', {
      hint: 'drop them, or run locally without --queue',
    });
  if (options.resume) {
    const conflicting = PLAN_OPTIONS.filter((name) => command.getOptionValueSource(name) === 'cli');
    if (runFile) conflicting.unshift('runFile');
    if (conflicting.length > 0)
      throw new GroundworkError(
        'INVALID_ARGUMENT',
        `--resume continues a stored run with its stored plan; drop ${conflicting.map((n) => (n === 'runFile' ? 'the run file' : `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)).join(', ')}`,
      );
  }
  checkCassetteDirs(options);
  const timing = queueTiming(); // GROUNDWORK_QUEUE_* checked before anything is stored
  // A new run's plan is checked before the store or the queue is touched, as for a local run.
  const plan = options.resume ? undefined : planFor(runFile, options);
  await checkQueueReachable(queueUrl);
  const storeLocation = resolveStoreLocation(options.store);
  const store = await openStore(storeLocation);
  const queue = new EpisodeQueues(queueUrl, timing);
  const lock = await openFinishLock(queueUrl);
  const me = `producer-${process.pid}`;
  try {
    let runId: string;
    if (plan) {
      runId = (await createPlannedRun(store, plan)).runId;
      await store.setRunStatus(runId, 'queued');
    } else {
      runId = options.resume!;
      const run = await requireRun(store, runId);
      // A local process running it holds its lease: the queue must not run it at the same time.
      if (run.lease) throw runBusyError(runId, run.lease);
      if (options.retryErrors) await store.deleteInfraErrors(runId);
      if (run.status !== 'queued' && (run.status !== 'finished' || options.retryErrors)) await store.setRunStatus(runId, 'queued');
    }
    const enqueued = await enqueueRun(queue, store, runId);
    const log = openRunLog(storeLocation, runId, { logDir: options.logDir });
    log.logger.info({ ...enqueued, queue: redactQueueLocation(queueUrl), resume: Boolean(options.resume) }, 'run enqueued');
    log.logger.flush();
    // Everything stored already (a resumed run whose last worker died before finishing it).
    await finishRunIfComplete(store, runId, lock, me);
    const follow = `groundwork run --resume ${runId} --queue ${redactQueueLocation(queueUrl)} --store ${redactStoreLocation(storeLocation)}`;
    const workers = `groundwork worker --queue ${redactQueueLocation(queueUrl)} --store ${redactStoreLocation(storeLocation)}`;
    if (options.detach) {
      if (options.json) printJson({ ...enqueued, status: (await requireRun(store, runId)).status, follow, worker: workers });
      else
        process.stdout.write(
          `${enqueueLine(enqueued, queueUrl)}\nstart workers: ${workers}\nfollow it:     ${follow}\n(a redacted *** password must be given in full, or set GROUNDWORK_QUEUE and give --queue alone)\n`,
        );
      return;
    }
    if (!options.json) process.stderr.write(`${enqueueLine(enqueued, queueUrl)}\nstart workers with: ${workers}\n`);
    const stopped = await followRun(store, queue, runId, lock, me, enqueued, Boolean(options.json), follow);
    if (stopped) {
      process.stderr.write(
        `\nstopped following; run ${runId} stays queued and the workers go on. Follow it again (enqueues nothing already queued or stored):\n  ${follow}\n`,
      );
      process.exitCode = 130;
      return;
    }
    await printResult(store, runId, enqueued, await failedJobsOf(queue, runId), Boolean(options.json));
  } finally {
    await queue.close();
    await lock.close();
    await store.close();
  }
}

/** The run's plan from run files and flags, exactly as a local run plans it. */
function planFor(runFile: string | undefined, options: RunOptions) {
  const fromConfig: RunFile = options.config ? loadRunFile(options.config) : {};
  const fromRunFile: RunFile = runFile ? loadRunFile(runFile) : {};
  const file: RunFile = { ...fromConfig, ...fromRunFile, models: { ...fromConfig.models, ...fromRunFile.models } };
  // Built only to check the names: the producer never calls a model.
  const factory = modelParticipants({ models: file.models ?? {}, steerUser: options.steerUser ?? false }).factory;
  const maxEpisodes = options.maxEpisodes ?? file.maxEpisodes;
  return planRun(configFrom(file, options), { participants: factory, ...(maxEpisodes ? { maxEpisodes } : {}) });
}

function enqueueLine(result: EnqueueResult, queueUrl: string): string {
  const parts = [`${result.enqueued} enqueued`];
  if (result.requeued) parts.push(`${result.requeued} failed job(s) enqueued again`);
  if (result.queued) parts.push(`${result.queued} already queued`);
  if (result.stored) parts.push(`${result.stored} already stored`);
  return `run ${result.runId}: ${result.planned} episodes planned; ${parts.join(', ')} on ${redactQueueLocation(queueUrl)}`;
}

/**
 * Follows a queued run on stderr until every planned episode is stored and the run is finished
 * (by the worker that stored the last one, or here). Returns true when stopped by SIGINT/SIGTERM.
 */
async function followRun(
  store: Store,
  queue: EpisodeQueues,
  runId: string,
  lock: FinishLock,
  me: string,
  enqueued: EnqueueResult,
  json: boolean,
  followCommand: string,
): Promise<boolean> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = createProgressReporter();
  let lastQueueLine = '';
  let lastStored = -1;
  let idleTicks = 0;
  try {
    while (!controller.signal.aborted) {
      const run = await requireRun(store, runId);
      const stored = await store.countEpisodes(runId);
      if (!json) progress.update({ done: stored, total: run.planned, skipped: enqueued.stored });
      if (run.status === 'finished') break;
      idleTicks = stored === lastStored ? idleTicks + 1 : 0;
      lastStored = stored;
      if (stored < run.planned && idleTicks >= STUCK_TICKS) {
        idleTicks = 0;
        // Jobs that failed for good (or vanished) leave slots nothing will ever store: say so, do not follow forever.
        const backlog = await runBacklog(queue, store, runId);
        if (backlog.missing > 0 && backlog.pending === 0) throw await stuckRunError(queue, runId, backlog.missing, followCommand);
      }
      if (stored >= run.planned) await finishRunIfComplete(store, runId, lock, me);
      else if (!json) {
        const counts = await queueCounts(queue);
        const line = `queue: ${counts.waiting} waiting, ${counts.active} running, ${counts.delayed} delayed (retry backoff or rate limit), ${counts.failed} failed (all runs)`;
        if (line !== lastQueueLine && (counts.failed > 0 || counts.delayed > 0)) process.stderr.write(`\n${line}\n`);
        lastQueueLine = line;
      }
      await sleep(FOLLOW_INTERVAL_MS, controller.signal);
    }
  } finally {
    progress.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return controller.signal.aborted;
}

/** A run with slots missing and no job left for them: the failed jobs' reasons and how to enqueue them again. */
async function stuckRunError(queue: EpisodeQueues, runId: string, missing: number, followCommand: string): Promise<GroundworkError> {
  const failed = await failedJobsOf(queue, runId);
  for (const job of failed.slice(0, 5)) process.stderr.write(`failed job ${job.jobId}: ${job.reason}\n`);
  const first = failed[0]?.reason;
  return new GroundworkError(
    'INVALID_CONFIG',
    `run ${runId} cannot finish: ${missing} episode(s) not stored and no job left for them in the queue (${failed.length} failed job(s)${first ? `; first: ${first}` : ''})`,
    { hint: `fix the workers (their --store, model API keys), then enqueue the failed jobs again: ${followCommand}` },
  );
}

/** The run's summary and audit, as a local run prints them; NOTHING_GRADED when nothing could be graded. */
async function printResult(
  store: Store,
  runId: string,
  enqueued: EnqueueResult,
  failedJobs: { jobId: string; reason: string }[],
  json: boolean,
): Promise<void> {
  const run = await requireRun(store, runId);
  const summary = await summariseRun(store, run);
  const audit = await store.getRunAudit(runId);
  if (json)
    printJson({ ...summary, enqueued: enqueued.enqueued + enqueued.requeued, alreadyStored: enqueued.stored, ...(audit ? { audit } : {}) });
  else {
    const auditText = audit && formatRunAudit(audit, undefined, run.config.probes ? { only: ['probe'] } : {});
    process.stdout.write(`${formatRunSummary(summary)}\n${auditText ? `\n${auditText}\n` : ''}\nDetails: groundwork show ${runId}\n`);
    for (const job of failedJobs.slice(0, 5)) process.stderr.write(`failed job ${job.jobId}: ${job.reason}\n`);
  }
  const ungraded = Object.entries(summary.agents).filter(([, m]) => m.graded === 0);
  if (ungraded.length > 0) {
    const all = summary.graded === 0;
    const reason = await infraReason(store, runId, all ? undefined : ungraded[0][0], all ? summary.episodes : ungraded[0][1].episodes);
    throw new GroundworkError(
      'NOTHING_GRADED',
      `nothing graded${all ? '' : ` for ${ungraded.map(([name]) => name).join(', ')}`}: ${reason}`,
      {
        hint: `once fixed, run them again: groundwork run --resume ${runId} --retry-errors --queue URL`,
      },
    );
  }
}

/** Waits `ms` or until aborted; the abort listener goes when the timer fires (one per tick would pile up). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
