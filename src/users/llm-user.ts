import type { ModelMessage, ToolSet } from 'ai';
import { modelToolSet } from '../models/tool-set.ts';
import { GroundworkError } from '../errors.ts';
import type { ModelHub } from '../models/model-hub.ts';
import { addUsage } from '../models/usage.ts';
import { shortHash, type JsonValue } from '../schema/json.ts';
import type { Task, UserScenario } from '../schema/task.ts';
import type { TrajectoryEvent, Usage } from '../schema/trajectory.ts';
import { SeededRandom } from '../util/seeded-random.ts';
import {
  conversation,
  USER_CONTROL_TOKENS,
  userVisibleEvents,
  type UserSession,
  type UserSimulator,
  type UserToolCall,
  type UserToolSpec,
} from './user.ts';

/** Version of the user prompt template; stored with every episode. */
export const LLM_USER_PROMPT_VERSION = 'groundwork-user/1';

/** Default temperature of a model user when neither the options nor the model config set one. */
export const LLM_USER_DEFAULT_TEMPERATURE = 1;

/** What the simulator's model sees as the agent's greeting before the user's first message. */
export const LLM_USER_GREETING = 'Hi! How can I help you today?';

/** Options of `createLlmUser`. */
export interface LlmUserOptions {
  /** Name shown in results. @default the spec */
  name?: string;
  /** Sampling temperature. @default the model config's, else 1 (τ-bench's user default) */
  temperature?: number;
  /** Maximum output tokens per message. @default the model config's, else the provider's */
  maxTokens?: number;
  /**
   * A goal-state block (UGST: which goal items are done, which are open) appended to the system
   * prompt before each turn; undefined leaves the prompt as is.
   */
  goalStateBlock?: (events: readonly TrajectoryEvent[], task: Task) => string | undefined;
  /**
   * Where the first message comes from: `model` (the model writes it, as in τ-bench) or
   * `scenario` (one of the task's openings, picked by seed: no model call).
   * @default 'model'
   */
  opening?: 'model' | 'scenario';
  /** Empty replies asked again before the turn fails with USER_FAILED (`user_error`). @default 2 */
  maxEmptyReplies?: number;
}

/**
 * A user simulator backed by a model. It plays the task's user from its scenario (who they are,
 * what they want, what they know and do not), one message at a time, never inventing facts and
 * giving information only when asked, and ends with `###STOP###` (or `###TRANSFER###`,
 * `###OUT-OF-SCOPE###`), which the orchestrator strips. Roles are flipped in its own model
 * conversation: the agent's messages are its `user` input. It never sees the agent's tool traffic.
 * Dual control (the domain gives the user tools): the tools are offered to its model, its tool
 * calls are run by the episode on its side, and it sees them as its own assistant tool calls
 * followed by their results — τ²'s user simulator semantics (`flip_roles`).
 * Resolves the spec at once, so a bad spec or a missing API key fails before the run starts.
 */
