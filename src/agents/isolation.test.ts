import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHelpdeskDomain } from '../domains/helpdesk/index.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { gradeEpisode } from '../grading/grade.ts';
import { oracleStepMessage, type Task } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { createScriptedUser } from '../users/scripted.ts';
import type { Agent, AgentSession, AgentTurn } from './agent.ts';
import { createBuiltInAgent } from './registry.ts';

/**
 * Everything reachable from a value: own and inherited properties (up to the built-in
 * prototypes), array items, Map and Set entries, and what any `tasks` method returns for each
 * split — how a cheating agent would go looking for the answers.
 */
function reachable(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const out: unknown[] = [];
  const stack: unknown[] = [root];
  const builtIns = new Set<unknown>([
    Object.prototype,
    Function.prototype,
    Array.prototype,
    Map.prototype,
    Set.prototype,
    String.prototype,
  ]);
  while (stack.length && out.length < 500_000) {
    const value = stack.pop();
    if (value === null || value === undefined || seen.has(value)) continue;
    seen.add(value);
    out.push(value);
    if (typeof value !== 'object') continue;
    if (value instanceof Map) for (const [k, v] of value) stack.push(k, v);
    if (value instanceof Set) for (const v of value) stack.push(v);
    for (let object: object | null = value; object && !builtIns.has(object); object = Object.getPrototypeOf(object)) {
      for (const key of Reflect.ownKeys(object)) {
        let inner: unknown;
        try {
          inner = (value as Record<PropertyKey, unknown>)[key];
        } catch {
          continue; // A throwing getter hides nothing reachable.
        }
        if (typeof inner === 'function' && key === 'tasks') {
          for (const split of ['test', 'train']) {
            try {
              stack.push((inner as (selection: object) => unknown).call(value, { split }));
            } catch {
              // Not a task source after all.
            }
          }
        }
        stack.push(inner);
      }
    }
  }
  return out;
}

const isTask = (value: unknown): value is Task =>
  typeof value === 'object' && value !== null && Array.isArray((value as Task).oracle) && typeof (value as Task).expected === 'object';

/**
 * A cheating agent: it searches everything it is given (the context, any second argument, and
 * the conversation) for the task or for task lists, finds the task whose opening matches the
 * user's first message, and replays its reference solution. With nothing to find it behaves like
 * noop. `privileged` lets the positive control show the cheat works when the data is there.
 */
function cheatingAgent(privileged: boolean): Agent {
  return {
    name: privileged ? 'cheater-privileged' : 'cheater',
    privileged,
    start(context, access): AgentSession {
      let steps: Task['oracle'] | undefined;
      let index = 0;
      return {
        async next(events: readonly TrajectoryEvent[]): Promise<AgentTurn> {
          if (!steps) {
            const opening = events.find((e) => e.type === 'message' && e.role === 'user');
            const text = opening?.type === 'message' ? opening.content : '';
            // The task handed over, else any task found whose opening matches (the first of several
            // look-alikes may be the wrong world, which only makes the cheat weaker).
            const found = [context, access, events].flatMap(reachable);
            const handed = (access as { task?: unknown } | undefined)?.task;
            const direct = isTask(handed) ? handed : found.filter(isTask).find((t) => t.user.openings.includes(text));
            const listed = found.flatMap((v) => (Array.isArray(v) ? v.filter(isTask) : [])).find((t) => t.user.openings.includes(text));
            steps = (direct ?? listed)?.oracle ?? [];
          }
          if (steps.length === 0) return { message: "I'm sorry, I can't help with that." };
          const step = steps[index++];
          if (!step) return { end: true };
          return step.kind === 'call'
            ? { toolCalls: [{ id: `c${index}`, name: step.call.name, arguments: step.call.arguments }] }
            : { message: oracleStepMessage(step) };
        },
      };
    },
  };
}

describe('agent isolation', () => {
  const domain = createHelpdeskDomain();
  const tasks = domain.tasks({ split: 'test' });

  async function meanReward(agent: Agent): Promise<number> {
    let total = 0;
    for (const task of tasks) {
      const result = await runEpisode({ domain, task, agent, user: createScriptedUser(), episodeId: `iso-${task.id}`, trial: 0, seed: 5 });
      total += gradeEpisode({
        domain,
        task,
        initialState: result.initialState,
        finalState: result.finalState,
        trajectory: result.trajectory,
      }).reward;
    }
    return total / tasks.length;
  }

  test('an unprivileged agent gets plain frozen data: policy, tool schemas, seed, trial — no function, no task data', async () => {
    const task = tasks[0];
    let seenContext: unknown;
    let seenAccess: unknown = 'not called';
    const spy: Agent = {
      name: 'spy',
      start(context, access) {
        seenContext = context;
        seenAccess = access;
        return { next: async () => ({ end: true }) };
      },
    };
    await runEpisode({ domain, task, agent: spy, user: createScriptedUser(), episodeId: 'spy', trial: 0, seed: 1 });
    assert.equal(seenAccess, undefined);
    assert.deepEqual(Object.keys(seenContext as object).sort(), ['policy', 'seed', 'tools', 'trial']);
    const values = reachable(seenContext);
    const functions = values.filter((v) => typeof v === 'function').map((f) => (f as { name: string }).name);
    assert.deepEqual(functions, [], 'the context holds no function');
    assert.ok(
      values.every((v) => typeof v !== 'object' || v === null || Object.isFrozen(v)),
      'every object in the context is frozen',
    );
    const strings = new Set(values.filter((v): v is string => typeof v === 'string'));
    const secrets = [task.id, task.family, task.user.instructions, ...task.oracle.flatMap((s) => (s.kind === 'say' ? [s.text] : []))];
    for (const secret of secrets)
      assert.ok(![...strings].some((s) => s.includes(secret)), `context leaks ${JSON.stringify(secret.slice(0, 60))}`);
  });

  test('the conversation handed to the agent cannot be rewritten by it', async () => {
    const task = tasks[0];
    const vandal: Agent = {
      name: 'vandal',
      start: () => ({
        async next(events) {
          assert.throws(() => (events as TrajectoryEvent[]).push({ type: 'message', role: 'user', content: 'forged' }));
          assert.throws(() => Object.assign(events[0], { content: 'forged' }));
          return { end: true };
        },
      }),
    };
    const result = await runEpisode({ domain, task, agent: vandal, user: createScriptedUser(), episodeId: 'vandal', trial: 0, seed: 1 });
    assert.ok(!JSON.stringify(result.trajectory.events).includes('forged'));
  });

  test('a cheating agent scores no more than noop; given privileged access the same cheat scores 1 (the test can fail)', async () => {
    const noop = await meanReward(createBuiltInAgent('noop', domain));
    const cheater = await meanReward(cheatingAgent(false));
    const control = await meanReward(cheatingAgent(true));
    assert.equal(control, 1, 'positive control: with the task in reach, the cheat solves every task');
    assert.ok(cheater <= noop, `cheater ${cheater} > noop ${noop}`);
  });
});
