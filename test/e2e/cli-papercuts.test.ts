import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

/**
 * The "small things a newcomer hit" of issue 12, each through the real CLI: a closed stdout, a
 * read-only or missing database, one spelling of the task-file flag, parse errors in the one-line
 * format, run logs for `grade --store`, mistyped task ids, and names that are not names.
 */

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const BENCHMARKS = resolve(import.meta.dirname, '../../../shared/benchmarks');

function cli(args: string[], prefix: string[] = []) {
  const [command, ...rest] = prefix.length ? prefix : [process.execPath];
  const result = spawnSync(command, [...rest, ...(prefix.length ? [process.execPath] : []), BIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Exactly one stderr line, in the house format. */
function oneErrorLine(
  result: { status: number | null; stdout: string; stderr: string },
  status: number,
  pattern: RegExp,
  what: string,
): void {
  assert.equal(result.status, status, `${what}: exit ${result.status}, stderr ${result.stderr}`);
  assert.equal(result.stdout, '', what);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${result.stderr}`);
  assert.match(lines[0], /^groundwork: error: /, what);
  assert.match(lines[0], pattern, what);
}

const work = mkdtempSync(join(tmpdir(), 'gw-papercuts-'));
chmodSync(work, 0o755);
const db = join(work, 'groundwork.db');
let runA = '';
let runB = '';

before(() => {
  for (const seed of ['1', '2']) {
    const out = cli(['run', '--tasks', '4', '--trials', '2', '--seed', seed, '--json', '--db', db]);
    assert.equal(out.status, 0, out.stderr);
    if (seed === '1') runA = JSON.parse(out.stdout).runId;
    else runB = JSON.parse(out.stdout).runId;
  }
});

describe('a reader that closes stdout early (`groundwork show RUN | head -1`)', () => {
  for (const args of [['show', '<run>', '--json'], ['show', '<run>'], ['runs'], ['tasks', 'list'], ['--help']]) {
    it(`\`groundwork ${args.join(' ')}\` exits quietly with status 0`, async () => {
      const child = spawn(
        process.execPath,
        [BIN, ...args.map((a) => (a === '<run>' ? runA : a)), ...(args[0] === 'show' || args[0] === 'runs' ? ['--db', db] : [])],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      // The reader is gone before the command writes anything: every write meets EPIPE.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
      assert.equal(stderr, '', 'no stack trace');
      assert.equal(code, 0);
    });
  }
});

/** Every command that only reads, with its arguments (outputs go to `out`). */
function readCommands(database: string, out: string): string[][] {
  return [
    ['runs', '--json', '--db', database],
    ['show', runA, '--json', '--db', database],
    ['show', runA, '--db', database],
    ['report', runA, '-o', join(out, 'report.html'), '--json', '--db', database],
    ['compare', runA, runB, '--json', '--db', database],
    ['export', runA, '--format', 'sft', '-o', join(out, 'sft.jsonl'), '--json', '--db', database],
    ['experience', 'list', '--json', '--db', database],
  ];
}

/** `groundwork view` until it serves /api/runs; returns the run ids it lists. */
async function viewRuns(database: string, prefix: string[] = []): Promise<string[]> {
  const [command, ...rest] = prefix.length ? [...prefix, process.execPath] : [process.execPath];
  const child = spawn(command, [...rest, BIN, 'view', '--port', '0', '--json', '--db', database], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const url = await new Promise<string>((done, fail) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        try {
          done(JSON.parse(stdout).url);
        } catch {
          // not complete yet
        }
      });
      child.on('exit', (code) => fail(new Error(`view exited ${code}: ${stderr}`)));
    });
    const body = (await (await fetch(new URL('/api/runs', url))).json()) as { runs: { id?: string; runId?: string }[] };
    return body.runs.map((r) => r.id ?? r.runId ?? '');
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((done) => child.on('close', done));
      child.kill('SIGTERM');
      await closed;
    }
  }
}

