/** Test and bench clients of `groundwork serve`: a WebSocket client speaking OpenEnv's messages, and a driver for local agents. */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { AgentSession, AgentTurn } from '../../src/agents/agent.ts';
import type { TrajectoryEvent } from '../../src/schema/trajectory.ts';
import { stepResultSchema, type WireStepResult } from '../../src/serve/wire-schemas.ts';

/** A WebSocket client speaking OpenEnv's messages: one request, one reply. */
export class WsClient {
  private readonly replies: unknown[] = [];
  private waiters: ((value: unknown) => void)[] = [];
  closed: Promise<{ code: number; reason: string }>;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const value = JSON.parse(raw.toString());
      const waiter = this.waiters.shift();
      if (waiter) waiter(value);
      else this.replies.push(value);
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }
  static async open(url: string): Promise<WsClient> {
    const socket = new WebSocket(url);
    const client = new WsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }
  next(): Promise<Record<string, any>> {
    if (this.replies.length > 0) return Promise.resolve(this.replies.shift() as Record<string, any>);
    return new Promise((resolve) => this.waiters.push(resolve as (value: unknown) => void));
  }
  async send(message: unknown): Promise<Record<string, any>> {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    return this.next();
  }
  async observation(message: unknown): Promise<WireStepResult> {
    const reply = await this.send(message);
    assert.equal(reply.type, 'observation', JSON.stringify(reply));
    return stepResultSchema.parse(reply.data);
  }
  close(): void {
    this.socket.close();
  }
}

/** The wire action a local agent's turn stands for (one call per step). */
export function wireActionOf(turn: AgentTurn): Record<string, unknown> {
  const call = turn.toolCalls?.[0];
  if (call)
    return {
      type: 'tool_call',
      name: call.name,
      arguments: call.arguments,
      id: call.id,
      ...(turn.message ? { message: turn.message } : {}),
    };
  if (turn.end) return { type: 'end', ...(turn.message ? { content: turn.message } : {}) };
  return { type: 'message', content: turn.message ?? '' };
}

/** Play a local agent (the oracle, noop) through a step function; returns the last result and every event seen. */
export async function play(
  agent: AgentSession,
  first: WireStepResult,
  step: (action: Record<string, unknown>) => Promise<WireStepResult>,
): Promise<{ last: WireStepResult; seen: TrajectoryEvent[] }> {
  const seen = [...first.observation.events];
  let result = first;
  while (!result.done) {
    result = await step(wireActionOf(await agent.next(seen)));
    seen.push(...result.observation.events);
  }
  return { last: result, seen };
}
