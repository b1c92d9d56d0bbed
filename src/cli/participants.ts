import type { Agent } from '../agents/agent.ts';
import { createCommandAgent, httpAgentSpec, isCommandAgent, isHttpAgent } from '../agents/external-agent.ts';
import { createLlmAgent } from '../agents/llm-agent.ts';
import { ModelHub, type ModelHubOptions } from '../models/model-hub.ts';
import type { ModelsConfig } from '../models/model-config.ts';
import type { ModelEvent } from '../models/model-session.ts';
import type { ParticipantFactory } from '../runner/build.ts';
import { createLlmUser } from '../users/llm-user.ts';
import { goalStateBlockFor } from '../audits/goal-state.ts';

/** Options for model-backed participants of one run. */
export interface ModelParticipantsOptions {
  models: ModelsConfig;
  record?: string;
  replay?: string;
  onEvent?: (event: ModelEvent) => void;
  /** Steer LLM users with their tracked goal state (UGST) every turn. @default false */
  steerUser?: boolean;
  /** Each stderr line of a `cmd:` agent's process, redacted (for the run log); otherwise only its tail reaches error details. */
  onAgentStderr?: (agent: string, line: string) => void;
  /**
   * The run's episode concurrency: a model whose config sets no `limits.concurrency` gets this
   * limit, so a default limit never caps `--concurrency` silently. @default the model default (8)
   */
  concurrency?: number;
  /** Admission of each model's requests (queue workers: shared through Redis). @default in-process limiters */
  admission?: ModelHubOptions['admission'];
  /** See `ModelHubOptions.chatWire`. @default true */
  chatWire?: boolean;
  /** See `ModelHubOptions.transport`. */
  transport?: ModelHubOptions['transport'];
}

/**
 * One model hub per run (shared limits, record/replay) and a participant factory that turns
 * model specs and configured model names into LLM agents and users.
 */
export function modelParticipants(options: ModelParticipantsOptions): { hub: ModelHub; factory: ParticipantFactory } {
  // The AI SDK prints its own warnings to the console; ours go to the run log.
  (globalThis as Record<string, unknown>).AI_SDK_LOG_WARNINGS = false;
  const hub = new ModelHub({
    models: options.models,
    record: options.record,
    replay: options.replay,
    onEvent: options.onEvent,
    ...(options.concurrency !== undefined ? { defaultConcurrency: options.concurrency } : {}),
    ...(options.admission ? { admission: options.admission } : {}),
    ...(options.chatWire !== undefined ? { chatWire: options.chatWire } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
  });
  const agents = new Map<string, Agent>();
  const users = new Map<string, ReturnType<typeof createLlmUser>>();
  const factory: ParticipantFactory = {
    agent(name) {
      if (!agents.has(name)) {
        // External agents (docs/external-agents.md): an OpenAI-compatible endpoint is the LLM agent
        // over that base URL (record/replay, redaction, limits and accounting as for any model); a
        // command gets the environment minus every model key this run knows.
        if (isHttpAgent(name)) agents.set(name, createLlmAgent(httpAgentSpec(name), hub, { name }));
        else if (isCommandAgent(name)) {
          const onStderr = options.onAgentStderr;
          agents.set(
            name,
            createCommandAgent(name, {
              secretEnv: modelKeyVariables(options.models),
              redactor: hub.redactor,
              ...(onStderr ? { onStderr: (line: string) => onStderr(name, hub.redactor.redact(line)) } : {}),
            }),
          );
        } else if (hub.has(name)) agents.set(name, createLlmAgent(name, hub));
        else return undefined;
      }
      return agents.get(name);
    },
    user(name) {
      if (!hub.has(name)) return undefined;
      if (!users.has(name)) users.set(name, createLlmUser(name, hub, options.steerUser ? { goalStateBlock: goalStateBlockFor } : {}));
      return users.get(name);
    },
  };
  return { hub, factory };
}

/** The key variables of the configured models (`apiKeyEnv`), kept from external agent processes. */
function modelKeyVariables(models: ModelsConfig): string[] {
  return Object.values(models).flatMap((model) => (model.apiKeyEnv ? [model.apiKeyEnv] : []));
}