describe('commands that only read open the database read-only', () => {
  it('never write: the database file keeps its bytes and mtime, and no run log or file appears beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-ro-bytes-'));
    const copy = join(dir, 'copy.db');
    copyFileSync(db, copy);
    const before = { bytes: readFileSync(copy), mtimeMs: statSync(copy).mtimeMs };
    const out = mkdtempSync(join(tmpdir(), 'gw-ro-out-'));
    for (const args of readCommands(copy, out)) {
      const result = cli(args);
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
    }
    assert.ok((await viewRuns(copy)).includes(runA));
    assert.equal(statSync(copy).mtimeMs, before.mtimeMs);
    assert.ok(readFileSync(copy).equals(before.bytes), 'same bytes');
    assert.deepEqual(
      readdirSync(dir).filter((f) => !f.startsWith('copy.db-')),
      ['copy.db'],
    );
  });

  // A true read-only condition: as root, permission bits do not stop us, so the commands run as
  // the unprivileged user `nobody` (setpriv) on a copy it may read but not write (file 0444 in a
  // directory 0555), where SQLite can create neither the database's -shm nor its -wal.
  const asRoot = process.getuid?.() === 0;
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const reader = asRoot ? (setpriv ? [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups'] : undefined) : [];
  // `nobody` must be able to reach the checkout itself: a clone under a 0700 directory (mktemp -d) is out of its reach.
  const readerReachesCheckout =
    reader !== undefined &&
    (reader.length === 0 ||
      spawnSync(reader[0], [...reader.slice(1), process.execPath, '-e', `require('node:fs').accessSync(${JSON.stringify(BIN)})`]).status ===
        0);
  it('work on a database in a read-only directory (as a user without write permission)', {
    skip:
      reader === undefined
        ? 'root without setpriv: cannot drop write permission'
        : readerReachesCheckout
          ? false
          : 'the unprivileged user cannot read this checkout (a parent directory is private)',
  }, async () => {
    const parent = mkdtempSync(join(tmpdir(), 'gw-ro-perm-'));
    const dir = join(parent, 'readonly');
    mkdirSync(dir);
    const copy = join(dir, 'groundwork.db');
    copyFileSync(db, copy);
    const out = join(parent, 'out');
    mkdirSync(out);
    chmodSync(out, 0o777);
    chmodSync(copy, 0o444);
    chmodSync(dir, 0o555);
    chmodSync(parent, 0o755);
    // The condition is real: a writing command fails for this user.
    const write = cli(['run', '--tasks', '1', '--trials', '1', '--db', copy], reader);
    assert.notEqual(write.status, 0);
    assert.match(write.stderr, /^groundwork: error: .*(readonly|read-only|permission|EACCES)/im);
    for (const args of readCommands(copy, out)) {
      const result = cli(args, reader);
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
    }
    const runs = JSON.parse(cli(['runs', '--json', '--db', copy], reader).stdout).runs.map((r: { runId: string }) => r.runId);
    assert.deepEqual(runs.sort(), [runA, runB].sort());
    const shown = JSON.parse(cli(['show', runA, '--json', '--db', copy], reader).stdout);
    assert.equal(shown.runId, runA);
    assert.ok((await viewRuns(copy, reader)).includes(runB));
    assert.deepEqual(readdirSync(dir), ['groundwork.db']);
  });

  it('on a missing database: one error line, exit 2, and nothing is created', () => {
    const missingDir = join(mkdtempSync(join(tmpdir(), 'gw-missing-')), 'missing-dir');
    const missing = join(missingDir, 'x.db');
    for (const args of readCommands(missing, tmpdir())) {
      oneErrorLine(cli(args), 2, /no database at .*missing-dir\/x\.db \(run `groundwork run` first or pass --db PATH\)$/, args.join(' '));
    }
    assert.equal(existsSync(missingDir), false, 'no directory created');
  });
});

