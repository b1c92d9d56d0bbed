/**
 * Before/after check for changes to the episode loop: runs the same episodes through two
 * `runEpisode` implementations and compares their trajectories byte for byte (with a fixed clock,
 * so timing is equal too) and their initial and final states.
 *
 * Scenarios: the default helpdesk plan (oracle, naive, noop × test split × 3 trials, scripted user),
 * a τ-bench retail gold run (oracle × test split), each with and without outcome reports; and a
 * seeded fuzz of participants that misbehave (invalid, multiple and terminal calls, empty replies,
 * crashes, provider failures, users that stop, fail or return nothing) under small step limits and
 * invalid-call budgets, on a multi-call domain and a one-call-per-turn one.
 *
 * Run: node --import tsx bench/episode-equivalence.ts OLD_MODULE [NEW_MODULE] [fuzzEpisodes]
 * OLD_MODULE: a copy of an older `src/episode/orchestrator.ts` kept outside the repository, with
 * its relative imports made absolute, e.g.
 *   git show REV:src/episode/orchestrator.ts | sed "s#from '\.\./#from '$PWD/src/#g" > /tmp/old-orchestrator.ts
 * Keys the newer module adds to `participants` (e.g. `episode`, its wrapper stack) are reported
 * and left out of the comparison; every other byte must match. Exits 1 on the first difference.
 */
import { resolve } from 'node:path';
import type { Agent, AgentToolCall, AgentTurn } from '../src/agents/agent.ts';
import { createBuiltInAgent } from '../src/agents/registry.ts';
import type { Domain } from '../src/domains/domain.ts';
import { createDomain } from '../src/domains/registry.ts';
import type { EpisodeOptions, EpisodeResult } from '../src/episode/orchestrator.ts';
import { GroundworkError } from '../src/errors.ts';
import { canonicalJson, shortHash, type JsonValue } from '../src/schema/json.ts';
import type { Task } from '../src/schema/task.ts';
import type { Trajectory } from '../src/schema/trajectory.ts';
import { planEpisodes } from '../src/runner/plan.ts';
import { createScriptedUser } from '../src/users/scripted.ts';
import type { UserSimulator } from '../src/users/user.ts';
import { SeededRandom } from '../src/util/seeded-random.ts';

type RunEpisode = (options: EpisodeOptions) => Promise<EpisodeResult>;

const [oldPath, newPath = resolve(import.meta.dirname, '../src/episode/orchestrator.ts'), fuzzArg = '3000'] = process.argv.slice(2);
if (!oldPath) {
  console.error('usage: node --import tsx bench/episode-equivalence.ts OLD_MODULE [NEW_MODULE] [fuzzEpisodes]');
  process.exit(2);
}
const runOld = ((await import(resolve(oldPath))) as { runEpisode: RunEpisode }).runEpisode;
const runNew = ((await import(resolve(newPath))) as { runEpisode: RunEpisode }).runEpisode;

// A fixed clock: startedAt and durationMs are then equal too, and the whole record can be compared.
const clock = () => new Date('2025-01-01T00:00:00.000Z');

/** The comparable form of a result; participant keys only the new module records are set aside. */
function comparable(result: EpisodeResult, addedKeys: readonly string[]): string {
  const participants = Object.fromEntries(Object.entries(result.trajectory.participants).filter(([key]) => !addedKeys.includes(key)));
  return canonicalJson({
    trajectory: { ...result.trajectory, participants },
    initial: result.initialState.hash(),
    final: result.finalState.hash(),
  });
}

interface Tally {
  episodes: number;
  reasons: Record<string, number>;
  events: number;
  digest: string;
  added: Set<string>;
}

