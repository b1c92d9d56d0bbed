import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createOracleAgent } from '../agents/oracle.ts';
import { createDomain } from '../domains/registry.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { ModelHub } from '../models/model-hub.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import type { ModelPeer } from '../testing/peer-server.ts';
import { createLlmUser } from '../users/llm-user.ts';
import { goalStateBlockFor } from './goal-state.ts';

const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((p) => p.close())));

describe('steering an LLM user with its goal state (--steer-user)', () => {
  it('writes the current UGST statuses into the user prompt every turn', async () => {
    const domain = createDomain('helpdesk');
    const task = domain.tasks({ split: 'test' }).find((t) => t.family === 'erase')!;
    const email = task.user.known.find((f) => f.id === 'email')!.value;
    const peer = await startOpenAIPeer((request) => ({
      kind: 'message',
      text:
        request.body.messages.length <= 2
          ? task.user.openings[0]
          : request.body.messages.length <= 4
            ? `My email is ${email}.`
            : 'Thanks! ###STOP###',
    }));
    peers.push(peer);
    const hub = new ModelHub({ models: { sim: { provider: 'openai-compatible', model: 'sim', baseURL: peer.url } } });
    const user = createLlmUser('sim', hub, { goalStateBlock: goalStateBlockFor });
    await runEpisode({ domain, task, agent: createOracleAgent(), user, episodeId: 'steer-1', trial: 0, seed: 1 });
    const systems = peer.requests.map((r) => String(r.body.messages[0].content));
    // Before the first message: everything open, the objective INCOMPLETE and named.
    assert.match(systems[0], /# Where you are with your goal\nprofile:\n- \[ALIGNED\] email is /);
    assert.match(systems[0], /objectives:\n- \[INCOMPLETE\] .*exercised their right to erasure/);
    assert.match(systems[0], /Still open: .*Do not end the conversation/);
    // Later turns see the statuses move: the request and its requirement ("all their data") were
    // stated in the opening, so both are pursued (ATTEMPTED; the user cannot see the state to call
    // them COMPLETE), and what the agent said about them is noted.
    assert.ok(systems.length >= 3);
    assert.match(systems[1], /objectives:\n- \[ATTEMPTED\] [^\n]*erasure[^\n]*\n/);
    assert.match(systems[1], /Still open: /);
    assert.match(systems.at(-1)!, /requirements:\n- \[ATTEMPTED\]/);
    // The agent has only asked to confirm, not done anything: the request is still open.
    assert.match(systems.at(-1)!, /Still open: .*every copy of their data deleted/);
  });
});
