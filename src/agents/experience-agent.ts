import type { Domain } from '../domains/domain.ts';
import type { JsonValue } from '../schema/json.ts';
import { GroundworkError } from '../errors.ts';
import type { Agent, AgentSession } from './agent.ts';

/** What the experience provider is told about an episode. */
export interface ExperienceRequest {
  domain: Domain;
  /** Task id, family and split (harness-side; never shown to the wrapped agent). */
  taskInfo: { id: string; family: string; split: string };
  /** The user's opening message. */
  request: string;
  seed: number;
  trial: number;
}

/** Experience for one episode: text appended to the system prompt and the ids of the records used. */
export interface ProvidedExperience {
  text: string;
  ids: string[];
}

/** Options of `createExperienceAgent`. */
export interface ExperienceAgentOptions {
  /** Name shown in results (usually the model spec). */
  name: string;
  /** Builds the inner agent for one episode with the given system prompt (e.g. `createLlmAgent(spec, hub, {systemPrompt})`). */
  build: (systemPrompt: (policy: string) => string) => Agent;
  /** Experience for an episode; may read a store. */
  experience: (request: ExperienceRequest) => Promise<ProvidedExperience>;
}

/**
 * Wraps an agent so each episode's system prompt is the domain's policy followed by experience
 * chosen for that episode (its task, family and the user's opening request). The inner agent is
 * started at the first turn, when the opening request is known; the ids of the experience shown
 * are stored with the episode (`participants.agent.experience`), so every trajectory says which
 * experience it saw. A harness layer: it is privileged (it needs the task's id, family and split to
 * retrieve experience) but the wrapped agent gets only the unprivileged context.
 */
export function createExperienceAgent(options: ExperienceAgentOptions): Agent {
  return {
    name: options.name,
    privileged: true,
    start(context, access): AgentSession {
      if (!access) throw new GroundworkError('AGENT_FAILED', 'the experience wrapper needs privileged access to the task id and family');
      const { task, domain } = access;
      const taskInfo = { id: task.id, family: task.family, split: task.split };
      let inner: AgentSession | undefined;
      let used: string[] = [];
      return {
        async next(events) {
          if (!inner) {
            const first = events.find((e) => e.type === 'message' && e.role === 'user');
            const request = first && first.type === 'message' ? first.content : '';
            const provided = await options.experience({ domain, taskInfo, request, seed: context.seed, trial: context.trial });
            used = provided.ids;
            const agent = options.build((policy) => (provided.text ? `${policy}\n\n${provided.text}` : policy));
            inner = agent.start(context);
          }
          return inner.next(events);
        },
        describe() {
          const out: Record<string, JsonValue> = { ...(inner?.describe?.() ?? {}) };
          out.experience = used;
          return out;
        },
        close() {
          inner?.close?.();
        },
      };
    },
  };
}
