import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { z } from 'zod';
import { GroundworkError } from '../errors.ts';
import { DEFAULT_API_KEY_ENV } from '../models/model-spec.ts';
import { SecretRedactor } from '../models/secrets.ts';
import { type JsonValue, jsonValueSchema } from '../schema/json.ts';
import { baseUrlProblem } from '../schema/model-config.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import type { Agent, AgentContext, AgentSession, AgentToolCall, AgentTurn } from './agent.ts';

/*
 * External agents (docs/external-agents.md):
 * - `http://HOST/v1[#MODEL]` (or `http:URL`): the LLM agent over the `openai-compatible` provider at
 *   that base URL; built by the CLI's model participants (`httpAgentSpec` gives the model spec).
 * - `cmd:COMMAND`: a process speaking JSON lines over stdio, one process per episode (this file).
 */

/** Version of the JSON-lines protocol, sent in the `start` line. */
export const COMMAND_PROTOCOL_VERSION = 1;
/** Default time a command agent has to answer one turn. */
export const DEFAULT_TURN_TIMEOUT_MS = 60_000;
/** Environment variable overriding the per-turn timeout of command agents (milliseconds). */
export const TURN_TIMEOUT_ENV = 'GROUNDWORK_AGENT_TIMEOUT_MS';
/** Longest reply line a command agent may write (characters). */
export const MAX_REPLY_CHARS = 1_048_576;
/** Time a command agent has to exit after its `end` line before its process group is killed. */
export const EXIT_GRACE_MS = 2_000;
/** Model name of an `http:` agent whose URL names none (`#MODEL`). */
export const DEFAULT_HTTP_AGENT_MODEL = 'default';

const CMD_PREFIX = 'cmd:';
const STDERR_TAIL_LINES = 12;

// ---------------------------------------------------------------- http:

/** Whether an agent name is an OpenAI-compatible endpoint: `http://…`, `https://…` or `http:URL`. */
export function isHttpAgent(name: string): boolean {
  return /^https?:\/\//i.test(name) || /^http:https?:\/\//i.test(name);
}

/**
 * The model spec of an `http:` agent: `openai-compatible:MODEL@BASE_URL`, the model from the URL's
 * fragment (`#MODEL`, default `default`). Throws INVALID_ARGUMENT for a URL that is not http(s) or
 * that carries credentials (the name is stored in the run config), without echoing it.
 */
export function httpAgentSpec(name: string): string {
  const raw = /^http:https?:\/\//i.test(name) ? name.slice('http:'.length) : name;
  const hash = raw.indexOf('#');
  const base = (hash >= 0 ? raw.slice(0, hash) : raw).replace(/\/+$/, '');
  const model = hash >= 0 ? decodeURIComponent(raw.slice(hash + 1)).trim() : '';
  const problem = baseUrlProblem(base);
  if (problem)
    throw new GroundworkError('INVALID_ARGUMENT', `invalid http agent: ${problem}`, {
      hint: 'use --agent http://HOST:PORT/v1[#MODEL] (an OpenAI-compatible chat endpoint)',
    });
  return `openai-compatible:${model || DEFAULT_HTTP_AGENT_MODEL}@${base}`;
}

// ---------------------------------------------------------------- cmd:

/** Whether an agent name is an external command (`cmd:COMMAND`). */
export function isCommandAgent(name: string): boolean {
  return name.startsWith(CMD_PREFIX);
}

/**
 * Splits a command line into argv without a shell: whitespace separates words; `'…'` is literal;
 * `"…"` keeps spaces and honours `\"` and `\\`; a backslash outside quotes escapes the next
 * character. No globbing, variables or pipes. Throws INVALID_ARGUMENT for an unclosed quote or
 * an empty command.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw badCommand('unclosed single quote');
      word += command.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === '\\' && (command[j + 1] === '"' || command[j + 1] === '\\')) j++;
        word += command[j];
      }
      if (j >= command.length) throw badCommand('unclosed double quote');
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw badCommand('empty command');
  return words;
}

function badCommand(reason: string): GroundworkError {
  return new GroundworkError('INVALID_ARGUMENT', `invalid command agent: ${reason}`, {
    hint: `use --agent 'cmd:python3 my_agent.py' (quote-aware, run without a shell)`,
  });
}

/** The per-turn timeout from `GROUNDWORK_AGENT_TIMEOUT_MS`, else the default; INVALID_ARGUMENT when malformed. */
export function turnTimeoutFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env[TURN_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return DEFAULT_TURN_TIMEOUT_MS;
  if (!/^\d+$/.test(raw) || Number(raw) < 10 || Number(raw) > 86_400_000)
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `${TURN_TIMEOUT_ENV} must be milliseconds from 10 to 86400000, not ${JSON.stringify(raw)}`,
      {
        hint: `unset it for the default of ${DEFAULT_TURN_TIMEOUT_MS}`,
      },
    );
  return Number(raw);
}

