import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type LocalServer, skipWithoutServer, startPostgresServer } from '../../src/testing/local-servers.ts';
import { assertSameOutputs, cli, ok, readOutputs, RUN_EXPORT_FORMATS } from './store-postgres-cli.ts';

/**
 * Every command over a real PostgreSQL store, through the real CLI: `run` stores into it, then
 * `runs`, `show`, `compare`, `report`, `export` (each format), `view`, `audit` and `regrade` must
 * answer exactly as they do over a SQLite copy of the same runs (`copy-runs` PostgreSQL → SQLite),
 * and a SQLite → PostgreSQL copy exports the same bytes. The SQLite store is the outside reference.
 */

/** The test server trusts local connections, so a password in the URL is accepted and must never show. */
const PASSWORD = 's3cret-pw';

describe('the CLI over a PostgreSQL store', { skip: skipWithoutServer('postgres') }, () => {
  let server: LocalServer;
  let store = '';
  const work = mkdtempSync(join(tmpdir(), 'gw-store-pg-'));
  const sqlite = join(work, 'copy.db');
  let runA = '';
  let runB = '';
  /** Every stdout and stderr of the commands that were given the URL (checked for the password). */
  const seen: string[] = [];
  const pg = async (args: string[]) => {
    const result = await cli(args, { cwd: work });
    seen.push(result.stdout, result.stderr);
    assert.equal(result.status, 0, `groundwork ${args.join(' ')}: ${result.stderr}`);
    return result;
  };

  before(async () => {
    server = await startPostgresServer();
    store = server.url.replace('groundwork@', `groundwork:${PASSWORD}@`);
  });
  after(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('`run` stores into PostgreSQL; its log goes to ./.groundwork/logs (or --log-dir), the password nowhere', async () => {
    // As text: the run's id and log path are on stderr, the summary on stdout.
    const first = await pg(['run', '--tasks', '3', '--trials', '2', '--seed', '1', '--store', store]);
    runA = /^run (run-\S+) \(log: /m.exec(first.stderr)?.[1] ?? '';
    assert.match(first.stderr, new RegExp(`^run ${runA} \\(log: ${join(work, '.groundwork', 'logs', `${runA}.log`)}\\)$`, 'm'));
    assert.match(first.stdout, new RegExp(`18 episode\\(s\\) run in .*Details: groundwork show ${runA}`));
    const logDir = join(work, 'logs-elsewhere');
    const second = await pg(['run', '--tasks', '3', '--trials', '2', '--seed', '2', '--json', '--store', store, '--log-dir', logDir]);
    runB = JSON.parse(second.stdout).runId;
    assert.equal(JSON.parse(second.stdout).episodes, 18);
    assert.deepEqual(readdirSync(join(work, '.groundwork', 'logs')), [`${runA}.log`]);
    assert.deepEqual(readdirSync(logDir), [`${runB}.log`]);
    for (const log of [join(work, '.groundwork', 'logs', `${runA}.log`), join(logDir, `${runB}.log`)]) {
      const text = readFileSync(log, 'utf8');
      assert.match(text, /"msg":"run end"/);
      assert.doesNotMatch(text, new RegExp(PASSWORD));
    }
    assert.equal(existsSync(join(work, '.groundwork', 'groundwork.db')), false, 'no SQLite store on the side');
  });

  it('`copy-runs` to SQLite; every read command answers the same from both stores', async () => {
    const copied = JSON.parse((await pg(['copy-runs', '--from', store, '--to', sqlite, '--json'])).stdout);
    assert.equal(copied.from, server.url.replace('groundwork@', 'groundwork:***@'));
    assert.deepEqual(
      copied.runs.map((r: { runId: string; result: string; episodes: number; episodeAudits: number }) => [
        r.runId,
        r.result,
        r.episodes,
        r.episodeAudits,
      ]),
      [
        [runA, 'copied', 18, 18],
        [runB, 'copied', 18, 18],
      ],
    );
    const outPg = join(work, 'out-pg');
    const outSqlite = join(work, 'out-sqlite');
    mkdirSync(outPg);
    mkdirSync(outSqlite);
    const [fromPg, fromSqlite] = await Promise.all([readOutputs(store, runA, runB, outPg), readOutputs(sqlite, runA, runB, outSqlite)]);
    seen.push(...Object.values(fromPg));
    assertSameOutputs(fromPg, fromSqlite, 'PostgreSQL against SQLite');
    // Not vacuous: the runs are there, with failures, audits and every export non-empty.
    assert.equal(JSON.parse(fromPg.runs).runs.length, 2);
    for (const format of RUN_EXPORT_FORMATS) assert.ok(fromPg[`export ${format} (file)`].length > 0, format);
  });

  it('`audit` and `regrade` answer and store the same over both stores', async () => {
    const withoutTimes = (text: string) => text.replace(/"createdAt": "[^"]+"/g, '"createdAt": "(time)"');
    const [auditPg, auditSqlite] = await Promise.all([
      pg(['audit', runA, '--json', '--store', store]),
      ok(['audit', runA, '--json', '--store', sqlite]),
    ]);
    assert.equal(withoutTimes(auditPg.stdout), withoutTimes(auditSqlite));
    const [regradePg, regradeSqlite] = await Promise.all([
      pg(['regrade', runA, '--json', '--store', store]),
      ok(['regrade', runA, '--json', '--store', sqlite]),
    ]);
    assert.equal(regradePg.stdout, regradeSqlite);
    assert.ok(JSON.parse(regradePg.stdout), 'regrade printed JSON');
    const [showPg, showSqlite] = await Promise.all([
      pg(['show', runA, '--json', '--store', store]),
      ok(['show', runA, '--json', '--store', sqlite]),
    ]);
    assert.equal(withoutTimes(showPg.stdout), withoutTimes(showSqlite));
  });

  it('`copy-runs` SQLite → PostgreSQL (a new database): the exports are byte-equal', async () => {
    const second = store.replace(/\/groundwork$/, '/groundwork_copy');
    const copied = JSON.parse((await pg(['copy-runs', '--from', sqlite, '--to', second, runB, '--json'])).stdout);
    assert.deepEqual(
      copied.runs.map((r: { result: string }) => r.result),
      ['copied'],
    );
    for (const format of RUN_EXPORT_FORMATS) {
      const [a, b] = [join(work, `round-a.${format}`), join(work, `round-b.${format}`)];
      await Promise.all([
        pg(['export', runB, '--format', format, '-o', a, '--store', store]),
        pg(['export', runB, '--format', format, '-o', b, '--store', second]),
      ]);
      assert.ok(readFileSync(a).equals(readFileSync(b)), `${format}: the round trip exports the same bytes`);
    }
    const [listed, original] = await Promise.all([
      pg(['runs', '--json', '--store', second]),
      pg(['show', runB, '--json', '--store', store]),
    ]);
    assert.deepEqual(
      JSON.parse(listed.stdout).runs.map((r: { runId: string }) => r.runId),
      [runB],
    );
    assert.equal((await pg(['show', runB, '--json', '--store', second])).stdout, original.stdout);
    const again = JSON.parse((await pg(['copy-runs', '--from', sqlite, '--to', second, runB, '--json'])).stdout);
    assert.equal(again.runs[0].result, 'skipped');
  });

  it('a read command over a database that does not exist: one error line, nothing created', async () => {
    const missing = store.replace(/\/groundwork$/, '/never_created');
    for (const args of [['runs'], ['show', runA], ['view', '--port', '0']]) {
      const result = await cli([...args, '--store', missing], { cwd: work });
      seen.push(result.stdout, result.stderr);
      assert.equal(result.status, 2, `${args[0]}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^groundwork: error: no database "never_created" on PostgreSQL at 127\.0\.0\.1:\d+ \(.*\)\n$/);
    }
  });

  it('never prints the password', () => {
    assert.ok(seen.length > 10);
    for (const text of seen) assert.doesNotMatch(text, new RegExp(PASSWORD));
  });
});
