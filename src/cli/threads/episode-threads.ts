import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EpisodeAuditor } from '../../audit-runner/episode-auditor.ts';
import type { ModelEvent } from '../../models/model-session.ts';
import type { SharedAdmissions } from '../../models/shared-admission.ts';
import type { EpisodeExecutor, ExecutedEpisode } from '../../runner/local-runner.ts';
import type { EpisodeSpec } from '../../runner/plan.ts';
import type { TaskProblem } from '../../schema/audit.ts';
import type { RunConfig } from '../../schema/run-config.ts';
import type { Task } from '../../schema/task.ts';
import type { EpisodeThreadSetup, FromThread, ToThread } from './thread-messages.ts';
import { batchedAtCheckPhase } from '../../util/check-phase.ts';

/** Options of `EpisodeThreads`. */
export interface EpisodeThreadsOptions {
  /** Worker threads to run episodes on (started on the first episode). */
  threads: number;
  runId: string;
  config: RunConfig;
  tasks: Task[];
  /** Cassettes to replay (recording stays on one thread: the CLI never starts threads for it). */
  replay?: string;
  /** The models' admissions, shared with every thread (and read for the throttle report). */
  admissions: SharedAdmissions;
  /**
   * The main thread's episode auditor (made on first use): it counts every thread's episodes
   * towards their task's cross-episode problems, tells each thread the problems to audit with, and
   * is what the end-of-run summary is given. Absent: episodes are stored without audits.
   */
  auditor?: () => EpisodeAuditor;
  onModelEvent?: (event: ModelEvent) => void;
  onAgentStderr?: (agent: string, line: string) => void;
  /** A thread stopped (when it happens; the run then stops with the same error). */
  onThreadFailed?: (error: Error) => void;
}

/** An episode sent to a thread and not back yet. */
interface InFlight {
  task: Task;
  /** Settles `play` once the thread has played it (then undefined). */
  played?: { resolve: () => void; reject: (error: Error) => void };
  resolve: (executed: ExecutedEpisode) => void;
  reject: (error: Error) => void;
  /** The problems it is audited with (asked for by the thread once graded), and the row they were counted from. */
  problems?: TaskProblem[];
  row?: Extract<FromThread, { type: 'graded' }>['row'];
}

/** One worker thread and its episodes in flight. */
interface EpisodeThread {
  index: number;
  worker: Worker;
  /** Posts to the thread (the messages of one turn as one batch). */
  send: (message: ToThread) => void;
  inFlight: Map<number, InFlight>;
  /** Why it stopped (an uncaught error, an exit while running); undefined while it runs. */
  failure?: Error;
  /** Settles when the thread is set up (rejects when it fails first). */
  ready: Promise<void>;
  readied: { resolve: () => void; reject: (error: Error) => void };
  /** Called when the thread answers `close` (its agent processes are killed). */
  closed?: () => void;
}

/** How long `close()` waits for a thread to kill its agent processes before terminating it anyway. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * How a thread starts: the entry beside this module, `.js` in the compiled package; `.ts` under
 * tsx (tests, a source checkout), where the thread registers tsx itself first (Node 20 does not
 * apply the parent's `--import tsx` loader hooks to worker threads).
 */
