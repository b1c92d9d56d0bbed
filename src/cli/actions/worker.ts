import { GroundworkError } from '../../errors.ts';
import { checkQueueReachable } from '../../queue/episode-queue.ts';
import { startEpisodeWorker, type WorkerEvent, type WorkerModelLimits } from '../../queue/episode-worker.ts';
import { checkQueueLocation, queueTiming } from '../../queue/queue-settings.ts';
import type { RunRecord } from '../../store/store.ts';
import { openStore } from '../context.ts';
import type { ModelHub } from '../../models/model-hub.ts';
import { modelParticipants } from '../participants.ts';

export interface WorkerOptions {
  queue?: string;
  store?: string;
  concurrency?: number;
  json?: boolean;
}

/** Episodes a worker runs at once unless told. */
const DEFAULT_WORKER_CONCURRENCY = 4;
/**
 * The global concurrency of a model whose config sets no `limits.concurrency`, in queue mode: no cap
 * beyond what the workers run (each worker's --concurrency bounds its own requests), so adding
 * workers speeds a run up. A configured limit holds across all workers.
 */
const UNCAPPED_MODEL_CONCURRENCY = 1_000_000;
/** How often a worker reports models whose configured limits held requests back. */
const THROTTLE_REPORT_MS = 60_000;

/**
 * `groundwork worker`: takes episode jobs of any distributed run from the queue until stopped.
 * SIGINT/SIGTERM: stop taking jobs, finish and store the episodes in flight, exit 0 (twice: exit now;
 * the jobs in flight come back to the queue once their lock expires).
 */
export async function workerAction(options: WorkerOptions): Promise<void> {
  // From the environment here, not as the option's default: help would print it, password and all.
  const location = options.queue ?? process.env.GROUNDWORK_QUEUE;
  if (!location)
    throw new GroundworkError('INVALID_ARGUMENT', 'worker needs --queue redis://HOST:PORT', { hint: 'or set GROUNDWORK_QUEUE' });
  const queueUrl = checkQueueLocation(location);
  const timing = queueTiming(); // GROUNDWORK_QUEUE_* checked before anything connects
  await checkQueueReachable(queueUrl);
  const store = await openStore(options.store);
  const say = (event: WorkerEvent | Record<string, unknown>, text: string) => {
    if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else process.stderr.write(`${text}\n`);
  };
  const hubs = new Map<string, ModelHub>();
  const participantsFor = (run: RunRecord, limits: WorkerModelLimits) => {
    const built = modelParticipants({
      models: run.config.models,
      steerUser: run.config.steerUser,
      // Global limits across workers (Redis): configured ones hold; an unconfigured concurrency does not cap.
      admission: limits.admission,
      concurrency: UNCAPPED_MODEL_CONCURRENCY,
      onEvent: (event) => {
        limits.onEvent(event);
        say({ ...event, type: 'model', event: event.type, runId: run.id }, `model ${event.type}: ${JSON.stringify(event)}`);
      },
    });
    hubs.set(run.id, built.hub);
    return built.factory;
  };
  // Configured limits that held requests back are said, not silent (the admission's waited/waitMs).
  const reported = new Map<string, string>();
  const reportThrottlingOf = (runId: string, hub: ModelHub) => {
    const report = hub.throttleReport();
    if (!report.text || reported.get(runId) === report.text) return;
    reported.set(runId, report.text);
    say({ type: 'throttled', runId, models: report.models.filter((m) => m.throttled) }, `run ${runId}: ${report.text}`);
  };
  const reportThrottling = () => {
    for (const [runId, hub] of hubs) reportThrottlingOf(runId, hub);
  };
  // A run the worker no longer holds (finished, or idle): its last report is said, then its hub goes.
  const dropRun = (runId: string) => {
    const hub = hubs.get(runId);
    if (hub) reportThrottlingOf(runId, hub);
    hubs.delete(runId);
    reported.delete(runId);
  };
  const throttleTimer = setInterval(reportThrottling, THROTTLE_REPORT_MS);
  throttleTimer.unref();
  let worker: Awaited<ReturnType<typeof startEpisodeWorker>> | undefined;
  try {
    worker = await startEpisodeWorker({
      queueUrl,
      store,
      timing,
      concurrency: options.concurrency ?? DEFAULT_WORKER_CONCURRENCY,
      participantsFor,
      onRunDropped: dropRun,
      onEvent: (event) => say(event, describeEvent(event)),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  say(
    {
      type: 'started',
      worker: worker.id,
      queue: worker.queue,
      store: store.location,
      concurrency: options.concurrency ?? DEFAULT_WORKER_CONCURRENCY,
    },
    `worker ${worker.id} on ${worker.queue}, store ${store.location}, ${options.concurrency ?? DEFAULT_WORKER_CONCURRENCY} at once (Ctrl-C to stop)`,
  );
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) process.exit(130);
      say({ type: 'stopping', signal }, `${signal}: finishing the episodes in flight, then stopping (again to quit now)`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await worker.close();
  clearInterval(throttleTimer);
  reportThrottling();
  await store.close();
  say({ type: 'stopped', worker: worker.id }, `worker ${worker.id} stopped`);
}

function describeEvent(event: WorkerEvent): string {
  switch (event.type) {
    case 'episode': {
      const slot = `${event.runId} ${event.agent} ${event.taskId} trial ${event.trial}`;
      if (event.status === 'stored') return `${slot}: reward ${event.reward} (${event.termination}), attempt ${event.attempt}`;
      if (event.status === 'skipped') return `${slot}: already stored`;
      if (event.status === 'duplicate') return `${slot}: another attempt stored it first (attempt ${event.attempt} dropped)`;
      return `${slot}: ${event.status} on attempt ${event.attempt}${event.detail ? `: ${event.detail}` : ''}`;
    }
    case 'abandoned':
      return `${event.runId} ${event.episodeId}: attempt ${event.attempt} of worker ${event.worker} abandoned (its worker stopped mid-episode)`;
    case 'stalled':
      return `job ${event.jobId} stalled (its worker stopped); back in the queue`;
    case 'job-failed':
      return `job ${event.jobId} failed: ${event.reason}`;
    case 'run-finished':
      return `run ${event.runId} finished${event.auditError ? ` (run audit failed: ${event.auditError}; run groundwork audit ${event.runId})` : ''}`;
    case 'error':
      return `error: ${event.message}`;
  }
}
