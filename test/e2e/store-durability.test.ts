import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';

// A real file-system failure mid-run: the database lives on an ext4 file system in a loop device,
// shut down with EXT4_IOC_SHUTDOWN + NOLOGFLUSH while the run writes. From then on every write
// fails with EIO and nothing that was not fsynced reaches the disk — an I/O error and a power loss
// at once. After remounting, every episode the run committed (and logged) must still be there.
// Needs root with loop devices, mkfs.ext4 and python3 (for the ioctl); skipped elsewhere.
const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');

function sh(cmd: string, args: string[]): string {
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${result.stderr || result.error?.message}`);
  return result.stdout.trim();
}

/** EXT4_IOC_SHUTDOWN (_IOR('X', 125, __u32)) with EXT4_GOING_FLAGS_NOLOGFLUSH: drop all unsynced data. */
function shutDown(mountPoint: string): void {
  sh('python3', [
    '-c',
    'import fcntl, os, struct, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\nfcntl.ioctl(fd, 0x8004587D, struct.pack("I", 2))',
    mountPoint,
  ]);
}

function episodeIds(db: string): string[] {
  const reader = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (reader.prepare('SELECT id FROM episodes').all() as { id: string }[]).map((r) => r.id);
  } finally {
    reader.close();
  }
}

test('a file system that fails mid-run loses no committed episode, and the run log keeps what was logged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-durable-'));
  const image = join(dir, 'fs.img');
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  let loop: string | undefined;
  try {
    sh('truncate', ['-s', '96M', image]);
    loop = sh('losetup', ['-f', '--show', image]);
    sh('mkfs.ext4', ['-q', '-F', loop]);
    sh('mount', [loop, mnt]);
    sh('python3', ['-c', 'import fcntl']);
  } catch (error) {
    if (loop) spawnSync('losetup', ['-d', loop]);
    rmSync(dir, { recursive: true, force: true });
    t.skip(`needs root, loop devices, mkfs.ext4 and python3: ${(error as Error).message.split('\n')[0]}`);
    return;
  }
  try {
    const db = join(mnt, 'groundwork.db');
    const planned = 200 * 3 * 2;
    const child = spawn(process.execPath, [BIN, 'run', '--tasks', '200', '--trials', '2', '--db', db, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const deadline = Date.now() + 60_000;
    let committed: string[] = [];
    while (committed.length < 15 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      try {
        committed = episodeIds(db);
      } catch {
        // Not created yet.
      }
    }
    assert.ok(committed.length >= 15 && committed.length < planned, `mid-run: ${committed.length} stored`);
    shutDown(mnt);

    // The run fails with one clear error line and a non-zero exit; it does not hang.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(timer);
    assert.notEqual(code, 0);
    assert.ok(code !== null, 'exited by itself, not killed');
    const errorLines = stderr.split('\n').filter((line) => line.startsWith('groundwork: error:'));
    assert.equal(errorLines.length, 1, stderr);
    assert.match(errorLines[0], /cannot (store the episode|write the run log).*\(check the disk/);

    // Recovery: remount (ext4 replays its journal) and read what survived.
    sh('umount', [mnt]);
    sh('mount', [loop, mnt]);
    const reader = new Database(db, { fileMustExist: true });
    assert.equal((reader.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    const stored = new Set((reader.prepare('SELECT id FROM episodes').all() as { id: string }[]).map((r) => r.id));
    const runId = (reader.prepare('SELECT id FROM runs').get() as { id: string }).id;
    const keys = new Set(
      (reader.prepare('SELECT agent, task_id, trial FROM episodes').all() as { agent: string; task_id: string; trial: number }[]).map(
        (r) => `${r.agent}/${r.task_id}/${r.trial}`,
      ),
    );
    reader.close();
    const lost = committed.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], `${lost.length} of ${committed.length} committed episodes lost`);

    // The log holds the run's start and every episode it reported stored — each one in the database.
    const logPath = join(mnt, 'logs', `${runId}.log`);
    assert.ok(existsSync(logPath), `log files: ${readdirSync(join(mnt, 'logs')).join(', ')}`);
    // A crash may tear the log's end: part of a line, or zeros where ext4 had grown the file but not
    // written it. Only the end: every complete line before it must read.
    const text = readFileSync(logPath, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    const lines = complete
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; agent?: string; taskId?: string; trial?: number });
    assert.ok(lines.some((l) => l.msg === 'run start'));
    const logged = lines.filter((l) => l.msg === 'episode stored');
    // Each of the 4 lanes may have committed one episode it had not logged yet when we looked. Lines
    // are synced in the background, within about two syncs of being written: the shutdown came tens
    // of milliseconds after we looked (it starts a Python process), so those lines are on disk.
    assert.ok(logged.length >= committed.length - 4, `${logged.length} logged of ${committed.length} seen committed`);
    for (const l of logged) assert.ok(keys.has(`${l.agent}/${l.taskId}/${l.trial}`), `logged as stored but missing: ${JSON.stringify(l)}`);

    // And the run resumes to exactly its plan.
    const resumed = spawnSync(process.execPath, [BIN, 'run', '--resume', runId, '--json', '--db', db], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(resumed.status, 0, resumed.stderr);
    const out = JSON.parse(resumed.stdout);
    assert.equal(out.episodes, planned);
    assert.equal(out.skipped, stored.size);
    // The resumed run cut the torn end off before appending: its log reads as JSON lines again.
    const resumedLog = readFileSync(logPath, 'utf8');
    assert.ok(resumedLog.startsWith(complete));
    assert.ok(resumedLog.endsWith('\n'));
    for (const line of resumedLog.split('\n').filter(Boolean)) JSON.parse(line);
  } finally {
    spawnSync('umount', [mnt]);
    spawnSync('losetup', ['-d', loop]);
    rmSync(dir, { recursive: true, force: true });
  }
});
