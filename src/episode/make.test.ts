import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Agent } from '../agents/agent.ts';
import { createDomain } from '../domains/registry.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { canonicalJson } from '../schema/json.ts';
import { createScriptedUser } from '../users/scripted.ts';
import { ConversationEnv } from './conversation-env.ts';
import { playEpisode } from './loop.ts';
import { episodeWrapperSpecs, makeEpisodeEnv, recordedWrapperSpecs, wrapEpisodeEnv } from './make.ts';
import { runEpisode } from './orchestrator.ts';

const helpdesk = createDomain('helpdesk');
const retail = createDomain('tau-bench/retail');

test('the standard stack follows the options callers pass, outermost first', () => {
  assert.deepEqual(episodeWrapperSpecs({ domain: helpdesk }), [
    { name: 'step-limit', args: { maxSteps: 60 } },
    { name: 'invalid-call-budget', args: { maxInvalidToolCalls: 5 } },
  ]);
  assert.deepEqual(
    episodeWrapperSpecs({ domain: retail, maxSteps: 9, maxInvalidToolCalls: 0, outcomeReport: true }).map((spec) => spec.name),
    ['request-outcome-report', 'step-limit', 'invalid-call-budget', 'single-tool-call-per-turn', 'intercept-outcome-report'],
  );
  assert.deepEqual(episodeWrapperSpecs({ domain: { options: {} } })[0], { name: 'step-limit', args: { maxSteps: 40 } });
});

/** Sends every tool call of the task's reference solution in one turn, then reports and ends. */
function batching(): Agent {
  return {
    name: 'batching',
    privileged: true,
    start(_context, access) {
      let turn = 0;
      const calls = access!.task.oracle.flatMap((step, i) =>
        step.kind === 'call' ? [{ id: `c${i}`, name: step.call.name, arguments: step.call.arguments }] : [],
      );
      return {
        next: async () =>
          turn++ === 0
            ? { toolCalls: [...calls, { id: 'bad', name: 'nope', arguments: {} }] }
            : { message: 'Done, everything has been completed.' },
      };
    },
  };
}

test('a stored trajectory names its wrappers; rebuilt from them, the stack replays the episode identically', async () => {
  const task = retail.tasks({})[0];
  const options = {
    domain: retail,
    task,
    agent: batching(),
    user: createScriptedUser(),
    episodeId: 'make-1',
    trial: 0,
    seed: 4,
    maxSteps: 12,
    maxInvalidToolCalls: 0,
    outcomeReport: true,
  };
  const { trajectory } = await runEpisode(options);
  const recorded = recordedWrapperSpecs(trajectory)!;
  assert.deepEqual(recorded, episodeWrapperSpecs(options));
  assert.equal(recordedWrapperSpecs({ participants: { agent: {} } }), undefined, 'older trajectories name none');
  assert.ok(
    trajectory.events.some((e) => e.type === 'note' && e.content.startsWith('kept the first of')),
    'the one-call rule applied',
  );

  const core = new ConversationEnv(retail, initialStateFor(retail, task));
  const rebuilt = wrapEpisodeEnv(core, recordedWrapperSpecs(JSON.parse(JSON.stringify(trajectory)))!);
  assert.deepEqual(rebuilt.wrappers, recorded);
  const agentSession = batching().start({ policy: '', tools: [], seed: 4, trial: 0 }, { task, domain: retail });
  const last = await playEpisode(rebuilt, agentSession, createScriptedUser().start({ task, seed: 4, trial: 0 }));
  assert.equal(canonicalJson(last.observation), canonicalJson(trajectory.events));
  assert.deepEqual(last.termination, trajectory.termination);
  assert.equal(core.state.hash(), trajectory.finalStateHash);
});

test('makeEpisodeEnv is wrapEpisodeEnv over the standard specs; unknown wrappers and bad arguments are refused', async () => {
  const task = helpdesk.tasks({ split: 'test' })[0];
  const env = makeEpisodeEnv(new ConversationEnv(helpdesk, initialStateFor(helpdesk, task)), { domain: helpdesk, maxSteps: 3 });
  assert.deepEqual(env.wrappers, episodeWrapperSpecs({ domain: helpdesk, maxSteps: 3 }));
  const thinker = { next: async () => ({ toolCalls: [{ id: '', name: 'think', arguments: { thought: 'hmm' } }] }) };
  assert.deepEqual((await playEpisode(env, thinker, createScriptedUser().start({ task, seed: 1, trial: 0 }))).termination, {
    reason: 'max_steps',
    detail: 'reached 3 steps',
  });

  const core = new ConversationEnv(helpdesk, initialStateFor(helpdesk, task));
  assert.throws(
    () => wrapEpisodeEnv(core, [{ name: 'time-limit', args: {} }]),
    (error: Error & { code?: string }) =>
      error.code === 'INVALID_ARGUMENT' && /known wrappers: step-limit/.test(error.message + String((error as { hint?: string }).hint)),
  );
  assert.throws(
    () => wrapEpisodeEnv(core, [{ name: 'step-limit', args: { maxSteps: -1 } }]),
    /invalid arguments for episode wrapper step-limit/,
  );
});
