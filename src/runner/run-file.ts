import { closeSync, openSync, readSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { GroundworkError } from '../errors.ts';
import { modelsConfigSchema } from '../schema/model-config.ts';
import { probePackNameSchema } from '../schema/probe.ts';
import { MAX_CONCURRENCY } from '../schema/run-config.ts';

/** Largest run file read: real ones are a few KB, so anything bigger is a mistake (or an attack). */
export const MAX_RUN_FILE_BYTES = 1_048_576;

/**
 * A run described in a YAML file (`groundwork run groundwork.yaml`, or `--config`). Every field
 * is optional; command-line flags override the file. Keys mirror the flags.
 */
export const runFileSchema = z
  .strictObject({
    /** Domain name, e.g. `helpdesk`, `tau-bench/retail`. @default helpdesk */
    domain: z.string().min(1).optional(),
    /** Task split. @default the domain's default split */
    split: z.string().min(1).optional(),
    /** The first N tasks of the split, or a list of task ids. @default every task of the split */
    tasks: z.union([z.number().int().positive(), z.array(z.string().min(1)).min(1)]).optional(),
    /** Run a probe pack (persuasion, emotion, persona, honeypot, missing-info): the tasks are its variants; `tasks` counts base scenarios. */
    probes: probePackNameSchema.optional(),
    /** Agents under test: built-in names (oracle, naive, noop), model specs, or names from `models`. */
    agents: z.array(z.string().min(1)).min(1).optional(),
    /** User simulator: `scripted`, a model spec, or a name from `models`. @default scripted */
    user: z.string().min(1).optional(),
    /** Trials per task and agent. @default 3 */
    trials: z.number().int().positive().optional(),
    /** Episodes run at once (at most 4096). @default 4 */
    concurrency: z.number().int().positive().max(MAX_CONCURRENCY).optional(),
    /** Most episodes (tasks × agents × trials) the run may plan. @default 1000000 */
    maxEpisodes: z.number().int().positive().optional(),
    /** Seed of the episodes. @default 1 */
    seed: z.number().int().optional(),
    /** Seed of generated domains (helpdesk). @default 42 */
    domainSeed: z.number().int().optional(),
    /** Benchmark data directory (τ-bench domains). @default ../shared/benchmarks */
    data: z.string().min(1).optional(),
    /** Task file to load instead of the split's (τ-bench domains). */
    taskFile: z.string().min(1).optional(),
    /** Domain variant, e.g. banking_knowledge's retrieval configuration. */
    domainVariant: z.string().min(1).optional(),
    /** Steps per episode before `max_steps`. @default the domain's */
    maxSteps: z.number().int().positive().optional(),
    /** Invalid tool calls tolerated per episode before `agent_error`. @default 5 */
    maxInvalidToolCalls: z.number().int().nonnegative().optional(),
    /** Named models: name -> provider, model, base URL, key variable, price, limits. */
    models: modelsConfigSchema.optional(),
  })
  .describe('Groundwork run file');
export type RunFile = z.infer<typeof runFileSchema>;

/** JSON Schema of run files, for editors (`groundwork schema`). */
export function runFileJsonSchema(): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(runFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>),
    $id: 'https://groundwork.dev/schema/run-file.json',
    title: 'Groundwork run file',
  };
}

/**
 * Reads and validates a run file. Errors name the file, the line and the field:
 * `groundwork.yaml:7: trials: Too small: expected number to be >0`.
 */
