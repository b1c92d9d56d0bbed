import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentSession } from '../../agents/agent.ts';
import type { Domain } from '../../domains/domain.ts';
import { initialStateFor } from '../../domains/initial-state.ts';
import { createTau2MockDomain } from '../../domains/tau2-bench/mock/index.ts';
import type { UserSimulator, UserTurn } from '../../users/user.ts';
import { ConversationEnv } from '../conversation-env.ts';
import { episodeWrapperSpecs, makeEpisodeEnv, recordedWrapperSpecs, wrapEpisodeEnv } from '../make.ts';
import { runEpisode } from '../orchestrator.ts';
import { ToolErrorLimit } from './tool-error-limit.ts';

// τ²'s mock domain: `update_task_status` on a task that does not exist is refused (a valid call that
// errs, so the invalid-call budget never sees it); the user's `dismiss_notification` of an unknown
// notification errs on the user's side.
const mock = createTau2MockDomain();
const [task] = mock.tasks({ ids: ['update_task_with_user_tools'] });
const refused = (id: string) => ({ id, name: 'update_task_status', arguments: { task_id: 'task_99', status: 'completed' } });

test("errors of both sides count; the agent's message runs all its calls before the episode ends, as τ² checks after the environment answered", () => {
  const env = new ToolErrorLimit(new ConversationEnv(mock, initialStateFor(mock, task)), 3);
  assert.deepEqual(env.wrappers, [{ name: 'tool-error-limit', args: { maxToolErrors: 3 } }]);
  env.reset();
  const user = env.step({
    type: 'user_turn',
    turn: { content: '', toolCalls: [{ name: 'dismiss_notification', arguments: { notification_id: 'notif_9' } }] },
  });
  assert.equal(user.terminated, false);
  env.step({ type: 'user_turn', turn: { content: 'Please complete task_99.' } });
  const calls = [refused('a'), refused('b'), refused('c')];
  env.step({ type: 'agent_turn', turn: { toolCalls: calls } });
  for (const call of calls) assert.equal(env.step({ type: 'tool_call', call }).terminated, false, 'a turn in progress finishes its calls');
  const end = env.step({ type: 'agent_turn_end' });
  assert.deepEqual(end.termination, { reason: 'agent_error', detail: 'too_many_errors: 4 tool errors (limit 3)' });
  assert.equal(end.observation.filter((e) => e.type === 'tool_result' && e.isError).length, 4);
});

test("the user's own errors alone reach the limit, and reset starts the count again", () => {
  const env = new ToolErrorLimit(new ConversationEnv(mock, initialStateFor(mock, task)), 2);
  for (let round = 0; round < 2; round++) {
    env.reset();
    const bad = { name: 'dismiss_notification', arguments: { notification_id: 'notif_9' } };
    assert.equal(env.step({ type: 'user_turn', turn: { content: '', toolCalls: [bad] } }).terminated, false, `round ${round}`);
    const second = env.step({ type: 'user_turn', turn: { content: '', toolCalls: [bad] } });
    assert.deepEqual(second.termination, { reason: 'agent_error', detail: 'too_many_errors: 2 tool errors (limit 2)' });
  }
});

test('a domain enables it through options.maxToolErrors; it is recorded with the episode and wins over the step limit reached at once', async () => {
  const { maxToolErrors: _limit, ...withoutLimit } = mock.options;
  assert.ok(
    !episodeWrapperSpecs({ domain: { ...mock, options: withoutLimit } }).some((s) => s.name === 'tool-error-limit'),
    'off unless the domain asks',
  );
  assert.ok(
    episodeWrapperSpecs({ domain: mock }).some((s) => s.name === 'tool-error-limit'),
    'τ² domains ask for τ²’s limit',
  );
  const limited: Domain = { ...mock, options: { ...mock.options, maxToolErrors: 2 } };
  const specs = episodeWrapperSpecs({ domain: limited, maxSteps: 2 });
  assert.deepEqual(
    specs.map((s) => s.name),
    ['step-limit', 'invalid-call-budget', 'tool-error-limit'],
  );

  // Step 1: the user asks; step 2: the agent's two refused calls reach both limits at once.
  const turns: UserTurn[] = [{ content: 'Please complete task_99.' }];
  const user: UserSimulator = { name: 'asker', start: () => ({ next: async () => turns.shift() ?? { content: '###STOP###' } }) };
  const agent = { name: 'stubborn', start: (): AgentSession => ({ next: async () => ({ toolCalls: [refused('a'), refused('b')] }) }) };
  const { trajectory } = await runEpisode({ domain: limited, task, agent, user, episodeId: 'tel', trial: 0, seed: 1, maxSteps: 2 });
  assert.deepEqual(trajectory.termination, { reason: 'agent_error', detail: 'too_many_errors: 2 tool errors (limit 2)' });
  const recorded = recordedWrapperSpecs(trajectory);
  assert.deepEqual(
    recorded?.find((s) => s.name === 'tool-error-limit'),
    { name: 'tool-error-limit', args: { maxToolErrors: 2 } },
  );
  // The recorded stack rebuilds the same wrappers.
  const rebuilt = wrapEpisodeEnv(new ConversationEnv(limited, initialStateFor(limited, task)), recorded!);
  assert.deepEqual(
    rebuilt.wrappers,
    makeEpisodeEnv(new ConversationEnv(limited, initialStateFor(limited, task)), { domain: limited, maxSteps: 2 }).wrappers,
  );
});