async function compare(label: string, episodes: Iterable<EpisodeOptions>): Promise<Tally> {
  const tally: Tally = { episodes: 0, reasons: {}, events: 0, digest: '', added: new Set() };
  for (const options of episodes) {
    const before = await runOld({ ...options, now: clock });
    const after = await runNew({ ...options, now: clock });
    const added = Object.keys(after.trajectory.participants).filter((key) => !(key in before.trajectory.participants));
    for (const key of added) tally.added.add(`${key}: ${shapeOf(after.trajectory.participants[key])}`);
    const a = comparable(before, []);
    const b = comparable(after, added);
    if (a !== b) {
      console.error(`${label}: episode ${options.episodeId} (task ${options.task.id}, agent ${options.agent.name}) differs`);
      reportFirstDifference(before.trajectory, after.trajectory);
      process.exit(1);
    }
    tally.episodes++;
    tally.events += before.trajectory.events.length;
    const reason = before.trajectory.termination.reason;
    tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
    tally.digest = shortHash(tally.digest + a);
  }
  const stack = [...tally.added].join('; ') || '(none)';
  console.log(
    `${label}: ${tally.episodes} episodes, ${tally.events} events, identical (digest ${tally.digest.slice(0, 16)}); terminations ${JSON.stringify(tally.reasons)}; added participants keys (shapes): ${stack}`,
  );
  return tally;
}

/** A recorded wrapper stack by names only (its arguments vary with the options). */
function shapeOf(value: JsonValue): string {
  const wrappers = (value as { wrappers?: { name: string }[] } | null)?.wrappers;
  return Array.isArray(wrappers) ? wrappers.map((w) => w.name).join(' > ') : JSON.stringify(value);
}

function reportFirstDifference(before: Trajectory, after: Trajectory): void {
  const length = Math.max(before.events.length, after.events.length);
  for (let i = 0; i < length; i++) {
    if (canonicalJson(before.events[i]) !== canonicalJson(after.events[i])) {
      console.error(`  event ${i}:\n    old ${canonicalJson(before.events[i])}\n    new ${canonicalJson(after.events[i])}`);
      break;
    }
  }
  for (const key of ['termination', 'steps', 'usage', 'finalStateHash'] as const) {
    if (canonicalJson(before[key]) !== canonicalJson(after[key]))
      console.error(`  ${key}: old ${canonicalJson(before[key])} new ${canonicalJson(after[key])}`);
  }
}

/** A runner plan, with the runner's seeds and episode ids. */
function* plan(domain: Domain, tasks: Task[], agents: string[], trials: number, outcomeReport: boolean): Generator<EpisodeOptions> {
  const user = createScriptedUser();
  const byId = new Map(tasks.map((task) => [task.id, task]));
  for (const spec of planEpisodes('equivalence', 1, tasks, agents, trials)) {
    yield {
      domain,
      task: byId.get(spec.taskId)!,
      agent: createBuiltInAgent(spec.agent, domain),
      user,
      episodeId: spec.episodeId,
      trial: spec.trial,
      seed: spec.seed,
      outcomeReport,
    };
  }
}

/**
 * An agent that misbehaves at random, seeded by the episode and the conversation so far: text,
 * blank text, none; zero to three calls mixing the task's gold calls, unknown tools, broken JSON,
 * failed schemas, valid and invalid `report_outcome`; ids left empty; `end`; crashes and
 * provider failures; usage on some turns.
 */
function fuzzAgent(): Agent {
  return {
    name: 'fuzz',
    start(context) {
      const tools = context.tools.map((tool) => tool.name);
      let turn = 0;
      return {
        async next(events): Promise<AgentTurn> {
          const random = SeededRandom.from('fuzz-agent', context.seed, context.trial, events.length, turn++);
          const roll = random.next();
          if (roll < 0.03) throw new Error('agent bug');
          if (roll < 0.05) throw new GroundworkError('PROVIDER_FAILED', 'HTTP 503 after 5 retries');
          const calls: AgentToolCall[] = [];
          for (let i = random.pick([0, 0, 1, 1, 1, 2, 3]); i > 0; i--) calls.push(fuzzCall(random, tools));
          const message = random.pick([
            undefined,
            undefined,
            '',
            '   ',
            'Done, everything has been completed.',
            'Could you confirm your email?',
            'I cannot help with that.',
          ]);
          return {
            ...(message !== undefined ? { message } : {}),
            ...(calls.length ? { toolCalls: calls } : {}),
            ...(random.chance(0.08) ? { end: true } : {}),
            ...(random.chance(0.3)
              ? {
                  usage: {
                    calls: 1,
                    inputTokens: random.int(1, 900),
                    outputTokens: random.int(1, 90),
                    costUsd: 0.001,
                    latencyMs: random.int(1, 50),
                  },
                }
              : {}),
          };
        },
        describe: () => ({ fuzz: true }),
      };
    },
  };
}

