import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { createDomain } from '../../src/domains/registry.ts';
import type { Task } from '../../src/schema/task.ts';
import { openAIMessages, startOpenAIPeer } from '../../src/testing/openai-peer.ts';
import type { ModelPeer, PeerReply, PeerRequest } from '../../src/testing/peer-server.ts';
import { isProcessAlive } from '../../src/testing/local-servers.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/groundwork.js');
const ECHO = 'cmd:python3 examples/agents/echo_agent.py';
// A folder with a space: the command is split quote-aware, never by a shell.
const dir = join(mkdtempSync(join(tmpdir(), 'gw-ext-e2e-')), 'agents dir');
mkdirSync(dir);
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));

const helpdesk = createDomain('helpdesk');
const ERASE_TASKS = ['hd-test-001', 'hd-test-008'];

/** The reference solution of a task as a step script: say → a message, call → one tool call. */
function oracleScript(task: Task): ({ say: string } | { call: { name: string; arguments: unknown } })[] {
  return task.oracle.map((step) => (step.kind === 'call' ? { call: step.call } : { say: 'text' in step ? String(step.text) : '' }));
}

// Plays the script of the task its user opens with; before each step it checks that the result of
// its previous call came back (by id), else it writes garbage (the episode then fails).
const SCRIPTED_AGENT = `import json, sys
scripts = json.load(open(sys.argv[1]))
steps, step, waiting = None, 0, None
for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "end":
        break
    if msg["type"] != "turn":
        continue
    if steps is None:
        opening = next(e["content"] for e in msg["events"] if e["type"] == "message")
        steps = next(s for s in scripts if s["opening"] == opening)["steps"]
    if waiting and not any(e["type"] == "tool_result" and e["callId"] == waiting for e in msg["events"]):
        print("missing result", flush=True)
    waiting = None
    if step >= len(steps):
        print(json.dumps({"end": True}), flush=True)
        continue
    s = steps[step]
    step += 1
    if "say" in s:
        print(json.dumps({"message": s["say"]}), flush=True)
    else:
        waiting = f"c{step}"
        print(json.dumps({"tool_calls": [{"id": waiting, **s["call"]}]}), flush=True)
`;

function writeAgent(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((done) => setTimeout(done, 25));
  }
  return check();
}

interface Cli {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}, onStart?: (pid: number) => void): Promise<Cli> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    onStart?.(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status, signal) => done({ status, signal, stdout, stderr }));
  });
}

/** Termination counts without the zeros. */
const counted = (terminations: Record<string, number>) => Object.fromEntries(Object.entries(terminations).filter(([, n]) => n > 0));

const dbPath = (name: string) => join(dir, `${name}.db`);

async function episodeOf(db: string, runId: string, agent: string) {
  const { stdout } = await cli(['show', runId, '--db', db, '--json']);
  const run = JSON.parse(stdout);
  const id = run.failedEpisodes.find((e: { agent: string }) => e.agent === agent)?.id;
  return { run, id: id as string | undefined };
}

