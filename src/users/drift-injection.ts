import type { JsonValue } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import { USER_CONTROL_TOKENS, type UserSession, type UserSimulator } from './user.ts';

/**
 * Faults to inject, each at a 0-based user turn (0 is the opening). For tests of the simulator
 * audit: every injected fault must be flagged.
 */
export interface DriftInjection {
  /** Re-state a known fact (email, else name) with a wrong value. */
  contradictAt?: number;
  /** State a fact the scenario never gave (a reference number). */
  inventAt?: number;
  /** Reveal an internal id the user is not supposed to know (taken from the task's reference solution). */
  revealUnknownAt?: number;
  /** End the conversation (`###STOP###`) at this turn, whatever the goal state. */
  stopEarlyAt?: number;
}

/** The text each injection adds, so tests can find it. */
export const INJECTED_REFERENCE = 'REF-48213';

/** A wrong value of the same kind as a known fact (never equal to the scenario's). */
function contradiction(task: Task): string | undefined {
  const email = task.user.known.find((f) => f.id === 'email')?.value;
  if (email) return `Sorry, correction: my email is not.${email}.`;
  const name = task.user.known.find((f) => f.id === 'name')?.value;
  if (name) return name === 'Rowan Quill' ? "Sorry, I'm Ada Quill." : "Sorry, I'm Rowan Quill.";
  return undefined;
}

/** An internal id from the task's reference solution (the user never knows these). */
export function internalIdOf(task: Task): string | undefined {
  for (const step of task.oracle) {
    if (step.kind !== 'call') continue;
    for (const [key, value] of Object.entries(step.call.arguments)) {
      if (key.endsWith('_id') && typeof value === 'string' && /^[A-Za-z]{1,6}-\d{2,6}$/.test(value)) return value;
    }
  }
  return undefined;
}

/**
 * Wraps any user simulator and injects drift at known turns (Gymnasium-style wrapper): the inner
 * simulator still answers; the wrapper adds a contradiction, an invented fact or a revealed
 * internal id to its message, or ends the conversation early.
 */
export function withInjectedDrift(inner: UserSimulator, inject: DriftInjection): UserSimulator {
  return {
    name: `${inner.name}+drift`,
    start(context) {
      const session = inner.start(context);
      let turn = 0;
      const wrapped: UserSession = {
        async next(events) {
          const reply = await session.next(events);
          // A turn of the user's own tool calls (dual control) says nothing to the agent: turns count messages.
          if (reply.toolCalls?.length) return reply;
          const at = turn++;
          let content = reply.content;
          const control = USER_CONTROL_TOKENS.find((token) => content.includes(token));
          if (control) content = content.split(control).join('').trim();
          const extra: string[] = [];
          if (inject.contradictAt === at) extra.push(contradiction(context.task) ?? '');
          if (inject.inventAt === at) extra.push(`My reference number is ${INJECTED_REFERENCE}.`);
          if (inject.revealUnknownAt === at) {
            const id = internalIdOf(context.task);
            if (id) extra.push(`The internal id is ${id}.`);
          }
          content = [content, ...extra.filter(Boolean)].join(' ').trim();
          const stop = inject.stopEarlyAt === at ? USER_CONTROL_TOKENS[0] : control;
          return { ...reply, content: stop ? `${content} ${stop}` : content };
        },
        describe: () => ({ ...(session.describe?.() ?? {}), inject: inject as Record<string, JsonValue> }),
      };
      return wrapped;
    },
  };
}
