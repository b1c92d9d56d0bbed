/**
 * The entry of an episode thread (a worker_threads Worker started by `EpisodeThreads`): rebuilds
 * the run's domain, tasks, participants and auditor from what the main thread posts (model keys
 * from this thread's own environment, as the main thread reads them), then runs, grades and audits
 * the episodes it is sent. Storing, progress and the run log stay on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEpisodeAuditor } from '../../audit-runner/episode-auditor.ts';
import { describeError } from '../../errors.ts';
import type { ResolvedModel } from '../../models/model-config.ts';
import type { ModelAdmission } from '../../models/model-limiter.ts';
import { RemoteSharedAdmission } from '../../models/shared-admission.ts';
import { killLiveCommandAgents } from '../../agents/external-agent.ts';
import { buildAgent, buildUser } from '../../runner/build.ts';
import { domainFor, gradeLater, runUngradedEpisode } from '../../runner/local-runner.ts';
import type { TaskProblem } from '../../schema/audit.ts';
import { batchedAtCheckPhase, deferredToCheckPhase } from '../../util/check-phase.ts';
import { modelParticipants } from '../participants.ts';
import type { EpisodeThreadSetup, FromThread, ToThread } from './thread-messages.ts';

const port = parentPort;
if (!port) throw new Error('episode-thread.ts runs as a worker thread (started by EpisodeThreads)');
const setup = workerData as EpisodeThreadSetup;
// The episodes this thread finishes in one turn reach the main thread as one message, so their
// saves share one SQLite commit (one fsync), as they do on one thread.
const post = batchedAtCheckPhase<FromThread>((batch) => port.postMessage(batch));

/**
 * Test hook (GROUNDWORK_THREAD_FAULT): `throw@K` makes thread K throw while starting; `exit@K:N`
 * makes it exit when its N-th episode arrives; `hold@K:N` makes it exit as soon as it holds N model
 * slots at once (calls in flight) — the crashes a run must survive (tests only).
 */
function faultOf(env: NodeJS.ProcessEnv): { kind: 'throw' } | { kind: 'exit' | 'hold'; at: number } | undefined {
  const match = /^(throw|exit|hold)@(\d+)(?::(\d+))?$/.exec(env.GROUNDWORK_THREAD_FAULT ?? '');
  if (!match || Number(match[2]) !== setup.index) return undefined;
  return match[1] === 'throw' ? { kind: 'throw' } : { kind: match[1] as 'exit' | 'hold', at: Number(match[3] ?? 1) };
}
const fault = faultOf(process.env);
if (fault?.kind === 'throw') throw new Error(`GROUNDWORK_THREAD_FAULT: thread ${setup.index} fails to start`);

/** `hold@K:N`: the admission of thread K, exiting once this thread holds N slots (never releasing them). */
let held = 0;
function withHoldFault(admission: ModelAdmission): ModelAdmission {
  if (fault?.kind !== 'hold') return admission;
  const at = fault.at;
  return {
    acquire: async () => {
      const release = await admission.acquire();
      if (++held >= at) process.exit(3);
      return () => {
        held--;
        release();
      };
    },
    pause: (ms) => admission.pause(ms),
    stats: () => admission.stats(),
  };
}

const { config } = setup;
// A model's admission buffer, asked of the main thread when this thread first meets the model.
const buffers = new Map<string, (buffer: SharedArrayBuffer) => void>();
const admission = (model: ResolvedModel): ModelAdmission =>
  withHoldFault(
    new RemoteSharedAdmission(
      new Promise<SharedArrayBuffer>((resolve) => {
        buffers.set(model.name, resolve);
        post({
          type: 'admission',
          name: model.name,
          limits: {
            concurrency: model.limits.concurrency,
            ...(model.limits.requestsPerMinute !== undefined ? { requestsPerMinute: model.limits.requestsPerMinute } : {}),
          },
        });
      }),
      // Slots counted under this thread's index: the main thread gives them back if it dies holding them.
      { holder: setup.index },
    ),
  );
const { factory } = modelParticipants({
  models: config.models,
  steerUser: config.steerUser,
  concurrency: config.concurrency,
  ...(setup.replay !== undefined ? { replay: setup.replay } : {}),
  admission,
  onEvent: (event) => post({ type: 'model-event', event }),
  onAgentStderr: (agent, line) => post({ type: 'agent-stderr', agent, line }),
});
const domain = domainFor(config);
const tasks = new Map(setup.tasks.map((task) => [task.id, task]));
const agents = new Map(config.agents.map((name) => [name, buildAgent(name, domain, factory)]));
const user = buildUser(config.user, factory);
const auditor = setup.audit ? createEpisodeAuditor({ domain, tasks: setup.tasks }) : undefined;
// Grades and audits made back to back at the next check phase, as the runner makes them (see deferredToCheckPhase).
const grade = gradeLater();
const auditLater = auditor && deferredToCheckPhase(auditor.auditWith);
const problemsWanted = new Map<number, (problems: TaskProblem[]) => void>();
const now = () => new Date();
let received = 0;

async function runEpisode(id: number, spec: Extract<ToThread, { type: 'run' }>['spec']): Promise<void> {
  const task = tasks.get(spec.taskId)!;
  const played = await runUngradedEpisode(spec, task, domain, agents.get(spec.agent)!, user, config, now);
  post({ type: 'played', id });
  const graded = await played.graded(grade);
  const { record } = graded;
  if (!auditLater) return post({ type: 'done', id, record });
  const problems = await new Promise<TaskProblem[]>((resolve) => {
    problemsWanted.set(id, resolve);
    post({
      type: 'graded',
      id,
      row: { id: record.id, agent: record.agent, taskId: record.taskId, reward: record.reward, termination: record.termination },
    });
  });
  try {
    post({ type: 'done', id, record, audit: await auditLater(graded, task, problems) });
  } catch (error) {
    post({ type: 'done', id, record, auditError: describeError(error) });
  }
}

function receive(message: ToThread): void {
  switch (message.type) {
    case 'run':
      received++;
      if (fault?.kind === 'exit' && received >= fault.at) process.exit(3);
      // runUngradedEpisode and graded never reject for an episode's own failures: a rejection here is a bug, left
      // unhandled so that it ends this thread and the main thread stops the run with its message.
      void runEpisode(message.id, message.spec);
      break;
    case 'problems':
      problemsWanted.get(message.id)?.(message.problems);
      problemsWanted.delete(message.id);
      break;
    case 'admission':
      buffers.get(message.name)?.(message.buffer);
      buffers.delete(message.name);
      break;
    case 'close':
      // Terminating this thread runs no exit hook: the agents ended by the run (still in their exit
      // grace time) or left running are killed now, or they would outlive the run (spawned detached).
      post({ type: 'closed', killed: killLiveCommandAgents() });
      break;
  }
}

port.on('message', (batch: ToThread[]) => {
  for (const message of batch) receive(message);
});
post({ type: 'ready' });
