import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createDomain } from '../domains/registry.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { gradeEpisode } from '../grading/grade.ts';
import { ModelHub } from '../models/model-hub.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import type { ModelPeer, PeerReply, PeerRequest } from '../testing/peer-server.ts';
import { createTinyDomain } from '../testing/tiny-domain.ts';
import { createScriptedUser } from '../users/scripted.ts';
import { createLlmAgent } from './llm-agent.ts';
import { OUTCOME_REPORT_TOOL_NAME } from './outcome-report.ts';
import { createBuiltInAgent } from './registry.ts';

const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((p) => p.close())));

const lastContent = (request: PeerRequest): string => {
  const last = request.body.messages.at(-1);
  return typeof last.content === 'string' ? last.content : JSON.stringify(last.content ?? '');
};

/** Sets color=blue, says so, and reports q=0.8 when asked for its outcome report. */
const agentScript = (request: PeerRequest): PeerReply => {
  const last = request.body.messages.at(-1);
  if (last.role === 'user' && lastContent(request).includes('report_outcome'))
    return {
      kind: 'message',
      toolCalls: [{ name: OUTCOME_REPORT_TOOL_NAME, arguments: { success: true, confidence: 0.8, summary: 'Set color to blue.' } }],
    };
  if (last.role === 'tool') return { kind: 'message', text: 'Done: color is now blue.' };
  return { kind: 'message', toolCalls: [{ name: 'set', arguments: { key: 'color', value: 'blue' } }] };
};

describe('outcome report (report_outcome, intercepted by the orchestrator)', () => {
  it('an LLM agent sees the tool, reports at the end through a local protocol peer, and the report is stored', async () => {
    const peer = await startOpenAIPeer(agentScript);
    peers.push(peer);
    const hub = new ModelHub({ models: { agent: { provider: 'openai-compatible', model: 'agent', baseURL: peer.url } } });
    const domain = createTinyDomain();
    const task = domain.tasks({})[0];
    const result = await runEpisode({
      domain,
      task,
      agent: createLlmAgent('agent', hub),
      user: createScriptedUser(),
      episodeId: 'report-1',
      trial: 0,
      seed: 1,
      outcomeReport: true,
    });
    const toolNames = peer.requests[0].body.tools.map((t: { function: { name: string } }) => t.function.name);
    assert.ok(toolNames.includes(OUTCOME_REPORT_TOOL_NAME), toolNames.join(','));
    assert.ok(toolNames.includes('set'));
    const types = result.trajectory.events.map((e) => e.type);
    assert.deepEqual(types.slice(-4), ['outcome_request', 'tool_call', 'tool_result', 'outcome_report']);
    const report = result.trajectory.events.at(-1);
    assert.deepEqual(report, {
      type: 'outcome_report',
      callId: (result.trajectory.events.at(-3) as { id: string }).id,
      success: true,
      confidence: 0.8,
      summary: 'Set color to blue.',
    });
    assert.equal(result.trajectory.termination.reason, 'user_stop');
    // The report never reaches the domain: the grade is that of the state alone.
    assert.equal(
      gradeEpisode({ domain, task, initialState: result.initialState, finalState: result.finalState, trajectory: result.trajectory })
        .reward,
      1,
    );
    // Without the option the tool is not offered and nothing is asked.
    const before = peer.requests.length;
    const plain = await runEpisode({
      domain,
      task,
      agent: createLlmAgent('agent', hub),
      user: createScriptedUser(),
      episodeId: 'report-2',
      trial: 0,
      seed: 1,
    });
    assert.ok(!peer.requests[before].body.tools.some((t: { function: { name: string } }) => t.function.name === OUTCOME_REPORT_TOOL_NAME));
    assert.ok(!plain.trajectory.events.some((e) => e.type === 'outcome_request' || e.type === 'outcome_report'));
  });

  it('a malformed report is an error result the agent sees, not a stored report', async () => {
    const peer = await startOpenAIPeer((request) =>
      request.body.messages.at(-1).role === 'user' && lastContent(request).includes('report_outcome')
        ? { kind: 'message', toolCalls: [{ name: OUTCOME_REPORT_TOOL_NAME, arguments: { success: 'yes', confidence: 3 } }] }
        : agentScript(request),
    );
    peers.push(peer);
    const hub = new ModelHub({ models: { agent: { provider: 'openai-compatible', model: 'agent', baseURL: peer.url } } });
    const domain = createTinyDomain();
    const result = await runEpisode({
      domain,
      task: domain.tasks({})[0],
      agent: createLlmAgent('agent', hub),
      user: createScriptedUser(),
      episodeId: 'report-3',
      trial: 0,
      seed: 1,
      outcomeReport: true,
    });
    const last = result.trajectory.events.at(-1)!;
    assert.equal(last.type, 'tool_result');
    assert.ok(last.type === 'tool_result' && last.isError && /invalid report_outcome arguments/.test(last.content));
    assert.ok(!result.trajectory.events.some((e) => e.type === 'outcome_report'));
  });

  it('built-in agents report: oracle q=1, naive overconfident, noop low', async () => {
    const domain = createDomain('helpdesk');
    const task = domain.tasks({ split: 'test' }).find((t) => t.family === 'erase')!;
    const q: Record<string, number> = {};
    for (const name of ['oracle', 'naive', 'noop']) {
      const result = await runEpisode({
        domain,
        task,
        agent: createBuiltInAgent(name, domain),
        user: createScriptedUser(),
        episodeId: `report-${name}`,
        trial: 0,
        seed: 1,
        outcomeReport: true,
      });
      const report = result.trajectory.events.find((e) => e.type === 'outcome_report');
      assert.ok(report && report.type === 'outcome_report', name);
      q[name] = report.confidence;
    }
    assert.deepEqual(q, { oracle: 1, naive: 0.95, noop: 0.05 });
  });
});
