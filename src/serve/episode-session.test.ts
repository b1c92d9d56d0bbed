import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AgentSession, AgentTurn } from '../agents/agent.ts';
import { createNoopAgent, createOracleAgent } from '../agents/oracle.ts';
import { agentToolSpecs } from '../agents/tool-specs.ts';
import { runGradedEpisode } from '../runner/local-runner.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { createScriptedUser } from '../users/scripted.ts';
import { EpisodeSession, type ServeAction, SessionError, type StepResult } from './episode-session.ts';
import { ServedRun } from './served-run.ts';

const LEASE = { ttlMs: 60_000, heartbeatMs: 20_000 };

/** The action a local agent's turn stands for (the served protocol: one call per step). */
function actionOf(turn: AgentTurn): ServeAction {
  assert.ok((turn.toolCalls?.length ?? 0) <= 1, 'one call per turn');
  const call = turn.toolCalls?.[0];
  if (call)
    return {
      type: 'tool_call',
      name: call.name,
      arguments: call.arguments,
      id: call.id,
      ...(turn.message ? { message: turn.message } : {}),
    };
  if (turn.end) return { type: 'end', ...(turn.message ? { content: turn.message } : {}) };
  return { type: 'message', content: turn.message ?? '' };
}

/** Drives a session with a local agent session (e.g. the oracle's): the client's side of the wire. */
async function drive(
  session: EpisodeSession,
  agent: AgentSession,
  first: StepResult,
): Promise<{ last: StepResult; seen: TrajectoryEvent[] }> {
  const seen: TrajectoryEvent[] = [...first.events];
  let result = first;
  while (!result.done) {
    result = await session.step(actionOf(await agent.next(seen)));
    seen.push(...result.events);
  }
  return { last: result, seen };
}

