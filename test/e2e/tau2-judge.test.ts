import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { openAIMessages, startOpenAIPeer } from '../../src/testing/openai-peer.ts';
import type { ModelPeer } from '../../src/testing/peer-server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((p) => p.close())));

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

test('τ² NL assertions: pending without a judge, decided by regrade --judge, kept by a plain regrade, replayed offline', async () => {
  // Task 105 ("105,": a bare number is a count): the gold exchange fails, so doing nothing passes DB; τ²'s NL assertion decides.
  const dir = mkdtempSync(join(tmpdir(), 'gw-tau2-judge-'));
  const db = join(dir, 'g.db');
  const ran = await cli([
    'run',
    '--domain',
    'tau2-bench/retail',
    '--split',
    'base',
    '--tasks',
    '105,',
    '--trials',
    '1',
    '--agent',
    'noop',
    '--json',
    '--db',
    db,
  ]);
  assert.equal(ran.status, 0, ran.stderr);
  const run = JSON.parse(ran.stdout);
  assert.equal(run.agents.noop.meanReward, 0, 'an incomplete τ² reward never counts as passed');

  const plainBefore = JSON.parse((await cli(['regrade', run.runId, '--json', '--db', db])).stdout);
  assert.equal(plainBefore.tau2Pending, 1, 'the run says which rewards need a judge');

  // A judge that (wrongly, for the test) says the do-nothing agent exchanged the kettles: its verdict must decide.
  const peer = await startOpenAIPeer(() => ({
    kind: 'message',
    text: '{"results": [{"expectedOutcome": "Agent should exchange both tea kettles (same style) to the items requested", "reasoning": "test verdict", "metExpectation": true}]}',
  }));
  peers.push(peer);
  const judge = `openai-compatible:judge-model@${peer.url}`;
  const cassettes = join(dir, 'cassettes');
  const judged = await cli(['regrade', run.runId, '--judge', judge, '--record', cassettes, '--json', '--db', db]);
  assert.equal(judged.status, 0, judged.stderr);
  const result = JSON.parse(judged.stdout);
  assert.equal(result.nlJudged, 1);
  assert.equal(result.tau2Pending, 0);
  assert.deepEqual(
    result.changes.map((c: { before: number; after: number }) => [c.before, c.after]),
    [[0, 1]],
  );
  const sent = JSON.stringify(openAIMessages(peer.requests[0].body));
  assert.ok(
    sent.includes('exchange both tea kettles') && sent.includes("I'm sorry, I can't help with that."),
    'the judge sees the assertion and the conversation',
  );
  assert.ok(readdirSync(cassettes).length > 0, 'the judge exchange is recorded');

  const plain = JSON.parse((await cli(['regrade', run.runId, '--json', '--db', db])).stdout);
  assert.equal(plain.changed, 0, 'a plain regrade keeps the stored verdict');

  await peer.close();
  const replayed = await cli(['regrade', run.runId, '--judge', judge, '--replay', cassettes, '--dry-run', '--json', '--db', db]);
  assert.equal(replayed.status, 0, replayed.stderr);
  assert.equal(JSON.parse(replayed.stdout).changed, 0);
});
