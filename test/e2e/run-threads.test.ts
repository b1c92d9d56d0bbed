// Issue 16: a local run's episodes on worker threads (`run --threads N`). The same run on one and
// on two threads stores the same episodes and audits; a thread that crashes loses only its episodes
// in flight (the run ends interrupted, resume completes it); Ctrl-C stores every episode in flight.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { canonicalJson, type JsonValue } from '../../src/schema/json.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { startOpenAIPeer } from '../../src/testing/openai-peer.ts';
import { maxConcurrent, type ModelPeer, type PeerReply, type PeerRequest, type PeerToolCall } from '../../src/testing/peer-server.ts';
import { SeededRandom } from '../../src/util/seeded-random.ts';
import { isProcessAlive } from '../../src/testing/local-servers.ts';

const BIN = resolve(import.meta.dirname, '../../bin/groundwork.js');
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI in a child process, without blocking this process (the peers answer from it). */
function cli(args: string[], options: { env?: Record<string, string>; onStderr?: (text: string) => void } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
    options.onStderr?.(stderr);
  });
  const done = new Promise<CliResult>((resolveDone) => child.on('close', (status) => resolveDone({ status, stdout, stderr })));
  return { child, done };
}

const run = (args: string[], env?: Record<string, string>) => cli(args, env ? { env } : {}).done;

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((done) => setTimeout(done, 25));
  }
  return check();
}

/**
 * A model whose answer is a function of the request's messages only (seeded by them), so threads,
 * concurrency and timing cannot change an episode: the agent calls tools (some broken), answers or
 * asks; the user opens, answers and stops after a few turns.
 */
function replyOf(delayMs: number) {
  return (request: PeerRequest): PeerReply => {
    const messages: { role: string; content?: unknown }[] = request.body?.messages ?? [];
    const tools: { function: { name: string } }[] = request.body?.tools ?? [];
    const random = SeededRandom.from('run-threads', canonicalJson(messages as unknown as JsonValue));
    const system = String(messages[0]?.content ?? '');
    const turns = messages.filter((m) => m.role === 'assistant').length;
    if (system.startsWith('You are playing a user')) {
      if (turns >= random.int(1, 3)) return { kind: 'message', text: 'Thanks, bye. ###STOP###', delayMs };
      return {
        kind: 'message',
        text: random.pick(['I need help with my account.', 'My name is Alex Kim.', 'Yes, please go ahead.']),
        delayMs,
      };
    }
    const results = messages.filter((m) => m.role === 'tool').length;
    if (tools.length > 0 && results < random.int(0, 3)) {
      const tool = random.pick(tools).function.name;
      // The peer numbers calls in arrival order unless given an id: one from the conversation keeps it deterministic.
      const id = `call_${turns}`;
      const call: PeerToolCall =
        random.next() < 0.2 ? { id, name: tool, arguments: '{"broken": ' } : { id, name: tool, arguments: { query: 'alex' } };
      return { kind: 'message', toolCalls: [call], delayMs };
    }
    return { kind: 'message', text: random.pick(['Done: your request is handled.', 'Could you give me your user id?']), delayMs };
  };
}

async function llmPeer(delayMs = 0): Promise<{ peer: ModelPeer; agent: string; user: string }> {
  const peer = await startOpenAIPeer(replyOf(delayMs));
  peers.push(peer);
  return { peer, agent: `${peer.url}#agent`, user: `ollama:user@${peer.url}` };
}

/**
 * Times, durations and latencies (what differs between any two runs), the run's ids and the
 * cassette mode a participant describes (`record` or `replay`), left out.
 */
function comparable(value: unknown, ids: Map<string, string>): unknown {
  const text = JSON.stringify(value, (key, inner) => (/(At|Ms)$/.test(key) || key === 'cassettes' ? undefined : inner));
  return JSON.parse([...ids].reduce((out, [id, stable]) => out.replaceAll(id, stable), text));
}