function threadEntry(): { entry: URL | string; eval: boolean } {
  const extension = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./episode-thread${extension}`, import.meta.url);
  if (extension !== '.ts') return { entry: url, eval: false };
  const api = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return { entry: bootstrap, eval: true };
}

/**
 * Runs a local run's episodes on worker threads (`run --threads N`): each thread rebuilds the run's
 * domain, participants and auditor from the run's config and tasks, and runs, grades and audits the
 * episodes it is given, telling the main thread when each is played (its lane goes on) and then its
 * result; the main thread keeps the plan, the lease, storing, progress and the run log. Model limits are shared through `admissions`. A thread that crashes rejects its episodes in
 * flight (the runner then stops the run, `interrupted`); the others finish theirs.
 */
export class EpisodeThreads implements EpisodeExecutor {
  private readonly options: EpisodeThreadsOptions;
  private readonly threads: EpisodeThread[] = [];
  private nextId = 1;
  private closing = false;

  constructor(options: EpisodeThreadsOptions) {
    this.options = options;
  }

  /** Runs one episode on the thread with the fewest in flight (threads start on the first call). */
  run(spec: EpisodeSpec, task: Task): Promise<ExecutedEpisode> {
    return this.play(spec, task).then(({ executed }) => executed);
  }

  /**
   * `run` in two steps: resolves once the thread has played the episode (its `played` message),
   * with the result (graded and audited there) still to come, so the runner's lane goes on.
   */
  play(spec: EpisodeSpec, task: Task): Promise<{ executed: Promise<ExecutedEpisode> }> {
    if (this.threads.length === 0) this.start();
    const live = this.threads.filter((thread) => !thread.failure);
    if (live.length === 0) return Promise.reject(this.threads[0].failure);
    const thread = live.reduce((least, candidate) => (candidate.inFlight.size < least.inFlight.size ? candidate : least));
    const id = this.nextId++;
    return new Promise((playedResolve, playedReject) => {
      const executed = new Promise<ExecutedEpisode>((resolve, reject) => {
        thread.inFlight.set(id, { task, played: { resolve: () => playedResolve({ executed }), reject: playedReject }, resolve, reject });
      });
      // Rejected with the play too when the thread fails first; only the play's rejection is reported.
      executed.catch(() => undefined);
      this.send(thread, { type: 'run', id, spec });
    });
  }

  /** Starts the threads (if not yet) and resolves once every one is set up, or rejects with the first failure. */
  ready(): Promise<void> {
    if (this.threads.length === 0) this.start();
    return Promise.all(this.threads.map((thread) => thread.ready)).then(() => undefined);
  }

  /** Each thread's event-loop utilisation since it started (0–1; the bench reads where the wall is). */
  utilization(): number[] {
    return this.threads.map((thread) => thread.worker.performance.eventLoopUtilization().utilization);
  }

  /**
   * Stops the threads (after the run: nothing is in flight then). Each live thread is first asked to
   * kill its `cmd:` agent processes (terminating a thread runs none of its exit hooks) and is
   * terminated once it answers, or after `CLOSE_TIMEOUT_MS` if it does not.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((thread) => this.closeThread(thread)));
  }

  private async closeThread(thread: EpisodeThread): Promise<void> {
    if (!thread.failure) {
      let timer: NodeJS.Timeout | undefined;
      let onExit: (() => void) | undefined;
      await new Promise<void>((resolve) => {
        thread.closed = resolve;
        onExit = resolve;
        thread.worker.once('exit', onExit);
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
        this.send(thread, { type: 'close' });
      });
      clearTimeout(timer);
      if (onExit) thread.worker.off('exit', onExit);
    }
    await thread.worker.terminate();
  }

  private start(): void {
    const { entry, eval: isEval } = threadEntry();
    for (let index = 1; index <= this.options.threads; index++) {
      const setup: EpisodeThreadSetup = {
        index,
        config: this.options.config,
        tasks: this.options.tasks,
        ...(this.options.replay !== undefined ? { replay: this.options.replay } : {}),
        audit: this.options.auditor !== undefined,
      };
      const worker = new Worker(entry, { workerData: setup, eval: isEval });
      let readied!: EpisodeThread['readied'];
      const ready = new Promise<void>((resolve, reject) => (readied = { resolve, reject }));
      ready.catch(() => undefined); // reported through run() when nobody waits for ready()
      const send = batchedAtCheckPhase<ToThread>((batch) => worker.postMessage(batch));
      const thread: EpisodeThread = { index, worker, send, inFlight: new Map(), ready, readied };
      worker.on('message', (batch: FromThread[]) => {
        for (const message of batch) this.receive(thread, message);
      });
      worker.on('error', (error) => this.fail(thread, `failed: ${error.message}`));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(thread, `exited (code ${code})`);
      });
      this.threads.push(thread);
    }
  }

  private receive(thread: EpisodeThread, message: FromThread): void {
    switch (message.type) {
      case 'ready':
        thread.readied.resolve();
        return;
      case 'played': {
        const episode = thread.inFlight.get(message.id);
        episode?.played?.resolve();
        if (episode) episode.played = undefined;
        return;
      }
      case 'graded': {
        const episode = thread.inFlight.get(message.id);
        if (!episode) return;
        episode.problems = this.options.auditor!().begin(message.row, episode.task);
        episode.row = message.row;
        this.send(thread, { type: 'problems', id: message.id, problems: episode.problems });
        return;
      }
      case 'done': {
        const episode = thread.inFlight.get(message.id);
        if (!episode) return;
        thread.inFlight.delete(message.id);
        episode.played?.resolve();
        if (message.audit && episode.problems) this.options.auditor!().finish(message.record.id, episode.problems, message.audit);
        episode.resolve({
          record: message.record,
          ...(message.audit ? { audit: message.audit } : {}),
          ...(message.auditError !== undefined ? { auditError: new Error(message.auditError) } : {}),
        });
        return;
      }
      case 'admission':
        this.send(thread, {
          type: 'admission',
          name: message.name,
          buffer: this.options.admissions.bufferFor(message.name, message.limits),
        });
        return;
      case 'model-event':
        this.options.onModelEvent?.(message.event);
        return;
      case 'agent-stderr':
        this.options.onAgentStderr?.(message.agent, message.line);
        return;
      case 'closed':
        thread.closed?.();
        return;
    }
  }

  private send(thread: EpisodeThread, message: ToThread): void {
    thread.send(message);
  }

  /** A thread stopped: its episodes in flight are lost (not stored), the run stops with this error. */
  private fail(thread: EpisodeThread, what: string): void {
    if (thread.failure) return;
    const lost = thread.inFlight.size;
    // A plain Error: no GroundworkError code fits a crashed thread, and the line says what to do.
    thread.failure = new Error(
      `episode thread ${thread.index} of run ${this.options.runId} ${what}; the ${lost} episode(s) it was running were not stored and no new episode was started (the stored ones are kept: groundwork run --resume ${this.options.runId})`,
    );
    // Its model calls in flight will never release their slots: give them back, or the other
    // threads' calls wait for them forever once the lost slots reach a model's concurrency.
    this.options.admissions.releaseHeldBy(thread.index);
    this.options.onThreadFailed?.(thread.failure);
    thread.readied.reject(thread.failure);
    for (const episode of thread.inFlight.values()) {
      // Counted towards its task's problems, but never stored: it no longer counts.
      if (episode.row) this.options.auditor?.().forget(episode.row);
      episode.played?.reject(thread.failure);
      episode.reject(thread.failure);
    }
    thread.inFlight.clear();
  }
}