describe('external agents through `groundwork run`', () => {
  it('cmd: the example echo agent (a real python3 process) plays and its episodes are stored', async () => {
    const db = dbPath('echo');
    const { status, stdout, stderr } = await cli([
      'run',
      '--domain',
      'helpdesk',
      '--tasks',
      '2',
      '--trials',
      '2',
      '--agent',
      ECHO,
      '--db',
      db,
      '--json',
    ]);
    assert.equal(status, 0, stderr);
    const out = JSON.parse(stdout);
    assert.equal(out.episodes, 4);
    assert.deepEqual(counted(out.agents[ECHO].terminations), { agent_stop: 4 });
    const { id } = await episodeOf(db, out.runId, ECHO);
    const shown = await cli(['show', out.runId, '--episode', id!, '--db', db]);
    assert.match(shown.stdout, /AGENT +You said: .*What is your email address\?/);
    assert.match(shown.stdout, /AGENT +Thank you, noted\. Goodbye!/);
  });

  it('cmd: a python agent playing an erase task’s calls earns reward 1 from the state', async () => {
    const scripts = helpdesk
      .tasks({ split: 'test', ids: ERASE_TASKS })
      .flatMap((task) => task.user.openings!.map((opening) => ({ opening, steps: oracleScript(task) })));
    const scriptFile = writeAgent('erase script.json', JSON.stringify(scripts));
    const agentPath = writeAgent('erase_agent.py', SCRIPTED_AGENT);
    const agent = `cmd:python3 "${agentPath}" '${scriptFile}'`;
    const db = dbPath('erase');
    const { status, stdout, stderr } = await cli([
      'run',
      '--domain',
      'helpdesk',
      '--tasks',
      ERASE_TASKS.join(','),
      '--trials',
      '2',
      '--agent',
      agent,
      '--agent',
      'noop',
      '--db',
      db,
      '--json',
    ]);
    assert.equal(status, 0, stderr);
    const out = JSON.parse(stdout);
    assert.equal(out.agents[agent].meanReward, 1, stdout);
    assert.equal(out.agents[agent].episodes, 4);
    assert.equal(out.agents.noop.meanReward, 0);
  });

  it('cmd: crash, garbage, timeout → agent_error, a missing program → infra_error; the run finishes, no process is left', async () => {
    const pidFile = join(dir, 'pids');
    const crash = `cmd:python3 ${writeAgent('crash.py', 'import sys\nsys.stdin.readline()\nraise SystemExit("agent crashed on purpose")\n').replace(/ /g, '\\ ')}`;
    const garbage = `cmd:python3 "${writeAgent('garbage.py', 'import sys\nfor line in sys.stdin:\n    if \'"turn"\' in line:\n        print("<html>oops</html>", flush=True)\n')}"`;
    const hang = `cmd:python3 "${writeAgent(
      'hang.py',
      'import os, subprocess, sys, time\nchild = subprocess.Popen(["sleep", "300"])\nopen(sys.argv[1], "a").write(f"{os.getpid()} {child.pid}\\n")\ntime.sleep(300)\n',
    )}" "${pidFile}"`;
    const missing = 'cmd:no-such-agent-program-e1';
    const db = dbPath('failures');
    const started = Date.now();
    const agents = [crash, garbage, hang, missing].flatMap((a) => ['--agent', a]);
    const { status, stdout, stderr } = await cli(
      ['run', '--domain', 'helpdesk', '--tasks', '2', '--trials', '1', ...agents, '--concurrency', '4', '--db', db, '--json'],
      { GROUNDWORK_AGENT_TIMEOUT_MS: '2000' },
    );
    // The missing program graded nothing: the run says so (exit 1) after storing and printing everything.
    assert.equal(status, 1, stderr);
    assert.match(stderr, /nothing graded for cmd:no-such-agent-program-e1/);
    assert.ok(Date.now() - started < 30_000);
    const out = JSON.parse(stdout);
    assert.equal(out.status, 'finished');
    assert.equal(out.episodes, 8);
    assert.deepEqual(counted(out.agents[crash].terminations), { agent_error: 2 });
    assert.deepEqual(counted(out.agents[garbage].terminations), { agent_error: 2 });
    assert.deepEqual(counted(out.agents[hang].terminations), { agent_error: 2 });
    assert.deepEqual(counted(out.agents[missing].terminations), { infra_error: 2 });
    const details = new Map<string, string>();
    for (const agent of [crash, garbage, hang, missing]) {
      const { id } = await episodeOf(db, out.runId, agent);
      const shown = JSON.parse((await cli(['show', out.runId, '--episode', id!, '--db', db, '--json'])).stdout);
      details.set(agent, shown.trajectory.termination.detail);
    }
    assert.match(details.get(crash)!, /exited with code 1 before replying; stderr: agent crashed on purpose/);
    assert.match(details.get(garbage)!, /agent reply is not JSON: "<html>oops<\/html>"/);
    assert.match(details.get(hang)!, /no reply within 2000 ms/);
    assert.match(details.get(missing)!, /could not start: not found/);
    const pids = readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number);
    assert.equal(pids.length, 4); // two episodes: the agent and its child each
    for (const pid of pids) assert.ok(await until(() => !isProcessAlive(pid)), `pid ${pid} left running`);
  });

  it('cmd: Ctrl-C twice stops the run at once and leaves no agent process behind', async () => {
    const pidFile = join(dir, 'pids-interrupt');
    const hang = `cmd:python3 "${writeAgent(
      'hang2.py',
      'import os, signal, subprocess, sys, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nchild = subprocess.Popen(["sleep", "300"])\nopen(sys.argv[1], "a").write(f"{os.getpid()} {child.pid}\\n")\ntime.sleep(300)\n',
    )}" "${pidFile}"`;
    let cliPid = 0;
    const running = cli(
      ['run', '--domain', 'helpdesk', '--tasks', '2', '--trials', '1', '--agent', hang, '--concurrency', '2', '--db', dbPath('interrupt')],
      {},
      (pid) => {
        cliPid = pid;
      },
    );
    assert.ok(await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().split('\n').length === 2, 15_000));
    process.kill(cliPid, 'SIGINT');
    await new Promise((done) => setTimeout(done, 200));
    process.kill(cliPid, 'SIGINT');
    const result = await running;
    assert.equal(result.status, 130, result.stderr);
    const pids = readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number);
    assert.equal(pids.length, 4);
    for (const pid of pids) assert.ok(await until(() => !isProcessAlive(pid)), `pid ${pid} left running`);
  });

  it('cmd: the process gets the environment minus every model key the run knows', async () => {
    const config = join(dir, 'keys.yaml');
    writeFileSync(
      config,
      'models:\n  mine:\n    provider: openai-compatible\n    model: m\n    baseURL: http://127.0.0.1:9/v1\n    apiKeyEnv: MY_AGENT_SECRET\n',
    );
    const probe = writeAgent(
      'env.py',
      'import json, os, sys\nfor line in sys.stdin:\n    if \'"turn"\' in line:\n        names = [n for n in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MY_AGENT_SECRET", "KEEP_ME") if n in os.environ]\n        print(json.dumps({"message": "env: " + ",".join(names), "end": True}), flush=True)\n',
    );
    const agent = `cmd:python3 "${probe}"`;
    const db = dbPath('env');
    const { status, stdout, stderr } = await cli(
      ['run', '--config', config, '--domain', 'helpdesk', '--tasks', '1', '--trials', '1', '--agent', agent, '--db', db, '--json'],
      { OPENAI_API_KEY: 'sk-1', ANTHROPIC_API_KEY: 'a-1', MY_AGENT_SECRET: 's-1', KEEP_ME: 'yes' },
    );
    assert.equal(status, 0, stderr);
    const { runId } = JSON.parse(stdout);
    const { id } = await episodeOf(db, runId, agent);
    const shown = await cli(['show', runId, '--episode', id!, '--db', db]);
    assert.match(shown.stdout, /AGENT +env: KEEP_ME\n/);
  });

  it('http: an OpenAI-compatible endpoint plays with tool calls; recorded, then replayed without the endpoint', async () => {
    const [task] = helpdesk.tasks({ split: 'test', ids: ['hd-test-001'] });
    const steps = oracleScript(task);
    // The endpoint plays the task's reference solution: one step per reply.
    const model = (request: PeerRequest): PeerReply => {
      const done = openAIMessages(request.body).filter((m) => m.role === 'assistant').length;
      const step = steps[done];
      if (!step) return { kind: 'message', text: 'Anything else?' };
      return 'say' in step
        ? { kind: 'message', text: step.say }
        : { kind: 'message', toolCalls: [{ name: step.call.name, arguments: step.call.arguments as Record<string, never> }] };
    };
    const peer = await startOpenAIPeer(model);
    peers.push(peer);
    const agent = `${peer.url}#erase-bot`;
    const cassettes = join(dir, 'cassettes');
    const args = (db: string, mode: string[]) => [
      'run',
      '--domain',
      'helpdesk',
      '--tasks',
      'hd-test-001',
      '--trials',
      '1',
      '--agent',
      agent,
      ...mode,
      '--db',
      db,
      '--json',
    ];
    const recorded = await cli(args(dbPath('http-record'), ['--record', cassettes]), { OPENAI_API_KEY: 'sk-not-for-agents' });
    assert.equal(recorded.status, 0, recorded.stderr);
    const out = JSON.parse(recorded.stdout);
    assert.equal(out.agents[agent].meanReward, 1, recorded.stdout);
    assert.deepEqual(counted(out.agents[agent].terminations), { user_stop: 1 });
    const calls = peer.requests.length;
    assert.ok(calls >= steps.length, `${calls} requests`);
    // Groundwork's tools and the policy went to the endpoint, under the model name of the URL.
    assert.equal(peer.requests[0].body.model, 'erase-bot');
    assert.ok(peer.requests[0].body.tools.some((t: { function: { name: string } }) => t.function.name === 'delete_file_copy'));
    assert.equal(peer.requests[0].body.messages[0].content, helpdesk.policy);
    assert.ok(!JSON.stringify(peer.requests.map((r) => r.headers ?? {})).includes('sk-not-for-agents'));
    // The run config stores the agent as given.
    const stored = JSON.parse((await cli(['show', out.runId, '--db', dbPath('http-record'), '--json'])).stdout);
    assert.ok(Object.hasOwn(stored.agents, agent));

    await peer.close();
    const replayed = await cli(args(dbPath('http-replay'), ['--replay', cassettes]));
    assert.equal(replayed.status, 0, replayed.stderr);
    assert.equal(JSON.parse(replayed.stdout).agents[agent].meanReward, 1);
    assert.equal(peer.requests.length, calls);
  });

  it('http: a URL with credentials is refused before anything is stored, without echoing them', async () => {
    const db = dbPath('http-bad');
    const { status, stderr } = await cli(['run', '--domain', 'helpdesk', '--agent', 'http://me:hunter2@127.0.0.1:9/v1', '--db', db]);
    assert.equal(status, 2, stderr);
    assert.match(stderr, /invalid http agent: a base URL must not contain credentials/);
    assert.ok(!stderr.includes('hunter2'));
    assert.ok(!existsSync(db));
  });
});