export function createLlmUser(spec: string, hub: ModelHub, options: LlmUserOptions = {}): UserSimulator {
  const model = hub.resolve(spec);
  const maxEmpty = options.maxEmptyReplies ?? 2;
  // Per scenario (every trial and agent of a task shares it): the system prompt and its hash are
  // built once, not once per episode. Keyed by the scenario object, then by the tools section: a
  // task is not changed once episodes run on it (probe variants are built as new tasks).
  const prompts = new WeakMap<UserScenario, Map<string, { system: string; hash: string }>>();
  const promptFor = (scenario: UserScenario, toolsSection: string | undefined) => {
    let bySection = prompts.get(scenario);
    if (!bySection) prompts.set(scenario, (bySection = new Map()));
    const key = toolsSection ?? '';
    let prompt = bySection.get(key);
    if (!prompt) {
      const system = toolsSection === undefined ? userSystemPrompt(scenario) : `${userSystemPrompt(scenario)}\n\n${toolsSection}`;
      prompt = { system, hash: shortHash(system) };
      bySection.set(key, prompt);
    }
    return prompt;
  };
  // One tool set per spec array: the orchestrator hands every episode of a domain the same array.
  const toolSets = new WeakMap<readonly UserToolSpec[], ToolSet>();
  return {
    name: options.name ?? spec,
    start({ task, seed, trial, tools: toolSpecs = [], guide }): UserSession {
      const session = hub.session(spec, { role: 'user', trial, seed });
      const withTools = toolSpecs.length > 0;
      const { system, hash: systemHash } = promptFor(task.user, withTools ? userToolsSection(guide) : undefined);
      let tools: ToolSet | undefined;
      if (withTools) {
        tools = toolSets.get(toolSpecs);
        if (!tools) {
          tools = modelToolSet(toolSpecs);
          toolSets.set(toolSpecs, tools);
        }
      }
      const objectInputs = model.provider === 'anthropic';
      const temperature = options.temperature ?? model.temperature ?? LLM_USER_DEFAULT_TEMPERATURE;
      const maxTokens = options.maxTokens ?? model.maxTokens;
      const openingMode = options.opening ?? 'model';
      return {
        async next(events) {
          if (openingMode === 'scenario' && conversation(events).length === 0) {
            const openings = task.user.openings;
            return { content: openings[SeededRandom.from('llm-user-opening', seed, task.id).int(0, openings.length - 1)] };
          }
          const block = options.goalStateBlock?.(events, task);
          const prompt = block ? `${system}\n\n# Where you are with your goal\n${block}` : system;
          const messages = userMessages(events, objectInputs);
          let usage: Usage | undefined;
          for (let attempt = 0; attempt <= maxEmpty; attempt++) {
            const response = await session.generate({
              system: prompt,
              messages,
              ...(tools ? { tools } : {}),
              temperature,
              ...(maxTokens !== undefined ? { maxOutputTokens: maxTokens } : {}),
            });
            usage = addUsage(usage, response.usage);
            const text = response.text.trim();
            if (tools && response.toolCalls.length > 0) {
              const toolCalls = response.toolCalls.map((call): UserToolCall => ({ name: call.name, arguments: call.arguments }));
              return { content: text, toolCalls, usage };
            }
            if (text) return { content: text, usage };
          }
          throw new GroundworkError('USER_FAILED', `user model ${spec} gave ${maxEmpty + 1} empty replies in a row`);
        },
        describe() {
          const out: Record<string, JsonValue> = {
            ...session.describe(),
            temperature,
            promptVersion: LLM_USER_PROMPT_VERSION,
            promptHash: USER_PROMPT_TEMPLATE_HASH,
            scenarioPromptHash: systemHash,
            opening: openingMode,
            goalState: options.goalStateBlock !== undefined,
          };
          if (withTools) out.tools = toolSpecs.map((spec) => spec.name);
          if (maxTokens !== undefined) out.maxTokens = maxTokens;
          return out;
        },
      };
    },
  };
}

const USER_PROMPT_TEMPLATE = `You are playing a user who contacts a support agent. Stay in character for the whole conversation.

# Who you are
{persona}

# Your instructions
{instructions}

# Facts you know
{known}

# What you do not know
{unknown}
{clarification}
# Confirmations
{confirms}

# Rules
- Write only your next message to the agent: one short message, no narration, no role labels.
- Do not give away all of your instructions at once. Give a piece of information only when the agent asks for it or the current step needs it.
- Never invent facts. Use only the facts above; if the agent asks for anything you were not given (an id, a number, a detail), say you do not know or do not have it.
- Do not copy the instructions word for word: use your own words, stay natural and consistent with who you are.
- When your goal is met, or the agent cannot help and there is nothing more you can do, end the conversation: write ${USER_CONTROL_TOKENS[0]} at the end of your message.
- If the agent transfers you to a human, reply with ${USER_CONTROL_TOKENS[1]} only.
- If the conversation needs something your instructions do not cover and you cannot go on, reply with ${USER_CONTROL_TOKENS[2]} only.`;

/** Hash of the user prompt template, stored with every episode (a constant: hashed once). */
const USER_PROMPT_TEMPLATE_HASH = shortHash(USER_PROMPT_TEMPLATE);