/** Every stored episode and its audit, by slot (agent, task, trial), comparable across runs. */
async function storedEpisodes(db: string, runId: string): Promise<Map<string, unknown>> {
  const store = SqliteStore.open(db);
  try {
    const rows = await store.listEpisodes(runId);
    const ids = new Map<string, string>([[runId, 'RUN']]);
    for (const row of rows) ids.set(row.id, `EP(${row.agent}/${row.taskId}/${row.trial})`);
    const slots = new Map<string, unknown>();
    for (const row of rows) {
      const record = await store.getEpisode(runId, row.id);
      const audit = await store.getEpisodeAudit(row.id);
      slots.set(`${row.agent}/${row.taskId}/${row.trial}`, comparable({ record, audit }, ids));
    }
    return slots;
  } finally {
    await store.close();
  }
}

async function runStatus(db: string, runId: string): Promise<string | undefined> {
  const store = SqliteStore.open(db);
  try {
    return (await store.getRun(runId))?.status;
  } finally {
    await store.close();
  }
}

/**
 * A run audit with its lists of example episodes reduced to their length and numbers to 12 digits:
 * the examples are the first few in the order episodes were stored, which varies with any
 * concurrency (one thread too), and means summed in another order differ in the last bits.
 */
function orderFree(value: unknown): unknown {
  if (Array.isArray(value)) {
    const episodic = value.length > 0 && value.every((item) => typeof item === 'object' && item !== null && 'episodeId' in item);
    return episodic ? { examples: value.length } : value.map(orderFree);
  }
  if (typeof value === 'number') return Number(value.toPrecision(12));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, orderFree(inner)]));
}

/** The same episodes and audits, slot by slot. */
function assertSameEpisodes(one: Map<string, unknown>, two: Map<string, unknown>, planned: number): void {
  assert.equal(one.size, planned);
  assert.deepEqual([...two.keys()].sort(), [...one.keys()].sort());
  for (const [slot, episode] of one) assert.deepEqual(two.get(slot), episode, `episode ${slot} differs between 1 and 2 threads`);
}

const runIdOf = (stdout: string): string => JSON.parse(stdout).runId;

/** The same run on 1 and on 2 threads, each in its own database: both succeed and store the same episodes. */
async function runOnOneAndTwoThreads(args: string[], dir: string, planned: number) {
  const [one, two] = await Promise.all([
    run([...args, '--threads', '1', '--store', join(dir, 'one.db')]),
    run([...args, '--threads', '2', '--store', join(dir, 'two.db')]),
  ]);
  assert.equal(one.status, 0, one.stderr);
  assert.equal(two.status, 0, two.stderr);
  const episodes1 = await storedEpisodes(join(dir, 'one.db'), runIdOf(one.stdout));
  const episodes2 = await storedEpisodes(join(dir, 'two.db'), runIdOf(two.stdout));
  assertSameEpisodes(episodes1, episodes2, planned);
  return { one, two, episodes1 };
}

