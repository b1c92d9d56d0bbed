import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { AgentSession } from '../agents/agent.ts';
import { createNoopAgent, createOracleAgent } from '../agents/oracle.ts';
import { runGradedEpisode } from '../runner/local-runner.ts';
import type { Task } from '../schema/task.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { createScriptedUser } from '../users/scripted.ts';
import { portNumber } from '../cli/commands/serve.ts';
import { type EnvServer, startEnvServer } from './server.ts';
import { play, WsClient, wireActionOf } from '../../test/e2e/serve-client.ts';
import { observationSchema, stateSchema, stepResultSchema, type WireStepResult } from './wire-schemas.ts';

const LEASE = { ttlMs: 60_000, heartbeatMs: 20_000 };

async function http(server: EnvServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

function creds(result: WireStepResult): Record<string, string> {
  return { 'x-session-id': result.observation.session_id, 'x-session-token': result.observation.session_token ?? '' };
}

describe('startEnvServer: OpenEnv protocol over HTTP and WebSocket', () => {
  let store: SqliteStore;
  let server: EnvServer;
  let tasks: readonly Task[];

  before(async () => {
    store = SqliteStore.open(':memory:');
    server = await startEnvServer({ store, domain: 'helpdesk', port: 0, clientName: 'test', lease: LEASE, maxSessions: 8 });
    tasks = server.run.tasks;
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  function agentFor(kind: 'oracle' | 'noop', task: Task, first: WireStepResult): AgentSession {
    const agent = kind === 'oracle' ? createOracleAgent() : createNoopAgent();
    return agent.start(
      { policy: first.observation.policy ?? '', tools: first.observation.tools ?? [], seed: 0, trial: 0 },
      { task, domain: server.run.domain },
    );
  }

  async function local(kind: 'oracle' | 'noop', episodeId: string) {
    const stored = await store.getEpisode(server.runId, episodeId);
    assert.ok(stored);
    const task = server.run.task(stored.taskId);
    return runGradedEpisode(
      { episodeId, runId: 'local', agent: kind, taskId: stored.taskId, trial: stored.trial, seed: stored.seed },
      task,
      server.run.domain,
      kind === 'oracle' ? createOracleAgent() : createNoopAgent(),
      createScriptedUser(),
      server.run.config,
      () => new Date(),
    );
  }

  test('the OpenEnv endpoints `openenv validate` checks', async () => {
    const openapi = await http(server, 'GET', '/openapi.json');
    assert.equal(openapi.status, 200);
    assert.equal(typeof openapi.body.info.version, 'string');
    for (const path of ['/reset', '/step', '/state']) assert.ok(openapi.body.paths[path], path);
    const health = await http(server, 'GET', '/health');
    assert.deepEqual([health.status, health.body.status], [200, 'healthy']);
    const metadata = await http(server, 'GET', '/metadata');
    assert.equal(metadata.status, 200);
    assert.equal(metadata.body.name, 'groundwork-helpdesk');
    assert.equal(typeof metadata.body.description, 'string');
    assert.equal(metadata.body.run_id, server.runId);
    assert.ok(metadata.body.tools.some((tool: { name: string }) => tool.name === 'send_message_to_user'));
    assert.ok(metadata.body.policy_summary.length > 20);
    const schema = await http(server, 'GET', '/schema');
    assert.equal(schema.status, 200);
    for (const key of ['action', 'observation', 'state']) assert.equal(typeof schema.body[key], 'object', key);
    assert.deepEqual(
      schema.body.action.oneOf?.map((branch: { properties: { type: { const: string } } }) => branch.properties.type.const) ??
        schema.body.action.anyOf?.map((branch: { properties: { type: { const: string } } }) => branch.properties.type.const),
      ['tool_call', 'message', 'end', 'call_tool', 'list_tools'],
    );
    const mcp = await http(server, 'POST', '/mcp', {});
    assert.equal(mcp.status, 200);
    assert.equal(mcp.body.jsonrpc, '2.0');
    assert.equal((await http(server, 'GET', '/nowhere')).status, 404);
    assert.equal((await http(server, 'GET', '/step')).status, 405);
  });

  test('gold actions score 1 and a do-nothing client 0 over both transports, with the grade and diff of a local run', async () => {
    const chosen = tasks.filter((task) => !task.noChange).slice(0, 3);
    for (const task of chosen) {
      const outcomes: Record<string, unknown> = {};
      for (const kind of ['oracle', 'noop'] as const) {
        // WebSocket
        const ws = await WsClient.open(server.wsUrl);
        const firstWs = await ws.observation({ type: 'reset', data: { task_id: task.id } });
        assert.equal(firstWs.done, false);
        assert.equal(firstWs.reward, null);
        assert.ok(firstWs.observation.messages.length > 0, 'the user opens');
        observationSchema.parse(firstWs.observation);
        const viaWs = await play(agentFor(kind, task, firstWs), firstWs, (action) => ws.observation({ type: 'step', data: action }));
        ws.close();
        // HTTP
        const reset = await http(server, 'POST', '/reset', { task_id: task.id });
        assert.equal(reset.status, 200, JSON.stringify(reset.body));
        const firstHttp = stepResultSchema.parse(reset.body);
        const headers = creds(firstHttp);
        assert.equal(reset.headers.get('x-session-token'), headers['x-session-token']);
        const viaHttp = await play(agentFor(kind, task, firstHttp), firstHttp, async (action) => {
          const response = await http(server, 'POST', '/step', { action }, headers);
          assert.equal(response.status, 200, JSON.stringify(response.body));
          return stepResultSchema.parse(response.body);
        });
        const expected = kind === 'oracle' ? 1 : 0;
        for (const [name, run] of [
          ['ws', viaWs],
          ['http', viaHttp],
        ] as const) {
          assert.equal(run.last.reward, expected, `${task.id} ${kind} ${name}: ${JSON.stringify(run.last.observation.termination)}`);
          assert.equal(run.last.observation.reward, expected);
          const meta = run.last.observation.metadata as { episodeId: string; grade: { reward: number }; outcome: unknown };
          assert.equal(meta.grade.reward, expected);
          const stored = await store.getEpisode(server.runId, meta.episodeId);
          assert.ok(stored, 'stored in the served run');
          assert.equal(stored.agent, 'served:test');
          const mine = await local(kind, meta.episodeId);
          assert.deepEqual(stored.outcome, mine.record.outcome, `${task.id} ${kind} ${name}: the grade of a local run`);
          assert.deepEqual(stored.trajectory.finalChanges, mine.record.trajectory.finalChanges);
          assert.deepEqual(stored.trajectory.events, mine.record.trajectory.events);
          assert.deepEqual(run.seen, stored.trajectory.events, 'observations carried exactly the new events');
          assert.deepEqual(meta.outcome, JSON.parse(JSON.stringify(stored.outcome)));
        }
        const wsMeta = viaWs.last.observation.metadata as { outcome: { reward: number; diff: unknown } };
        const httpMeta = viaHttp.last.observation.metadata as { outcome: { reward: number; diff: unknown } };
        assert.deepEqual(wsMeta.outcome.diff, httpMeta.outcome.diff, 'HTTP and WebSocket: the same diff');
        assert.equal(wsMeta.outcome.reward, httpMeta.outcome.reward);
        outcomes[kind] = wsMeta.outcome.reward;
        // The finished HTTP session refuses more steps, and can be closed.
        const late = await http(server, 'POST', '/step', { action: { type: 'message', content: 'hi' } }, headers);
        assert.equal(late.status, 409);
        assert.equal(late.body.code, 'EXECUTION_ERROR');
        assert.equal((await http(server, 'POST', '/close', undefined, headers)).status, 200);
      }
      assert.deepEqual(outcomes, { oracle: 1, noop: 0 });
    }
  });

  test('HTTP, WebSocket and MCP paths give identical grades and diffs for the same actions and seed', async () => {
    const chosen = tasks.filter((task) => !task.noChange).slice(0, 3);
    for (const task of chosen) {
      const seed = 11;
      const ws = await WsClient.open(server.wsUrl);
      const firstWs = await ws.observation({ type: 'reset', data: { task_id: task.id, seed } });
      const viaWs = await play(agentFor('oracle', task, firstWs), firstWs, (action) => ws.observation({ type: 'step', data: action }));
      ws.close();
      const wsOutcome = (viaWs.last.observation.metadata as { outcome: { reward: number; diff: unknown } }).outcome;

      // MCP: a session from an HTTP reset, driven by tools/call only.
      const reset = stepResultSchema.parse((await http(server, 'POST', '/reset', { task_id: task.id, seed })).body);
      const headers = { 'mcp-session-id': reset.observation.session_id, 'x-session-token': reset.observation.session_token ?? '' };
      const init = await http(
        server,
        'POST',
        '/mcp',
        {
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '0' } },
        },
        headers,
      );
      assert.equal(init.status, 200);
      const oracle = agentFor('oracle', task, reset);
      let done = false;
      let structured: Record<string, any> = {};
      for (let id = 1; !done && id < 200; id++) {
        const action = wireActionOf(await oracle.next([]));
        assert.equal(action.message, undefined, 'this task needs no say-and-call turn');
        const params =
          action.type === 'tool_call'
            ? { name: action.name, arguments: action.arguments }
            : { name: 'send_message_to_user', arguments: action.type === 'end' ? { end: true } : { message: action.content } };
        const reply = await http(server, 'POST', '/mcp', { jsonrpc: '2.0', id, method: 'tools/call', params }, headers);
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        structured = reply.body.result.structuredContent ?? {};
        done = structured.done === true;
      }
      assert.equal(structured.reward, 1, task.id);
      const storedMcp = await store.getEpisode(server.runId, reset.observation.episode_id);
      assert.ok(storedMcp);
      assert.equal(storedMcp.outcome.reward, wsOutcome.reward);
      assert.deepEqual(JSON.parse(JSON.stringify(storedMcp.outcome.diff)), wsOutcome.diff, `${task.id}: MCP and WebSocket, the same diff`);
      const storedWs = await store.getEpisode(server.runId, firstWs.observation.episode_id);
      assert.deepEqual(storedMcp.trajectory.finalChanges, storedWs?.trajectory.finalChanges);
      await http(server, 'POST', '/close', undefined, creds(reset));
    }
  });

  test('state, list_tools, send_message_to_user and mcp__ names', async () => {
    const task = tasks.find((t) => !t.noChange);
    assert.ok(task);
    const ws = await WsClient.open(server.wsUrl);
    const before = await ws.send({ type: 'state' });
    assert.equal(before.type, 'state');
    assert.equal(before.data.episode_id, null);
    const first = await ws.observation({ type: 'reset', data: { task_id: task.id, seed: 7, episode_id: 'client-1' } });
    const state = await ws.send({ type: 'state' });
    stateSchema.parse(state.data);
    assert.equal(state.data.episode_id, first.observation.episode_id);
    assert.equal(state.data.step_count, 0);
    assert.equal(state.data.run_id, server.runId);
    const listed = await ws.observation({ type: 'step', data: { type: 'list_tools' } });
    assert.deepEqual(
      listed.observation.tools?.map((t) => t.name),
      first.observation.tools?.map((t) => t.name),
    );
    assert.equal(listed.observation.step, 0, 'list_tools does not advance the episode');
    const said = await ws.observation({
      type: 'step',
      data: { type: 'call_tool', tool_name: 'send_message_to_user', arguments: { message: 'Hello, how can I help?' } },
    });
    assert.equal(said.observation.step, 1);
    assert.ok(said.observation.events.some((e) => e.type === 'message' && e.role === 'agent' && e.content === 'Hello, how can I help?'));
    assert.ok(said.observation.messages.length > 0, 'the user answered');
    const toolName = first.observation.tools?.find((t) => t.name !== 'send_message_to_user')?.name;
    assert.ok(toolName);
    const called = await ws.observation({ type: 'step', data: { type: 'tool_call', name: `mcp__groundwork__${toolName}`, arguments: {} } });
    assert.equal(called.observation.tool_results.length, 1);
    assert.equal(called.observation.tool_results[0].name, toolName);
    const mcp = await ws.send({ type: 'mcp', data: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} } });
    assert.equal(mcp.type, 'mcp');
    assert.ok(mcp.data.result.tools.some((t: { name: string }) => t.name === toolName));
    ws.socket.send(JSON.stringify({ type: 'close' }));
    assert.equal((await ws.closed).code, 1000, 'close ends the connection');
    const stored = await store.getEpisode(server.runId, first.observation.episode_id);
    assert.deepEqual(stored?.trajectory.termination, { reason: 'agent_error', detail: 'client disconnected' });
  });

  test('bad JSON, unknown types and bad actions are errors with OpenEnv codes; the session stays usable', async () => {
    const task = tasks.find((t) => !t.noChange);
    assert.ok(task);
    const ws = await WsClient.open(server.wsUrl);
    const notReset = await ws.send({ type: 'step', data: { type: 'message', content: 'hi' } });
    assert.deepEqual([notReset.type, notReset.data.code], ['error', 'EXECUTION_ERROR']);
    await ws.observation({ type: 'reset', data: { task_id: task.id } });
    const badJson = await ws.send('{"type": "step", ');
    assert.deepEqual([badJson.type, badJson.data.code], ['error', 'INVALID_JSON']);
    const unknown = await ws.send({ type: 'teleport' });
    assert.deepEqual([unknown.type, unknown.data.code], ['error', 'UNKNOWN_TYPE']);
    const badAction = await ws.send({ type: 'step', data: { type: 'tool_call', arguments: {} } });
    assert.deepEqual([badAction.type, badAction.data.code], ['error', 'VALIDATION_ERROR']);
    assert.ok(Array.isArray(badAction.data.errors) && badAction.data.errors.length > 0);
    const emptySay = await ws.send({ type: 'step', data: { type: 'tool_call', name: 'send_message_to_user', arguments: {} } });
    assert.equal(emptySay.data.code, 'VALIDATION_ERROR');
    const extraField = await ws.send({ type: 'step', data: { type: 'message', content: 'x', mood: 'happy' } });
    assert.equal(extraField.data.code, 'VALIDATION_ERROR');
    const badEnvelope = await ws.send({ type: 'step' });
    assert.equal(badEnvelope.data.code, 'VALIDATION_ERROR');
    const unknownTask = await ws.send({ type: 'reset', data: { task_id: 'no-such-task' } });
    assert.equal(unknownTask.data.code, 'VALIDATION_ERROR');
    const state = await ws.send({ type: 'state' });
    assert.equal(state.data.step_count, 0, 'no bad message advanced the episode');
    const ok = await ws.observation({ type: 'step', data: { type: 'message', content: 'How can I help you today?' } });
    assert.equal(ok.observation.step, 1);
    assert.equal(ok.done, false);
    ws.close();

    // HTTP: the same codes.
    const reset = stepResultSchema.parse((await http(server, 'POST', '/reset', { task_id: task.id })).body);
    const headers = creds(reset);
    const badBody = await http(server, 'POST', '/step', '{"action": ', headers);
    assert.deepEqual([badBody.status, badBody.body.code], [400, 'INVALID_JSON']);
    const invalid = await http(server, 'POST', '/step', { action: { type: 'message' } }, headers);
    assert.deepEqual([invalid.status, invalid.body.code], [422, 'VALIDATION_ERROR']);
    const noAction = await http(server, 'POST', '/step', {}, headers);
    assert.deepEqual([noAction.status, noAction.body.code], [422, 'VALIDATION_ERROR']);
    const badReset = await http(server, 'POST', '/reset', { seed: -1 });
    assert.deepEqual([badReset.status, badReset.body.code], [422, 'VALIDATION_ERROR']);
    const text = await http(server, 'POST', '/step', 'x', { ...headers, 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    const fine = await http(server, 'POST', '/step', { action: { type: 'message', content: 'How can I help you today?' } }, headers);
    assert.equal(fine.status, 200);
    assert.equal(fine.body.observation.step, 1);
    await http(server, 'POST', '/close', undefined, headers);
  });

  test("a session's token cannot touch another session", async () => {
    const a = stepResultSchema.parse((await http(server, 'POST', '/reset', {})).body);
    const b = stepResultSchema.parse((await http(server, 'POST', '/reset', {})).body);
    const crossed = { 'x-session-id': a.observation.session_id, 'x-session-token': b.observation.session_token ?? '' };
    const step = await http(server, 'POST', '/step', { action: { type: 'message', content: 'hi' } }, crossed);
    assert.deepEqual([step.status, step.body.code], [403, 'SESSION_ERROR']);
    assert.equal((await http(server, 'GET', '/state', undefined, crossed)).status, 403);
    assert.equal((await http(server, 'POST', '/close', undefined, crossed)).status, 403);
    const none = await http(server, 'POST', '/step', { action: { type: 'message', content: 'hi' } });
    assert.deepEqual([none.status, none.body.code], [401, 'SESSION_ERROR']);
    const unknown = await http(server, 'GET', '/state', undefined, { 'x-session-id': 'ses-0000', 'x-session-token': 'x' });
    assert.equal(unknown.status, 404);
    const mcp = await http(server, 'POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, crossed);
    assert.ok(mcp.body.error, 'MCP refuses the crossed token too');
    // Both sessions are untouched.
    for (const own of [a, b]) {
      const state = await http(server, 'GET', '/state', undefined, creds(own));
      assert.equal(state.status, 200);
      assert.equal(state.body.step_count, 0);
      await http(server, 'POST', '/close', undefined, creds(own));
    }
  });

  test('two concurrent WebSocket sessions produce disjoint diffs', async () => {
    const [taskA, taskB] = tasks.filter((t) => !t.noChange).slice(0, 2);
    const [wsA, wsB] = await Promise.all([WsClient.open(server.wsUrl), WsClient.open(server.wsUrl)]);
    const [firstA, firstB] = await Promise.all([
      wsA.observation({ type: 'reset', data: { task_id: taskA.id } }),
      wsB.observation({ type: 'reset', data: { task_id: taskB.id } }),
    ]);
    const [runA, runB] = await Promise.all([
      play(agentFor('oracle', taskA, firstA), firstA, (action) => wsA.observation({ type: 'step', data: action })),
      play(agentFor('oracle', taskB, firstB), firstB, (action) => wsB.observation({ type: 'step', data: action })),
    ]);
    assert.equal(runA.last.reward, 1);
    assert.equal(runB.last.reward, 1);
    const storedA = await store.getEpisode(server.runId, firstA.observation.episode_id);
    const storedB = await store.getEpisode(server.runId, firstB.observation.episode_id);
    assert.ok(storedA && storedB);
    const keys = (changes: Record<string, Record<string, unknown>>) =>
      Object.entries(changes).flatMap(([table, rows]) => Object.keys(rows).map((key) => `${table}/${key}`));
    const changedA = keys(storedA.trajectory.finalChanges as Record<string, Record<string, unknown>>);
    const changedB = keys(storedB.trajectory.finalChanges as Record<string, Record<string, unknown>>);
    assert.ok(changedA.length > 0 && changedB.length > 0);
    assert.deepEqual(
      changedA.filter((key) => changedB.includes(key)),
      [],
      'disjoint diffs',
    );
    wsA.close();
    wsB.close();
  });

  test('a client killed mid-episode leaves a stored, marked episode and a freed slot', async () => {
    const task = tasks.find((t) => !t.noChange);
    assert.ok(task);
    const settle = Date.now() + 5000;
    while ((await http(server, 'GET', '/health')).body.active_sessions !== 0 && Date.now() < settle)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const openBefore = (await http(server, 'GET', '/health')).body.active_sessions as number;
    assert.equal(openBefore, 0, 'the earlier tests closed their sessions');
    const ws = await WsClient.open(server.wsUrl);
    const first = await ws.observation({ type: 'reset', data: { task_id: task.id } });
    await ws.observation({ type: 'step', data: { type: 'message', content: 'Let me look into it.' } });
    assert.equal((await http(server, 'GET', '/health')).body.active_sessions, openBefore + 1);
    ws.socket.terminate();
    const deadline = Date.now() + 5000;
    let stored = await store.getEpisode(server.runId, first.observation.episode_id);
    while (!stored && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stored = await store.getEpisode(server.runId, first.observation.episode_id);
    }
    assert.ok(stored, 'stored');
    assert.deepEqual(stored.trajectory.termination, { reason: 'agent_error', detail: 'client disconnected' });
    assert.equal(stored.reward, 0);
    while ((await http(server, 'GET', '/health')).body.active_sessions !== openBefore && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await http(server, 'GET', '/health')).body.active_sessions, openBefore, 'slot freed');
  });
});

describe('startEnvServer: the session cap', () => {
  test('one session over the cap gets CAPACITY_REACHED; a freed slot can be taken again', async () => {
    const store = SqliteStore.open(':memory:');
    const server = await startEnvServer({ store, domain: 'helpdesk', port: 0, lease: LEASE, maxSessions: 2 });
    try {
      const a = await WsClient.open(server.wsUrl);
      const b = await WsClient.open(server.wsUrl);
      const c = await WsClient.open(server.wsUrl);
      const refused = await c.next();
      assert.deepEqual([refused.type, refused.data.code], ['error', 'CAPACITY_REACHED']);
      assert.equal(refused.data.max_sessions, 2);
      assert.equal((await c.closed).code, 1013);
      const overHttp = await http(server, 'POST', '/reset', {});
      assert.deepEqual([overHttp.status, overHttp.body.code], [503, 'CAPACITY_REACHED']);
      await b.observation({ type: 'reset', data: {} });
      a.close();
      await a.closed;
      const deadline = Date.now() + 5000;
      let d: WsClient | undefined;
      while (Date.now() < deadline) {
        if ((await http(server, 'GET', '/health')).body.active_sessions < 2) {
          d = await WsClient.open(server.wsUrl);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(d, 'a slot was freed');
      const first = await d.observation({ type: 'reset', data: {} });
      assert.equal(first.done, false);
      d.close();
      b.close();
    } finally {
      await server.close();
      await store.close();
    }
  });

  test('refuses a non-loopback host without allowRemote, and a foreign Host header', async () => {
    const store = SqliteStore.open(':memory:');
    await assert.rejects(startEnvServer({ store, domain: 'helpdesk', host: '0.0.0.0', port: 0, lease: LEASE }), /not a loopback address/);
    const server = await startEnvServer({ store, domain: 'helpdesk', port: 0, lease: LEASE });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/health', headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 403, 'DNS rebinding: a foreign Host header is refused');
      assert.equal((await http(server, 'GET', '/health')).status, 200);
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe('startEnvServer: review fixes', () => {
  let store: SqliteStore;
  let server: EnvServer;

  before(async () => {
    store = SqliteStore.open(':memory:');
    server = await startEnvServer({ store, domain: 'helpdesk', port: 0, lease: LEASE, maxSessions: 2 });
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  async function waitStored(episodeId: string) {
    const deadline = Date.now() + 5000;
    let stored = await store.getEpisode(server.runId, episodeId);
    while (!stored && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stored = await store.getEpisode(server.runId, episodeId);
    }
    return stored;
  }

  test('a foreign Origin is refused on every endpoint and on the WebSocket upgrade; /grade wants application/json', async () => {
    for (const [method, path] of [
      ['GET', '/health'],
      ['POST', '/reset'],
      ['POST', '/grade'],
    ] as const) {
      const refused = await http(server, method, path, method === 'POST' ? {} : undefined, { origin: 'https://evil.example' });
      assert.equal(refused.status, 403, `${method} ${path}`);
    }
    const nullOrigin = await http(server, 'GET', '/health', undefined, { origin: 'null' });
    assert.equal(nullOrigin.status, 403);
    const sameOrigin = await http(server, 'GET', '/health', undefined, { origin: server.url });
    assert.equal(sameOrigin.status, 200);
    const { WebSocket } = await import('ws');
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(server.wsUrl, { origin: 'https://evil.example' });
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => {
        socket.close();
        resolve(101);
      });
      socket.on('error', () => resolve(-1));
    });
    assert.equal(status, 403, 'the upgrade is rejected');
    const text = await http(server, 'POST', '/grade', '{}', { 'content-type': 'text/plain' });
    assert.deepEqual([text.status, text.body.error.code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  test('a rejected HTTP reset leaves the running episode running; an accepted one ends it as "client reset"', async () => {
    const first = stepResultSchema.parse((await http(server, 'POST', '/reset', {})).body);
    const headers = creds(first);
    const bad = await http(server, 'POST', '/reset', { task_id: 'no-such-task' }, headers);
    assert.deepEqual([bad.status, bad.body.code], [422, 'VALIDATION_ERROR']);
    const step = await http(server, 'POST', '/step', { action: { type: 'message', content: 'How can I help you today?' } }, headers);
    assert.equal(step.status, 200, 'the episode still runs');
    const again = await http(server, 'POST', '/reset', {}, headers);
    assert.equal(again.status, 200);
    const stored = await waitStored(first.observation.episode_id);
    assert.ok(stored);
    assert.deepEqual(stored.trajectory.termination, { reason: 'agent_error', detail: 'client reset' });
    await http(server, 'POST', '/close', undefined, creds(stepResultSchema.parse(again.body)));
  });

  test('null seed/episode_id on reset and null timeout_s/request_id on step are accepted as absent', async () => {
    const reset = await http(server, 'POST', '/reset', { seed: null, episode_id: null });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    const headers = creds(stepResultSchema.parse(reset.body));
    const step = await http(
      server,
      'POST',
      '/step',
      { action: { type: 'message', content: 'How can I help you today?' }, timeout_s: null, request_id: null },
      headers,
    );
    assert.equal(step.status, 200, JSON.stringify(step.body));
    await http(server, 'POST', '/close', undefined, headers);
  });

  test('deeply nested action arguments are a VALIDATION_ERROR, not a 500', async () => {
    const reset = stepResultSchema.parse((await http(server, 'POST', '/reset', {})).body);
    const headers = creds(reset);
    const depth = 20_000;
    const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const body = `{"action": {"type": "tool_call", "name": "lookup", "arguments": {"x": ${nested}}}}`;
    const deep = await http(server, 'POST', '/step', body, headers);
    assert.deepEqual([deep.status, deep.body.code], [422, 'VALIDATION_ERROR']);
    await http(server, 'POST', '/close', undefined, headers);
  });

  test('finished episodes do not hold slots: three HTTP episodes played to done without /close on a cap of 2', async () => {
    for (let i = 0; i < 3; i++) {
      const reset = await http(server, 'POST', '/reset', { task_index: i });
      assert.equal(reset.status, 200, `episode ${i}: ${JSON.stringify(reset.body)}`);
      const first = stepResultSchema.parse(reset.body);
      const headers = creds(first);
      const task = server.run.task(first.observation.task_id as string);
      const agent = createNoopAgent().start(
        { policy: first.observation.policy ?? '', tools: first.observation.tools ?? [], seed: 0, trial: 0 },
        { task, domain: server.run.domain },
      );
      const played = await play(agent, first, async (action) => {
        const response = await http(server, 'POST', '/step', { action }, headers);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        return stepResultSchema.parse(response.body);
      });
      assert.equal(played.last.done, true);
    }
  });

  test('a port out of range is refused before any run is created; a taken port leaves no run behind', async () => {
    assert.equal(portNumber('65535'), 65535);
    assert.equal(portNumber('0'), 0);
    assert.throws(() => portNumber('65536'), /--port must be an integer from 0 to 65535/);
    const own = SqliteStore.open(':memory:');
    try {
      await assert.rejects(startEnvServer({ store: own, domain: 'helpdesk', port: 70_000, lease: LEASE }), /0 to 65535/);
      await assert.rejects(startEnvServer({ store: own, domain: 'helpdesk', port: server.port, lease: LEASE }), /EADDRINUSE/);
      assert.deepEqual(await own.listRuns(), []);
    } finally {
      await own.close();
    }
  });
});
