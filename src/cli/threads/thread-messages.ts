import type { SharedAdmissionLimits } from '../../models/shared-admission.ts';
import type { ModelEvent } from '../../models/model-session.ts';
import type { EpisodeSpec } from '../../runner/plan.ts';
import type { RunConfig } from '../../schema/run-config.ts';
import type { EpisodeAudit, TaskProblem } from '../../schema/audit.ts';
import type { Task } from '../../schema/task.ts';
import type { EpisodeRecord } from '../../store/store.ts';

/** What an episode thread is started with (its `workerData`): the run as the main thread has it, never a store. */
export interface EpisodeThreadSetup {
  /** The thread's number (1…), for messages. */
  index: number;
  config: RunConfig;
  tasks: Task[];
  /** Cassettes to answer model requests from (record mode runs on one thread). */
  replay?: string;
  /** Audit each episode here (the main thread tracks its task's cross-episode problems). */
  audit: boolean;
}

/** Main thread → episode thread. */
export type ToThread =
  | { type: 'run'; id: number; spec: EpisodeSpec }
  /** The task problems to audit episode `id` with (the answer to its `graded`). */
  | { type: 'problems'; id: number; problems: TaskProblem[] }
  /** A model's shared admission buffer (the answer to `admission`). */
  | { type: 'admission'; name: string; buffer: SharedArrayBuffer }
  /** The run is over: kill the live `cmd:` agent processes, answer `closed`, and be terminated. */
  | { type: 'close' };

/** Episode thread → main thread. */
export type FromThread =
  /** Set up: the run's domain, participants and auditor are built. */
  | { type: 'ready' }
  /** Episode `id` is played: its lane may start its next episode (grade, audit and `done` follow). */
  | { type: 'played'; id: number }
  /** Episode `id` is graded; to audit it the thread needs its task's problems (they depend on every thread's episodes). */
  | { type: 'graded'; id: number; row: { id: string; agent: string; taskId: string; reward: number; termination: string } }
  | { type: 'done'; id: number; record: EpisodeRecord; audit?: EpisodeAudit; auditError?: string }
  | { type: 'admission'; name: string; limits: SharedAdmissionLimits }
  | { type: 'model-event'; event: ModelEvent }
  | { type: 'agent-stderr'; agent: string; line: string }
  /** The answer to `close`: no agent process of this thread is left. */
  | { type: 'closed'; killed: number };
