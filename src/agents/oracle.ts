import { oracleStepMessage } from '../schema/task.ts';
import { GroundworkError } from '../errors.ts';
import type { Agent } from './agent.ts';
import { callTurn, scriptedSession, type AgentScript } from './scripted-session.ts';

/**
 * Plays the task's reference solution through the normal interface: one tool call per turn,
 * each `say` step sent to the user (then it waits for the reply). Privileged: it reads the task.
 * On every well-formed task it must reach reward 1; when it does not, the task is broken.
 */
export function createOracleAgent(): Agent {
  return {
    name: 'oracle',
    privileged: true,
    start(_context, access) {
      const task = access?.task;
      if (!task) throw new GroundworkError('AGENT_FAILED', 'the oracle agent needs privileged access to the task');
      return scriptedSession(
        function* (): AgentScript {
          for (const step of task.oracle) {
            if (step.kind === 'call') yield callTurn(step.call.name, step.call.arguments);
            else yield { message: oracleStepMessage(step) };
          }
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
