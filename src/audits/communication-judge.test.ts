import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { initialStateFor } from '../domains/initial-state.ts';
import { createDomain } from '../domains/registry.ts';
import { gradeEpisode } from '../grading/grade.ts';
import { ModelHub } from '../models/model-hub.ts';
import type { Trajectory } from '../schema/trajectory.ts';
import { openAIMessages, startOpenAIPeer } from '../testing/openai-peer.ts';
import type { ModelPeer } from '../testing/peer-server.ts';
import { COMMUNICATION_JUDGE_PROMPT_VERSION, judgeCommunication } from './communication-judge.ts';

const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((p) => p.close())));

test('a judge\u2019s verdicts on free text are computed first, then decide their items in the pure grade', async () => {
  const domain = createDomain('helpdesk');
  const task = domain.tasks({ split: 'test' }).find((t) => t.family === 'legal_hold')!;
  // A correct refusal the rules cannot read: no hold words at all.
  const message = 'Legal told us these records must be kept until the case is closed, so I have left everything in place.';
  const trajectory: Pick<Trajectory, 'events' | 'termination'> = {
    events: [{ type: 'message', role: 'agent', content: message }],
    termination: { reason: 'user_stop' },
  };
  const state = initialStateFor(domain, task);
  const grade = (judgements?: Parameters<typeof gradeEpisode>[0]['judgements']) =>
    gradeEpisode({ domain, task, initialState: state, finalState: state, trajectory, ...(judgements ? { judgements } : {}) });
  assert.equal(grade().reward, 0, 'the rules alone do not see the hold');

  const peer = await startOpenAIPeer([
    {
      kind: 'message',
      text: 'Verdicts:\n```json\n{"items": [{"id": "legal_hold", "told": true, "quote": "these records must be kept until the case is closed", "reason": "says Legal requires keeping the data"}, {"id": "unknown", "told": true}]}\n```',
    },
  ]);
  peers.push(peer);
  const hub = new ModelHub({ models: { judge: { provider: 'openai-compatible', model: 'judge', baseURL: peer.url } } });
  const { judgements } = await judgeCommunication(
    hub.session('judge', { role: 'judge', trial: 0, seed: 1 }),
    task.expected.communicate,
    [message],
    'judge',
  );
  assert.deepEqual(Object.keys(judgements), ['legal_hold'], 'verdicts on items the task does not have are dropped');
  const sent = JSON.stringify(openAIMessages(peer.requests[0].body));
  assert.ok(
    sent.includes('legal_hold') && sent.includes('until the case is closed'),
    'the judge sees the requirement and the agent messages',
  );

  const outcome = grade(judgements);
  assert.equal(outcome.reward, 1);
  const [item] = outcome.communication.items;
  assert.equal(item.method, 'judge');
  assert.equal(
    item.evidence,
    `judge judge (${COMMUNICATION_JUDGE_PROMPT_VERSION}): says Legal requires keeping the data "these records must be kept until the case is closed"`,
  );
  assert.equal(item.facts?.[0].pass, false, 'the rule-based finding stays beside the verdict');
  assert.deepEqual(grade(judgements), outcome, 'pure: same stored data and verdicts, same outcome');
});

test('a judge answer that does not fit the schema is one clear error', async () => {
  const peer = await startOpenAIPeer([{ kind: 'message', text: '{"items": [{"id": "legal_hold"}]}' }]);
  peers.push(peer);
  const hub = new ModelHub({ models: { judge: { provider: 'openai-compatible', model: 'judge', baseURL: peer.url } } });
  const task = createDomain('helpdesk')
    .tasks({ split: 'test' })
    .find((t) => t.family === 'legal_hold')!;
  await assert.rejects(
    judgeCommunication(hub.session('judge', { role: 'judge', trial: 0, seed: 1 }), task.expected.communicate, ['hi']),
    /the judge's communication verdicts do not fit the schema/,
  );
});