/** One reply line of a command agent (see docs/external-agents.md). Unknown keys are refused. */
export const commandReplySchema = z.strictObject({
  message: z.string().optional(),
  tool_calls: z
    .array(
      z.strictObject({
        id: z.string().optional(),
        name: z.string().min(1),
        /** An object, or a raw string (recorded as given; the orchestrator reports invalid JSON to the agent). */
        arguments: jsonValueSchema.optional(),
      }),
    )
    .max(64)
    .optional(),
  end: z.boolean().optional(),
});
/** A parsed reply line. */
export type CommandReply = z.infer<typeof commandReplySchema>;

/** Options of `createCommandAgent`. */
export interface CommandAgentOptions {
  /** Time to answer one turn. @default turnTimeoutFromEnv() */
  turnTimeoutMs?: number;
  /** The environment the process inherits. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Variables removed from that environment besides the providers' key variables (e.g. configured `apiKeyEnv`s). */
  secretEnv?: readonly string[];
  /** Working directory of the process. @default process.cwd() */
  cwd?: string;
  /** Each line the process writes to stderr (it is otherwise only kept as a tail for error details). */
  onStderr?: (line: string) => void;
  /**
   * Applied to what the process says before it is stored (messages, tool-call arguments, error
   * details), as model replies are. @default a new one knowing the values of the removed variables
   */
  redactor?: SecretRedactor;
}

/**
 * An agent run as an external process per episode (`cmd:COMMAND`), speaking JSON lines over
 * stdio: Groundwork writes a `start` line, then one `turn` line per agent turn with the events
 * the agent has not seen; the process answers each turn with one reply line. The command is
 * split here (a bad command fails before the run is stored) but nothing is spawned until an
 * episode's first turn. A process that cannot be spawned → PROVIDER_FAILED (`infra_error`);
 * a timeout, an exit, invalid or oversized output → AGENT_FAILED (`agent_error`), the process
 * group killed.
 */
export function createCommandAgent(name: string, options: CommandAgentOptions = {}): Agent {
  if (!isCommandAgent(name)) throw badCommand(`an agent command starts with ${CMD_PREFIX}`);
  const argv = splitCommand(name.slice(CMD_PREFIX.length));
  const turnTimeoutMs = options.turnTimeoutMs ?? turnTimeoutFromEnv(options.env ?? process.env);
  const redactor = options.redactor ?? new SecretRedactor();
  const env = childEnv(options.env ?? process.env, options.secretEnv ?? [], redactor);
  return {
    name,
    start(context): AgentSession {
      return new CommandSession(argv, context, { env, turnTimeoutMs, cwd: options.cwd, onStderr: options.onStderr, redactor });
    },
  };
}

/** The environment minus the model key variables (Groundwork's keys are not the agent's); their values go to the redactor. */
function childEnv(
  env: Readonly<Record<string, string | undefined>>,
  secretEnv: readonly string[],
  redactor: SecretRedactor,
): Record<string, string> {
  const drop = new Set([...Object.values(DEFAULT_API_KEY_ENV), ...secretEnv]);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (drop.has(key)) redactor.add(value);
    else out[key] = value;
  }
  return out;
}

// Every live agent process, killed (with its group) when Groundwork exits for any reason.
const live = new Set<CommandSession>();
let exitHook = false;
function track(session: CommandSession): void {
  live.add(session);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const s of live) s.kill();
    });
  }
}

/**
 * Kills every live agent process (with its group) now, without the exit grace time: what the exit
 * hook does, for an episode thread that is about to be terminated (`Worker.terminate()` runs no
 * `exit` hook). Returns how many were killed.
 */
export function killLiveCommandAgents(): number {
  const sessions = [...live];
  for (const session of sessions) session.kill();
  return sessions.length;
}

