import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import WebSocket from 'ws';
import type { AgentTurn } from '../agents/agent.ts';
import { createNoopAgent, createOracleAgent } from '../agents/oracle.ts';
import { runGradedEpisode } from '../runner/local-runner.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { createScriptedUser } from '../users/scripted.ts';
import { handleGradeRequest } from './grade-trajectory.ts';
import { handleMcpMessage, handleMcpRequest, normaliseToolName, SEND_MESSAGE_TOOL } from './mcp.ts';
import { ServedRun } from './served-run.ts';
import { type EnvServer, startEnvServer } from './server.ts';
import { SessionPool } from './session-pool.ts';

const LEASE = { ttlMs: 60_000, heartbeatMs: 20_000 };

type ToolResult = { content: { type: string; text: string }[]; isError?: boolean; structuredContent?: Record<string, unknown> };

/** Events without call ids (a served call's id is the server's, a local one the agent's). */
const withoutIds = (events: readonly TrajectoryEvent[]) =>
  events.map((e) => {
    if (e.type === 'tool_call') {
      const { id: _id, ...rest } = e;
      return rest;
    }
    if (e.type === 'tool_result' || e.type === 'outcome_report') {
      const { callId: _callId, ...rest } = e;
      return rest;
    }
    return e;
  });

describe('MCP at /mcp over a real server, the official MCP TypeScript client', () => {
  let store: SqliteStore;
  let run: ServedRun;
  let pool: SessionPool;
  /** A second served run that asks for outcome reports (report_outcome among the tools). */
  let reportRun: ServedRun;
  let reportPool: SessionPool;
  let server: Server;
  let base: string;

  before(async () => {
    store = SqliteStore.open(':memory:');
    run = await ServedRun.open({ store, domain: 'helpdesk', clientName: 'mcp-test', lease: LEASE });
    pool = new SessionPool(run, { maxSessions: 8, idleMs: 600_000, sweepMs: 0 });
    reportRun = await ServedRun.open({ store, domain: 'helpdesk', clientName: 'mcp-report', outcomeReport: true, lease: LEASE });
    reportPool = new SessionPool(reportRun, { maxSessions: 2, idleMs: 600_000, sweepMs: 0 });
    // One endpoint over both pools: a session id the first does not know is looked up in the second.
    const sessions = {
      get(id: string, token: string) {
        try {
          return pool.get(id, token);
        } catch (error) {
          if ((error as { code?: string }).code !== 'UNKNOWN_SESSION') throw error;
          return reportPool.get(id, token);
        }
      },
    };
    server = createServer((req, res) => {
      handleMcpRequest(req, res, sessions)
        .then(async (handled) => {
          if (!handled && !(await handleGradeRequest(req, res, { domain: run.domain, split: run.config.split }))) res.writeHead(404).end();
        })
        .catch((error) => res.writeHead(500).end(String(error)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await pool.closeAll();
    await reportPool.closeAll();
    await new Promise((resolve) => server.close(resolve));
    await run.close();
    await reportRun.close();
    await store.close();
  });

  async function connect(id: string, token: string): Promise<Client> {
    const client = new Client({ name: 'groundwork-test-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { 'X-Session-Id': id, Authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    return client;
  }

  /**
   * Plays a built-in agent's turns through MCP: a tool call is `tools/call` (named `mcp__groundwork__…`
   * when `qualified`), a message or an end is `send_message_to_user`. Returns the last tool result.
   */
  async function play(
    run: ServedRun,
    client: Client,
    agentName: 'oracle' | 'noop',
    taskId: string,
    first: { events: TrajectoryEvent[] } & Record<string, unknown>,
    qualified: boolean,
  ) {
    const task = run.task(taskId);
    const agent = (agentName === 'oracle' ? createOracleAgent() : createNoopAgent()).start(
      { policy: first.policy as string, tools: first.tools as never, seed: first.seed as number, trial: first.trial as number },
      { task, domain: run.domain },
    );
    const seen: TrajectoryEvent[] = [...first.events];
    let calls = 0;
    for (let turns = 0; turns < 100; turns++) {
      const turn: AgentTurn = await agent.next(seen);
      const call = turn.toolCalls?.[0];
      let result: ToolResult;
      if (call) {
        assert.equal(turn.message ?? '', '', 'helpdesk oracle turns carry a call or a message, not both');
        const id = `c${++calls}`;
        result = (await client.callTool({
          name: qualified && calls % 2 === 1 ? `mcp__groundwork__${call.name}` : call.name,
          arguments: call.arguments as Record<string, unknown>,
        })) as ToolResult;
        seen.push({ type: 'tool_call', id, name: call.name, arguments: call.arguments as never });
        seen.push({ type: 'tool_result', callId: id, name: call.name, content: result.content[0]!.text, isError: result.isError === true });
      } else {
        result = (await client.callTool({
          name: SEND_MESSAGE_TOOL,
          arguments: { message: turn.message ?? '', ...(turn.end ? { end: true } : {}) },
        })) as ToolResult;
        assert.equal(result.isError, false, result.content[0]?.text);
        for (const said of (result.structuredContent?.user_messages as string[]) ?? [])
          seen.push({ type: 'message', role: 'user', content: said });
        const request = result.structuredContent?.outcome_request;
        if (typeof request === 'string') seen.push({ type: 'outcome_request', content: request });
      }
      if (result.structuredContent?.done === true) return result;
    }
    assert.fail('the episode did not end in 100 turns');
  }

  async function local(
    run: ServedRun,
    agentName: 'oracle' | 'noop',
    taskId: string,
    first: { seed: number; trial: number; episodeId: string },
  ) {
    const agent = agentName === 'oracle' ? createOracleAgent() : createNoopAgent();
    return runGradedEpisode(
      { episodeId: first.episodeId, runId: 'local', agent: agentName, taskId, trial: first.trial, seed: first.seed },
      run.task(taskId),
      run.domain,
      agent,
      createScriptedUser(),
      run.config,
      () => new Date(),
    );
  }

  for (const agentName of ['oracle', 'noop'] as const) {
    test(`${agentName} through MCP tools/call and ${SEND_MESSAGE_TOOL}: stored grade ${agentName === 'oracle' ? 1 : 0}, identical to a local run`, async () => {
      const tasks = run.tasks.slice(0, 4);
      for (const task of tasks) {
        const { id, token, session } = pool.create();
        const first = await session.reset({ taskId: task.id });
        const client = await connect(id, token);
        try {
          const { tools } = await client.listTools();
          assert.deepEqual(
            tools.map((t) => t.name),
            [...first.tools.map((t) => t.name), SEND_MESSAGE_TOOL],
          );
          for (const tool of tools) assert.equal(tool.inputSchema.type, 'object');
          const last = await play(run, client, agentName, task.id, first as never, agentName === 'oracle');
          const expected = agentName === 'oracle' ? 1 : 0;
          assert.equal(last.structuredContent?.reward, expected, `${task.id}: ${last.content[0]?.text}`);
          assert.match(last.content[0]!.text, new RegExp(`Reward: ${expected}`));

          const stored = await store.getEpisode(run.runId, first.episodeId);
          assert.ok(stored, 'the MCP episode is stored');
          assert.equal(stored.reward, expected);
          assert.equal(stored.agent, 'served:mcp-test');
          const mine = (await local(run, agentName, task.id, first)).record;
          assert.deepEqual(stored.outcome, mine.outcome, `${task.id}: same grade and diff as a local run`);
          assert.deepEqual(stored.trajectory.finalChanges, mine.trajectory.finalChanges);
          assert.deepEqual(stored.trajectory.termination, mine.trajectory.termination);
          assert.deepEqual(withoutIds(stored.trajectory.events), withoutIds(mine.trajectory.events), `${task.id}: same events`);
          // Offline grading of the MCP episode's trajectory agrees with its stored grade.
          const regraded = (await (
            await fetch(`${base}/grade`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ trajectory: stored.trajectory }),
            })
          ).json()) as { reward: number; outcome: unknown };
          assert.equal(regraded.reward, expected);
          assert.deepEqual(regraded.outcome, stored.outcome);

          // After the end, a call is refused as a tool error that repeats the grade; nothing is recorded.
          const late = (await client.callTool({ name: first.tools[0]!.name, arguments: {} })) as ToolResult;
          assert.equal(late.isError, true);
          assert.match(late.content[0]!.text, /episode has ended/);
          assert.equal((await store.getEpisode(run.runId, first.episodeId))!.trajectory.events.length, stored.trajectory.events.length);
        } finally {
          await client.close();
          await session.close();
        }
      }
    });
  }

  test('with outcome reports on, report_outcome is an MCP tool and the report round trips as in a local run', async () => {
    const task = reportRun.tasks[0]!;
    const { id, token, session } = reportPool.create();
    const first = await session.reset({ taskId: task.id });
    const client = await connect(id, token);
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'report_outcome'));
      const last = await play(reportRun, client, 'oracle', task.id, first as never, false);
      assert.equal(last.structuredContent?.reward, 1);
      const stored = (await store.getEpisode(reportRun.runId, first.episodeId))!;
      assert.ok(stored.trajectory.events.some((e) => e.type === 'outcome_request'));
      assert.ok(stored.trajectory.events.some((e) => e.type === 'outcome_report' && e.success));
      const mine = (await local(reportRun, 'oracle', task.id, first)).record;
      assert.deepEqual(stored.outcome, mine.outcome);
      assert.deepEqual(withoutIds(stored.trajectory.events), withoutIds(mine.trajectory.events));
    } finally {
      await client.close();
      await session.close();
    }
  });

  test("another session's token is rejected; missing credentials, GET and a non-JSON-RPC body are answered as the transport says", async () => {
    const a = pool.create();
    const b = pool.create();
    try {
      await a.session.reset({ taskId: run.tasks[0]!.id });
      await b.session.reset({ taskId: run.tasks[1]!.id });
      const init = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      };
      const post = (headers: Record<string, string>, body: unknown = init) =>
        fetch(`${base}/mcp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          body: JSON.stringify(body),
        });

      // A's id with B's token: 403, with a JSON-RPC error; the SDK client refuses to connect.
      const crossed = await post({ 'x-session-id': a.id, authorization: `Bearer ${b.token}` });
      assert.equal(crossed.status, 403);
      const crossedBody = (await crossed.json()) as { jsonrpc: string; id: number; error: { code: number; message: string } };
      assert.equal(crossedBody.jsonrpc, '2.0');
      assert.equal(crossedBody.id, 1);
      assert.match(crossedBody.error.message, /Forbidden/);
      await assert.rejects(connect(a.id, b.token), /403|Forbidden/);
      // A tools/call with crossed credentials changes nothing in A.
      const before = a.session.state();
      const call = await post(
        { 'mcp-session-id': a.id, 'x-session-token': b.token },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: SEND_MESSAGE_TOOL, arguments: { message: 'hello' } } },
      );
      assert.equal(call.status, 403);
      assert.deepEqual(a.session.state(), before);

      // Two different session ids in one request: 400.
      assert.equal((await post({ 'mcp-session-id': a.id, 'x-session-id': b.id, authorization: `Bearer ${a.token}` })).status, 400);
      // No credentials: 401; an unknown session: 404.
      assert.equal((await post({})).status, 401);
      assert.equal((await post({ 'x-session-id': 'ses-0000000000000000', authorization: `Bearer ${a.token}` })).status, 404);
      // The right pair works, and the response names the session.
      const ok = await post({ 'x-session-id': a.id, authorization: `Bearer ${a.token}` });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('mcp-session-id'), a.id);
      const okBody = (await ok.json()) as { result: { protocolVersion: string; capabilities: { tools: unknown } } };
      assert.equal(okBody.result.protocolVersion, '2025-06-18');
      assert.ok(okBody.result.capabilities.tools);
      // A notification alone: 202 with no body.
      const note = await post(
        { 'x-session-id': a.id, authorization: `Bearer ${a.token}` },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
      );
      assert.equal(note.status, 202);
      assert.equal(await note.text(), '');
      // An unknown method: -32601.
      const unknown = await post(
        { 'x-session-id': a.id, authorization: `Bearer ${a.token}` },
        { jsonrpc: '2.0', id: 3, method: 'resources/list' },
      );
      assert.equal(((await unknown.json()) as { error: { code: number } }).error.code, -32601);

      // openenv validate: POST {} → HTTP 200 with a JSON-RPC error, before any session check.
      const empty = await post({}, {});
      assert.equal(empty.status, 200);
      const emptyBody = (await empty.json()) as { jsonrpc: string; error: { code: number } };
      assert.equal(emptyBody.jsonrpc, '2.0');
      assert.equal(emptyBody.error.code, -32600);
      const garbage = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
      assert.equal(garbage.status, 200);
      assert.equal(((await garbage.json()) as { error: { code: number } }).error.code, -32700);
      // No SSE stream: GET is 405; so is DELETE.
      assert.equal((await fetch(`${base}/mcp`, { headers: { accept: 'text/event-stream' } })).status, 405);
      assert.equal((await fetch(`${base}/mcp`, { method: 'DELETE' })).status, 405);
      // A page of another origin cannot drive an episode.
      assert.equal((await post({ 'x-session-id': a.id, authorization: `Bearer ${a.token}`, origin: 'http://evil.example' })).status, 403);
      // Other paths are not the handler's.
      assert.equal((await fetch(`${base}/mcpx`, { method: 'POST' })).status, 404);
    } finally {
      await a.session.close();
      await b.session.close();
    }
  });

  test('an invalid tool call is an isError result counted like a local one; bad params are JSON-RPC errors; the session stays usable', async () => {
    const { id, token, session } = pool.create();
    try {
      await session.reset({ taskId: run.tasks[0]!.id });
      const client = await connect(id, token);
      try {
        const unknown = (await client.callTool({ name: 'no_such_tool', arguments: {} })) as ToolResult;
        assert.equal(unknown.isError, true);
        assert.match(unknown.content[0]!.text, /unknown tool/);
        const empty = (await client.callTool({ name: SEND_MESSAGE_TOOL, arguments: {} })) as ToolResult;
        assert.equal(empty.isError, true);
        assert.match(empty.content[0]!.text, /needs \{"message"/);
        await assert.rejects(
          client.request(
            { method: 'tools/call', params: { name: '' } } as never,
            (await import('@modelcontextprotocol/sdk/types.js')).CallToolResultSchema,
          ),
          /tools\/call needs params.name/,
        );
        assert.equal(session.state().done, false);
        const reply = (await client.callTool({ name: SEND_MESSAGE_TOOL, arguments: { message: 'Could you tell me more?' } })) as ToolResult;
        assert.equal(reply.isError, false);
        assert.ok(((reply.structuredContent?.user_messages as string[] | undefined) ?? []).length >= 1);
        assert.equal(await client.ping().then(() => 'pong'), 'pong');
      } finally {
        await client.close();
      }
      const state = session.state();
      assert.equal(state.done, false);
      assert.ok(state.step >= 2);
    } finally {
      await session.close();
    }
  });

  test("the WebSocket `mcp` message's dispatcher: before reset only initialize and ping; notifications get no answer", async () => {
    assert.equal((await handleMcpMessage(undefined, { jsonrpc: '2.0', id: 1, method: 'ping' }))?.id, 1);
    const list = await handleMcpMessage(undefined, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    assert.ok(list && 'error' in list);
    assert.match(list.error.message, /reset first/);
    assert.equal(await handleMcpMessage(undefined, { jsonrpc: '2.0', method: 'notifications/initialized' }), undefined);
    const bad = await handleMcpMessage(undefined, { id: 3, method: 'ping' });
    assert.ok(bad && 'error' in bad);
    assert.equal(bad.error.code, -32600);
    const init = await handleMcpMessage(undefined, {
      jsonrpc: '2.0',
      id: 4,
      method: 'initialize',
      params: { protocolVersion: '1999-01-01' },
    });
    assert.ok(init && 'result' in init);
    assert.equal(init.result.protocolVersion, '2025-11-25');
  });
});

test('normaliseToolName: mcp__server__tool → tool; known and plain names untouched', () => {
  assert.equal(normaliseToolName('mcp__groundwork__get_ticket'), 'get_ticket');
  assert.equal(normaliseToolName('mcp__my_server__get_ticket'), 'get_ticket');
  assert.equal(normaliseToolName('mcp__srv__a__b'), 'a__b');
  assert.equal(normaliseToolName('get_ticket'), 'get_ticket');
  assert.equal(normaliseToolName('mcp__x__y', ['mcp__x__y']), 'mcp__x__y');
  assert.equal(normaliseToolName('mcp__only'), 'mcp__only');
});

describe("MCP through groundwork serve's own server (startEnvServer): same grade as the HTTP and WebSocket paths", () => {
  let store: SqliteStore;
  let server: EnvServer;

  before(async () => {
    store = SqliteStore.open(':memory:');
    server = await startEnvServer({ store, domain: 'helpdesk', port: 0, clientName: 'mcp-e2e', lease: LEASE, maxSessions: 4 });
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Record<string, any>;
  };

  test('reset over HTTP, play the oracle over MCP; the same task played over HTTP /step and over the WebSocket mcp message grade the same', async () => {
    const run = server.run;
    const task = run.tasks[1]!;
    const startAgent = (first: Record<string, any>) =>
      createOracleAgent().start(
        { policy: first.observation.policy, tools: first.observation.tools, seed: 0, trial: 0 },
        { task, domain: run.domain },
      );

    // MCP, with the session id and token an HTTP reset gave.
    const viaMcp = await post('/reset', { task_id: task.id });
    const mcpObservation = viaMcp.observation;
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { 'X-Session-Id': mcpObservation.session_id, 'X-Session-Token': mcpObservation.session_token } },
      }),
    );
    const agent = startAgent(viaMcp);
    const seen: TrajectoryEvent[] = [...mcpObservation.events];
    let last: ToolResult | undefined;
    while (last?.structuredContent?.done !== true) {
      const turn = await agent.next(seen);
      const call = turn.toolCalls?.[0];
      last = (await client.callTool(
        call
          ? { name: `mcp__groundwork__${call.name}`, arguments: call.arguments as Record<string, unknown> }
          : { name: SEND_MESSAGE_TOOL, arguments: { message: turn.message ?? '', ...(turn.end ? { end: true } : {}) } },
      )) as ToolResult;
      if (call) {
        seen.push({ type: 'tool_call', id: 'c', name: call.name, arguments: call.arguments as never });
        seen.push({ type: 'tool_result', callId: 'c', name: call.name, content: last.content[0]!.text, isError: last.isError === true });
      } else
        for (const said of (last.structuredContent?.user_messages as string[] | undefined) ?? [])
          seen.push({ type: 'message', role: 'user', content: said });
    }
    await client.close();
    assert.equal(last.structuredContent?.reward, 1);

    // HTTP /step, the oracle's turns as wire actions.
    const viaHttp = await post('/reset', { task_id: task.id });
    const headers = { 'x-session-id': viaHttp.observation.session_id, 'x-session-token': viaHttp.observation.session_token };
    const httpAgent = startAgent(viaHttp);
    const httpSeen: TrajectoryEvent[] = [...viaHttp.observation.events];
    let result = viaHttp;
    while (!result.done) {
      const turn = await httpAgent.next(httpSeen);
      const call = turn.toolCalls?.[0];
      const action = call
        ? { type: 'tool_call', name: call.name, arguments: call.arguments }
        : turn.end
          ? { type: 'end', ...(turn.message ? { content: turn.message } : {}) }
          : { type: 'message', content: turn.message ?? '' };
      result = await post('/step', { action }, headers);
      httpSeen.push(...result.observation.events);
    }
    assert.equal(result.reward, 1);

    // The WebSocket's `mcp` message: tools/list and tools/call on the connection's episode.
    const ws = new WebSocket(server.wsUrl);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const replies: Record<string, any>[] = [];
    const waiting: ((value: Record<string, any>) => void)[] = [];
    ws.on('message', (raw) => {
      const value = JSON.parse(raw.toString());
      const waiter = waiting.shift();
      if (waiter) waiter(value);
      else replies.push(value);
    });
    const send = (message: unknown) =>
      new Promise<Record<string, any>>((resolve) => {
        if (replies.length) resolve(replies.shift()!);
        else waiting.push(resolve);
        ws.send(JSON.stringify(message));
      });
    const wsReset = await send({ type: 'reset', data: { task_id: task.id } });
    assert.equal(wsReset.type, 'observation');
    const listed = await send({ type: 'mcp', data: { jsonrpc: '2.0', id: 1, method: 'tools/list' } });
    assert.equal(listed.type, 'mcp');
    assert.ok(listed.data.result.tools.some((t: { name: string }) => t.name === SEND_MESSAGE_TOOL));
    const wsAgent = startAgent(wsReset.data);
    const wsSeen: TrajectoryEvent[] = [...wsReset.data.observation.events];
    let id = 1;
    let structured: Record<string, any> = {};
    while (structured.done !== true) {
      const turn = await wsAgent.next(wsSeen);
      const call = turn.toolCalls?.[0];
      const reply = await send({
        type: 'mcp',
        data: {
          jsonrpc: '2.0',
          id: ++id,
          method: 'tools/call',
          params: call
            ? { name: call.name, arguments: call.arguments }
            : { name: SEND_MESSAGE_TOOL, arguments: { message: turn.message ?? '', ...(turn.end ? { end: true } : {}) } },
        },
      });
      assert.equal(reply.type, 'mcp', JSON.stringify(reply));
      structured = reply.data.result.structuredContent;
      if (call) {
        wsSeen.push({ type: 'tool_call', id: 'c', name: call.name, arguments: call.arguments as never });
        wsSeen.push({ type: 'tool_result', callId: 'c', name: call.name, content: reply.data.result.content[0].text, isError: false });
      } else for (const said of structured.user_messages ?? []) wsSeen.push({ type: 'message', role: 'user', content: said });
    }
    assert.equal(structured.reward, 1);
    ws.close();

    const [a, b, c] = await Promise.all(
      [mcpObservation.episode_id, viaHttp.observation.episode_id, wsReset.data.observation.episode_id].map((episodeId: string) =>
        store.getEpisode(server.runId, episodeId),
      ),
    );
    assert.ok(a && b && c);
    assert.deepEqual(a.outcome, b.outcome, 'MCP and HTTP: same grade and diff');
    assert.deepEqual(a.outcome, c.outcome, 'MCP and the WebSocket mcp message: same grade and diff');
    // The user's wording follows each episode's seed (trials differ); the calls and their results are the same.
    const calls = (events: readonly TrajectoryEvent[]) =>
      withoutIds(events.filter((e) => e.type === 'tool_call' || e.type === 'tool_result'));
    assert.deepEqual(calls(a.trajectory.events), calls(b.trajectory.events));
    assert.deepEqual(calls(a.trajectory.events), calls(c.trajectory.events));
    assert.deepEqual(a.reward, 1);
  });
});