describe('one spelling of the task-file flag, registry names for τ-bench domains', {
  skip: existsSync(join(BENCHMARKS, 'tau-bench/retail/tasks_test.json')) ? false : 'no τ-bench data',
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-taskfile-'));
  const taskFile = join(dir, 'two-tasks.json');
  before(() =>
    writeFileSync(
      taskFile,
      JSON.stringify(JSON.parse(readFileSync(join(BENCHMARKS, 'tau-bench/retail/tasks_test.json'), 'utf8')).slice(0, 2)),
    ),
  );

  it('`tau replay --domain tau-bench/retail --task-file F` replays the file; help shows only --task-file', () => {
    const result = cli(['tau', 'replay', '--domain', 'tau-bench/retail', '--data', BENCHMARKS, '--task-file', taskFile]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout.trim().split('\n').length, 2);
    const help = cli(['tau', 'replay', '--help']).stdout;
    assert.match(help, /--task-file <file>/);
    assert.doesNotMatch(help, /--tasks\b/);
    assert.match(help, /--domain <name> +domain: tau-bench\/retail \| tau-bench\/airline \|\s+tau2-bench\/retail/);
    assert.doesNotMatch(cli(['grade', '--help']).stdout, /--tasks-file/);
    assert.match(cli(['grade', '--help']).stdout, /--task-file <file>/);
  });

  it('the old spellings still work, each with a one-line deprecation note on stderr', () => {
    const current = cli(['tau', 'replay', '--domain', 'tau-bench/retail', '--data', BENCHMARKS, '--task-file', taskFile]).stdout;
    const old = cli(['tau', 'replay', '--domain', 'retail', '--data', BENCHMARKS, '--tasks', taskFile]);
    assert.equal(old.status, 0, old.stderr);
    assert.equal(old.stdout, current);
    assert.deepEqual(old.stderr.trimEnd().split('\n'), [
      'groundwork: warning: --domain retail is deprecated; use --domain tau-bench/retail',
      'groundwork: warning: --tasks is deprecated; use --task-file',
    ]);
    const graded = cli([
      'grade',
      '--format',
      'tau-bench',
      '--domain',
      'airline',
      '--tasks-file',
      join(BENCHMARKS, 'tau-bench/airline/tasks_test.json'),
      join(BENCHMARKS, 'tau-bench/airline/historical_gpt-4o.json'),
      '--json',
    ]);
    assert.equal(graded.status, 0, graded.stderr);
    assert.deepEqual(graded.stderr.trimEnd().split('\n'), [
      'groundwork: warning: --domain airline is deprecated; use --domain tau-bench/airline',
      'groundwork: warning: --tasks-file is deprecated; use --task-file',
    ]);
    assert.equal(JSON.parse(graded.stdout).summary.records, 200);
    oneErrorLine(
      cli(['tau', 'replay', '--domain', 'retail-bench', '--task-file', taskFile]),
      2,
      /unknown τ-bench domain "retail-bench" \(use --domain tau-bench\/retail \| tau-bench\/airline \| tau2-bench\/retail\)/,
      'unknown domain',
    );
  });

  it('`grade --store` writes the run log logs/RUN_ID.log like `run`', () => {
    const storeDir = mkdtempSync(join(tmpdir(), 'gw-grade-log-'));
    const result = cli([
      'grade',
      '--format',
      'tau-bench',
      '--domain',
      'tau-bench/airline',
      join(BENCHMARKS, 'tau-bench/airline/historical_gpt-4o.json'),
      '--store',
      '--json',
      '--db',
      join(storeDir, 'g.db'),
    ]);
    assert.equal(result.status, 0, result.stderr);
    const { runId, log } = JSON.parse(result.stdout);
    assert.equal(log, join(storeDir, 'logs', `${runId}.log`));
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].msg, 'run start');
    assert.equal(lines[0].runId, runId);
    assert.equal(lines.filter((l) => l.msg === 'episode stored').length, 200);
    assert.equal(lines.at(-1).msg, 'run end');
  });
});

describe('parse errors use the one-line format and exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['run', '--bogus'], /^groundwork: error: unknown option '--bogus' \(see groundwork run --help\)$/],
    [['run', '--tsks', '3'], /^groundwork: error: unknown option '--tsks' \(did you mean --tasks\? see groundwork run --help\)$/],
    [['run', '--agent'], /^groundwork: error: option '--agent <name>' argument missing \(see groundwork run --help\)$/],
    [['show'], /^groundwork: error: missing required argument 'runId' \(see groundwork show --help\)$/],
    [['tau', 'replay'], /^groundwork: error: required option '--domain <name>' not specified \(see groundwork tau replay --help\)$/],
    [['experience', 'list', '--kind'], /see groundwork experience list --help\)$/],
    [['bogus'], /^groundwork: error: unknown command 'bogus' \(see groundwork --help\)$/],
    [['run', 'a.yaml', 'b.yaml'], /^groundwork: error: too many arguments for 'run'/],
    [['export', '--schema', 'sfft'], /^groundwork: error: unknown export format "sfft"/],
  ];
  for (const [args, pattern] of cases) {
    it(`groundwork ${args.join(' ')}`, () => oneErrorLine(cli(args), 2, pattern, args.join(' ')));
  }
  it('--help and --version still exit 0 on stdout', () => {
    assert.equal(cli(['--version']).status, 0);
    const help = cli(['run', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--task-file/);
  });
});

