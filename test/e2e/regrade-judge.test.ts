import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { createHelpdeskDomain } from '../../src/domains/helpdesk/index.ts';
import { openAIMessages, startOpenAIPeer } from '../../src/testing/openai-peer.ts';
import type { ModelPeer } from '../../src/testing/peer-server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((p) => p.close())));

/** Run the CLI asynchronously (the peer answers from this process). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, OPENAI_API_KEY: 'sk-test-judge' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => done({ status, stdout, stderr }));
  });
}

const legalHold = createHelpdeskDomain()
  .tasks({ split: 'test' })
  .find((t) => t.family === 'legal_hold')!;

test('regrade --judge: the judge decides what the agent told the user, its verdict is stored, kept by a plain regrade, and replays offline', async () => {
  // noop leaves the state as it must be on a legal-hold task but never names the hold: 0 by the rules.
  const dir = mkdtempSync(join(tmpdir(), 'gw-regrade-judge-'));
  const db = join(dir, 'g.db');
  const run = JSON.parse((await cli(['run', '--tasks', legalHold.id, '--trials', '1', '--agent', 'noop', '--json', '--db', db])).stdout);
  assert.equal(run.agents.noop.meanReward, 0);

  // A judge that (wrongly, for the test) reads the refusal as naming the hold: the verdict must decide the item.
  const peer = await startOpenAIPeer(() => ({
    kind: 'message',
    text: '{"items": [{"id": "legal_hold", "told": true, "quote": "I can\'t help with that", "reason": "refuses"}]}',
  }));
  peers.push(peer);
  const judge = `openai-compatible:judge-model@${peer.url}`;
  const cassettes = join(dir, 'cassettes');
  const judged = await cli(['regrade', run.runId, '--judge', judge, '--record', cassettes, '--json', '--db', db]);
  assert.equal(judged.status, 0, judged.stderr);
  const result = JSON.parse(judged.stdout);
  assert.equal(result.judged, 1);
  assert.deepEqual(
    result.changes.map((c: { before: number; after: number }) => [c.before, c.after]),
    [[0, 1]],
  );
  const sent = JSON.stringify(openAIMessages(peer.requests[0].body));
  assert.ok(
    sent.includes('legal_hold') && sent.includes("I'm sorry, I can't help with that."),
    'the judge sees the requirement and what the agent said',
  );
  assert.ok(readdirSync(cassettes).length > 0, 'the judge exchange is recorded');

  const shown = JSON.parse((await cli(['show', run.runId, '--json', '--db', db])).stdout);
  assert.equal(shown.agents.noop.meanReward, 1);

  // A later regrade without a judge keeps the stored verdict instead of silently undoing it.
  const plain = JSON.parse((await cli(['regrade', run.runId, '--json', '--db', db])).stdout);
  assert.equal(plain.changed, 0);

  // Replay answers from the cassettes with the peer gone.
  await peer.close();
  const replayed = await cli(['regrade', run.runId, '--judge', judge, '--replay', cassettes, '--dry-run', '--json', '--db', db]);
  assert.equal(replayed.status, 0, replayed.stderr);
  assert.equal(JSON.parse(replayed.stdout).changed, 0);

  // Judge options without a judge are a one-line usage error.
  const misuse = await cli(['regrade', run.runId, '--record', cassettes, '--db', db]);
  assert.notEqual(misuse.status, 0);
  assert.match(misuse.stderr, /^groundwork: error: .*--judge/m);
});
