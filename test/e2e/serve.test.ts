import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { createOracleAgent } from '../../src/agents/oracle.ts';
import { createDomain } from '../../src/domains/registry.ts';
import { play, WsClient } from './serve-client.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const dir = mkdtempSync(join(tmpdir(), 'gw-serve-e2e-'));
const db = join(dir, 'groundwork.db');
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** Start `groundwork serve --json` and read its one JSON document. */
async function startServe(args: string[]): Promise<{ child: ChildProcess; info: Record<string, string>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--json', '--port', '0', '--db', db, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk) => {
    err += chunk;
  });
  const info = await new Promise<Record<string, string>>((resolveInfo, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      try {
        const parsed = JSON.parse(out);
        clearTimeout(timer);
        resolveInfo(parsed);
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { child, info, stderr: () => err };
}

test('groundwork serve end to end: URL, an oracle episode over WebSocket, Ctrl-C, then groundwork show', async () => {
  const { child, info, stderr } = await startServe(['--client-name', 'e2e', '--max-sessions', '4']);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.ws, `${info.url.replace('http', 'ws')}/ws`);
    assert.match(info.run_id, /^run-/);
    const health = await (await fetch(`${info.url}/health`)).json();
    assert.equal(health.status, 'healthy');

    // The tasks come from the run the server stored (read-only, beside the running server).
    const reader = SqliteStore.openReadOnly(db);
    const tasks = await reader.runTasks(info.run_id);
    await reader.close();
    const task = tasks.find((t) => !t.noChange);
    assert.ok(task);
    const domain = createDomain('helpdesk');

    const ws = await WsClient.open(info.ws);
    const first = await ws.observation({ type: 'reset', data: { task_id: task.id } });
    const oracle = createOracleAgent().start(
      { policy: first.observation.policy ?? '', tools: first.observation.tools ?? [], seed: 0, trial: 0 },
      { task, domain },
    );
    const { last } = await play(oracle, first, (action) => ws.observation({ type: 'step', data: action }));
    assert.equal(last.reward, 1);
    assert.equal(last.done, true);
    ws.close();

    // A second episode left running when the server is stopped.
    const ws2 = await WsClient.open(info.ws);
    const open = await ws2.observation({ type: 'reset', data: { task_id: task.id } });
    await ws2.observation({ type: 'step', data: { type: 'message', content: 'One moment please.' } });

    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolveCode) =>
      exited ? resolveCode(child.exitCode) : child.once('exit', (c) => resolveCode(c)),
    );
    assert.equal(code, 0, stderr());
    assert.match(stderr(), /SIGINT: storing open episodes as abandoned/);
    await ws2.closed;

    const shown = JSON.parse(cli(['show', info.run_id, '--json', '--db', db]));
    assert.match(JSON.stringify(shown), new RegExp(info.run_id));
    const text = JSON.stringify(shown);
    assert.match(text, /served:e2e/);
    const episode = JSON.parse(cli(['show', info.run_id, '--episode', first.observation.episode_id, '--json', '--db', db]));
    assert.match(JSON.stringify(episode), /"reward":1/);
    const abandoned = JSON.parse(cli(['show', info.run_id, '--episode', open.observation.episode_id, '--json', '--db', db]));
    assert.match(JSON.stringify(abandoned), /server shutdown/);
    assert.match(cli(['runs', '--db', db]), new RegExp(info.run_id));
  } finally {
    if (!exited) child.kill('SIGKILL');
  }
});

test('groundwork serve: bad input is one error line, and nothing listens', () => {
  const result = spawnSync(process.execPath, [BIN, 'serve', '--domain', 'no-such-domain', '--port', '0', '--db', join(dir, 'bad.db')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /no-such-domain/);
  assert.ok(result.stderr.trim().split('\n').length <= 3, result.stderr);
  const remote = spawnSync(process.execPath, [BIN, 'serve', '--host', '0.0.0.0', '--port', '0', '--db', join(dir, 'bad.db')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.notEqual(remote.status, 0);
  assert.match(remote.stderr, /not a loopback address/);
});
