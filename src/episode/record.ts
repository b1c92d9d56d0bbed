import type { AgentToolCall } from '../agents/agent.ts';
import type { TrajectoryEvent, Usage } from '../schema/trajectory.ts';

/**
 * The part of a trajectory an episode writes as it goes: events, usage per role, turns taken,
 * and the ids given to tool calls that came without one. Shared by the core environment and its
 * wrappers, so every event lands in one ordered list.
 */
export class EpisodeRecord {
  readonly events: TrajectoryEvent[] = [];
  readonly usage: Record<string, Usage> = {};
  /** Agent and user turns taken (the trajectory's `steps`). */
  steps = 0;
  private unnamedCalls = 0;

  push(event: TrajectoryEvent): void {
    this.events.push(event);
  }

  /** A remark of the harness (a limit, a dropped call), shown in the trajectory. */
  note(content: string): void {
    this.events.push({ type: 'note', content });
  }

  addUsage(role: string, add: Usage | undefined): void {
    if (!add) return;
    const sum = (this.usage[role] ??= { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: 0 });
    sum.calls += add.calls;
    sum.inputTokens += add.inputTokens;
    sum.outputTokens += add.outputTokens;
    sum.costUsd += add.costUsd;
    sum.latencyMs += add.latencyMs;
  }

  /** The call's own id, or `call-N` numbered across the episode when the agent gave none. */
  callId(call: AgentToolCall): string {
    return call.id || `call-${++this.unnamedCalls}`;
  }
}
