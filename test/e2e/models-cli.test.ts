import { oracleStepMessage } from '../../src/schema/task.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { createHelpdeskDomain } from '../../src/domains/helpdesk/index.ts';
import { startOpenAIPeer } from '../../src/testing/openai-peer.ts';
import { maxConcurrent, type ModelPeer, type PeerReply, type PeerRequest } from '../../src/testing/peer-server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const SECRET = 'sk-test-SECRET-0123456789abcdef';
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((p) => p.close())));

/** Run the CLI asynchronously (the peer answers from this process). */
function cli(args: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string; stderr: string }> {
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

const domain = createHelpdeskDomain();
const task = domain.tasks({ split: 'test' }).find((t) => t.family === 'feature_off')!;
const email = task.user.known.find((f) => f.id === 'email')!.value;

/** A "model" agent that follows the task's reference solution, one step per request. */
function agentModel(request: PeerRequest): PeerReply {
  const messages: { role: string }[] = request.body.messages;
  const step = task.oracle[messages.filter((m) => m.role === 'assistant').length];
  if (!step) return { kind: 'message', text: 'Done.' };
  return step.kind === 'call'
    ? { kind: 'message', toolCalls: [{ name: step.call.name, arguments: step.call.arguments }] }
    : { kind: 'message', text: oracleStepMessage(step) };
}

/** A "model" user: opens, gives its email, confirms, then stops. */
function userModel(request: PeerRequest): PeerReply {
  const messages: { role: string; content: string }[] = request.body.messages.filter((m: { role: string }) => m.role !== 'system');
  const last = messages.at(-1)?.content ?? '';
  if (messages.length <= 1 && !/email|proceed/i.test(String(last))) return { kind: 'message', text: task.user.openings[0] };
  if (/email/i.test(String(last))) return { kind: 'message', text: `It's ${email}.` };
  if (/proceed\?/i.test(String(last))) return { kind: 'message', text: 'Yes, go ahead.' };
  return { kind: 'message', text: 'Thanks! ###STOP###' };
}

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('model agents and users from the command line', () => {
  it('runs an LLM agent and LLM user from a run file, accounts cost, keeps the key out of every file, records and replays', async () => {
    let failing = true;
    const peer = await startOpenAIPeer((request) => {
      if (failing) return { kind: 'error', status: 503, message: 'overloaded' };
      const system = String(request.body.messages[0]?.content ?? '');
      return system.includes('Northwind IT helpdesk policy') ? agentModel(request) : userModel(request);
    });
    peers.push(peer);
    const dir = mkdtempSync(join(tmpdir(), 'gw-models-'));
    const runFile = join(dir, 'groundwork.yaml');
    writeFileSync(
      runFile,
      [
        'domain: helpdesk',
        `tasks: [${task.id}]`,
        'agents: [bot]',
        'user: sim',
        'trials: 2',
        'models:',
        '  bot:',
        '    provider: openai',
        '    model: peer-agent',
        `    baseURL: ${peer.url}`,
        '    pricePerMillion: { input: 2, output: 8 }',
        '    limits: { maxRetries: 0 }',
        '  sim:',
        '    provider: openai',
        '    model: peer-user',
        `    baseURL: ${peer.url}`,
        '    limits: { maxRetries: 0 }',
      ].join('\n'),
    );
    const data = join(dir, 'data');
    const db = join(data, 'groundwork.db');
    const cassettes = join(data, 'cassettes');

    // 1. The provider is down: every episode is an infra error, counted, not dropped. Nothing was
    // graded, so there is no reward (null, not 0) and the run exits 1 saying why (issue 11).
    const down = await cli(['run', runFile, '--db', db, '--json', '--record', cassettes], { OPENAI_API_KEY: SECRET });
    assert.equal(down.status, 1, down.stderr);
    assert.match(down.stderr, /groundwork: error: nothing graded: all 2 episodes ended in infra_error: .*HTTP 503/);
    const downOut = JSON.parse(down.stdout);
    assert.equal(downOut.agents.bot.infraErrors, 2);
    assert.equal(downOut.agents.bot.terminations.infra_error, 2);
    assert.equal(downOut.agents.bot.meanReward, null);

    // 2. It is back: --retry-errors re-runs exactly those episodes.
    failing = false;
    const retried = await cli(['run', '--resume', downOut.runId, '--retry-errors', '--db', db, '--json', '--record', cassettes], {
      OPENAI_API_KEY: SECRET,
    });
    assert.equal(retried.status, 0, retried.stderr);
    const out = JSON.parse(retried.stdout);
    assert.equal(out.retried, 2);
    assert.equal(out.ran, 2);
    assert.equal(out.episodes, 2);
    assert.equal(out.agents.bot.meanReward, 1);
    assert.equal(out.agents.bot.infraErrors, 0);
    assert.ok(out.usage.agent.calls >= task.oracle.length * 2);
    assert.ok(out.usage.user.calls > 0);
    assert.ok(out.usage.agent.costUsd > 0, 'priced model has a cost');
    assert.equal(out.usage.user.costUsd, 0, 'unpriced model costs 0');
    assert.ok(out.agents.bot.usage.agent.inputTokens > 0);

    // The key reached the server, and nowhere else.
    assert.ok(peer.requests.some((r) => r.headers.authorization === `Bearer ${SECRET}`));
    const written = filesUnder(data);
    assert.ok(
      written.some((f) => f.includes('cassettes')),
      'cassettes were written',
    );
    assert.ok(
      written.some((f) => f.endsWith('.log')),
      'a run log was written',
    );
    for (const file of written) assert.ok(!readFileSync(file).includes(SECRET), `key leaked into ${file}`);
    for (const text of [down.stdout, down.stderr, retried.stdout, retried.stderr]) assert.ok(!text.includes(SECRET));

    // 3. Replay with the server stopped and no key: identical trajectories.
    await peer.close();
    const replayDb = join(dir, 'replay.db');
    const replayed = await cli(['run', runFile, '--db', replayDb, '--json', '--replay', cassettes], {});
    assert.equal(replayed.status, 0, replayed.stderr);
    const again = JSON.parse(replayed.stdout);
    assert.equal(again.agents.bot.meanReward, 1);
    const transcript = async (dbPath: string, runId: string) => {
      const shown = await cli(['show', runId, '--json', '--db', dbPath], {});
      const failedOrAll = JSON.parse(shown.stdout);
      assert.equal(failedOrAll.episodes, 2);
      const { default: Database } = await import('better-sqlite3');
      const reader = new Database(dbPath, { readonly: true });
      const rows = reader.prepare('SELECT trial, trajectory FROM episodes ORDER BY trial').all() as { trial: number; trajectory: string }[];
      reader.close();
      return rows.map((r) => JSON.stringify(JSON.parse(r.trajectory).events));
    };
    assert.deepEqual(await transcript(replayDb, again.runId), await transcript(db, out.runId));
    assert.deepEqual(again.usage.agent.inputTokens, out.usage.agent.inputTokens);

    // 4. A request that was never recorded (a third trial) fails clearly, as an infra error.
    const missDb = join(dir, 'miss.db');
    const miss = await cli(['run', runFile, '--trials', '3', '--db', missDb, '--json', '--replay', cassettes], {});
    assert.equal(miss.status, 0, miss.stderr);
    const missOut = JSON.parse(miss.stdout);
    assert.equal(missOut.agents.bot.infraErrors, 1);
    const { default: Database } = await import('better-sqlite3');
    const reader = new Database(missDb, { readonly: true });
    const detail = (reader.prepare("SELECT trajectory FROM episodes WHERE termination = 'infra_error'").get() as { trajectory: string })
      .trajectory;
    reader.close();
    assert.match(JSON.parse(detail).termination.detail, /not recorded|no cassette|REPLAY|replay/i);
  });

  it('bad model specs and run files fail with one line naming the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-models-'));
    const db = join(dir, 'g.db');
    const missingKey = await cli(['run', '--agent', 'openai:gpt-4o-mini', '--db', db], {});
    assert.equal(missingKey.status, 2);
    assert.match(missingKey.stderr.trim(), /^groundwork: error: model openai:gpt-4o-mini needs an API key: OPENAI_API_KEY is not set/);
    const badSpec = await cli(['run', '--agent', 'openai-compatible:m', '--db', db], {});
    assert.notEqual(badSpec.status, 0);
    assert.equal(badSpec.stderr.trim().split('\n').length, 1);
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'domain: helpdesk\ntrials: 0\n');
    const badFile = await cli(['run', file, '--db', db], {});
    assert.equal(badFile.status, 2);
    assert.match(badFile.stderr.trim(), /bad\.yaml:2: trials: Too small/);
    // Each was refused before the database was opened: none was created.
    assert.equal(existsSync(db), false, 'no database created');
  });

  it("gives a model without a limit the run's concurrency, holds a configured limit and reports that it held the run back", async () => {
    // Every agent request waits 150 ms, so the episodes' first calls overlap.
    const peer = await startOpenAIPeer((request) => ({ ...agentModel(request), delayMs: 150 }));
    peers.push(peer);
    const dir = mkdtempSync(join(tmpdir(), 'gw-limits-'));
    const model = (limits: string) => [
      'models:',
      '  bot:',
      '    provider: openai-compatible',
      '    model: peer-agent',
      `    baseURL: ${peer.url}`,
      `    limits: ${limits}`,
    ];
    const runFile = (name: string, limits: string) => {
      const file = join(dir, name);
      writeFileSync(
        file,
        ['domain: helpdesk', `tasks: [${task.id}]`, 'agents: [bot]', 'trials: 12', 'concurrency: 12', ...model(limits)].join('\n'),
      );
      return file;
    };

    // No configured concurrency: the model takes the run's 12 (the old default of 8 capped it).
    const open = await cli(['run', runFile('open.yaml', '{ maxRetries: 0 }'), '--db', join(dir, 'open.db'), '--json'], {});
    assert.equal(open.status, 0, open.stderr);
    assert.ok(maxConcurrent(peer.requests) > 8, `peer saw ${maxConcurrent(peer.requests)} requests in flight at most`);
    const openJson = JSON.parse(open.stdout);
    assert.equal(openJson.agents.bot.meanReward, 1);
    assert.equal(openJson.throttle?.some((m: { throttled: boolean }) => m.throttled) ?? false, false, 'nothing reported as throttled');

    // A configured limit of 2 holds, and the run says it held the run back (JSON and text).
    peer.requests.length = 0;
    const tight = await cli(
      ['run', runFile('tight.yaml', '{ maxRetries: 0, concurrency: 2 }'), '--db', join(dir, 'tight.db'), '--json'],
      {},
    );
    assert.equal(tight.status, 0, tight.stderr);
    assert.equal(maxConcurrent(peer.requests), 2);
    const throttled = JSON.parse(tight.stdout).throttle.find((m: { model: string }) => m.model === 'bot');
    assert.equal(throttled.throttled, true);
    assert.equal(throttled.concurrency, 2);
    assert.ok(throttled.waited > 0 && throttled.waitMs > 0);
    const text = await cli(['run', runFile('tight.yaml', '{ maxRetries: 0, concurrency: 2 }'), '--db', join(dir, 'text.db')], {});
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stderr, /model bot: \d+ of \d+ requests \(\d+%\) waited .* \(concurrency 2\); raise limits\.concurrency/);
  });
});