describe('episodes on worker threads', () => {
  it('stores the same episodes and audits on 1 and on 2 threads (helpdesk, built-in agents)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-threads-'));
    const args = ['run', '--tasks', '8', '--trials', '2', '--concurrency', '8', '--json'];
    const { one, two } = await runOnOneAndTwoThreads(args, dir, 8 * 3 * 2);
    // The run audit (what the summary prints) too, but for which episodes it shows as examples.
    const runAudit = (stdout: string) => orderFree(JSON.parse(stdout).audit.agents);
    assert.deepEqual(runAudit(two.stdout), runAudit(one.stdout));
  });

  it('stores the same episodes and audits on 1 and on 2 threads (LLM agent and LLM user on a local peer)', async () => {
    const { agent, user } = await llmPeer();
    const dir = mkdtempSync(join(tmpdir(), 'gw-threads-llm-'));
    const args = [
      'run',
      '--tasks',
      '6',
      '--trials',
      '2',
      '--agent',
      agent,
      '--agent',
      'oracle',
      '--user',
      user,
      '--concurrency',
      '8',
      '--json',
    ];
    const { episodes1 } = await runOnOneAndTwoThreads(args, dir, 6 * 2 * 2);
    // The LLM episodes did talk to the model (not all infra errors).
    const llm = [...episodes1].filter(([slot]) => slot.startsWith(agent));
    assert.ok(llm.every(([, episode]) => (episode as { record: { termination: string } }).record.termination !== 'infra_error'));
  });

  it("a model's limit holds over every thread, its throttle report counts every thread's requests, and retries reach the run log", async () => {
    const answer = replyOf(40);
    let failed = false;
    // The first request fails once (503): its retry happens on a thread.
    const peer = await startOpenAIPeer((request) => {
      if (failed) return answer(request);
      failed = true;
      return { kind: 'error', status: 503, message: 'busy' };
    });
    peers.push(peer);
    const dir = mkdtempSync(join(tmpdir(), 'gw-threads-limits-'));
    const config = join(dir, 'models.yaml');
    writeFileSync(
      config,
      `models:\n  limited:\n    provider: openai-compatible\n    model: limited\n    baseURL: ${peer.url}\n    limits:\n      concurrency: 2\n`,
    );
    const result = await run([
      ...['run', '--config', config, '--agent', 'limited', '--user', 'limited', '--tasks', '6', '--trials', '2'],
      ...['--concurrency', '8', '--threads', '2', '--store', join(dir, 'g.db'), '--log-dir', dir, '--json'],
    ]);
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(maxConcurrent(peer.requests), 2);
    const [throttle] = summary.throttle;
    assert.equal(throttle.model, 'limited');
    assert.equal(throttle.concurrency, 2);
    assert.equal(throttle.maxInFlight, 2);
    // Every request of every thread was admitted by the one shared admission (the failed one and its retry: two).
    assert.equal(throttle.requests, peer.requests.length);
    assert.ok(throttle.waited > 0 && throttle.throttled, JSON.stringify(throttle));
    const log = readFileSync(join(dir, `${summary.runId}.log`), 'utf8');
    assert.match(log, /"type":"retry","model":"limited".*"msg":"model retry"/);
  });

  it('records on one thread (more is refused) and replays the cassettes on two, to the same episodes', async () => {
    const { peer, agent, user } = await llmPeer();
    const dir = mkdtempSync(join(tmpdir(), 'gw-threads-replay-'));
    const cassettes = join(dir, 'cassettes');
    const args = ['--tasks', '4', '--trials', '2', '--agent', agent, '--user', user, '--concurrency', '8', '--json'];
    const refused = await run(['run', ...args, '--threads', '2', '--record', cassettes, '--store', join(dir, 'refused.db')]);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /--threads above 1 with --record: cassettes are written by one thread/);
    assert.ok(!existsSync(join(dir, 'refused.db')), 'refused before a run (or a database) exists');
    const recorded = await run(['run', ...args, '--record', cassettes, '--store', join(dir, 'recorded.db')]);
    assert.equal(recorded.status, 0, recorded.stderr);
    const calls = peer.requests.length;
    const replayed = await run(['run', ...args, '--threads', '2', '--replay', cassettes, '--store', join(dir, 'replayed.db')]);
    assert.equal(replayed.status, 0, replayed.stderr);
    assert.equal(peer.requests.length, calls, 'a replay makes no request');
    assertSameEpisodes(
      await storedEpisodes(join(dir, 'recorded.db'), runIdOf(recorded.stdout)),
      await storedEpisodes(join(dir, 'replayed.db'), runIdOf(replayed.stdout)),
      8,
    );
  });

  it('a thread that exits mid-run loses only its episodes in flight: the run ends interrupted and resume completes it', async () => {
    const { agent, user } = await llmPeer(30);
    const dir = mkdtempSync(join(tmpdir(), 'gw-threads-crash-'));
    const db = join(dir, 'g.db');
    const args = ['--tasks', '6', '--trials', '2', '--agent', agent, '--agent', 'oracle', '--user', user, '--concurrency', '8'];
    // Thread 1 exits when its 4th episode arrives (3 others of its own in flight at most).
    const crashed = await run(['run', ...args, '--threads', '2', '--store', db], { GROUNDWORK_THREAD_FAULT: 'exit@1:4' });
    assert.equal(crashed.status, 1, crashed.stderr);
    const errors = crashed.stderr.split('\n').filter((line) => line.startsWith('groundwork: error:'));
    assert.equal(errors.length, 1, crashed.stderr);
    const match =
      /^groundwork: error: episode thread 1 of run (\S+) exited \(code 3\); the (\d) episode\(s\) it was running were not stored/.exec(
        errors[0],
      );
    assert.ok(match, errors[0]);
    const runId = match[1];
    assert.equal(await runStatus(db, runId), 'interrupted');
    const partial = await storedEpisodes(db, runId);
    // No episode started after the crash: those stored after it were in flight on the other thread
    // then (the concurrency's worth at most, less the crashed thread's lost ones).
    const lost = Number(match[2]);
    assert.ok(lost > 0, errors[0]);
    const log = readFileSync(join(dir, 'logs', `${runId}.log`), 'utf8').split('\n');
    const crashedAt = log.findIndex((line) => line.includes('"msg":"episode thread failed"'));
    assert.ok(crashedAt > 0, 'the crash is logged when it happens');
    const storedAfter = log.slice(crashedAt).filter((line) => line.includes('"msg":"episode stored"')).length;
    assert.ok(storedAfter <= 8 - lost, `${storedAfter} stored after the crash, ${lost} lost`);
    assert.equal(log.slice(0, crashedAt).filter((line) => line.includes('"msg":"episode stored"')).length + storedAfter, partial.size);

    const resumed = await run(['run', '--resume', runId, '--threads', '2', '--store', db, '--json']);
    assert.equal(resumed.status, 0, resumed.stderr);
    const summary = JSON.parse(resumed.stdout);
    assert.equal(summary.status, 'finished');
    assert.equal(summary.skipped, partial.size);
    assert.equal(summary.ran, 24 - partial.size);
    const complete = await storedEpisodes(db, runId);
    // What a run that never crashed stores.
    const clean = await run(['run', ...args, '--threads', '1', '--store', join(dir, 'clean.db'), '--json']);
    assert.equal(clean.status, 0, clean.stderr);
    assertSameEpisodes(await storedEpisodes(join(dir, 'clean.db'), runIdOf(clean.stdout)), complete, 24);
  });

  it("a thread that exits holding all of a model's slots gives them back: the other thread's calls go on and the run ends", async () => {
    const peer = await startOpenAIPeer(replyOf(20));
    peers.push(peer);
    const dir = mkdtempSync(join(tmpdir(), 'gw-threads-held-'));
    const config = join(dir, 'models.yaml');
    writeFileSync(
      config,
      `models:\n  single:\n    provider: openai-compatible\n    model: single\n    baseURL: ${peer.url}\n    limits:\n      concurrency: 1\n`,
    );
    // Thread 1 exits holding the model's only slot: without it given back, thread 2's calls would wait forever.
    const { child, done } = cli(
      [
        ...['run', '--config', config, '--agent', 'single', '--user', 'single', '--tasks', '6', '--trials', '2'],
        ...['--concurrency', '4', '--threads', '2', '--store', join(dir, 'g.db'), '--log-dir', dir],
      ],
      { env: { GROUNDWORK_THREAD_FAULT: 'hold@1:1' } },
    );
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolveHung) => {
      timer = setTimeout(() => resolveHung('hung'), 60_000);
    });
    const result = await Promise.race([done, hung]);
    clearTimeout(timer);
    if (result === 'hung') {
      child.kill('SIGKILL');
      assert.fail('the run did not end within 60 s after thread 1 exited holding the only slot');
    }
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /groundwork: error: episode thread 1 of run \S+ exited \(code 3\)/);
  });

  it('cmd: agents on threads that ignore the end of their input are killed when the run closes its threads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-threads-cmd-'));
    const pidFile = join(dir, 'pids');
    const script = join(dir, 'stubborn.py');
    // Ends each episode at its first turn, then ignores `end` and EOF: only a kill stops it.
    writeFileSync(
      script,
      'import json, os, sys, time\nopen(sys.argv[1], "a").write(f"{os.getpid()}\\n")\nfor line in sys.stdin:\n    if json.loads(line)["type"] == "turn":\n        print(json.dumps({"message": "done", "end": True}), flush=True)\ntime.sleep(300)\n',
    );
    const agent = `cmd:python3 ${script} ${pidFile}`;
    const result = await run([
      'run',
      '--tasks',
      '4',
      '--trials',
      '1',
      '--agent',
      agent,
      '--concurrency',
      '4',
      '--threads',
      '2',
      '--store',
      join(dir, 'g.db'),
    ]);
    assert.equal(result.status, 0, result.stderr);
    const pids = readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number);
    assert.equal(pids.length, 4, 'one agent process per episode');
    try {
      // The run's end (its threads terminated) is well within the agents' 2 s exit grace time: had no
      // thread killed them, they would sleep on.
      for (const pid of pids) assert.ok(await until(() => !isProcessAlive(pid), 1_500), `agent pid ${pid} left running after the run`);
    } finally {
      for (const pid of pids) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('a thread that fails to start stops the run with its error; resume completes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-threads-start-'));
    const db = join(dir, 'g.db');
    const failed = await run(['run', '--tasks', '4', '--trials', '1', '--threads', '2', '--store', db], {
      GROUNDWORK_THREAD_FAULT: 'throw@2',
    });
    assert.equal(failed.status, 1, failed.stderr);
    const match = /groundwork: error: episode thread 2 of run (\S+) failed: GROUNDWORK_THREAD_FAULT: thread 2 fails to start;/.exec(
      failed.stderr,
    );
    assert.ok(match, failed.stderr);
    assert.equal(await runStatus(db, match[1]), 'interrupted');
    const resumed = await run(['run', '--resume', match[1], '--store', db, '--json']);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).episodes, 12);
  });

  it('Ctrl-C stores every episode in flight on every thread, and resume completes the run', async () => {
    const { peer, agent, user } = await llmPeer(150);
    const dir = mkdtempSync(join(tmpdir(), 'gw-threads-int-'));
    const db = join(dir, 'g.db');
    let signalled = false;
    const started = cli(
      ['run', '--tasks', '20', '--trials', '2', '--agent', agent, '--user', user, '--concurrency', '8', '--threads', '2', '--store', db],
      {
        onStderr: (text) => {
          // Once some episodes are stored, with others in flight on both threads.
          if (!signalled && /progress: [1-9]\d*\/40/.test(text)) {
            signalled = true;
            started.child.kill('SIGINT');
          }
        },
      },
    );
    const interrupted = await started.done;
    assert.ok(signalled, interrupted.stderr);
    assert.equal(interrupted.status, 130, interrupted.stderr);
    const runId = /run (run-\S+) \(log:/.exec(interrupted.stderr)![1];
    assert.equal(await runStatus(db, runId), 'interrupted');
    // Every episode that began (its user's opening request reached the model) was finished and stored.
    const openings = peer.requests.filter((request) => {
      const messages = request.body?.messages ?? [];
      return (
        String(messages[0]?.content ?? '').startsWith('You are playing a user') &&
        messages.filter((m: { role: string }) => m.role === 'assistant').length === 0
      );
    }).length;
    const stored = await storedEpisodes(db, runId);
    assert.equal(stored.size, openings);
    assert.ok(stored.size > 8 && stored.size < 40, `${stored.size} stored`);
    const resumed = await run(['run', '--resume', runId, '--store', db, '--json']);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).episodes, 40);
  });
});
