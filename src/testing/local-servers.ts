import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** A throw-away server process on loopback, stopped (and its data removed) by `stop`. */
export interface LocalServer {
  /** `redis://127.0.0.1:PORT` or `postgres://groundwork@127.0.0.1:PORT/groundwork`. */
  url: string;
  port: number;
  /** The server's data directory (removed by `stop`). */
  dir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its data directory. */
  stop(): Promise<void>;
}

/** Why a server binary is missing (one line with the install hint), or undefined when it is there. */
export function missingServer(kind: 'redis' | 'postgres'): string | undefined {
  if (kind === 'redis') return findBinary('redis-server') ? undefined : 'redis-server is not installed (apt-get install -y redis-server)';
  return postgresBin('postgres') ? undefined : 'PostgreSQL is not installed (apt-get install -y postgresql)';
}

/**
 * `node:test`'s `skip` for tests that need a local server: skipped with the reason on a developer
 * machine without it, never under CI (`CI` set), where `.ci/run` installs both and a missing one
 * must fail loudly.
 */
export function skipWithoutServer(kind: 'redis' | 'postgres'): string | false {
  const missing = missingServer(kind);
  return missing && !process.env.CI ? missing : false;
}

/** A free loopback TCP port (bound, read and released). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Servers started by this process: killed when it exits, so a crashed test leaves none behind. */
const running = new Set<ChildProcess>();
let exitHook = false;

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const server of running) server.kill('SIGKILL');
  });
}

/** Starts `redis-server` on a free loopback port, no persistence. */
export async function startRedisServer(): Promise<LocalServer> {
  const binary = findBinary('redis-server');
  if (!binary) throw new Error(missingServer('redis'));
  const dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    track(child);
    const output = collect(child);
    try {
      await waitForPort(port, child, output, 10_000);
      return { url: `redis://127.0.0.1:${port}`, port, dir, stop: () => stopServer(child, dir) };
    } catch (error) {
      await stopServer(child, undefined);
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/**
 * Starts a PostgreSQL server (`initdb` + `postgres`) on a free loopback port with a throw-away
 * data directory, trust authentication for the `groundwork` role and a `groundwork` database.
 * Run as root, the server runs as the `postgres` system user (PostgreSQL refuses root).
 * `fsync=off`: test data need no durability.
 */
export async function startPostgresServer(): Promise<LocalServer> {
  const initdb = postgresBin('initdb');
  const postgres = postgresBin('postgres');
  if (!initdb || !postgres) throw new Error(missingServer('postgres'));
  const dir = mkdtempSync(join(tmpdir(), 'gw-pg-'));
  const asUser = runAsIds();
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const data = join(dir, 'data');
  try {
    execFileSync(initdb, ['-D', data, '-U', 'groundwork', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asUser ?? {}),
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`initdb failed: ${stderr || (error as Error).message}`);
  }
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      postgres,
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(asUser ?? {}) },
    );
    track(child);
    const output = collect(child);
    try {
      await waitForPort(port, child, output, 20_000);
      await createDatabase(port);
      return { url: `postgres://groundwork@127.0.0.1:${port}/groundwork`, port, dir, stop: () => stopServer(child, dir) };
    } catch (error) {
      await stopServer(child, undefined);
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** Creates the `groundwork` database through the `postgres` maintenance database. */
async function createDatabase(port: number): Promise<void> {
  const { default: pg } = await import('pg');
  for (let tried = 0; ; tried++) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'groundwork', database: 'postgres' });
    try {
      await client.connect();
      await client.query('CREATE DATABASE groundwork');
      return;
    } catch (error) {
      // "the database system is starting up": the port opens before it accepts sessions.
      if (tried > 100 || !/starting up/i.test(String((error as Error).message))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function runAsIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root, and there is no postgres system user to run PostgreSQL as (apt-get install -y postgresql)');
  }
}

function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/usr/local/bin'])) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function postgresBin(name: string): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) if (existsSync(join(root, version, 'bin', name))) return join(root, version, 'bin', name);
  }
  return findBinary(name);
}

function collect(child: ChildProcess): { text: string } {
  const output = { text: '' };
  const append = (chunk: Buffer) => {
    output.text = (output.text + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return output;
}

async function waitForPort(port: number, child: ChildProcess, output: { text: string }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}): ${output.text.trim().split('\n').slice(-3).join(' | ')}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not open port ${port} within ${timeoutMs} ms: ${output.text.trim().split('\n').slice(-3).join(' | ')}`);
}

async function stopServer(child: ChildProcess, dir: string | undefined): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** The user the tests run as (for messages). */
export function currentUser(): string {
  return userInfo().username;
}

/** Whether a pid is a live process, from /proc (a zombie is dead: in a container nobody may reap it). */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
