import type { Domain } from '../domains/domain.ts';
import { GroundworkError } from '../errors.ts';
import { type OracleStep, oracleStepMessage } from '../schema/task.ts';
import type { Agent, AgentTurn } from './agent.ts';
import { callTurn, scriptedSession, type AgentScript, type ScriptInput } from './scripted-session.ts';

/** The tools that end the conversation in a domain (the oracle plays a `say` before one in the same turn). */
export function terminalTools(domain: Pick<Domain, 'tools'> | undefined): Set<string> {
  return new Set((domain?.tools ?? []).filter((tool) => tool.terminal).map((tool) => tool.name));
}

/**
 * The turns of `steps` as the oracle plays them (one call per turn; a `say` waits for the reply; a
 * `say` before a terminal call goes with it). Returns what came back after the last turn, so agents
 * built on the oracle (the probe test agents) can go on where the oracle would end.
 */
export function* playOracleSteps(
  steps: readonly OracleStep[],
  terminal: ReadonlySet<string>,
): Generator<AgentTurn, ScriptInput | undefined, ScriptInput> {
  let last: ScriptInput | undefined;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const next = steps[i + 1];
    if (step.kind === 'call') last = yield callTurn(step.call.name, step.call.arguments);
    else if (step.kind === 'say' && next?.kind === 'call' && terminal.has(next.call.name)) {
      last = yield { message: oracleStepMessage(step), toolCalls: callTurn(next.call.name, next.call.arguments).toolCalls };
      i++;
    } else last = yield { message: oracleStepMessage(step) };
  }
  return last;
}

/**
 * Plays the task's reference solution through the normal interface: one tool call per turn,
 * each `say` step sent to the user (then it waits for the reply), each `ask_user` step sent as a
 * request the user performs on its side (then it waits for the user's report). A `say` followed by
 * a terminal call (transfer to a human) goes in the same turn as that call: the user hears it as
 * the call ends the conversation, instead of taking it as the end and stopping first.
 * Privileged: it reads the task. On every well-formed task it must reach reward 1; when it does
 * not, the task is broken.
 */
export function createOracleAgent(): Agent {
  return {
    name: 'oracle',
    privileged: true,
    start(_context, access) {
      const task = access?.task;
      if (!task) throw new GroundworkError('AGENT_FAILED', 'the oracle agent needs privileged access to the task');
      const terminal = terminalTools(access?.domain);
      return scriptedSession(
        function* (): AgentScript {
          yield* playOracleSteps(task.oracle, terminal);
          return { end: true };
        },
        () => ({ success: true, confidence: 1, summary: 'Played the reference solution.' }),
      );
    },
  };
}

/** Does nothing useful: never calls a tool, politely declines. A grader it passes is broken. */
export function createNoopAgent(): Agent {
  return {
    name: 'noop',
    start: () =>
      scriptedSession(
        function* (): AgentScript {
          while (true) yield { message: "I'm sorry, I can't help with that." };
        },
        () => ({ success: false, confidence: 0.05, summary: 'Did nothing.' }),
      ),
  };
}