describe('task ids: a typo is an error that lists the valid ids', () => {
  const cases: [string[], RegExp][] = [
    [['--tasks', 'hd-tset-001'], /unknown helpdesk task "hd-tset-001" \(ids are hd-train-000 … hd-train-069, hd-test-000 … hd-test-020/],
    [['--tasks', 'hd-test-4'], /unknown helpdesk task "hd-test-4"/],
    [['--tasks', 'hd-test-0004'], /unknown helpdesk task "hd-test-0004"/],
    [['--tasks', 'hd-test-1x'], /unknown helpdesk task "hd-test-1x"/],
    [['--tasks', 'hd-test-001', '--split', 'train'], /helpdesk task hd-test-001 belongs to the test split, not train \(pass --split test/],
    [
      ['--domain', 'tau-bench/retail', '--tasks', '9999'],
      /tau-bench\/retail test has 115 tasks, not 9999 \(pass --tasks 115 or fewer, or ids from 0 to 114\)/,
    ],
    [['--domain', 'tau-bench/airline', '--tasks', '3,x7'], /tau-bench\/airline test has no task "x7" \(ids run from 0 to 49\)/],
  ];
  for (const [args, pattern] of cases) {
    it(`tasks list ${args.join(' ')}`, { skip: args.includes('--domain') && !existsSync(BENCHMARKS) ? 'no τ-bench data' : false }, () =>
      oneErrorLine(cli(['tasks', 'list', ...args]), 2, pattern, args.join(' ')),
    );
  }
  it('`run` refuses them before storing anything', () => {
    oneErrorLine(cli(['run', '--tasks', 'hd-tset-001', '--db', db]), 2, /unknown helpdesk task/, 'run');
    assert.equal(JSON.parse(cli(['runs', '--json', '--db', db]).stdout).runs.length, 2);
  });
  it('ids beyond the fixed split name the generated task a count reaches (documented)', () => {
    const byCount = JSON.parse(cli(['tasks', 'list', '--tasks', '151', '--json']).stdout).tasks.at(-1);
    const byId = JSON.parse(cli(['tasks', 'list', '--tasks', 'hd-test-150', '--json']).stdout).tasks[0];
    assert.equal(byId.id, 'hd-test-150');
    assert.deepEqual(byId, byCount);
  });
});

describe('`run` checks its plan before it opens the database', () => {
  it('a plan that cannot run (unknown domain, agent, user, split or task) creates no database and no directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-plan-first-'));
    const cases: [string[], RegExp][] = [
      [['--domain', 'nowhere'], /unknown domain "nowhere"/],
      [['--agent', 'nobody'], /unknown agent "nobody"/],
      [['--user', 'nobody'], /unknown user simulator "nobody"/],
      [['--split', 'nowhere'], /helpdesk has no split "nowhere"/],
      [['--tasks', 'hd-tset-001'], /unknown helpdesk task "hd-tset-001"/],
    ];
    for (const [args, pattern] of cases) {
      oneErrorLine(cli(['run', ...args, '--db', join(dir, 'new', 'x.db')]), 2, pattern, args.join(' '));
      assert.deepEqual(readdirSync(dir), [], `${args.join(' ')}: nothing created`);
    }
  });
});

describe('names that are not names', () => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    it(`"${name}" is unknown as an agent, user, domain, mechanism, export format, experience kind`, () => {
      const cases: [string[], RegExp][] = [
        [['run', '--agent', name, '--db', db], new RegExp(`unknown agent "${name}"`)],
        [['run', '--user', name, '--db', db], new RegExp(`unknown user simulator "${name}"`)],
        [['run', '--domain', name, '--db', db], new RegExp(`unknown domain "${name}" \\(known domains: helpdesk`)],
        [['tasks', 'list', '--domain', name], new RegExp(`unknown domain "${name}"`)],
        [['run', '--split', name, '--db', db], new RegExp(`helpdesk has no split "${name}"`)],
        [['learn', '--agent', 'openai:x', '--mechanisms', name], new RegExp(`unknown mechanism "${name.toLowerCase()}"`)],
        [['export', '--schema', name], new RegExp(`unknown export format "${name}"`)],
        [['experience', 'list', '--kind', name, '--db', db], new RegExp(`unknown experience kind "${name}"`)],
        [['tau', 'replay', '--domain', name], new RegExp(`unknown τ-bench domain "${name}"`)],
        [['grade', '--format', 'tau-bench', '--domain', name, 'x.json'], new RegExp(`τ-bench results cannot be graded on "${name}"`)],
      ];
      for (const [args, pattern] of cases) oneErrorLine(cli(args), 2, pattern, args.join(' '));
    });
  }
});

after(() => {
  // Nothing stored was touched by any failing command above.
  const runs = JSON.parse(cli(['runs', '--json', '--db', db]).stdout).runs;
  assert.equal(runs.length, 2);
});
