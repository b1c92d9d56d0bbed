// Issue 13 (1, 6, 7): a model server that echoes the key and sends credentials leaks nothing into
// any file or output, replays identically, is capped in size, and bad base URLs are config errors.
import { oracleStepMessage } from '../../src/schema/task.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { createHelpdeskDomain } from '../../src/domains/helpdesk/index.ts';
import { startOpenAIPeer } from '../../src/testing/openai-peer.ts';
import type { ModelPeer, PeerReply, PeerRequest } from '../../src/testing/peer-server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const KEY = 'gw-hostile-KEY-7f3a9c1e5b2d';
// Credentials a hostile server sends that are not our key: each must be gone from every output.
const FOREIGN = ['abcdefghijkl', 'hunter2pass', 'zzQUERYzzzz9', 'sk-live-0123456789abcdefXYZ', 'ttTOKENtt123'];
const HOSTILE_TEXT =
  'Authorization: Bearer abcdefghijkl ; db at http://admin:hunter2pass@db.internal/x?api_key=zzQUERYzzzz9 ; old key sk-live-0123456789abcdefXYZ';
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((p) => p.close())));

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

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const domain = createHelpdeskDomain();
const task = domain.tasks({ split: 'test' }).find((t) => t.family === 'feature_off')!;
const email = task.user.known.find((f) => f.id === 'email')!.value;

/** The agent follows the reference solution, but every reply echoes the key and credentials. */
function hostileAgent(request: PeerRequest): PeerReply {
  const echoed = `your key is ${String(request.headers.authorization).replace(/^Bearer /, '')}; ${HOSTILE_TEXT}`;
  const messages: { role: string }[] = request.body.messages;
  const turn = messages.filter((m) => m.role === 'assistant').length;
  const step = task.oracle[turn];
  if (!step) return { kind: 'message', text: `Done. ${echoed}` };
  if (step.kind !== 'call') return { kind: 'message', text: `${oracleStepMessage(step)} (${echoed})` };
  const toolCalls = [{ name: step.call.name, arguments: step.call.arguments }];
  // The first call also comes with a tool with credentials in its arguments (an unknown tool: an error result).
  if (turn === task.oracle.findIndex((s) => s.kind === 'call'))
    toolCalls.push({
      name: 'store_credentials',
      arguments: {
        key: KEY,
        header: 'Authorization: Bearer abcdefghijkl',
        url: 'https://u:hunter2pass@x.example/?token=ttTOKENtt123',
        note: HOSTILE_TEXT,
      },
    });
  return { kind: 'message', text: echoed, toolCalls };
}

function user(request: PeerRequest): PeerReply {
  const messages: { role: string; content: string }[] = request.body.messages.filter((m: { role: string }) => m.role !== 'system');
  const last = String(messages.at(-1)?.content ?? '');
  if (messages.length <= 1 && !/email|proceed/i.test(last)) return { kind: 'message', text: task.user.openings[0] };
  if (/email/i.test(last)) return { kind: 'message', text: `It's ${email}.` };
  if (/proceed\?/i.test(last)) return { kind: 'message', text: 'Yes, go ahead.' };
  return { kind: 'message', text: 'Thanks! ###STOP###' };
}

function runFile(dir: string, url: string, extra: string[] = []): string {
  const file = join(dir, 'groundwork.yaml');
  writeFileSync(
    file,
    [
      'domain: helpdesk',
      `tasks: [${task.id}]`,
      'agents: [bot]',
      'user: sim',
      'trials: 2',
      'models:',
      '  bot:',
      '    provider: openai',
      '    model: hostile-agent',
      `    baseURL: ${url}`,
      `    limits: { maxRetries: 0${extra.length ? `, ${extra.join(', ')}` : ''} }`,
      '  sim:',
      '    provider: openai',
      '    model: peer-user',
      `    baseURL: ${url}`,
      '    limits: { maxRetries: 0 }',
    ].join('\n'),
  );
  return file;
}

async function storedEpisodes(db: string): Promise<{ trial: number; reward: unknown; events: string }[]> {
  const { default: Database } = await import('better-sqlite3');
  const reader = new Database(db, { readonly: true });
  const rows = reader.prepare('SELECT trial, trajectory FROM episodes ORDER BY trial').all() as { trial: number; trajectory: string }[];
  const outcomes = reader.prepare('SELECT * FROM episodes ORDER BY trial').all() as Record<string, unknown>[];
  reader.close();
  return rows.map((r, i) => ({ trial: r.trial, reward: outcomes[i].reward, events: JSON.stringify(JSON.parse(r.trajectory).events) }));
}

