import { availableParallelism } from 'node:os';
import { GroundworkError } from '../../errors.ts';
import type { ModelsConfig } from '../../models/model-config.ts';
import { canShareLimits } from '../../models/shared-admission.ts';

/** Episodes left to run from which the automatic choice uses threads (starting one costs 0.3–2 s). */
export const AUTO_THREADS_MIN_EPISODES = 256;
/**
 * Run concurrency from which the automatic choice uses threads: below it one thread is not
 * saturated against a 100 ms model and a second one only costs CPU (bench/model-latency.ts on 2
 * cores: at c = 64 one thread's event loop was 0.5 busy and 2 threads were no faster).
 */
export const AUTO_THREADS_MIN_CONCURRENCY = 128;
/**
 * Cores from which the automatic choice uses threads. On 2 cores (quiet, 100 ms peer on the same
 * machine) two threads ran no more episodes per second than one at c = 256 (0.629 vs 0.637 of
 * ideal) for 35% more CPU per call: the machine's cores, not the thread, were the limit.
 */
export const AUTO_THREADS_MIN_CORES = 4;
/** Episodes in flight per thread the automatic choice aims at. */
export const AUTO_CONCURRENCY_PER_THREAD = 64;
/** Most threads the automatic choice starts. */
export const AUTO_THREADS_MAX = 4;

/** What decides how many threads a local run's episodes use. */
export interface ThreadChoice {
  /** `--threads N` (or undefined). */
  requested?: number;
  /** `GROUNDWORK_THREADS` (or undefined). */
  env?: string;
  /** Episodes left to run. */
  todo: number;
  /** The run's episode concurrency. */
  concurrency: number;
  /** Cassettes are being written (one writer: one thread). */
  recording: boolean;
  /** The run's configured models (a rate window too large to share keeps the run on one thread). */
  models: ModelsConfig;
  /** Cores to use when choosing automatically. @default os.availableParallelism() */
  cores?: number;
}

/** `GROUNDWORK_THREADS`: a whole number from 1 to 256, or `auto`/empty for the automatic choice. */
function threadsFromEnv(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '' || raw === 'auto') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 256)
    throw new GroundworkError('INVALID_ARGUMENT', `GROUNDWORK_THREADS must be a number from 1 to 256 or auto, not ${JSON.stringify(raw)}`, {
      hint: 'unset it for the automatic choice',
    });
  return Number(raw);
}

/**
 * Refuses bad thread settings (a bad `GROUNDWORK_THREADS`, `--threads` above 1 with `--record`)
 * before anything is stored; `chooseThreads` makes the same checks.
 */
export function checkThreadSettings(choice: Pick<ThreadChoice, 'requested' | 'env' | 'recording'>): void {
  threadsFromEnv(choice.env);
  if (choice.recording && choice.requested !== undefined && choice.requested > 1)
    throw new GroundworkError('INVALID_ARGUMENT', '--threads above 1 with --record: cassettes are written by one thread', {
      hint: 'record with --threads 1 (the default), then replay with more threads',
    });
}

/**
 * How many worker threads run the episodes: `--threads N`, else `GROUNDWORK_THREADS`, else
 * automatic — one thread for small or lightly concurrent runs (starting threads costs more than
 * they save) and on fewer than 4 cores, else min(cores, 4, concurrency ÷ 64). Never more than the episodes left or the
 * concurrency; one thread when recording cassettes (`--threads` above 1 with `--record` is refused)
 * or when a model's requests per minute are too many to share exactly.
 */
export function chooseThreads(choice: ThreadChoice): number {
  checkThreadSettings(choice);
  if (choice.recording) return 1;
  const fromEnv = threadsFromEnv(choice.env);
  if (!Object.values(choice.models).every((model) => canShareLimits(model.limits ?? {}))) return 1;
  const automatic = () => {
    if (choice.todo < AUTO_THREADS_MIN_EPISODES || choice.concurrency < AUTO_THREADS_MIN_CONCURRENCY) return 1;
    const cores = choice.cores ?? availableParallelism();
    if (cores < AUTO_THREADS_MIN_CORES) return 1;
    return Math.max(1, Math.min(cores, AUTO_THREADS_MAX, Math.floor(choice.concurrency / AUTO_CONCURRENCY_PER_THREAD)));
  };
  const wanted = choice.requested ?? fromEnv ?? automatic();
  return Math.max(1, Math.min(wanted, choice.concurrency, choice.todo));
}
