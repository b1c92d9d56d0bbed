import type { Domain } from '../../domains/domain.ts';
import { GroundworkError } from '../../errors.ts';
import { branchAction, replayStep, replayToStep, trajectorySteps } from '../../episode/branching.ts';
import { policyWithNotes } from '../../episode/orchestrator.ts';
import type { JsonValue } from '../../schema/json.ts';
import type { Task } from '../../schema/task.ts';
import { diffStates } from '../../state/diff.ts';
import type { EpisodeRecord } from '../../store/store.ts';
import { SeededRandom } from '../../util/seeded-random.ts';
import { isVerifiedSuccess } from '../demonstrations.ts';
import { chatMessages } from './chat-format.ts';
import type { ChatTool, EarlyExperienceLine } from './schemas.ts';

/** Options of `earlyExperienceLines`. */
export interface EarlyExperienceOptions {
  /** Alternative actions tried at each expert state (besides the expert's own). @default 3 */
  alternatives?: number;
  /** Seed of the choice of alternatives. @default 0 */
  seed?: number;
}

/** Whether an episode is an expert trajectory: the oracle, or a verified success. */
export function expertSource(
  episode: Pick<EpisodeRecord, 'agent' | 'reward' | 'termination'>,
  simulatorFaulted: boolean,
): 'oracle' | 'verified' | undefined {
  if (!isVerifiedSuccess(episode) || simulatorFaulted) return undefined;
  return episode.agent === 'oracle' ? 'oracle' : 'verified';
}

const argumentsText = (value: JsonValue | string): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * Early-experience rows of one expert episode (implicit world modelling): at the state before
 * each of its tool calls, the expert's action and up to N alternative actions (other calls of the
 * same trajectory, as if taken out of turn; chosen by seed) are executed on forks of that state;
 * each row holds the context, the action and the resulting next state (observation, hash and
 * field-level changes). The episode's state is replayed once, step by step, and checked against
 * the recorded hashes. Dual control: the user's own tool calls are replayed on the user's tools
 * (they changed the state) but are not agent actions: no rows, never an alternative.
 */
export function earlyExperienceLines(
  episode: EpisodeRecord,
  task: Task,
  domain: Domain,
  tools: ChatTool[],
  source: 'oracle' | 'verified',
  options: EarlyExperienceOptions = {},
): EarlyExperienceLine[] {
  const steps = trajectorySteps(episode.trajectory);
  const alternatives = options.alternatives ?? 3;
  const lines: EarlyExperienceLine[] = [];
  const agentSteps = steps.filter((s) => s.actor !== 'user');
  const distinct = [...new Map(agentSteps.map((s) => [`${s.name}\u0000${argumentsText(s.arguments)}`, s])).values()];
  const metadata = {
    runId: episode.runId,
    episodeId: episode.id,
    taskId: episode.taskId,
    family: episode.family,
    agent: episode.agent,
    trial: episode.trial,
    split: episode.split,
    expertSource: source,
  };
  let snapshot = replayToStep(domain, task, episode.trajectory, 0);
  for (let step = 0; step < steps.length; step++) {
    const expert = steps[step];
    const current = snapshot;
    const nextEvents = step + 1 < steps.length ? episode.trajectory.events.slice(0, steps[step + 1].eventIndex) : episode.trajectory.events;
    if (expert.actor === 'user') {
      const state = current.state.fork();
      replayStep(domain, state, expert, step + 1);
      snapshot = { step: step + 1, state, events: nextEvents };
      continue;
    }
    const context = chatMessages(policyWithNotes(domain.policy, task.agentNotes), current.events);
    const random = SeededRandom.from('early-experience', options.seed ?? 0, episode.id, step);
    const others = random.sample(
      distinct.filter((s) => !(s.name === expert.name && argumentsText(s.arguments) === argumentsText(expert.arguments))),
      alternatives,
    );
    for (const [index, action] of [expert, ...others].entries()) {
      const branch = branchAction(domain, current, action);
      const changes = diffStates(current.state, branch.state).map((c) => ({
        table: c.table,
        key: c.key,
        op: c.op,
        path: c.path,
        ...(c.before !== undefined ? { before: c.before } : {}),
        ...(c.after !== undefined ? { after: c.after } : {}),
      }));
      if (context.length >= 2) {
        lines.push({
          context: { messages: context, tools },
          state: { step, hash: current.state.hash() },
          action: { name: action.name, arguments: argumentsText(action.arguments) },
          expert: index === 0,
          next: { observation: branch.execution.content, isError: branch.execution.isError, hash: branch.state.hash(), changes },
          metadata,
        });
      }
      // The expert's branch is the next state of the trajectory: continue from it.
      if (index === 0) {
        snapshot = { step: step + 1, state: branch.state, events: nextEvents };
        if (expert.stateHash && branch.state.hash() !== expert.stateHash)
          throw new GroundworkError('INVALID_ARGUMENT', `replay of ${episode.id} diverged at step ${step + 1}`, {
            hint: 'the domain or its tools changed since the episode was recorded',
          });
      }
    }
  }
  return lines;
}
