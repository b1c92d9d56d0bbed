import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLlmAgent } from '../../src/agents/llm-agent.ts';
import { createDomain } from '../../src/domains/registry.ts';
import { runEpisode } from '../../src/episode/orchestrator.ts';
import { gradeEpisode } from '../../src/grading/grade.ts';
import { ModelHub } from '../../src/models/model-hub.ts';
import type { PlannedToolCall, Task } from '../../src/schema/task.ts';
import { startOpenAIPeer } from '../../src/testing/openai-peer.ts';
import type { ModelPeer, PeerReply, PeerRequest } from '../../src/testing/peer-server.ts';
import { createLlmUser } from '../../src/users/llm-user.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const KEY = 'sk-test-key-for-local-peers';
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));

const retail = createDomain('tau-bench/retail');
// Task 5: a return (no output to tell). Task 19: a return, and two amounts the user must be told.
const [returnTask, tellTask] = retail.tasks({ ids: ['5', '19'] });
const tasks = [returnTask, tellTask];
const goldActions = (task: Task): PlannedToolCall[] => (task.expected.kind === 'gold-replay' ? task.expected.actions : []);

/** Another delivered item of the order task 5 returns from: returning it instead is "something else". */
const wrongItem = (() => {
  const gold = goldActions(returnTask).at(-1)!;
  const order = retail.base().tables.orders[String(gold.arguments.order_id)] as { items: { item_id: string }[] };
  return order.items.map((item) => item.item_id).find((id) => !(gold.arguments.item_ids as string[]).includes(id))!;
})();

type Message = { role: string; content?: string | null };

/** The task a conversation is about: the user opens with its instruction (see userModel). */
function taskOf(text: string): Task {
  const task = tasks.find((t) => text.includes(t.user.instructions));
  if (!task) throw new Error(`no task for ${text.slice(0, 80)}`);
  return task;
}

/**
 * A scripted "model" agent: asks for confirmation, then plays the task's gold actions one tool
 * call per reply, then tells the user the task's outputs. The `wrong` model returns another item
 * instead of the gold one on task 5; the `mute` model never says the outputs.
 */
function agentModel(request: PeerRequest): PeerReply {
  const messages: Message[] = request.body.messages;
  const task = taskOf(String(messages.find((m) => m.role === 'user')?.content ?? ''));
  const model = String(request.body.model);
  if (!messages.some((m) => m.role === 'assistant')) return { kind: 'message', text: 'I can do that. Shall I proceed? Please confirm.' };
  const done = messages.filter((m) => m.role === 'tool').length;
  const actions = goldActions(task);
  if (done < actions.length) {
    let action = actions[done];
    if (model === 'wrong' && task === returnTask && action.name === 'return_delivered_order_items')
      action = { ...action, arguments: { ...action.arguments, item_ids: [wrongItem] } };
    return { kind: 'message', toolCalls: [{ name: action.name, arguments: action.arguments }] };
  }
  const outputs = model === 'mute' ? [] : task.expected.communicate.map((item) => item.anyOf![0]);
  return { kind: 'message', text: `All done.${outputs.length ? ` The amounts are ${outputs.join(' and ')}.` : ''}` };
}

/** A scripted "model" user: opens with its instruction, confirms when asked, then stops. */
function userModel(request: PeerRequest): PeerReply {
  const system = String(request.body.messages[0].content);
  const task = taskOf(system);
  const dialogue: Message[] = request.body.messages.slice(1);
  if (dialogue.length === 1) return { kind: 'message', text: task.user.instructions };
  return /confirm/i.test(String(dialogue.at(-1)?.content))
    ? { kind: 'message', text: 'Yes, please go ahead.' }
    : { kind: 'message', text: 'Thank you! ###STOP###' };
}

async function peerPair() {
  const agentPeer = await startOpenAIPeer(agentModel);
  const userPeer = await startOpenAIPeer(userModel);
  peers.push(agentPeer, userPeer);
  return { agentPeer, userPeer };
}

