import type { ModelMessage, ToolSet } from 'ai';
import { modelToolSet } from '../models/tool-set.ts';
import type { ModelHub } from '../models/model-hub.ts';
import { shortHash, type JsonValue } from '../schema/json.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import type { Agent, AgentSession, AgentToolCall, AgentToolSpec } from './agent.ts';

/** Default temperature of a model agent when neither the options nor the model config set one. */
export const LLM_AGENT_DEFAULT_TEMPERATURE = 0;

/** Options of `createLlmAgent`. */
export interface LlmAgentOptions {
  /** Name shown in results. @default the spec */
  name?: string;
  /** Sampling temperature. @default the model config's, else 0 (τ-bench's agent default) */
  temperature?: number;
  /** Maximum output tokens per reply. @default the model config's, else the provider's */
  maxTokens?: number;
  /** The system prompt, from the policy the agent is given. @default the policy */
  systemPrompt?: (policy: string) => string;
}

/**
 * An agent backed by a model: system prompt = the policy it is given, tools = the tool specs it is given
 * with their JSON schemas (no `execute`: calls come back raw, ids preserved, malformed ones
 * included so the orchestrator turns them into error results the model sees). Model failures
 * after retries throw PROVIDER_FAILED (the episode becomes `infra_error`).
 * Resolves the spec at once, so a bad spec or a missing API key fails before the run starts.
 */
export function createLlmAgent(spec: string, hub: ModelHub, options: LlmAgentOptions = {}): Agent {
  const model = hub.resolve(spec);
  // One tool set per spec array: the orchestrator hands every episode of a domain the same array.
  const toolSets = new WeakMap<readonly AgentToolSpec[], ToolSet>();
  // The system prompt's hash, recorded with every episode: the prompt is the same for every
  // episode of a domain (or of a task, with agent notes), so it is hashed once per prompt.
  const promptHashes = new Map<string, string>();
  const promptHash = (system: string) => {
    let hash = promptHashes.get(system);
    if (hash === undefined) {
      if (promptHashes.size >= 1024) promptHashes.clear();
      hash = shortHash(system);
      promptHashes.set(system, hash);
    }
    return hash;
  };
  return {
    name: options.name ?? spec,
    start(context): AgentSession {
      const session = hub.session(spec, { role: 'agent', trial: context.trial, seed: context.seed });
      const system = options.systemPrompt?.(context.policy) ?? context.policy;
      let tools = toolSets.get(context.tools);
      if (!tools) {
        tools = modelToolSet(context.tools);
        toolSets.set(context.tools, tools);
      }
      const temperature = options.temperature ?? model.temperature ?? LLM_AGENT_DEFAULT_TEMPERATURE;
      const maxTokens = options.maxTokens ?? model.maxTokens;
      const memory: TurnMemory = { turnOfCall: new Map(), textOfTurn: new Map() };
      let turns = 0;
      return {
        async next(events) {
          const messages = agentMessages(events, memory, model.provider === 'anthropic');
          const response = await session.generate({
            system,
            messages,
            tools,
            temperature,
            ...(maxTokens !== undefined ? { maxOutputTokens: maxTokens } : {}),
          });
          turns++;
          const text = response.text.trim();
          const toolCalls: AgentToolCall[] = [];
          response.toolCalls.forEach((call, index) => {
            // Model ids are kept; a missing or reused one (some local servers) is made unique.
            const id = call.id && !memory.turnOfCall.has(call.id) ? call.id : `${call.id || 'call'}-t${turns}-${index}`;
            memory.turnOfCall.set(id, turns);
            toolCalls.push({ id, name: call.name, arguments: call.arguments });
          });
          if (text) memory.textOfTurn.set(turns, text);
          return {
            ...(text ? { message: text } : {}),
            ...(toolCalls.length ? { toolCalls } : {}),
            usage: response.usage,
          };
        },
        describe() {
          const out: Record<string, JsonValue> = { ...session.describe(), temperature, promptHash: promptHash(system) };
          if (maxTokens !== undefined) out.maxTokens = maxTokens;
          return out;
        },
      };
    },
  };
}

/** What the agent remembers of its own turns, to regroup tool calls into the replies they came in. */
export interface TurnMemory {
  /** Turn number of each tool call id this agent produced. */
  turnOfCall: Map<string, number>;
  /** Text of each turn that had text. */
  textOfTurn: Map<number, string>;
}

/**
 * The trajectory as model messages, from the agent's side: user messages → `user`, agent
 * messages → `assistant`, tool calls → assistant tool-call parts (grouped by the reply they came
 * in), tool results → `tool` messages. Notes are not shown to the model.
 */
export function agentMessages(
  events: readonly TrajectoryEvent[],
  memory: TurnMemory = { turnOfCall: new Map(), textOfTurn: new Map() },
  objectInputs = false,
): ModelMessage[] {
  type AssistantPart = { type: 'text'; text: string } | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown };
  type ResultPart = { type: 'tool-result'; toolCallId: string; toolName: string; output: { type: 'text' | 'error-text'; value: string } };
  const messages: ModelMessage[] = [];
  let assistant: { parts: AssistantPart[]; turn?: number | 'unknown'; text?: string } | undefined;
  let results: ResultPart[] = [];
  const flush = () => {
    if (assistant?.parts.length) messages.push({ role: 'assistant', content: assistant.parts });
    if (results.length) messages.push({ role: 'tool', content: results });
    assistant = undefined;
    results = [];
  };
  for (const event of events) {
    switch (event.type) {
      case 'message':
        flush();
        if (event.role === 'user') messages.push({ role: 'user', content: event.content || '(empty message)' });
        else assistant = { parts: [{ type: 'text', text: event.content }], text: event.content };
        break;
      case 'tool_call': {
        const turn = memory.turnOfCall.get(event.id) ?? 'unknown';
        let join = false;
        if (assistant) {
          // Calls of one reply share a turn; a reply's text comes just before its calls.
          if (assistant.turn !== undefined) join = assistant.turn === turn;
          else join = typeof turn === 'number' && memory.textOfTurn.get(turn) === assistant.text;
        }
        if (!join) {
          flush();
          assistant = { parts: [] };
        }
        assistant!.turn = turn;
        let input: unknown = event.arguments;
        if (objectInputs && (input === null || typeof input !== 'object' || Array.isArray(input))) input = { _raw: input };
        assistant!.parts.push({ type: 'tool-call', toolCallId: event.id, toolName: event.name, input });
        break;
      }
      case 'tool_result':
        results.push({
          type: 'tool-result',
          toolCallId: event.callId,
          toolName: event.name,
          output: { type: event.isError ? 'error-text' : 'text', value: event.content },
        });
        break;
      case 'note':
        break;
      case 'outcome_request':
        flush();
        messages.push({ role: 'user', content: event.content });
        break;
      case 'outcome_report':
        break;
    }
  }
  flush();
  return messages;
}
