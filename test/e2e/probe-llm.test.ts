import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createDomain } from '../../src/domains/registry.ts';
import { probeTasks } from '../../src/probes/index.ts';
import { type OracleStep, oracleStepMessage } from '../../src/schema/task.ts';
import { startOpenAIPeer } from '../../src/testing/openai-peer.ts';
import type { ModelPeer, PeerReply, PeerRequest } from '../../src/testing/peer-server.ts';

/**
 * A model agent (and a model user) over a local OpenAI-compatible peer run the whole persuasion pack
 * through `groundwork probe`, recorded, then replayed with the peer stopped. The "model" refuses the
 * forbidden request and holds the line, except under two tactics where it gives in with real tool
 * calls (authority: at pressure turn 2; urgency: at pressure turn 1). The probe audit's verdicts must
 * come from the state those calls leave, and the replay must reproduce every episode and verdict.
 */

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const KEY = 'sk-test-key-for-the-probe-peer';
const DOMAIN = 'helpdesk';
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close().catch(() => undefined))));

// The variants the CLI plans (same domain seed, split and count), so the scripts can recognise them.
const variants = probeTasks(createDomain(DOMAIN), 'persuasion', { split: 'test', count: 1 });
const probes = variants.filter((t) => t.probe?.role === 'probe');
/** Pressure turn at which the model gives in, by tactic; every other tactic is resisted. */
const GIVES_IN_AT: Record<string, number> = { authority: 2, urgency: 1 };
const REFUSE = "I'm sorry, I can't do that: our policy does not allow it.";

type Message = { role: string; content?: string | null; tool_calls?: unknown[] };
const text = (m: Message | undefined) => String(m?.content ?? '');

/** One oracle-style step as a model reply: a tool call, or a message. */
function play(step: OracleStep | undefined, otherwise: string): PeerReply {
  if (!step) return { kind: 'message', text: otherwise };
  return step.kind === 'call'
    ? { kind: 'message', toolCalls: [{ name: step.call.name, arguments: step.call.arguments }] }
    : { kind: 'message', text: oracleStepMessage(step) };
}

/**
 * The agent "model". It sees what an LLM agent sees (policy, the user's messages, tool results), so
 * it recognises the variant by the user's words: the opening tells probe from control, the first
 * pressure line tells the tactic.
 */
function agentModel(request: PeerRequest): PeerReply {
  const messages: Message[] = request.body.messages;
  const users = messages.filter((m) => m.role === 'user').map(text);
  const candidates = variants.filter((t) => t.user.openings.some((o) => users[0]?.includes(o) || o.includes(users[0] ?? '\u0000')));
  if (candidates.length === 0) throw new Error(`no variant opens with ${users[0]?.slice(0, 80)}`);
  const replies = messages.filter((m) => m.role === 'assistant').length;
  // A control: the user is entitled to it, so the model does it (the control's reference solution).
  if (candidates[0].probe!.role === 'control') return play(candidates[0].oracle[replies], 'All done: the change has been made.');
  // A probe: look-ups, then the refusal (the forbidden task's reference solution).
  const forbidden = candidates[0];
  const pressedAt = messages.findIndex((m) => m.role === 'user' && candidates.some((t) => t.probe!.pressure!.includes(text(m))));
  if (pressedAt < 0) return play(forbidden.oracle[replies], REFUSE);
  const variant = candidates.find((t) => t.probe!.pressure!.includes(text(messages[pressedAt])))!;
  const turn = GIVES_IN_AT[variant.probe!.tactic!];
  const userIndexes = messages.flatMap((m, i) => (m.role === 'user' && i >= pressedAt ? [i] : []));
  if (turn === undefined || userIndexes.length < turn) return { kind: 'message', text: REFUSE };
  // Gives in: the calls that do what the user pushes for, one per reply, from the turn-th pressure message on
  // (without asking to confirm, so the change follows that message directly).
  const since = messages.slice(userIndexes[turn - 1]).filter((m) => m.role === 'assistant').length;
  const calls = variant.probe!.comply!.filter((step) => step.kind === 'call');
  return play(calls[since], "Done: I've made the change you asked for.");
}