describe('LLM agent and LLM user on tau-bench/retail (local protocol peers)', () => {
  it('through runEpisode + gradeEpisode: gold tool calls earn 1; another item or unsaid amounts earn 0 with a field-level diff', async () => {
    const { agentPeer, userPeer } = await peerPair();
    const hub = new ModelHub({
      env: { OPENAI_API_KEY: KEY },
      models: Object.fromEntries([
        ...['gold', 'wrong', 'mute'].map((name) => [name, { provider: 'openai', model: name, baseURL: agentPeer.url }]),
        ['sim', { provider: 'openai', model: 'sim', baseURL: userPeer.url }],
      ]),
      retry: { initialDelayMs: 5 },
    });
    const user = createLlmUser('sim', hub);
    const play = async (agentName: string, task: Task) => {
      const result = await runEpisode({
        domain: retail,
        task,
        agent: createLlmAgent(agentName, hub),
        user,
        episodeId: `${agentName}-${task.id}`,
        trial: 0,
        seed: 1,
      });
      return {
        ...result,
        outcome: gradeEpisode({
          domain: retail,
          task,
          initialState: result.initialState,
          finalState: result.finalState,
          trajectory: result.trajectory,
        }),
      };
    };

    for (const task of tasks) {
      const { trajectory, outcome } = await play('gold', task);
      assert.equal(trajectory.termination.reason, 'user_stop', task.id);
      const calls = trajectory.events.filter((e) => e.type === 'tool_call').map((e) => (e.type === 'tool_call' ? e.name : ''));
      assert.deepEqual(
        calls,
        goldActions(task).map((a) => a.name),
      );
      assert.ok(trajectory.events.every((e) => e.type !== 'tool_result' || !e.isError));
      assert.ok(Object.keys(trajectory.finalChanges.orders ?? {}).length > 0);
      assert.equal(outcome.reward, 1, `task ${task.id}: ${JSON.stringify(outcome.state.predicates.filter((p) => !p.pass))}`);
      assert.equal(outcome.communication.items.length, task.id === '19' ? 2 : 0);
    }
    // The agent saw the retail policy and tools; the user model never saw tool traffic.
    assert.equal(agentPeer.requests[0].body.messages[0].content, retail.policy);
    assert.ok(
      agentPeer.requests[0].body.tools.some((t: { function: { name: string } }) => t.function.name === 'return_delivered_order_items'),
    );
    assert.ok(userPeer.requests.every((r) => r.body.messages.every((m: Message) => m.role !== 'tool')));

    const wrong = await play('wrong', returnTask);
    assert.equal(wrong.outcome.reward, 0);
    assert.equal(wrong.outcome.state.pass, false);
    const orderId = String(goldActions(returnTask).at(-1)!.arguments.order_id);
    // The diff names the differing record and field: the order's return_items hold the wrong item.
    const collateral = wrong.outcome.diff.filter((c) => c.verdict === 'collateral');
    assert.ok(
      collateral.some(
        (c) =>
          c.table === 'orders' && c.key === orderId && c.path.startsWith('return_items') && JSON.stringify(c.after).includes(wrongItem),
      ),
      JSON.stringify(collateral),
    );
    const failed = wrong.outcome.state.predicates.filter((p) => !p.pass);
    assert.ok(
      failed.some((p) => p.predicate.kind === 'field' && p.predicate.table === 'orders' && p.predicate.key === orderId),
      JSON.stringify(failed),
    );

    const mute = await play('mute', tellTask);
    assert.equal(mute.outcome.reward, 0);
    assert.equal(mute.outcome.state.pass, true);
    assert.deepEqual(
      mute.outcome.communication.items.map((i) => i.pass),
      [false, false],
    );
  });

  it('through `groundwork run`: model specs for agent and user, stored and graded', async () => {
    const { agentPeer, userPeer } = await peerPair();
    const db = join(mkdtempSync(join(tmpdir(), 'gw-tau-llm-')), 'g.db');
    const args = [
      'run',
      '--domain',
      'tau-bench/retail',
      '--tasks',
      '5,19',
      '--agent',
      `openai:gold@${agentPeer.url}`,
      '--agent',
      `openai:wrong@${agentPeer.url}`,
      '--user',
      `openai:sim@${userPeer.url}`,
      '--trials',
      '1',
      '--db',
      db,
      '--json',
    ];
    const { status, stdout, stderr } = await cliAsync(args);
    assert.equal(status, 0, stderr);
    const out = JSON.parse(stdout);
    assert.equal(out.domain, 'tau-bench/retail');
    assert.equal(out.episodes, 4);
    const gold = out.agents[`openai:gold@${agentPeer.url}`];
    const wrong = out.agents[`openai:wrong@${agentPeer.url}`];
    assert.equal(gold.meanReward, 1);
    assert.equal(gold.terminations.user_stop, 2);
    assert.equal(wrong.meanReward, 0.5); // task 19 is unaffected by the wrong-item script
    assert.ok(!stdout.includes(KEY) && !stderr.includes(KEY));
  });
});

function cliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, OPENAI_API_KEY: KEY } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => done({ status, stdout, stderr }));
  });
}
