import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { createHelpdeskDomain } from '../../src/domains/helpdesk/index.ts';
import { chatMessages } from '../../src/experience/export/chat-format.ts';
import { EXPORT_FORMATS, EXPORT_LINE_SCHEMAS, exportJsonSchema, type ExportFormat } from '../../src/experience/export/schemas.ts';
import { trajectorySteps } from '../../src/episode/branching.ts';
import type { EpisodeRecord } from '../../src/store/store.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const SECRET = 'sk-test-SECRET-export-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'gw-export-'));
const db = join(dir, 'groundwork.db');
const policy = createHelpdeskDomain().policy;

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, OPENAI_API_KEY: SECRET },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let runId = '';
const episodes: EpisodeRecord[] = [];
const lines: Partial<Record<ExportFormat, unknown[]>> = {};
const summaries: Partial<
  Record<ExportFormat, { lines: number; excluded: Record<string, number>; audits: { audited: number; faulted: number } }>
> = {};
let faultedId = '';

/** The SFT form of a stored episode (what its line would hold), for matching lines to episodes. */
const sftKey = (episode: EpisodeRecord) => {
  const messages = chatMessages(policy, episode.trajectory.events);
  while (messages.at(-1)?.role !== 'assistant') messages.pop();
  return JSON.stringify(messages);
};