const USER_TOOLS_TEMPLATE = `# Your own tools
You can act on your own side (your device, your account) with the tools you are given. Use them when your instructions say so or when the agent asks you to do something on your side, one step at a time, exactly as asked; then tell the agent in your own words what you did and what you saw. The agent cannot see your tools or their results. Never claim you did something you did not do with a tool, and never make up what a tool showed.`;

/** The system prompt's section about the user's own tools (dual control), with the domain's guide. */
export function userToolsSection(guide: string | undefined): string {
  return guide?.trim() ? `${USER_TOOLS_TEMPLATE}\n\n${guide.trim()}` : USER_TOOLS_TEMPLATE;
}

/** The simulator's system prompt for a scenario (the fixed template filled in). */
export function userSystemPrompt(scenario: UserScenario): string {
  const known = scenario.known.length
    ? scenario.known.map((fact) => `- ${fact.id}: ${fact.value}`).join('\n')
    : '- (nothing beyond your instructions)';
  const unknown = scenario.unknown.length
    ? `${scenario.unknown.map((item) => `- ${item.id}${item.keywords.length ? ` (${item.keywords.join(', ')})` : ''}`).join('\n')}\nIf asked for any of these, say you do not know; never make one up.`
    : 'Anything not listed above: say you do not know.';
  const clarification = scenario.clarification ? `\n# If the agent asks which one you mean\n${scenario.clarification}\n` : '';
  const confirms = scenario.confirms
    ? 'When the agent asks you to confirm the action, agree.'
    : 'When the agent asks you to confirm the action, decline: you do not want it done.';
  const fill: Record<string, string> = {
    persona: scenario.persona,
    instructions: scenario.instructions,
    known,
    unknown,
    clarification,
    confirms,
  };
  return USER_PROMPT_TEMPLATE.replace(/\{(persona|instructions|known|unknown|clarification|confirms)\}/g, (_, name: string) => fill[name]);
}

type CallPart = { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown };
type ResultPart = { type: 'tool-result'; toolCallId: string; toolName: string; output: { type: 'text' | 'error-text'; value: string } };

/**
 * The conversation from the simulated user's side (roles flipped, as τ²'s `flip_roles`): the
 * agent's greeting, then agent messages as `user`, the user's own messages as `assistant`, its
 * own tool calls as `assistant` tool calls and their results as `tool` messages. The agent's tool
 * traffic is never seen. `objectInputs`: tool inputs must be objects (Anthropic).
 */
export function userMessages(events: readonly TrajectoryEvent[], objectInputs = false): ModelMessage[] {
  const messages: ModelMessage[] = [{ role: 'user', content: LLM_USER_GREETING }];
  for (const event of userVisibleEvents(events)) {
    const last = messages[messages.length - 1];
    if (event.type === 'message') {
      const role = event.role === 'agent' ? 'user' : 'assistant';
      const content = event.content || '(empty message)';
      // Two agent messages in a row (text, tools, more text) are one turn for the user.
      if (last.role === role && typeof last.content === 'string') last.content = `${last.content}\n\n${content}`;
      else messages.push({ role, content });
    } else if (event.type === 'tool_call') {
      let input: unknown = event.arguments;
      if (objectInputs && (input === null || typeof input !== 'object' || Array.isArray(input))) input = { _raw: input };
      const part: CallPart = { type: 'tool-call', toolCallId: event.id, toolName: event.name, input };
      // The calls of one user turn are one assistant message.
      if (last.role === 'assistant' && Array.isArray(last.content)) (last.content as CallPart[]).push(part);
      else messages.push({ role: 'assistant', content: [part] });
    } else if (event.type === 'tool_result') {
      const part: ResultPart = {
        type: 'tool-result',
        toolCallId: event.callId,
        toolName: event.name,
        output: { type: event.isError ? 'error-text' : 'text', value: event.content },
      };
      if (last.role === 'tool') (last.content as ResultPart[]).push(part);
      else messages.push({ role: 'tool', content: [part] });
    }
  }
  return messages;
}
