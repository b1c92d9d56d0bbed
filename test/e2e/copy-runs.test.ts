import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { assertSameOutputs, BIN, cli, ok, readOutputs, RUN_EXPORT_FORMATS } from './store-postgres-cli.ts';

/**
 * `groundwork copy-runs` between two SQLite stores (store-postgres.test.ts does it with PostgreSQL):
 * the copy answers every read command exactly like the original, a second copy writes nothing, an
 * interrupted copy is completed, a running run is refused until its process is gone.
 */

const work = mkdtempSync(join(tmpdir(), 'gw-copy-runs-'));
after(() => rmSync(work, { recursive: true, force: true }));
const source = join(work, 'source.db');
let runA = '';
let runB = '';

before(async () => {
  for (const seed of ['1', '2']) {
    const out = JSON.parse(await ok(['run', '--tasks', '3', '--trials', '2', '--seed', seed, '--json', '--store', source]));
    if (seed === '1') runA = out.runId;
    else runB = out.runId;
  }
});

interface CopyReport {
  from: string;
  to: string;
  runs: {
    runId: string;
    result: string;
    episodesWritten: number;
    episodes: number;
    episodeAudits: number;
    runAudit: boolean;
    reason?: string;
  }[];
}

describe('copy-runs between SQLite stores', () => {
  it('copies every run; the copy lists, shows and exports the same (store-postgres.test.ts checks every command); a second copy skips them', async () => {
    const target = join(work, 'all.db');
    const copied = JSON.parse(await ok(['copy-runs', '--from', source, '--to', target, '--json'])) as CopyReport;
    assert.equal(copied.from, source);
    assert.equal(copied.to, target);
    // Oldest first, every run whole.
    assert.deepEqual(
      copied.runs.map((r) => [r.runId, r.result]),
      [
        [runA, 'copied'],
        [runB, 'copied'],
      ],
    );
    for (const run of copied.runs) {
      assert.equal(run.episodesWritten, 18);
      assert.equal(run.episodes, 18);
      assert.equal(run.episodeAudits, 18);
      assert.equal(run.runAudit, true);
    }
    const outA = join(work, 'out-source');
    const outB = join(work, 'out-copy');
    mkdirSync(outA);
    mkdirSync(outB);
    const [original, copy] = await Promise.all([
      readOutputs(source, runA, runB, outA, { lean: true }),
      readOutputs(target, runA, runB, outB, { lean: true }),
    ]);
    assertSameOutputs(copy, original, 'the copy');
    for (const format of RUN_EXPORT_FORMATS)
      assert.ok(readFileSync(join(outA, `${format}.jsonl`)).equals(readFileSync(join(outB, `${format}.jsonl`))), `${format} export bytes`);

    const again = JSON.parse(await ok(['copy-runs', '--from', source, '--to', target, runA, runB, '--json'])) as CopyReport;
    assert.deepEqual(
      again.runs.map((r) => [r.result, r.episodesWritten]),
      [
        ['skipped', 0],
        ['skipped', 0],
      ],
    );
    const text = await ok(['copy-runs', '--from', source, '--to', target, runA]);
    assert.equal(text, `${runA}  skipped: 18 episodes, 18 episode audits, run audit, 0 attempts\n`);
  });

  it('completes a copy that stopped half-way (the target holds its first episodes, no audits)', async () => {
    const target = join(work, 'partial.db');
    await ok(['copy-runs', '--from', source, '--to', target, runA]);
    // What a copy killed after nine episodes leaves: the run interrupted, its later episodes and all audits missing.
    const db = new Database(target);
    const late = db.prepare('SELECT id FROM episodes WHERE run_id = ? ORDER BY rowid LIMIT -1 OFFSET 9').all(runA) as { id: string }[];
    assert.equal(late.length, 9);
    db.prepare('DELETE FROM episode_audits WHERE run_id = ?').run(runA);
    for (const { id } of late) db.prepare('DELETE FROM episodes WHERE id = ?').run(id);
    db.prepare("UPDATE runs SET status = 'interrupted' WHERE id = ?").run(runA);
    db.close();

    const completed = JSON.parse(await ok(['copy-runs', '--from', source, '--to', target, runA, '--json'])) as CopyReport;
    assert.deepEqual(
      completed.runs.map((r) => [r.result, r.episodesWritten, r.episodes, r.episodeAudits]),
      [['completed', 9, 18, 18]],
    );
    const shown = JSON.parse(await ok(['show', runA, '--json', '--store', target]));
    assert.deepEqual(shown, JSON.parse(await ok(['show', runA, '--json', '--store', source])));
    for (const format of ['rl', 'sft']) {
      const [a, b] = [join(work, `partial-a.${format}`), join(work, `partial-b.${format}`)];
      await ok(['export', runA, '--format', format, '-o', a, '--store', source]);
      await ok(['export', runA, '--format', format, '-o', b, '--store', target]);
      assert.ok(readFileSync(a).equals(readFileSync(b)), `${format} export of the completed copy`);
    }
  });

  it('refuses a run a live process is running, and copies it once that process is gone', async () => {
    const busy = join(work, 'busy.db');
    const target = join(work, 'busy-copy.db');
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--tasks', '700', '--trials', '5', '--concurrency', '1', '--store', busy, '--json'],
      {
        stdio: 'ignore',
      },
    );
    try {
      // Wait for the run to be stored and hold its lease (with a few episodes in).
      let running: { runId: string; status: string; episodes: number } | undefined;
      while (!running) {
        await new Promise((done) => setTimeout(done, 200));
        if (!existsSync(busy)) continue;
        const listed = await cli(['runs', '--json', '--store', busy]);
        const run = listed.status === 0 ? JSON.parse(listed.stdout).runs[0] : undefined;
        if (run?.status === 'running' && run.episodes > 3) running = run;
      }
      const refused = await cli(['copy-runs', '--from', busy, '--to', target, '--json']);
      assert.equal(refused.status, 1, refused.stderr);
      const report = JSON.parse(refused.stdout) as CopyReport;
      assert.equal(report.runs[0].result, 'refused');
      assert.match(report.runs[0].reason ?? '', new RegExp(`^running in the source store \\(pid ${child.pid} on `));
      assert.match(
        refused.stderr,
        /^groundwork: error: 1 run\(s\) not copied: run-.* \(copy them again once they are finished or interrupted\)\n$/,
      );
      assert.deepEqual(JSON.parse(await ok(['runs', '--json', '--store', target])).runs, [], 'nothing of the run was written');

      const killed = new Promise((done) => child.on('exit', done));
      child.kill('SIGKILL');
      await killed;
      const copied = JSON.parse(await ok(['copy-runs', '--from', busy, '--to', target, '--json'])) as CopyReport;
      assert.equal(copied.runs[0].result, 'copied');
      const [original, copy] = await Promise.all([
        ok(['show', running.runId, '--json', '--store', busy]),
        ok(['show', running.runId, '--json', '--store', target]),
      ]);
      assert.equal(JSON.parse(copy).status, 'interrupted');
      assert.equal(copy, original);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('checks its arguments before writing anything', async () => {
    const target = join(work, 'never.db');
    const unknown = await cli(['copy-runs', '--from', source, '--to', target, 'run-nope']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^groundwork: error: no run "run-nope" in this database \(list runs with `groundwork runs`\)\n$/);
    const same = await cli(['copy-runs', '--from', source, '--to', `sqlite:${source}`]);
    assert.equal(same.status, 2);
    assert.match(same.stderr, /^groundwork: error: --from and --to are the same store \(.*source\.db\)/);
    const missing = await cli(['copy-runs', '--from', source]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /required option '--to <path\|url>' not specified/);
    const noSource = await cli(['copy-runs', '--from', join(work, 'none.db'), '--to', target]);
    assert.equal(noSource.status, 2);
    assert.match(noSource.stderr, /^groundwork: error: no database at /);
    assert.equal(existsSync(target), false, 'no target store was created');
  });
});

describe('--store, its alias --db, and $GROUNDWORK_STORE', () => {
  it('name the same store; two different ones are an error', async () => {
    const byStore = await ok(['runs', '--json', '--store', source]);
    assert.equal(await ok(['runs', '--json', '--db', source]), byStore);
    assert.equal(await ok(['runs', '--json'], { cwd: work, env: { GROUNDWORK_STORE: source, GROUNDWORK_DB: undefined } }), byStore);
    assert.equal(await ok(['runs', '--json'], { cwd: work, env: { GROUNDWORK_STORE: undefined, GROUNDWORK_DB: source } }), byStore);
    assert.equal(await ok(['runs', '--json', '--store', source, '--db', source]), byStore);
    const both = await cli(['runs', '--store', source, '--db', join(work, 'other.db')]);
    assert.equal(both.status, 2);
    assert.equal(
      both.stderr,
      'groundwork: error: --store and --db name different stores (--db is an alias of --store) (pass one of them)\n',
    );
    const help = await ok(['show', '--help']);
    assert.match(help, /--store <path\|url> +where runs are stored: a SQLite file or\s+postgres:\/\//);
    assert.doesNotMatch(help, /^\s+--db/m, "--db is mentioned once, in --store's help");
  });

  it('a bad PostgreSQL URL or an unreachable server is one line, without the password, and writes nothing', async () => {
    const dir = mkdtempSync(join(work, 'bad-url-'));
    const unparseable = await cli(['runs', '--store', 'postgres://me:s3cret@[bad/db'], { cwd: dir });
    assert.equal(unparseable.status, 2);
    assert.equal(
      unparseable.stderr,
      'groundwork: error: not a valid PostgreSQL store URL: postgres://(unparseable URL) (use postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (percent-encode special characters in the password))\n',
    );
    // Port 1 on loopback: nothing listens there.
    const unreachable = await cli(['run', '--tasks', '1', '--trials', '1', '--store', 'postgres://me:s3cret@127.0.0.1:1/gw'], { cwd: dir });
    assert.equal(unreachable.status, 1);
    const lines = unreachable.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, unreachable.stderr);
    assert.match(lines[0], /^groundwork: error: .*127\.0\.0\.1:1\b.*\(.*\)$/);
    assert.doesNotMatch(unreachable.stderr + unreachable.stdout, /s3cret/);
    assert.equal(existsSync(join(dir, '.groundwork')), false, 'no log directory, no database');
  });
});
