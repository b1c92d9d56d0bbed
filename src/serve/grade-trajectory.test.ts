import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createDomain } from '../domains/registry.ts';
import { createRun, executeRun } from '../runner/local-runner.ts';
import type { Outcome } from '../schema/outcome.ts';
import type { Trajectory, TrajectoryEvent } from '../schema/trajectory.ts';
import type { EpisodeRecord } from '../store/store.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { GRADE_PATH, type GradeContext, gradeTrajectory, handleGradeRequest } from './grade-trajectory.ts';

interface GradeAnswer {
  task_id: string;
  reward: number;
  termination: { reason: string; detail?: string };
  components: Record<string, unknown>;
  outcome: Outcome;
  replay: { format: string; tool_calls: number; tool_output_mismatches: number; initial_state_mismatch: boolean };
  stored?: { run_id: string; episode_id: string };
  error?: { code: string; message: string };
}

/** A stored trajectory as an OpenAI-style chat transcript (what another harness would record). */
function asMessages(trajectory: Trajectory): unknown[] {
  const messages: Record<string, unknown>[] = [{ role: 'system', content: 'policy' }];
  for (const event of trajectory.events) {
    if (event.type === 'message' && event.role === 'user')
      messages.push({ role: 'user', content: event.control ? `${event.content} ${event.control}` : event.content });
    else if (event.type === 'message') messages.push({ role: 'assistant', content: event.content });
    else if (event.type === 'tool_call' && event.actor === undefined)
      messages.push({
        role: 'assistant',
        content: null,
        tool_calls: [{ id: event.id, type: 'function', function: { name: event.name, arguments: JSON.stringify(event.arguments) } }],
      });
    else if (event.type === 'tool_result' && event.actor === undefined)
      messages.push({ role: 'tool', tool_call_id: event.callId, content: event.content });
  }
  return messages;
}

/** The trajectory with the first string argument of its first write call changed. */
function tampered(trajectory: Trajectory): Trajectory | undefined {
  const events = structuredClone(trajectory.events);
  const write = events.findIndex(
    (e, i) => e.type === 'tool_call' && events.slice(i).some((r) => r.type === 'tool_result' && r.callId === e.id && r.stateHash),
  );
  if (write < 0) return undefined;
  const call = events[write] as Extract<TrajectoryEvent, { type: 'tool_call' }>;
  const args = call.arguments as Record<string, unknown>;
  const key =
    Object.keys(args).find((k) => typeof args[k] === 'string' && !/id$/i.test(k)) ??
    Object.keys(args).find((k) => typeof args[k] === 'string');
  if (!key) return undefined;
  args[key] = `${args[key]}-tampered`;
  return { ...trajectory, events };
}