describe('groundwork export on a real default run', () => {
  before(async () => {
    const run = cli(['run', '--json', '--db', db]);
    assert.equal(run.status, 0, run.stderr);
    runId = JSON.parse(run.stdout).runId;
    // Label one successful oracle episode simulator-faulted in its stored audit, as the audits would.
    const store = SqliteStore.open(db);
    for await (const episode of store.iterateEpisodes(runId)) episodes.push(episode);
    const victim = episodes.find((e) => e.agent === 'oracle' && e.reward === 1)!;
    faultedId = victim.id;
    const audit = (await store.getEpisodeAudit(victim.id))!;
    await store.saveEpisodeAudit(victim.id, runId, {
      ...audit,
      simulatorFaults: [{ kind: 'invented_fact', turn: 1, eventIndex: 2, text: 'x', evidence: 'test label' }],
    });
    await store.close();
    for (const format of EXPORT_FORMATS) {
      const file = join(dir, `${format}.jsonl`);
      const result = cli([
        'export',
        runId,
        '--format',
        format,
        '-o',
        file,
        '--db',
        db,
        '--json',
        ...(format === 'early-experience' ? ['--alternatives', '2'] : []),
      ]);
      assert.equal(result.status, 0, result.stderr);
      summaries[format] = JSON.parse(result.stdout);
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes(SECRET), 'no key in an export');
      assert.ok(!existsSync(`${file}.partial`));
      lines[format] = text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    }
  });

  it('every line of every format validates against its schema, and the published JSON Schema is printed', () => {
    for (const format of EXPORT_FORMATS) {
      assert.ok(lines[format]!.length > 0, format);
      assert.equal(lines[format]!.length, summaries[format]!.lines);
      for (const line of lines[format]!) EXPORT_LINE_SCHEMAS[format].parse(line);
      const json = exportJsonSchema(format);
      assert.equal(json.type, 'object');
      assert.ok((json.required as string[]).length > 0);
    }
    const printed = cli(['export', '--schema', 'sft']);
    assert.equal(printed.status, 0, printed.stderr);
    assert.deepEqual(JSON.parse(printed.stdout), exportJsonSchema('sft'));
    const bad = cli(['export', runId, '--format', 'dpo', '-o', join(dir, 'x.jsonl'), '--db', db]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^groundwork: error: unknown export format "dpo" \(formats: sft, preference, rl, early-experience\)\n$/);
  });

  it('sft holds verified successes only: no failed, infra-error or simulator-faulted episode', () => {
    const sft = lines.sft as { messages: { role: string }[] }[];
    const good = new Set(episodes.filter((e) => e.reward === 1 && e.termination !== 'infra_error' && e.id !== faultedId).map(sftKey));
    const bad = new Set(episodes.filter((e) => e.reward !== 1 || e.id === faultedId).map(sftKey));
    for (const line of sft) {
      const key = JSON.stringify(line.messages);
      assert.ok(good.has(key), 'each line is a verified success');
      assert.ok(!bad.has(key) || good.has(key));
    }
    const successes = episodes.filter((e) => e.reward === 1).length;
    assert.equal(sft.length, successes - 1, 'every success but the faulted one');
    assert.equal(summaries.sft!.excluded.simulator_faulted, 1);
    assert.equal(summaries.sft!.excluded.failed, episodes.length - successes);
    assert.equal(summaries.sft!.audits.faulted, 1);
    // OpenAI's format: system policy first, assistant tool calls answered by tool messages.
    assert.ok(sft.every((line) => line.messages[0].role === 'system' && line.messages.at(-1)!.role === 'assistant'));
    assert.ok(sft.some((line) => line.messages.some((m) => m.role === 'tool')));
  });

  it('preference pairs a success and a failure of the same task at a shared state', () => {
    const byId = new Map(episodes.map((e) => [e.id, e]));
    for (const line of lines.preference as {
      metadata: { taskId: string; preferredEpisodeId: string; nonPreferredEpisodeId: string; sharedPrefix: number };
      input: { messages: unknown[] };
    }[]) {
      const good = byId.get(line.metadata.preferredEpisodeId)!;
      const bad = byId.get(line.metadata.nonPreferredEpisodeId)!;
      assert.equal(good.reward, 1);
      assert.equal(bad.reward, 0);
      assert.equal(good.taskId, line.metadata.taskId);
      assert.equal(bad.taskId, line.metadata.taskId);
      assert.notEqual(good.id, faultedId);
      assert.equal(line.input.messages.length, line.metadata.sharedPrefix + 1);
    }
  });

  it('rl carries the grounded reward, its components and the calibration term y − (q − y)²', () => {
    const byId = new Map(episodes.map((e) => [e.id, e]));
    const rl = lines.rl as {
      reward: number;
      components: { state: number };
      calibration?: { confidence: number; outcome: number; rlcrReward: number };
      metadata: { episodeId: string };
      simulatorFaulted?: boolean;
    }[];
    assert.equal(rl.length, episodes.filter((e) => e.termination !== 'infra_error').length);
    for (const line of rl) {
      const episode = byId.get(line.metadata.episodeId)!;
      assert.equal(line.reward, episode.reward);
      assert.equal(line.components.state, episode.outcome.state.pass ? 1 : 0);
      // Built-in agents report their outcome, so every line has the calibration term.
      assert.ok(line.calibration);
      const { confidence: q, outcome: y } = line.calibration;
      assert.equal(line.calibration.rlcrReward, y - (q - y) ** 2);
      assert.equal(line.simulatorFaulted, episode.id === faultedId);
    }
    // naive claims success at 0.95 and usually fails: y − (q − y)² = −0.9025.
    assert.ok(rl.some((l) => l.calibration!.confidence === 0.95 && l.reward === 0 && Math.abs(l.calibration!.rlcrReward + 0.9025) < 1e-12));
  });

  it('early-experience: at each expert state, the expert action and alternatives executed on forks, with the next state', () => {
    const rows = lines['early-experience'] as {
      expert: boolean;
      state: { step: number; hash: string };
      action: { name: string };
      next: { hash: string; changes: unknown[]; isError: boolean };
      metadata: { episodeId: string; expertSource: string };
    }[];
    const byId = new Map(episodes.map((e) => [e.id, e]));
    const experts = new Set(rows.map((r) => r.metadata.episodeId));
    assert.ok(!experts.has(faultedId));
    for (const id of experts) {
      const episode = byId.get(id)!;
      assert.equal(episode.reward, 1);
      const steps = trajectorySteps(episode.trajectory);
      const mine = rows.filter((r) => r.metadata.episodeId === id);
      assert.equal(mine.filter((r) => r.expert).length, steps.length, 'one expert row per step');
      for (const row of mine.filter((r) => r.expert)) {
        const recorded = steps[row.state.step].stateHash;
        if (recorded) assert.equal(row.next.hash, recorded, 'the expert branch reproduces the recorded next state');
      }
      // Alternatives start from the same state as the expert action of their step.
      for (const row of mine.filter((r) => !r.expert))
        assert.equal(row.state.hash, mine.find((r) => r.expert && r.state.step === row.state.step)!.state.hash);
    }
    assert.ok(
      rows.some((r) => !r.expert && r.next.changes.length > 0),
      'some alternatives change the state',
    );
    // The oracle's episodes are expert by construction; other agents' only when verified.
    assert.ok(rows.every((r) => r.metadata.expertSource === (byId.get(r.metadata.episodeId)!.agent === 'oracle' ? 'oracle' : 'verified')));
    assert.ok(rows.some((r) => r.metadata.expertSource === 'verified'));
  });
});
