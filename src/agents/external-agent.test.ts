import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createDomain } from '../domains/registry.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { createScriptedUser } from '../users/scripted.ts';
import {
  commandReplySchema,
  createCommandAgent,
  httpAgentSpec,
  isCommandAgent,
  isHttpAgent,
  liveCommandAgentPids,
  splitCommand,
  turnTimeoutFromEnv,
} from './external-agent.ts';
import { isProcessAlive } from '../testing/local-servers.ts';

const helpdesk = createDomain('helpdesk');
const [task] = helpdesk.tasks({ split: 'test', ids: ['hd-test-001'] });
const dir = mkdtempSync(join(tmpdir(), 'gw-ext-agent-'));

/** A Python agent file in the temp folder; returns its path. */
function agentFile(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `import json, os, sys, time, subprocess\n${body}\n`);
  return path;
}

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}

function episode(command: string, options: Parameters<typeof createCommandAgent>[1] = {}) {
  return runEpisode({
    domain: helpdesk,
    task,
    agent: createCommandAgent(`cmd:${command}`, options),
    user: createScriptedUser(),
    episodeId: 'ep-ext',
    trial: 0,
    seed: 7,
  });
}

// Answers every turn: first asks for the email, then ends. Writes what it received to RECEIVED.
const ECHO = `
seen = []
for line in sys.stdin:
    msg = json.loads(line)
    seen.append(msg)
    if msg["type"] == "turn":
        if msg["turn"] == 1:
            print(json.dumps({"message": "What is your email?", "tool_calls": [{"name": "find_customer", "arguments": {"query": "Iris Textiles"}}]}), flush=True)
        else:
            print(json.dumps({"message": "Bye", "end": True}), flush=True)
    if msg["type"] == "end":
        break
json.dump({"seen": seen, "keys": [k for k in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MY_KEY", "KEEP_ME") if k in os.environ], "pid": os.getpid()}, open(sys.argv[1], "w"))
`;

describe('command agent names', () => {
  it('splits commands quote-aware without a shell', () => {
    assert.deepEqual(splitCommand('python3 my_agent.py'), ['python3', 'my_agent.py']);
    assert.deepEqual(splitCommand(` python3  "dir with space/a.py" 'x $HOME "y"' a\\ b "q\\"q" `), [
      'python3',
      'dir with space/a.py',
      'x $HOME "y"',
      'a b',
      'q"q',
    ]);
    assert.deepEqual(splitCommand(`node -e ''`), ['node', '-e', '']);
    assert.throws(() => splitCommand('python3 "open'), /unclosed double quote/);
    assert.throws(() => splitCommand("python3 'open"), /unclosed single quote/);
    assert.throws(() => splitCommand('   '), /empty command/);
    assert.throws(() => createCommandAgent('cmd:'), /INVALID|empty command/);
    assert.ok(isCommandAgent('cmd:x') && !isCommandAgent('oracle'));
  });

  it('maps http agents to the openai-compatible provider, refusing credentials without echoing them', () => {
    assert.equal(httpAgentSpec('http://127.0.0.1:8000/v1'), 'openai-compatible:default@http://127.0.0.1:8000/v1');
    assert.equal(httpAgentSpec('https://host.example/v1/#qwen2.5:7b'), 'openai-compatible:qwen2.5:7b@https://host.example/v1');
    assert.equal(httpAgentSpec('http:https://host.example/v1#m'), 'openai-compatible:m@https://host.example/v1');
    assert.ok(isHttpAgent('http://x') && isHttpAgent('https://x') && isHttpAgent('http:https://x') && !isHttpAgent('cmd:http://x'));
    for (const bad of ['http://user:sekrit@host/v1', 'http://host/v1?api_key=sekrit']) {
      assert.throws(
        () => httpAgentSpec(bad),
        (error: Error) => /credential/.test(error.message) && !error.message.includes('sekrit'),
      );
    }
  });

  it('reads the turn timeout from GROUNDWORK_AGENT_TIMEOUT_MS', () => {
    assert.equal(turnTimeoutFromEnv({}), 60_000);
    assert.equal(turnTimeoutFromEnv({ GROUNDWORK_AGENT_TIMEOUT_MS: '1500' }), 1500);
    assert.throws(() => turnTimeoutFromEnv({ GROUNDWORK_AGENT_TIMEOUT_MS: '1.5s' }), /GROUNDWORK_AGENT_TIMEOUT_MS/);
  });

  it('validates reply lines strictly', () => {
    assert.ok(commandReplySchema.safeParse({ message: 'hi', tool_calls: [{ name: 't', arguments: { a: 1 } }], end: false }).success);
    assert.ok(!commandReplySchema.safeParse({ toolCalls: [] }).success);
    assert.ok(!commandReplySchema.safeParse({ tool_calls: [{ arguments: {} }] }).success);
    assert.ok(!commandReplySchema.safeParse([1]).success);
  });
});

