import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ModelHub } from '../models/model-hub.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { openAIMessages, startOpenAIPeer } from '../testing/openai-peer.ts';
import type { ModelPeer } from '../testing/peer-server.ts';
import { judgeTau2NlAssertions, TAU2_NL_JUDGE_PROMPT_VERSION } from './tau2-nl-judge.ts';

const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((p) => p.close())));

const events: TrajectoryEvent[] = [
  { type: 'message', role: 'agent', content: 'Hi! How can I help you today?' },
  { type: 'message', role: 'user', content: 'Please exchange both of my tea kettles.' },
  { type: 'tool_call', id: 'c1', name: 'exchange_delivered_order_items', arguments: { order_id: '#W4316152' } },
  {
    type: 'tool_result',
    callId: 'c1',
    name: 'exchange_delivered_order_items',
    content: 'Error: Insufficient gift card balance',
    isError: true,
  },
  { type: 'message', role: 'agent', content: 'I could not exchange them.' },
];
const A = 'Agent should exchange both tea kettles (same style) to the items requested';
const B = 'Agent should tell the user the price difference';

async function judgeWith(answer: string, assertions: string[]) {
  const peer = await startOpenAIPeer([{ kind: 'message', text: answer }]);
  peers.push(peer);
  const hub = new ModelHub({ models: { judge: { provider: 'openai-compatible', model: 'judge', baseURL: peer.url } } });
  const result = await judgeTau2NlAssertions(hub.session('judge', { role: 'judge', trial: 0, seed: 1 }), assertions, events, 'judge');
  return { ...result, sent: JSON.stringify(openAIMessages(peer.requests[0].body)) };
}

test('the NL-assertion judge sees the whole conversation and the assertions, and answers τ²’s JSON per assertion', async () => {
  const { judgements, sent } = await judgeWith(
    `Here you go:\n\`\`\`json\n{"results": [{"expectedOutcome": ${JSON.stringify(B)}, "reasoning": "no price given", "metExpectation": false}, {"expectedOutcome": ${JSON.stringify(A)}, "reasoning": "the exchange failed", "metExpectation": false}]}\n\`\`\``,
    [A, B],
  );
  for (const part of [
    A,
    B,
    'Please exchange both of my tea kettles.',
    'Insufficient gift card balance',
    'I could not exchange them.',
    'metExpectation',
  ])
    assert.ok(sent.includes(JSON.stringify(part).slice(1, -1)), `the judge is shown ${part}`);
  // Matched by the repeated text, whatever the order.
  assert.deepEqual(judgements, {
    [A]: { pass: false, rationale: 'the exchange failed', judge: `judge (${TAU2_NL_JUDGE_PROMPT_VERSION})` },
    [B]: { pass: false, rationale: 'no price given', judge: `judge (${TAU2_NL_JUDGE_PROMPT_VERSION})` },
  });
});

test('verdicts without the repeated text go by position; an assertion left out gets no verdict (it stays pending)', async () => {
  const byPosition = await judgeWith('{"results": [{"metExpectation": true}, {"metExpectation": false, "reasoning": "x"}]}', [A, B]);
  assert.deepEqual(Object.fromEntries(Object.entries(byPosition.judgements).map(([k, v]) => [k, v.pass])), { [A]: true, [B]: false });
  const partial = await judgeWith(`{"results": [{"expectedOutcome": ${JSON.stringify(A)}, "metExpectation": true}]}`, [A, B]);
  assert.deepEqual(Object.keys(partial.judgements), [A]);
  await assert.rejects(judgeWith('{"results": [{"metExpectation": "yes"}]}', [A]), /do not fit the schema/);
});