describe('a hostile model server (issue 13)', () => {
  it('echoed keys and credentials reach no file and no output; replay reproduces the recording', async () => {
    const peer = await startOpenAIPeer((request) =>
      String(request.body.messages[0]?.content ?? '').includes('Northwind IT helpdesk policy') ? hostileAgent(request) : user(request),
    );
    peers.push(peer);
    const dir = mkdtempSync(join(tmpdir(), 'gw-hostile-'));
    const file = runFile(dir, peer.url);
    const data = join(dir, 'data');
    const db = join(data, 'groundwork.db');
    const cassettes = join(data, 'cassettes');
    const outputs: string[] = [];
    const step = async (args: string[], env: Record<string, string> = {}) => {
      const result = await cli(args, env);
      outputs.push(result.stdout, result.stderr);
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
      return result;
    };

    const recorded = JSON.parse((await step(['run', file, '--db', db, '--json', '--record', cassettes], { OPENAI_API_KEY: KEY })).stdout);
    assert.equal(recorded.episodes, 2);
    assert.equal(recorded.agents.bot.infraErrors, 0);
    assert.ok(
      peer.requests.some((r) => r.headers.authorization === `Bearer ${KEY}`),
      'the key reached the server',
    );
    const runId: string = recorded.runId;
    const episodes = await storedEpisodes(db);
    assert.match(episodes[0].events, /\[REDACTED\]/, 'what was redacted is marked');
    assert.match(episodes[0].events, /store_credentials/, 'the call with credentials was stored, without them');

    await step(['show', runId, '--db', db]);
    await step(['show', runId, '--db', db, '--json']);
    const { default: Database } = await import('better-sqlite3');
    const reader = new Database(db, { readonly: true });
    const ids = (reader.prepare('SELECT id FROM episodes').all() as { id: string }[]).map((r) => r.id);
    reader.close();
    for (const id of ids) {
      await step(['show', runId, '--episode', id, '--db', db]);
      await step(['show', runId, '--episode', id, '--db', db, '--json']);
    }
    await step(['report', runId, '--db', db, '-o', join(data, 'report.html')]);
    for (const format of ['sft', 'preference', 'rl', 'early-experience'])
      await step(['export', runId, '--db', db, '--format', format, '-o', join(data, `${format}.jsonl`)]);

    // Replay with the server stopped and no key: the same rewards and the same stored trajectories.
    await peer.close();
    const replayDb = join(data, 'replay.db');
    const replayed = JSON.parse((await step(['run', file, '--db', replayDb, '--json', '--replay', cassettes])).stdout);
    assert.equal(replayed.agents.bot.infraErrors, 0, 'no REPLAY_MISS');
    assert.equal(replayed.agents.bot.meanReward, recorded.agents.bot.meanReward);
    const again = await storedEpisodes(replayDb);
    assert.deepEqual(
      again.map((e) => [e.trial, e.reward, e.events]),
      episodes.map((e) => [e.trial, e.reward, e.events]),
    );

    const written = filesUnder(data);
    assert.ok(written.some((f) => f.endsWith('report.html')) && written.some((f) => f.endsWith('rl.jsonl')));
    assert.ok(written.some((f) => f.includes('cassettes')) && written.some((f) => f.endsWith('.log')));
    for (const secret of [KEY, ...FOREIGN]) {
      for (const path of written) assert.ok(!readFileSync(path).includes(secret), `${secret} leaked into ${path}`);
      for (const text of outputs) assert.ok(!text.includes(secret), `${secret} leaked into the output:\n${text.slice(0, 2000)}`);
    }
  });

  it('a reply over the size cap is one fast infra error, never stored whole', async () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const peer = await startOpenAIPeer((request) =>
      String(request.body.messages[0]?.content ?? '').includes('Northwind IT helpdesk policy')
        ? { kind: 'message', text: huge }
        : user(request),
    );
    peers.push(peer);
    const dir = mkdtempSync(join(tmpdir(), 'gw-hostile-'));
    const file = runFile(dir, peer.url, ['maxReplyBytes: 1000000']);
    const db = join(dir, 'g.db');
    const started = performance.now();
    const result = await cli(['run', file, '--db', db, '--json'], { OPENAI_API_KEY: KEY });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /^groundwork: error: .*reply too large.*1000000 bytes/m);
    const out = JSON.parse(result.stdout);
    assert.equal(out.agents.bot.infraErrors, 2);
    assert.ok(seconds < 15, `took ${seconds} s`);
    const agentRequests = peer.requests.filter((r) => String(r.body.messages[0]?.content ?? '').includes('Northwind IT helpdesk policy'));
    assert.equal(agentRequests.length, 2, 'not retried');
    const { default: Database } = await import('better-sqlite3');
    const reader = new Database(db, { readonly: true });
    const sizes = (reader.prepare('SELECT length(trajectory) AS n FROM episodes').all() as { n: number }[]).map((r) => r.n);
    reader.close();
    for (const size of sizes) assert.ok(size < 100_000, `stored row of ${size} bytes`);
  });

  it('base URLs with credentials or another scheme are config errors: one line, exit 2, no request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-hostile-'));
    const db = join(dir, 'g.db');
    const cases: [string, RegExp][] = [
      ['javascript:alert(1)', /only http/],
      ['http://user:hunter2pass@127.0.0.1:9/v1', /must not contain credentials/],
      ['http://127.0.0.1:9/v1?api_key=zzQUERYzzzz9', /credential query parameter/],
    ];
    for (const [url, reason] of cases) {
      const started = performance.now();
      const result = await cli(['run', runFile(dir, url), '--db', db], { OPENAI_API_KEY: KEY });
      assert.equal(result.status, 2, `${url}: ${result.stderr}`);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], /^groundwork: error: /);
      assert.match(lines[0], reason);
      for (const secret of FOREIGN) assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret), result.stderr);
      assert.ok(performance.now() - started < 10_000);
    }
    for (const spec of ['openai-compatible:m@http://user:hunter2pass@127.0.0.1:9/v1', 'openai-compatible:m@javascript:alert(1)']) {
      const result = await cli(['run', '--agent', spec, '--db', db]);
      assert.equal(result.status, 2, `${spec}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.ok(!result.stderr.includes('hunter2pass'), result.stderr);
    }
  });
});