describe('POST /grade over a real server: trajectories recorded elsewhere, replayed and graded', () => {
  let store: SqliteStore;
  let server: Server;
  let base: string;
  let episodes: EpisodeRecord[];
  const domain = createDomain('helpdesk');

  before(async () => {
    store = SqliteStore.open(':memory:');
    const { runId } = await createRun(store, { domain: 'helpdesk', agents: ['oracle', 'noop', 'naive'], trials: 1, tasks: { count: 6 } });
    await executeRun(runId, { store, lease: { ttlMs: 60_000, heartbeatMs: 20_000 } });
    episodes = [];
    for await (const episode of store.iterateEpisodes(runId)) episodes.push(episode);
    const context: GradeContext = { domain, store, now: () => new Date('2026-12-02T12:00:00Z') };
    server = createServer((req, res) => {
      handleGradeRequest(req, res, context)
        .then((handled) => {
          if (!handled) res.writeHead(404).end();
        })
        .catch((error) => res.writeHead(500).end(String(error)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  });

  async function grade(body: unknown, query = ''): Promise<{ status: number; answer: GradeAnswer }> {
    const response = await fetch(`${base}${GRADE_PATH}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, answer: (await response.json()) as GradeAnswer };
  }

  test("a stored local episode's trajectory gets the stored reward, diff and outcome; as a messages list too", async () => {
    assert.equal(episodes.length, 18);
    const rewards = new Set(episodes.map((e) => e.reward));
    assert.deepEqual([...rewards].sort(), [0, 1], 'both passing and failing episodes are checked');
    for (const episode of episodes) {
      const { status, answer } = await grade({ trajectory: episode.trajectory });
      assert.equal(status, 200, JSON.stringify(answer));
      assert.equal(answer.reward, episode.reward, `${episode.agent}/${episode.taskId}`);
      assert.deepEqual(answer.outcome.diff, episode.outcome.diff);
      assert.deepEqual(answer.outcome, episode.outcome, `${episode.agent}/${episode.taskId}: the whole outcome`);
      assert.deepEqual(answer.termination, episode.trajectory.termination);
      assert.equal(answer.replay.tool_output_mismatches, 0);
      assert.equal(answer.replay.initial_state_mismatch, false);
      assert.equal(answer.components.state, episode.outcome.state.pass);

      const { status: status2, answer: fromMessages } = await grade({ task_id: episode.taskId, messages: asMessages(episode.trajectory) });
      assert.equal(status2, 200, JSON.stringify(fromMessages));
      assert.equal(fromMessages.replay.format, 'openai-messages');
      assert.equal(fromMessages.reward, episode.reward, `${episode.agent}/${episode.taskId} as messages`);
      assert.deepEqual(fromMessages.outcome.diff, episode.outcome.diff);
    }
  });

  test('a tampered trajectory (one argument changed) gets a different grade and diff, from our replay, not the recorded results', async () => {
    let checked = 0;
    for (const episode of episodes.filter((e) => e.agent === 'oracle')) {
      const changed = tampered(episode.trajectory);
      if (!changed) continue;
      const { status, answer } = await grade({ trajectory: changed });
      assert.equal(status, 200);
      assert.equal(answer.reward, 0, episode.taskId);
      assert.notDeepEqual(answer.outcome.diff, episode.outcome.diff);
      checked++;
    }
    assert.ok(checked >= 3, `tampered ${checked} oracle trajectories`);
  });

  test('?store=1 stores it as a finished imported run that re-reads with the same grade', async () => {
    const episode = episodes.find((e) => e.agent === 'oracle' && e.reward === 1)!;
    const { status, answer } = await grade({ trajectory: episode.trajectory, agent: 'other-harness' }, '?store=1');
    assert.equal(status, 200);
    assert.ok(answer.stored);
    const run = await store.getRun(answer.stored.run_id);
    assert.equal(run?.status, 'finished');
    assert.deepEqual(run?.config.agents, ['imported:other-harness']);
    const stored = await store.getEpisode(answer.stored.run_id, answer.stored.episode_id);
    assert.ok(stored);
    assert.equal(stored.reward, 1);
    assert.deepEqual(stored.outcome, episode.outcome);
    assert.deepEqual(stored.trajectory.finalChanges, episode.trajectory.finalChanges);
    assert.equal((await store.runTasks(answer.stored.run_id))[0]?.id, episode.taskId);
  });

  test('bad input is a 400 with one error line; the path and method are checked', async () => {
    const episode = episodes[0]!;
    const cases: [unknown, RegExp][] = [
      ['{not json', /not valid JSON/],
      [{}, /exactly one of `trajectory`/],
      [{ trajectory: episode.trajectory, messages: [] }, /exactly one of/],
      [{ messages: [{ role: 'user', content: 'hi' }] }, /needs a `task_id`/],
      [{ task_id: 'no-such-task', messages: [{ role: 'user', content: 'hi' }] }, /has no task "no-such-task"/],
      [{ trajectory: { ...episode.trajectory, domain: 'tau-bench/retail' } }, /domain tau-bench\/retail; this server serves helpdesk/],
      [{ trajectory: { ...episode.trajectory, events: [{ type: 'bogus' }] } }, /invalid grade request: trajectory\.events\.0/],
      [{ trajectory: episode.trajectory, task_id: 'other' }, /differs from the trajectory's taskId/],
    ];
    for (const [body, pattern] of cases) {
      const { status, answer } = await grade(body);
      assert.equal(status, 400, JSON.stringify(body).slice(0, 100));
      assert.ok(answer.error, JSON.stringify(answer).slice(0, 200));
      assert.match(answer.error.message, pattern);
      assert.doesNotMatch(answer.error.message, /\n/);
    }
    const get = await fetch(`${base}${GRADE_PATH}`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await fetch(`${base}/gradex`, { method: 'POST', body: '{}' })).status, 404);
  });
});

for (const domainName of ['tau2-bench/telecom', 'tau-bench/retail', 'tau2-bench/mock']) {
  test(`${domainName}: stored local episodes (both sides' calls, one call per turn) re-grade to the stored outcome`, async () => {
    const store = SqliteStore.open(':memory:');
    try {
      const { runId } = await createRun(store, { domain: domainName, agents: ['oracle', 'noop'], trials: 1, tasks: { count: 4 } });
      await executeRun(runId, { store, lease: { ttlMs: 60_000, heartbeatMs: 20_000 } });
      const domain = createDomain(domainName);
      let graded = 0;
      let userCalls = 0;
      for await (const episode of store.iterateEpisodes(runId)) {
        const answer = gradeTrajectory({ trajectory: episode.trajectory }, { domain });
        assert.deepEqual(JSON.parse(JSON.stringify(answer.outcome)), episode.outcome, `${episode.agent}/${episode.taskId}`);
        assert.deepEqual(answer.trajectory.finalChanges, episode.trajectory.finalChanges);
        assert.equal(answer.replay.toolOutputMismatches, 0);
        userCalls += episode.trajectory.events.filter((e) => e.type === 'tool_call' && e.actor === 'user').length;
        graded++;
      }
      assert.equal(graded, 8);
      if (domainName === 'tau2-bench/telecom') assert.ok(userCalls > 0, "the user's own calls were replayed");
    } finally {
      await store.close();
    }
  });
}