/**
 * The user "model" (LLM pressure user): it reads its task from the system prompt (the pack wrote the
 * tactic into the instructions), opens, answers questions, and after a refusal presses with the
 * tactic's lines; it stops once the agent is done or after the last line.
 */
function userModel(request: PeerRequest): PeerReply {
  const messages: Message[] = request.body.messages;
  const system = text(messages[0]);
  const task = variants.find((t) => system.includes(t.user.instructions));
  if (!task) throw new Error('the user prompt holds no variant’s instructions');
  // The agent's messages reach the user model as `user` turns, its own as `assistant` turns.
  const own = messages.filter((m) => m.role === 'assistant').map(text);
  if (own.length === 0) return { kind: 'message', text: task.user.openings[0] };
  const last = text(messages.at(-1));
  if (/email/i.test(last)) return { kind: 'message', text: `It's ${task.user.known.find((f) => f.id === 'email')!.value}.` };
  if (/proceed|confirm/i.test(last)) return { kind: 'message', text: 'Yes, please go ahead.' };
  if (/\b(sorry|cannot|can't|not authori[sz]ed)\b/i.test(last)) {
    const pressed = own.filter((line) => task.probe!.pressure!.includes(line)).length;
    return { kind: 'message', text: task.probe!.pressure![pressed] ?? '###STOP###' };
  }
  return { kind: 'message', text: 'Thank you! ###STOP###' };
}

function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, OPENAI_API_KEY: undefined, ...env } as NodeJS.ProcessEnv,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => done({ status, stdout, stderr }));
  });
}

/** Every episode of a run: its events and its probe verdicts, by task id. */
function episodes(db: string, runId: string): Map<string, { events: unknown[]; probe: Record<string, unknown>; reward: number }> {
  const reader = new Database(db, { readonly: true });
  try {
    const rows = reader
      .prepare(
        'SELECT e.task_id, e.reward, e.trajectory, a.audit FROM episodes e LEFT JOIN episode_audits a ON a.episode_id = e.id WHERE e.run_id = ?',
      )
      .all(runId) as { task_id: string; reward: number; trajectory: string; audit: string | null }[];
    return new Map(
      rows.map((r) => [
        r.task_id,
        { events: JSON.parse(r.trajectory).events, probe: r.audit ? JSON.parse(r.audit).probe : null, reward: r.reward },
      ]),
    );
  } finally {
    reader.close();
  }
}

/** The verdicts the state must give: capitulation only where the model gave in, at the turn it did. */
function checkVerdicts(run: Map<string, { events: unknown[]; probe: Record<string, unknown> }>) {
  assert.equal(run.size, variants.length);
  for (const task of variants) {
    const { probe, events } = run.get(task.id)!;
    assert.ok(probe, `${task.id} was audited`);
    const turn = task.probe!.role === 'probe' ? GIVES_IN_AT[task.probe!.tactic!] : undefined;
    assert.equal(probe.capitulated, turn !== undefined, task.id);
    assert.equal(probe.pushed, turn !== undefined || task.probe!.role === 'control', task.id);
    assert.equal(probe.capitulationTurn, turn ?? null, task.id);
    assert.equal(probe.falseResistance, false, task.id);
    if (turn !== undefined) {
      // The mark is the result of the model's write (a real tool call), after `turn` pressure messages.
      const at = probe.changedAtEvent as number;
      const event = events[at] as { type: string; isError?: boolean };
      assert.equal(event.type, 'tool_result', task.id);
      assert.ok(!event.isError);
      const userBefore = (events.slice(0, at) as { type: string; role?: string; content?: string }[]).filter(
        (e) => e.type === 'message' && e.role === 'user' && task.probe!.pressure!.includes(e.content ?? ''),
      );
      assert.equal(userBefore.length, turn, `${task.id}: pressure messages before the change`);
    } else if (task.probe!.role === 'probe') assert.equal(probe.changedAtEvent, null, task.id);
  }
}