/** Pids of the agent processes alive now (for tests and diagnostics). */
export function liveCommandAgentPids(): number[] {
  return [...live].flatMap((session) => (session.pid !== undefined ? [session.pid] : []));
}

interface Pending {
  resolve: (line: string) => void;
  reject: (error: Error) => void;
}

class CommandSession implements AgentSession {
  private child?: ChildProcessWithoutNullStreams;
  private started?: Promise<void>;
  private failure?: GroundworkError;
  private pending?: Pending;
  private buffer = '';
  private readonly stderrTail: string[] = [];
  private stderrPartial = '';
  private sent = 0;
  private turns = 0;
  private readonly usedIds = new Set<string>();
  private closed = false;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private graceTimer?: NodeJS.Timeout;
  pid?: number;

  constructor(
    private readonly argv: string[],
    private readonly context: AgentContext,
    private readonly options: {
      env: Record<string, string>;
      turnTimeoutMs: number;
      cwd?: string;
      onStderr?: (line: string) => void;
      redactor: SecretRedactor;
    },
  ) {}

  async next(events: readonly TrajectoryEvent[]): Promise<AgentTurn> {
    if (this.closed) throw new GroundworkError('AGENT_FAILED', 'agent process session is closed');
    if (!this.started) this.started = this.spawn();
    await this.started;
    if (this.failure) throw this.failure;
    const fresh = events.slice(this.sent).filter((event) => event.type !== 'note');
    this.sent = events.length;
    this.turns++;
    const line = await this.exchange({ type: 'turn', turn: this.turns, events: fresh as unknown as JsonValue });
    return this.parse(line);
  }

  /** Facts stored with the episode; `runEpisode` has closed the session by then (closing twice is a no-op). */
  describe(): Record<string, JsonValue> {
    this.close();
    const out: Record<string, JsonValue> = {
      kind: 'command',
      protocol: COMMAND_PROTOCOL_VERSION,
      turnTimeoutMs: this.options.turnTimeoutMs,
    };
    if (this.exit?.code !== undefined && this.exit.code !== null) out.exitCode = this.exit.code;
    if (this.exit?.signal) out.exitSignal = this.exit.signal;
    return out;
  }