describe('EpisodeSession', () => {
  let store: SqliteStore;
  let run: ServedRun;

  before(async () => {
    store = SqliteStore.open(':memory:');
    run = await ServedRun.open({ store, domain: 'helpdesk', clientName: 'test', lease: LEASE });
  });
  after(async () => {
    await run.close();
    await store.close();
  });

  /** The same task, seed and trial as a served episode, run locally with a built-in agent. */
  async function local(agentName: 'oracle' | 'noop', taskId: string, seed: number, trial: number, episodeId: string) {
    const agent = agentName === 'oracle' ? createOracleAgent() : createNoopAgent();
    return runGradedEpisode(
      { episodeId, runId: 'local', agent: agentName, taskId, trial, seed },
      run.task(taskId),
      run.domain,
      agent,
      createScriptedUser(),
      run.config,
      () => new Date(),
    );
  }

  for (const agentName of ['oracle', 'noop'] as const) {
    test(`${agentName} actions through a session: ${agentName === 'oracle' ? 1 : 0}, same grade and diff as a local run`, async () => {
      for (const task of run.tasks) {
        const session = new EpisodeSession(run);
        const first = await session.reset({ taskId: task.id });
        assert.equal(first.done, false);
        assert.equal(first.reward, null);
        assert.ok(
          first.events.some((e) => e.type === 'message' && e.role === 'user'),
          'the user opens',
        );
        assert.deepEqual(first.tools, agentToolSpecs(run.domain, false));
        assert.ok(first.policy.length > 100);
        const agent = agentName === 'oracle' ? createOracleAgent() : createNoopAgent();
        const oracleSession = agent.start(
          { policy: first.policy, tools: first.tools, seed: first.seed, trial: first.trial },
          { task, domain: run.domain },
        );
        const { last, seen } = await drive(session, oracleSession, first);
        const stored = await store.getEpisode(run.runId, first.episodeId);
        assert.ok(stored, 'stored');
        const mine = await local(agentName, task.id, first.seed, first.trial, first.episodeId);
        assert.equal(last.reward, agentName === 'oracle' ? 1 : 0, `${task.id}: ${JSON.stringify(last.metadata?.termination)}`);
        assert.equal(stored.reward, last.reward);
        assert.deepEqual(stored.outcome, mine.record.outcome, task.id);
        assert.deepEqual(stored.trajectory.finalChanges, mine.record.trajectory.finalChanges);
        assert.equal(stored.trajectory.finalStateHash, mine.record.trajectory.finalStateHash);
        assert.deepEqual(stored.trajectory.termination, mine.record.trajectory.termination);
        assert.deepEqual(stored.trajectory.events, mine.record.trajectory.events, 'the same trajectory, event for event');
        assert.deepEqual(seen, stored.trajectory.events, 'each observation carried exactly the new events');
        assert.equal(stored.agent, 'served:test');
        assert.equal(last.metadata?.grade.reward, last.reward);
        assert.equal(last.metadata?.diff.changes, mine.record.outcome.diff.length);
        assert.ok(last.metadata && !('error' in last.metadata.audit), 'audited');
        assert.equal(session.state().done, true);
        assert.equal(session.state().stateHash, mine.record.trajectory.finalStateHash);
        await assert.rejects(session.step({ type: 'message', content: 'hi' }), (e: SessionError) => e.code === 'EPISODE_DONE');
        await session.close();
      }
    });
  }

  test('two concurrent sessions play on their own states: disjoint diffs', async () => {
    const [taskA, taskB] = run.tasks.filter((t) => t.noChange === false).slice(0, 2);
    const a = new EpisodeSession(run);
    const b = new EpisodeSession(run);
    const b2 = new EpisodeSession(run);
    const [firstA, firstB, firstB2] = await Promise.all([
      a.reset({ taskId: taskA.id }),
      b.reset({ taskId: taskB.id }),
      b2.reset({ taskId: taskB.id }),
    ]);
    assert.notEqual(firstB.episodeId, firstB2.episodeId, 'the same task twice: two trials, two episode ids');
    assert.equal(firstB2.trial, firstB.trial + 1);
    const start = (task: typeof taskA, first: StepResult & { seed: number; trial: number; policy: string }, oracle = true) =>
      (oracle ? createOracleAgent() : createNoopAgent()).start(
        { policy: first.policy, tools: agentToolSpecs(run.domain, false), seed: first.seed, trial: first.trial },
        { task, domain: run.domain },
      );
    // Interleave the three episodes step by step.
    const players = [
      { s: a, agent: start(taskA, firstA), seen: [...firstA.events], r: firstA as StepResult },
      { s: b, agent: start(taskB, firstB), seen: [...firstB.events], r: firstB as StepResult },
      { s: b2, agent: start(taskB, firstB2, false), seen: [...firstB2.events], r: firstB2 as StepResult },
    ];
    while (players.some((p) => !p.r.done)) {
      await Promise.all(
        players
          .filter((p) => !p.r.done)
          .map(async (p) => {
            p.r = await p.s.step(actionOf(await p.agent.next(p.seen)));
            p.seen.push(...p.r.events);
          }),
      );
    }
    const [ea, eb, eb2] = await Promise.all([firstA, firstB, firstB2].map((f) => store.getEpisode(run.runId, f.episodeId)));
    assert.equal(ea?.reward, 1);
    assert.equal(eb?.reward, 1);
    assert.equal(eb2?.reward, 0);
    const keys = (changes: Record<string, unknown>) => new Set(Object.keys(changes));
    assert.ok(keys(ea!.trajectory.finalChanges).size > 0 && keys(eb!.trajectory.finalChanges).size > 0);
    assert.deepEqual(eb2!.trajectory.finalChanges, {}, "B's writes never reach the session beside it on the same task");
    // Each equals its own solo local run: nothing leaked between sessions.
    for (const [episode, first, name] of [
      [ea!, firstA, 'oracle'],
      [eb!, firstB, 'oracle'],
      [eb2!, firstB2, 'noop'],
    ] as const) {
      const solo = await local(name, episode.taskId, first.seed, first.trial, first.episodeId);
      assert.deepEqual(episode.trajectory.finalChanges, solo.record.trajectory.finalChanges);
      assert.deepEqual(episode.outcome.diff, solo.record.outcome.diff);
    }
    const diffA = new Set(ea!.outcome.diff.map((c) => JSON.stringify([c.table, c.key])));
    assert.ok(
      eb!.outcome.diff.every((c) => !diffA.has(JSON.stringify([c.table, c.key]))),
      'two different tasks: no record changed by both',
    );
  });

  test('a bad tool call is the tool error a local run gives; a malformed action is refused and the session goes on', async () => {
    const task = run.tasks[0];
    const session = new EpisodeSession(run);
    const first = await session.reset({ taskId: task.id });
    const unknown = await session.step({ type: 'tool_call', name: 'no_such_tool', arguments: {} });
    assert.equal(unknown.done, false);
    const result = unknown.events.find((e) => e.type === 'tool_result');
    assert.ok(result && result.type === 'tool_result' && result.isError);
    const tool = run.domain.tools.find((t) => !t.terminal)!;
    const badArgs = await session.step({ type: 'tool_call', name: tool.name, arguments: { nonsense: [1, 2] } });
    const badResult = badArgs.events.find((e) => e.type === 'tool_result');
    assert.ok(badResult && badResult.type === 'tool_result' && badResult.isError);
    assert.equal(badArgs.done, false);

    for (const malformed of [
      null,
      'hi',
      { type: 'dance' },
      { type: 'tool_call' },
      { type: 'message', content: 3 },
      { type: 'tool_call', name: 'x', arguments: () => 1 },
    ])
      await assert.rejects(session.step(malformed), (e: SessionError) => e instanceof SessionError && e.code === 'INVALID_ACTION');
    assert.equal(session.state().step, 2, 'malformed actions change nothing');
    assert.equal(session.state().turn, 'agent');
    const goOn = await session.step({ type: 'message', content: 'Let me look into that.' });
    assert.equal(goOn.done, false);
    assert.ok(
      goOn.events.some((e) => e.type === 'message' && e.role === 'user'),
      'the simulated user answers inside the environment',
    );

    // The same calls in a local run give the same results, byte for byte.
    const turns: AgentTurn[] = [
      { toolCalls: [{ id: 'call_1', name: 'no_such_tool', arguments: {} }] },
      { toolCalls: [{ id: 'call_2', name: tool.name, arguments: { nonsense: [1, 2] } }] },
      { message: 'Let me look into that.' },
    ];
    const scripted = {
      name: 'scripted-client',
      start: () => ({ next: async () => turns.shift() ?? { end: true } }),
    };
    const mine = await runGradedEpisode(
      { episodeId: 'x', runId: 'local', agent: 'scripted-client', taskId: task.id, trial: first.trial, seed: first.seed },
      task,
      run.domain,
      scripted,
      createScriptedUser(),
      run.config,
      () => new Date(),
    );
    const localResults = mine.record.trajectory.events.filter((e) => e.type === 'tool_result');
    assert.deepEqual([result, badResult], localResults);
    await session.close();
    const stored = await store.getEpisode(run.runId, first.episodeId);
    assert.equal(stored?.termination, 'agent_error');
    assert.equal(stored?.trajectory.termination.detail, 'client disconnected');
  });

  test('callTool answers with the tool result text; state() never shows the task', async () => {
    const task = run.tasks.find((t) => t.oracle.some((s) => s.kind === 'call'))!;
    const session = new EpisodeSession(run);
    const first = await session.reset({ taskId: task.id, episodeId: 'client-ep-1', seed: 7 });
    assert.equal(first.clientEpisodeId, 'client-ep-1');
    assert.equal(first.seed, 7);
    const step = task.oracle.find((s) => s.kind === 'call')!;
    assert.equal(step.kind, 'call');
    const answer = await session.callTool(step.call.name, step.call.arguments);
    assert.equal(typeof answer.content, 'string');
    assert.ok(answer.content.length > 0);
    const state = session.state();
    assert.equal(state.clientEpisodeId, 'client-ep-1');
    assert.equal(state.step, 1);
    assert.match(state.stateHash ?? '', /\w{8,}/);
    const text = JSON.stringify(state);
    assert.ok(!text.includes('expected') && !text.includes('oracle'), text);
    await session.close();
    const stored = await store.getEpisode(run.runId, first.episodeId);
    assert.ok(stored);
    assert.equal((stored.trajectory.participants.agent as Record<string, unknown>).clientEpisodeId, 'client-ep-1');
  });

  test('one call at a time: step before reset, a second concurrent step, a step after done', async () => {
    const session = new EpisodeSession(run);
    await assert.rejects(session.step({ type: 'message', content: 'hi' }), (e: SessionError) => e.code === 'NOT_RESET');
    assert.deepEqual(session.state().episodeId, null);
    await session.reset({ taskId: run.tasks[5].id });
    const one = session.step({ type: 'message', content: 'One moment.' });
    await assert.rejects(session.step({ type: 'message', content: 'again' }), (e: SessionError) => e.code === 'BUSY');
    assert.equal((await one).done, false);
    const ended = await session.step({ type: 'message', content: 'Goodbye.', end: true });
    assert.equal(ended.done, true);
    assert.equal(ended.metadata?.termination.reason, 'agent_stop');
    await assert.rejects(session.step({ type: 'end' }), (e: SessionError) => e.code === 'EPISODE_DONE');
    await session.close();
  });

  test('reset mid-episode stores the old one as agent_error "client reset"', async () => {
    const session = new EpisodeSession(run);
    const first = await session.reset({ taskId: run.tasks[1].id });
    const second = await session.reset({ taskId: run.tasks[1].id });
    assert.notEqual(first.episodeId, second.episodeId);
    const old = await store.getEpisode(run.runId, first.episodeId);
    assert.deepEqual(old?.trajectory.termination, { reason: 'agent_error', detail: 'client reset' });
    await session.close();
    await assert.rejects(session.reset(), (e: SessionError) => e.code === 'SESSION_CLOSED');
  });

  test('a session closed while reset stores the old episode starts no new one: SESSION_CLOSED', async () => {
    const session = new EpisodeSession(run);
    const first = await session.reset({ taskId: run.tasks[1].id });
    const resetting = session.reset({ taskId: run.tasks[1].id });
    const closing = session.close();
    await assert.rejects(resetting, (e: SessionError) => e.code === 'SESSION_CLOSED');
    await closing;
    assert.equal(session.state().episodeId, first.episodeId, 'no episode was started after the close');
  });
});