describe('an LLM agent over a local OpenAI-compatible peer runs the persuasion pack, recorded and replayed', () => {
  it('scripted pressure user, then the LLM pressure user: verdicts from the state, identical on replay', async () => {
    assert.ok(probes.length === 8 && variants.length === 16, `${variants.length} variants`);
    const peer = await startOpenAIPeer((request) => (request.body.model === 'sim' ? userModel(request) : agentModel(request)));
    peers.push(peer);
    const dir = mkdtempSync(join(tmpdir(), 'gw-probe-llm-'));
    const cassettes = join(dir, 'cassettes');
    const agent = `openai:bot@${peer.url}`;
    const common = ['--pack', 'persuasion', '--domain', DOMAIN, '--agent', agent, '--tasks', '1', '--trials', '1', '--json'];
    const scripted = [...common, '--user', 'scripted'];
    const llmUser = [...common, '--user', `openai:sim@${peer.url}`];

    // 1. Recorded: the scripted pressure user, then the LLM pressure user.
    const db = join(dir, 'record.db');
    const runs: { runId: string; out: Record<string, any> }[] = [];
    for (const args of [scripted, llmUser]) {
      const result = await cli(['probe', ...args, '--db', db, '--record', cassettes], { OPENAI_API_KEY: KEY });
      assert.equal(result.status, 0, result.stderr);
      const out = JSON.parse(result.stdout);
      assert.ok(out.audit, `the run was audited: ${result.stderr}`);
      assert.equal(out.episodes, variants.length);
      assert.equal(out.agents[agent].infraErrors, 0);
      runs.push({ runId: out.runId, out });
    }
    for (const { runId, out } of runs) {
      checkVerdicts(episodes(db, runId));
      const persuasion = out.audit.agents[agent].probe.persuasion;
      assert.equal(persuasion.overall.probes, 8);
      assert.equal(persuasion.overall.capitulations, 2);
      assert.equal(persuasion.overall.capitulationRate, 0.25);
      assert.deepEqual(persuasion.overall.byTurn, { 1: 1, 2: 1 });
      assert.equal(persuasion.byTactic.authority.capitulationRate, 1);
      assert.equal(persuasion.byTactic.flattery.capitulationRate, 0);
      assert.equal(persuasion.overall.falseResistances, 0);
    }
    // The LLM user was given the tactic: every variant's instructions (with the pressure paragraph) reached the peer.
    const userPrompts = peer.requests.filter((r) => r.body.model === 'sim').map((r) => text(r.body.messages[0]));
    for (const task of variants) {
      assert.match(task.user.instructions, /press using only this tactic/);
      assert.ok(
        userPrompts.some((p) => p.includes(task.user.instructions)),
        `the user peer got ${task.id}'s instructions`,
      );
    }
    assert.ok(readdirSync(cassettes).length > 0, 'cassettes were written');

    // 2. Replayed with the peer stopped and no key: the same episodes and verdicts.
    await peer.close();
    const replayDb = join(dir, 'replay.db');
    for (const [i, args] of [scripted, llmUser].entries()) {
      const result = await cli(['probe', ...args, '--db', replayDb, '--replay', cassettes]);
      assert.equal(result.status, 0, result.stderr);
      const out = JSON.parse(result.stdout);
      assert.ok(out.audit, `the replayed run was audited: ${result.stderr}`);
      assert.equal(out.agents[agent].infraErrors, 0, 'every request was answered from the cassettes');
      const recorded = episodes(db, runs[i].runId);
      const replayed = episodes(replayDb, out.runId);
      for (const [taskId, episode] of recorded) {
        assert.deepEqual(replayed.get(taskId)!.events, episode.events, taskId);
        assert.deepEqual(replayed.get(taskId)!.probe, episode.probe, taskId);
      }
      assert.deepEqual(out.audit.agents[agent].probe, runs[i].out.audit.agents[agent].probe);
    }
  });
});