describe('command agent episodes (real python3 processes)', () => {
  it('plays an episode: start, turns with only new events, tool results, end; keys stripped; the process exits', async () => {
    const out = join(dir, 'echo-out.json');
    const script = agentFile('echo.py', ECHO);
    const result = await episode(`python3 ${script} ${out}`, {
      env: { ...process.env, OPENAI_API_KEY: 'sk-x', ANTHROPIC_API_KEY: 'a', MY_KEY: 'm', KEEP_ME: '1' },
      secretEnv: ['MY_KEY'],
    });
    const { trajectory } = result;
    assert.equal(trajectory.termination.reason, 'agent_stop');
    const types = trajectory.events.map((e) => (e.type === 'message' ? `${e.role}` : e.type));
    // A turn with tool calls is followed by another agent turn; then the agent ends.
    assert.deepEqual(types, ['user', 'agent', 'tool_call', 'tool_result', 'agent']);
    assert.deepEqual(trajectory.participants.agent, {
      name: `cmd:python3 ${script} ${out}`,
      kind: 'command',
      protocol: 1,
      turnTimeoutMs: 60000,
    });
    assert.ok(
      await until(() => {
        try {
          return JSON.parse(readFileSync(out, 'utf8')).pid > 0;
        } catch {
          return false;
        }
      }),
    );
    const report = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(report.keys, ['KEEP_ME']);
    const seen: { type: string; context?: { tools: { name: string }[]; seed: number; policy: string }; events?: { type: string }[] }[] =
      report.seen;
    assert.deepEqual(
      seen.map((m) => m.type),
      ['start', 'turn', 'turn', 'end'],
    );
    assert.equal(seen[0].context!.seed, 7);
    assert.equal(seen[0].context!.policy, helpdesk.policy);
    assert.ok(seen[0].context!.tools.some((t) => t.name === 'delete_file_copy'));
    // Turn 1: the user's opening; turn 2: only what is new (its own message and call, the result).
    assert.deepEqual(
      seen[1].events!.map((e) => e.type),
      ['message'],
    );
    assert.deepEqual(
      seen[2].events!.map((e) => e.type),
      ['message', 'tool_call', 'tool_result'],
    );
    assert.ok(await until(() => !isProcessAlive(report.pid)));
    assert.ok(await until(() => liveCommandAgentPids().length === 0));
  });

  const failures: [string, string, RegExp][] = [
    ['garbage', 'sys.stdin.readline(); sys.stdin.readline(); print("hello there", flush=True); time.sleep(60)', /not JSON: "hello there"/],
    [
      'schema',
      'sys.stdin.readline(); sys.stdin.readline(); print(json.dumps({"toolCalls": []}), flush=True); time.sleep(60)',
      /does not match the protocol.*toolCalls/,
    ],
    ['crash', 'sys.stdin.readline(); raise RuntimeError("boom in agent")', /exited with code 1.*RuntimeError: boom in agent/],
    ['exit0', 'sys.stdin.readline(); sys.exit(0)', /exited with code 0 before replying/],
    [
      'oversized',
      'sys.stdin.readline(); sys.stdin.readline(); sys.stdout.write("x" * 1100000); sys.stdout.flush(); time.sleep(60)',
      /longer than/,
    ],
    ['two-lines', 'sys.stdin.readline(); sys.stdin.readline(); os.write(1, b"{}\\n{}\\n"); time.sleep(60)', /when no turn was asked/],
  ];
  for (const [name, body, detail] of failures) {
    it(`${name}: agent_error with a clear detail, the process killed`, async () => {
      const script = agentFile(`${name}.py`, `print(os.getpid(), file=sys.stderr, flush=True)\n${body}`);
      const pids: number[] = [];
      const result = await episode(`python3 ${script}`, {
        turnTimeoutMs: 10_000,
        onStderr: (line) => /^\d+$/.test(line) && pids.push(Number(line)),
      });
      assert.equal(result.trajectory.termination.reason, 'agent_error');
      assert.match(result.trajectory.termination.detail ?? '', detail);
      assert.equal(pids.length, 1);
      assert.ok(await until(() => !isProcessAlive(pids[0])), `pid ${pids[0]} still alive`);
    });
  }

  it("redacts what the process says: Groundwork's key values and credential shapes, in messages, arguments and error details", async () => {
    const key = 'sk-groundwork-only-0123456789abcdef';
    const script = agentFile(
      'leaky.py',
      `sys.stdin.readline(); sys.stdin.readline()\nprint(json.dumps({"message": "key ${key}", "tool_calls": [{"name": "find_customer", "arguments": {"query": "Bearer abcdefgh12345678"}}]}), flush=True)\nsys.stdin.readline()\nprint("leak ${key}", file=sys.stderr, flush=True)\nraise SystemExit(3)`,
    );
    const result = await episode(`python3 ${script}`, { env: { ...process.env, OPENAI_API_KEY: key } });
    const stored = JSON.stringify(result.trajectory);
    assert.equal(result.trajectory.termination.reason, 'agent_error');
    assert.match(result.trajectory.termination.detail ?? '', /exited with code 3.*leak \[REDACTED\]/);
    assert.ok(!stored.includes(key) && !stored.includes('abcdefgh12345678'), stored);
    assert.match(stored, /key \[REDACTED\]/);
  });

  it('timeout: agent_error after the turn timeout; the process and its children are killed', async () => {
    const pidFile = join(dir, 'hang-pids');
    const script = agentFile(
      'hang.py',
      `child = subprocess.Popen(["sleep", "300"])\nopen(sys.argv[1], "w").write(f"{os.getpid()} {child.pid}")\nsys.stdin.readline(); time.sleep(300)`,
    );
    const started = Date.now();
    const result = await episode(`python3 ${script} ${pidFile}`, { turnTimeoutMs: 2000 });
    assert.equal(result.trajectory.termination.reason, 'agent_error');
    assert.match(result.trajectory.termination.detail ?? '', /no reply within 2000 ms/);
    assert.ok(Date.now() - started < 10_000);
    const pids = readFileSync(pidFile, 'utf8').split(' ').map(Number);
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.ok(await until(() => !isProcessAlive(pid)), `pid ${pid} still alive`);
  });

  it('a program that does not exist: infra_error (could not start)', async () => {
    const result = await episode('no-such-program-gw-e1 --flag');
    assert.equal(result.trajectory.termination.reason, 'infra_error');
    assert.match(result.trajectory.termination.detail ?? '', /"no-such-program-gw-e1" could not start: not found/);
  });

  it('an agent that ignores the end line is killed after the grace time', async () => {
    const pidFile = join(dir, 'stubborn-pid');
    const script = agentFile(
      'stubborn.py',
      `import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nopen(sys.argv[1], "w").write(str(os.getpid()))\nsys.stdin.readline(); sys.stdin.readline()\nprint(json.dumps({"end": True}), flush=True)\ntime.sleep(300)`,
    );
    const result = await episode(`python3 ${script} ${pidFile}`);
    assert.equal(result.trajectory.termination.reason, 'agent_stop');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(isProcessAlive(pid), 'still alive during the grace time');
    assert.ok(await until(() => !isProcessAlive(pid), 6000), `pid ${pid} still alive`);
  });
});
