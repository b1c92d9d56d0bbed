import type { AgentToolCall, AgentTurn } from '../agents/agent.ts';
import type { Domain } from '../domains/domain.ts';
import { executeSideToolCall, type ToolExecution } from '../domains/tools.ts';
import { describeError, GroundworkError, isInfraError } from '../errors.ts';
import type { JsonValue } from '../schema/json.ts';
import type { TableState } from '../state/table-state.ts';
import { splitControlToken, type UserToolCall, type UserTurn } from '../users/user.ts';
import { continues, ends, type EpisodeAction, type EpisodeEnv, type EpisodeStep, type WrapperSpec } from './env.ts';
import { EpisodeRecord } from './record.ts';

/** What the open agent turn decided, read when the turn ends. */
interface OpenTurn {
  calls: number;
  end: boolean;
  spoke: boolean;
}

/**
 * The core episode environment, with no limits: the episode's own copy of the state, the
 * domain's tools, and the record. The user opens; an agent turn that calls tools is followed by
 * another agent turn, one that only speaks hands over to the user; a terminal tool, an explicit
 * end, a user stop token or a participant failure ends the episode. Dual control: a user turn
 * that calls the user's own tools runs them (recorded with `actor: 'user'`) and is followed by
 * another user turn, as τ²'s orchestrator routes tool results back to their requestor.
 */
export class ConversationEnv implements EpisodeEnv {
  private written = new EpisodeRecord();
  readonly wrappers: readonly WrapperSpec[] = [];
  private current: TableState | undefined;
  private turn: OpenTurn | undefined;

  constructor(
    private readonly domain: Pick<Domain, 'tools' | 'user' | 'sync'>,
    /** The state episodes start from; each `reset` works on a fresh fork, never on it. */
    readonly initialState: TableState,
  ) {}

  /** The record of the current episode (a new one on each `reset`). */
  get record(): EpisodeRecord {
    return this.written;
  }

  /** The episode's state as it is now. Throws before `reset`, like any step. */
  get state(): TableState {
    if (!this.current) throw new GroundworkError('INVALID_ARGUMENT', 'the episode environment was not reset');
    return this.current;
  }

  reset(): EpisodeStep {
    this.written = new EpisodeRecord();
    this.current = this.initialState.fork();
    this.turn = undefined;
    return continues(this.record.events, 'user');
  }

  step(action: EpisodeAction): EpisodeStep {
    // Gymnasium's order enforcing: stepping a never-reset environment is a harness bug.
    if (!this.current) throw new GroundworkError('INVALID_ARGUMENT', 'step() before reset() on an episode environment');
    switch (action.type) {
      case 'user_turn':
        return this.userTurn(action.turn);
      case 'agent_turn':
        return this.openAgentTurn(action.turn);
      case 'tool_call':
        return this.toolCall(action.call);
      case 'agent_turn_end':
        return this.closeAgentTurn();
      case 'failure': {
        const reason = isInfraError(action.error) ? 'infra_error' : action.actor === 'agent' ? 'agent_error' : 'user_error';
        return ends(this.record.events, reason, describeError(action.error));
      }
    }
  }

  private userTurn(turn: UserTurn): EpisodeStep {
    this.record.steps++;
    this.record.addUsage('user', turn.usage);
    if (turn.toolCalls?.length) return this.userToolCalls(turn.toolCalls);
    if (typeof turn.content !== 'string') return ends(this.record.events, 'user_error', 'user simulator returned no text');
    const { text, control } = splitControlToken(turn.content);
    this.record.push(
      control ? { type: 'message', role: 'user', content: text, control } : { type: 'message', role: 'user', content: text },
    );
    return control ? ends(this.record.events, 'user_stop', control) : continues(this.record.events, 'agent');
  }

  /**
   * The user's own tool calls, run in order on the user's tools only (an agent tool name is an
   * unknown tool here). The results go back to the user: it is the user's turn again. A user's
   * invalid call is not the agent's fault, so it is never counted as an invalid agent step.
   */
  private userToolCalls(calls: readonly UserToolCall[]): EpisodeStep {
    for (const call of calls) {
      const id = this.record.callId({ id: '', name: call.name, arguments: call.arguments });
      this.record.push({ type: 'tool_call', id, actor: 'user', name: call.name, arguments: call.arguments as JsonValue });
      const result = executeSideToolCall(this.domain, this.state, 'user', call.name, call.arguments);
      this.pushResult(id, call.name, result, 'user');
    }
    return continues(this.record.events, 'user');
  }

  private openAgentTurn(turn: AgentTurn): EpisodeStep {
    this.record.steps++;
    this.record.addUsage('agent', turn.usage);
    const message = typeof turn.message === 'string' ? turn.message.trim() : '';
    if (message) this.record.push({ type: 'message', role: 'agent', content: message });
    this.turn = { calls: (turn.toolCalls ?? []).length, end: Boolean(turn.end), spoke: message !== '' };
    return continues(this.record.events);
  }

  private toolCall(call: AgentToolCall): EpisodeStep {
    const id = this.record.callId(call);
    this.record.push({ type: 'tool_call', id, name: call.name, arguments: call.arguments as JsonValue });
    const result = executeSideToolCall(this.domain, this.state, 'agent', call.name, call.arguments);
    this.pushResult(id, call.name, result);
    if (result.terminal) return ends(this.record.events, 'agent_stop', `terminal tool ${call.name}`);
    return continues(this.record.events, undefined, result.valid ? undefined : 'tool_call');
  }

  private pushResult(callId: string, name: string, result: ToolExecution, actor?: 'user'): void {
    this.record.push({
      type: 'tool_result',
      callId,
      ...(actor ? { actor } : {}),
      name,
      content: result.content,
      isError: result.isError,
      ...(result.wrote ? { stateHash: this.state.hash() } : {}),
    });
  }

  private closeAgentTurn(): EpisodeStep {
    const turn = this.turn ?? { calls: 0, end: false, spoke: false };
    this.turn = undefined;
    if (turn.calls > 0) return continues(this.record.events, 'agent');
    if (turn.end) return ends(this.record.events, 'agent_stop', 'agent ended the conversation');
    if (turn.spoke) return continues(this.record.events, 'user');
    this.record.note('agent reply had neither text nor tool calls');
    return continues(this.record.events, 'agent', 'reply');
  }
}