  /** Ends the episode for the process: an `end` line, stdin closed, the group killed if still alive after the grace time. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const child = this.child;
    if (!child || this.exit || child.pid === undefined) return;
    this.write({ type: 'end' });
    child.stdin.end();
    this.graceTimer = setTimeout(() => this.kill(), EXIT_GRACE_MS);
  }

  /** Kills the process group (the process and anything it started), now. */
  kill(): void {
    const pid = this.child?.pid;
    // After the exit its group was killed already (and the pid may be reused).
    if (pid === undefined || this.exit) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    try {
      this.child?.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private spawn(): Promise<void> {
    const [command, ...args] = this.argv;
    return new Promise((resolve, reject) => {
      let child: ChildProcessWithoutNullStreams;
      try {
        // Its own process group (detached): killed as a group, untouched by the terminal's Ctrl-C
        // (the run finishes in-flight episodes); Groundwork's exit hook kills what is left.
        child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: this.options.env, cwd: this.options.cwd, detached: true });
      } catch (error) {
        reject(cannotStart(command, error));
        return;
      }
      this.child = child;
      child.stdin.on('error', () => undefined); // EPIPE after an exit: reported through 'exit'.
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => this.onStdout(chunk));
      child.stderr.on('data', (chunk: string) => this.onStderr(chunk));
      child.once('error', (error) => {
        if (!this.pid) reject(cannotStart(command, error));
        else this.fail(new GroundworkError('AGENT_FAILED', `agent process error: ${error.message}`));
      });
      child.once('spawn', () => {
        this.pid = child.pid;
        track(this);
        this.write({
          type: 'start',
          protocol: COMMAND_PROTOCOL_VERSION,
          context: {
            policy: this.context.policy,
            tools: this.context.tools as unknown as JsonValue,
            seed: this.context.seed,
            trial: this.context.trial,
          },
        });
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        clearTimeout(this.graceTimer);
        live.delete(this);
        // Whatever it started goes with it: no orphans in its group.
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group is empty.
        }
        if (!this.closed)
          this.fail(
            new GroundworkError(
              'AGENT_FAILED',
              `agent process ${signal ? `was killed by ${signal}` : `exited with code ${code}`} ${this.pending ? 'before replying' : 'between turns'}${this.stderrNote()}`,
            ),
          );
      });
    });
  }

  private write(message: Record<string, JsonValue>): void {
    const child = this.child;
    if (!child || this.exit || child.stdin.destroyed || child.stdin.writableEnded) return;
    child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** Sends one line and waits for the reply line, within the turn timeout. */
  private exchange(message: Record<string, JsonValue>): Promise<string> {
    // Output written before this turn was asked (a partial line) is not its reply.
    if (this.buffer.trim() !== '')
      this.fail(
        new GroundworkError(
          'AGENT_FAILED',
          `agent process wrote ${preview(this.buffer)} when no turn was asked (log to stderr, not stdout)`,
        ),
      );
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(
          new GroundworkError('AGENT_FAILED', `agent process gave no reply within ${this.options.turnTimeoutMs} ms${this.stderrNote()}`),
        );
      }, this.options.turnTimeoutMs);
      this.pending = {
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.write(message);
    });
  }

  private onStdout(chunk: string): void {
    if (this.failure) return;
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0 && !this.failure) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      newline = this.buffer.indexOf('\n');
      if (line.trim() === '') continue;
      const pending = this.pending;
      if (line.length > MAX_REPLY_CHARS) this.fail(tooLong());
      else if (!pending)
        this.fail(
          new GroundworkError(
            'AGENT_FAILED',
            `agent process wrote a line when no turn was asked: ${preview(line)} (log to stderr, not stdout)`,
          ),
        );
      else {
        this.pending = undefined;
        pending.resolve(line);
      }
    }
    if (!this.failure && this.buffer.length > MAX_REPLY_CHARS) this.fail(tooLong());
  }

  private onStderr(chunk: string): void {
    const lines = (this.stderrPartial + chunk).split('\n');
    this.stderrPartial = (lines.pop() ?? '').slice(-4096);
    for (const line of lines) {
      this.options.onStderr?.(line);
      this.stderrTail.push(line.slice(0, 500));
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    }
  }

  private stderrNote(): string {
    const tail = [...this.stderrTail, this.stderrPartial].filter((line) => line.trim() !== '');
    return tail.length ? `; stderr: ${tail.join(' | ')}` : '';
  }

  /** The episode's agent failed: remember why, kill the process group, fail the waiting turn. */
  private fail(error: GroundworkError): void {
    if (this.failure) return;
    this.failure = new GroundworkError(error.code, this.options.redactor.redact(error.message), error.hint ? { hint: error.hint } : {});
    this.kill();
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(this.failure);
  }

  private parse(line: string): AgentTurn {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.fail(new GroundworkError('AGENT_FAILED', `agent reply is not JSON: ${preview(line)}`));
      throw this.failure;
    }
    const parsed = commandReplySchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`).join('; ');
      this.fail(
        new GroundworkError('AGENT_FAILED', `agent reply does not match the protocol: ${issues}`, { hint: 'see docs/external-agents.md' }),
      );
      throw this.failure;
    }
    const reply = parsed.data;
    const toolCalls: AgentToolCall[] = (reply.tool_calls ?? []).map((call, index) => {
      // Ids are kept; a missing or reused one is made unique (results refer to calls by id).
      const id = call.id && !this.usedIds.has(call.id) ? call.id : `${call.id || 'call'}-t${this.turns}-${index}`;
      this.usedIds.add(id);
      return { id, name: call.name, arguments: this.options.redactor.redactJson(call.arguments ?? {}) };
    });
    return {
      ...(reply.message !== undefined ? { message: this.options.redactor.redact(reply.message) } : {}),
      ...(toolCalls.length ? { toolCalls } : {}),
      ...(reply.end ? { end: true } : {}),
    };
  }
}

function cannotStart(command: string, error: unknown): GroundworkError {
  const code = (error as NodeJS.ErrnoException)?.code;
  return new GroundworkError(
    'PROVIDER_FAILED',
    `agent command ${JSON.stringify(command)} could not start: ${code === 'ENOENT' ? 'not found' : ((error as Error)?.message ?? String(error))}`,
    { hint: 'check the program name and PATH of --agent cmd:…' },
  );
}

function tooLong(): GroundworkError {
  return new GroundworkError('AGENT_FAILED', `agent reply line is longer than ${MAX_REPLY_CHARS} characters`);
}

function preview(line: string): string {
  return JSON.stringify(line.length > 160 ? `${line.slice(0, 160)}…` : line);
}