function fuzzCall(random: SeededRandom, tools: readonly string[]): AgentToolCall {
  const id = random.chance(0.4) ? '' : `c${random.int(0, 9999)}`;
  const kind = random.int(0, 7);
  if (kind === 0) return { id, name: 'no_such_tool', arguments: {} };
  if (kind === 1) return { id, name: random.pick(tools), arguments: '{"broken": ' };
  if (kind === 2)
    return {
      id,
      name: 'report_outcome',
      arguments: random.chance(0.5) ? { success: random.chance(0.5), confidence: random.next(), summary: 'did it' } : { confidence: 2 },
    };
  if (kind === 3) return { id, name: 'report_outcome', arguments: '{"success": true, "confidence": 0.9, "summary": "as a string"}' };
  if (kind === 4) return { id, name: random.pick(tools), arguments: {} };
  return { id, name: random.pick(tools), arguments: random.pick(GOLD_CALLS) };
}

// Arguments of real calls (filled per domain below), so fuzzed calls also write and end episodes.
let GOLD_CALLS: JsonValue[] = [{}];

/** The scripted user, except that it sometimes fails, returns no text, or stops at once. */
function fuzzUser(): UserSimulator {
  const scripted = createScriptedUser();
  return {
    name: 'fuzz-user',
    start(context) {
      const session = scripted.start(context);
      return {
        async next(events) {
          const random = SeededRandom.from('fuzz-user', context.seed, events.length);
          const roll = random.next();
          if (roll < 0.02) throw new Error('user bug');
          if (roll < 0.03) throw new GroundworkError('PROVIDER_FAILED', 'user model down');
          if (roll < 0.04) return { content: null as unknown as string };
          const turn = await session.next(events);
          if (roll < 0.1) return { ...turn, content: `${turn.content} ###STOP###` };
          return random.chance(0.2) ? { ...turn, usage: { calls: 1, inputTokens: 10, outputTokens: 5, costUsd: 0, latencyMs: 3 } } : turn;
        },
        describe: () => ({ ...(session.describe?.() ?? {}), fuzz: true }),
      };
    },
  };
}

function* fuzz(domain: Domain, tasks: Task[], count: number): Generator<EpisodeOptions> {
  GOLD_CALLS = tasks.flatMap((task) => task.oracle.flatMap((step) => (step.kind === 'call' ? [step.call.arguments as JsonValue] : [])));
  if (GOLD_CALLS.length === 0) GOLD_CALLS = [{}];
  const agent = fuzzAgent();
  const user = fuzzUser();
  for (let i = 0; i < count; i++) {
    const random = SeededRandom.from('fuzz-options', domain.name, i);
    yield {
      domain,
      task: random.pick(tasks),
      agent,
      user,
      episodeId: `fuzz-${i}`,
      trial: random.int(0, 2),
      seed: i,
      ...(random.chance(0.8) ? { maxSteps: random.int(0, 14) } : {}),
      ...(random.chance(0.8) ? { maxInvalidToolCalls: random.int(0, 3) } : {}),
      ...(random.chance(0.5) ? { outcomeReport: true } : {}),
    };
  }
}

const started = performance.now();
const fuzzCount = Number(fuzzArg);
const helpdesk = createDomain('helpdesk');
const helpdeskTest = helpdesk.tasks({ split: 'test' });
const retail = createDomain('tau-bench/retail');
const retailTest = retail.tasks({ split: 'test' });

for (const outcomeReport of [false, true]) {
  await compare(
    `helpdesk default plan, outcomeReport ${outcomeReport}`,
    plan(helpdesk, helpdeskTest, ['oracle', 'naive', 'noop'], 3, outcomeReport),
  );
  await compare(`tau-bench/retail gold run, outcomeReport ${outcomeReport}`, plan(retail, retailTest, ['oracle'], 1, outcomeReport));
}
await compare(`fuzz helpdesk (many calls per turn)`, fuzz(helpdesk, helpdeskTest, fuzzCount));
await compare(`fuzz tau-bench/retail (one call per turn)`, fuzz(retail, retailTest.slice(0, 40), fuzzCount));
console.log(`all identical in ${((performance.now() - started) / 1000).toFixed(1)} s`);