export function loadRunFile(path: string): RunFile {
  let text: string;
  try {
    text = readBounded(path, MAX_RUN_FILE_BYTES);
  } catch (error) {
    if (GroundworkError.isInstance(error)) throw error;
    throw new GroundworkError(
      'INVALID_CONFIG',
      `cannot read the run file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { hint: 'check the path, or create one with `groundwork init`' },
    );
  }
  return parseRunFile(text, path);
}

/** Reads at most `limit` bytes (never the whole of a huge file or a device); refuses a longer file. */
function readBounded(path: string, limit: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length <= limit; length += n) n = readSync(fd, buffer, length, limit + 1 - length, null);
    if (length > limit)
      throw new GroundworkError('INVALID_CONFIG', `the run file ${path} is larger than ${limit} bytes`, {
        hint: 'a run file holds settings only; keep tasks in task files',
      });
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/** Validates run-file text (see `loadRunFile`). */
export function parseRunFile(text: string, name = 'run file'): RunFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    const line = lineCounter.linePos(error.pos[0]).line;
    throw new GroundworkError('INVALID_CONFIG', `${name}:${line}: not valid YAML: ${error.message.split('\n')[0]}`);
  }
  const data = document.toJS();
  // An empty file (or only comments) is almost surely the wrong file, not "all defaults".
  if (data === null || data === undefined)
    throw new GroundworkError('INVALID_CONFIG', `${name}:1: the run file is empty`, {
      hint: 'write at least one field, e.g. `domain: helpdesk`, or create a starter with `groundwork init`',
    });
  const parsed = runFileSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  // An unknown key is best reported at the key itself.
  const issue = first.code === 'unrecognized_keys' && first.keys.length > 0 ? { ...first, path: [...first.path, first.keys[0]] } : first;
  // Point at the deepest node of the path that exists in the file.
  let line = 1;
  for (let depth = issue.path.length; depth >= 0; depth--) {
    const node = document.getIn(issue.path.slice(0, depth) as (string | number)[], true) as
      | { range?: [number, number, number] }
      | undefined;
    if (node && typeof node === 'object' && node.range) {
      line = lineCounter.linePos(node.range[0]).line;
      break;
    }
  }
  const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  const more =
    parsed.error.issues.length > 1
      ? ` (and ${parsed.error.issues.length - 1} more problem${parsed.error.issues.length > 2 ? 's' : ''})`
      : '';
  throw new GroundworkError('INVALID_CONFIG', `${name}:${line}: ${field}: ${issue.message}${more}`, {
    hint: 'see `groundwork schema` for every field',
  });
}

/** The commented starter file `groundwork init` writes. */
export const STARTER_RUN_FILE = `# Groundwork run file. Run it with: groundwork run groundwork.yaml
# Command-line flags override anything here. Every field: groundwork schema
# yaml-language-server: $schema=./groundwork.schema.json

# The world the agent acts in: helpdesk (built in), tau-bench/retail, tau-bench/airline, tau2-bench/retail.
domain: helpdesk
# Task split (helpdesk: train, test) and how many tasks (a count, or a list of task ids).
split: test
# tasks: 10

# Agents under test: built-in (oracle, naive, noop), model specs (openai:gpt-4o-mini,
# anthropic:claude-sonnet-4-5, ollama:llama3.1, openai-compatible:MODEL@http://127.0.0.1:8000/v1),
# or a name defined under models below.
agents:
  - oracle
  - naive
  - noop
  # - local

# A probe pack instead of the plain tasks (persuasion, emotion, persona, honeypot, missing-info):
# its variants of the first \`tasks\` base scenarios. See: groundwork probes list
# probes: persuasion

# Who plays the user: scripted (deterministic), or a model.
user: scripted

trials: 3          # pass^k is reported for k = 1..trials
concurrency: 4     # episodes at once
seed: 1            # episode seed (users, agents)
# domainSeed: 42   # seed of the generated helpdesk world and tasks
# maxSteps: 40

# Named models. API keys are never written here: apiKeyEnv names the environment variable.
# models:
#   local:
#     provider: openai-compatible          # openai | anthropic | ollama | openai-compatible
#     model: qwen2.5-7b-instruct
#     baseURL: http://127.0.0.1:8080/v1    # llama.cpp server, vLLM, LM Studio...
#     temperature: 0
#     maxTokens: 1024
#     pricePerMillion: { input: 0, output: 0 }
#     limits: { concurrency: 4, requestsPerMinute: 120, timeoutMs: 60000, maxRetries: 5, maxReplyBytes: 4194304 }
#   gpt:
#     provider: openai
#     model: gpt-4o-mini
#     apiKeyEnv: OPENAI_API_KEY
#     pricePerMillion: { input: 0.15, output: 0.6 }
`;
