import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { gradeTau2, type Tau2NlJudgements } from '../../grading/tau2.ts';
import type { JsonValue } from '../../schema/json.ts';
import type { Tau2Outcome } from '../../schema/outcome.ts';
import type { Tau2Criteria, Task } from '../../schema/task.ts';
import type { TerminationReason, TrajectoryEvent } from '../../schema/trajectory.ts';
import type { TableState } from '../../state/table-state.ts';
import type { Domain, Side } from '../domain.ts';
import { initialStateFor } from '../initial-state.ts';
import { executeSideToolCall } from '../tools.ts';
import { canonicalTau2Json } from './canonical.ts';

// Parity with τ²-bench's own Python: test/fixtures/tau2-parity/<domain>.json holds what τ²'s code gave
// for every task (initial and gold-replay state hashes of both sides, gold tool-output hashes, and its
// evaluator's components for four trajectory kinds); each fixture's `how` says exactly how. Here the same
// things are computed through our domain, tools and grader and compared. A domain whose module is not
// there yet is skipped with a message.

type Dump = (state: TableState, side: Side) => JsonValue;

interface RewardEntry {
  reward?: number;
  db?: boolean | null;
  env_assertions?: boolean[] | null;
  actions?: boolean[] | null;
  communicate?: boolean[] | null;
  basis?: string[] | null;
  error?: string;
}

interface FixtureTask {
  initial: { agent: string; user: string | null };
  gold: { outputs: string[]; errors: boolean[]; agent: string; user: string | null };
  evaluatorGold?: { agent: string; user: string | null };
  rewards: Record<string, RewardEntry>;
}

interface Fixture {
  source: string;
  how: string;
  /** When set, every hash in the file is cut to this many hex characters. */
  hashPrefix?: number;
  tasks: Record<string, FixtureTask>;
}

interface DomainUnderTest {
  fixture: string;
  /** The module (relative to this file) that must exist before the domain is tested. */
  module: string;
  split: string;
  open(module: Record<string, unknown>): Domain;
  /** Used only while the module exports no `tau2DbDump`. */
  fallbackDump?: Dump;
}

/** τ²'s RetailDB.model_dump() adds these Order fields (default null) wherever db.json leaves them out. */
const RETAIL_ORDER_DEFAULTS = [
  'cancel_reason',
  'exchange_items',
  'exchange_new_items',
  'exchange_payment_method_id',
  'exchange_price_difference',
  'return_items',
  'return_payment_method_id',
] as const;

/** An order as RetailDB dumps it; frozen when built from a frozen base order so canonical texts can be reused. */
const dumpedOrders = new WeakMap<object, JsonValue>();
function orderDump(order: Record<string, JsonValue>): JsonValue {
  const known = dumpedOrders.get(order);
  if (known) return known;
  const record: Record<string, JsonValue> = { ...order };
  for (const field of RETAIL_ORDER_DEFAULTS) if (!(field in record)) record[field] = null;
  if (Object.isFrozen(order)) {
    Object.freeze(record);
    dumpedOrders.set(order, record);
  }
  return record;
}

/** RetailDB's dump from our tables ({products, users, orders}); the retail shop has no user database. */
function retailDump(state: TableState, side: Side): JsonValue {
  if (side === 'user') return null;
  const table = (name: string) => Object.fromEntries(state.entries(name as never)) as Record<string, JsonValue>;
  const orders: Record<string, JsonValue> = {};
  for (const [key, order] of Object.entries(table('orders'))) orders[key] = orderDump(order as Record<string, JsonValue>);
  return { products: table('products'), users: table('users'), orders };
}

const DOMAINS: DomainUnderTest[] = [
  {
    fixture: 'retail',
    module: '../tau-bench/index.ts',
    split: 'base',
    open: (m) => (m.openTauBench as (name: string) => { domain: Domain })('tau2-bench/retail').domain,
    fallbackDump: retailDump,
  },
  { fixture: 'telecom', module: './telecom/index.ts', split: 'generated', open: (m) => (m.createTau2TelecomDomain as () => Domain)() },
  { fixture: 'mock', module: './mock/index.ts', split: 'base', open: (m) => (m.createTau2MockDomain as () => Domain)() },
  {
    fixture: 'banking_knowledge',
    module: './banking-knowledge/index.ts',
    split: 'base',
    open: (m) => (m.createTau2BankingKnowledgeDomain as () => Domain)(),
  },
];

const NOOP_MESSAGE = "I'm sorry, I can't help with that.";
const DONE_MESSAGE = 'Done, your request has been handled.';
const SIDES: readonly Side[] = ['agent', 'user'];

function readFixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`../../../test/fixtures/tau2-parity/${name}.json`, import.meta.url), 'utf8')) as Fixture;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** What our side gives for one fixture hash (cut like the fixture's). */
function hashOf(text: string, prefix: number | undefined): string {
  const full = sha256(text);
  return prefix ? full.slice(0, prefix) : full;
}

/**
 * Reuse across the tasks of a domain: canonical texts of frozen base records, and the dump hash of each
 * distinct state (keyed by our own state hash: equal states dump equally).
 */
interface Memo {
  texts: WeakMap<object, string>;
  hashes: Map<string, string>;
}

function sideHash(state: TableState, side: Side, dump: Dump, prefix: number | undefined, memo: Memo): string {
  const key = `${side}:${state.hash()}`;
  let hash = memo.hashes.get(key);
  if (hash === undefined) {
    hash = hashOf(canonicalTau2Json(dump(state, side), memo.texts), prefix);
    memo.hashes.set(key, hash);
  }
  return hash;
}

function stateHashes(state: TableState, dump: Dump, prefix: number | undefined, withUser: boolean, memo: Memo) {
  return {
    agent: sideHash(state, 'agent', dump, prefix, memo),
    user: withUser ? sideHash(state, 'user', dump, prefix, memo) : null,
  };
}

interface Replay {
  state: TableState;
  events: TrajectoryEvent[];
  outputs: { content: string; isError: boolean }[];
}

/** The gold actions (or a prefix of them) run by their sides through our tools, recorded as a trajectory does. */
function replay(domain: Domain, initial: TableState, actions: Tau2Criteria['actions']): Replay {
  const state = initial.fork();
  const events: TrajectoryEvent[] = [];
  const outputs: Replay['outputs'] = [];
  actions.forEach((action, i) => {
    const result = executeSideToolCall(domain, state, action.side, action.name, action.arguments);
    const actor = action.side === 'user' ? { actor: 'user' as const } : {};
    events.push({ type: 'tool_call', id: `gold_${i}`, ...actor, name: action.name, arguments: action.arguments });
    events.push({
      type: 'tool_result',
      callId: `gold_${i}`,
      ...actor,
      name: action.name,
      content: result.content,
      isError: result.isError,
    });
    outputs.push({ content: result.content, isError: result.isError });
  });
  return { state, events, outputs };
}

/** The oracle's closing message: every communicate_info string joined with ". ", or "Done.". */
function closingText(criteria: Tau2Criteria): string {
  const infos = criteria.communicate.map((item) => item.anyOf?.[0] ?? item.description ?? '');
  return infos.length > 0 ? infos.join('. ') : 'Done.';
}

/** Every NL assertion judged met: the fixture's τ² run replaced its judge with a stub returning 1. */
function allMet(criteria: Tau2Criteria): Tau2NlJudgements {
  return Object.fromEntries(criteria.nlAssertions.map((assertion) => [assertion, { pass: true }]));
}

/** Our grade in the fixture's shape (an empty list of checks is null there). */
function asEntry(section: Tau2Outcome): RewardEntry {
  const flags = (xs: { met: boolean }[] | null) => (xs && xs.length > 0 ? xs.map((x) => x.met) : null);
  if (section.premature)
    return { reward: section.reward ?? -1, db: null, env_assertions: null, actions: null, communicate: null, basis: null };
  return {
    reward: section.reward ?? -1,
    db: section.db ? section.db.pass : null,
    env_assertions: flags(section.envAssertions),
    actions: flags(section.actions),
    communicate: flags(section.communicate),
    basis: section.basis,
  };
}

interface Trajectories {
  [kind: string]: { replay: Replay; closing: string; termination: TerminationReason };
}

function trajectoriesOf(domain: Domain, initial: TableState, criteria: Tau2Criteria, gold: Replay, kinds: string[]): Trajectories {
  const closing = closingText(criteria);
  const none: Replay = { state: initial.fork(), events: [], outputs: [] };
  const all: Trajectories = {
    oracle: { replay: gold, closing, termination: 'user_stop' },
    noop: { replay: none, closing: NOOP_MESSAGE, termination: 'user_stop' },
    premature: { replay: gold, closing, termination: 'max_steps' },
    done_message: { replay: gold, closing: DONE_MESSAGE, termination: 'user_stop' },
  };
  if (kinds.includes('drop_last'))
    all.drop_last = { replay: replay(domain, initial, criteria.actions.slice(0, -1)), closing, termination: 'user_stop' };
  return all;
}

function compareTask(
  domain: Domain,
  dump: Dump | undefined,
  task: Task,
  expected: FixtureTask,
  prefix: number | undefined,
  memo: Memo,
): string[] {
  const problems: string[] = [];
  const criteria = task.expected as Tau2Criteria;
  const withUser = expected.initial.user !== null;
  const initial = initialStateFor(domain, task);
  if (dump) {
    const ours = stateHashes(initial, dump, prefix, withUser, memo);
    for (const side of SIDES) if (ours[side] !== expected.initial[side]) problems.push(`initial ${side} state differs`);
  }

  const gold = replay(domain, initial, criteria.actions);
  if (gold.outputs.length !== expected.gold.outputs.length)
    problems.push(`${gold.outputs.length} gold outputs, τ² ${expected.gold.outputs.length}`);
  gold.outputs.forEach((output, i) => {
    const action = criteria.actions[i];
    if (hashOf(output.content, prefix) !== expected.gold.outputs[i])
      problems.push(`gold output ${i} (${action?.side} ${action?.name}) differs: ${JSON.stringify(output.content.slice(0, 160))}`);
    if (output.isError !== expected.gold.errors[i])
      problems.push(`gold output ${i} (${action?.name}) error flag ${output.isError}, τ² ${expected.gold.errors[i]}`);
  });
  if (dump) {
    const ours = stateHashes(gold.state, dump, prefix, withUser, memo);
    for (const side of SIDES) if (ours[side] !== expected.gold[side]) problems.push(`gold final ${side} state differs`);
  }

  const kinds = Object.keys(expected.rewards);
  const trajectories = trajectoriesOf(domain, initial, criteria, gold, kinds);
  for (const kind of kinds) {
    const want = expected.rewards[kind] as RewardEntry;
    const trajectory = trajectories[kind];
    if (!trajectory) {
      problems.push(`${kind}: no such trajectory kind here`);
      continue;
    }
    const { section, gold: graderGold } = gradeTau2({
      domain,
      criteria,
      initialState: initial,
      finalState: trajectory.replay.state,
      trajectory: {
        events: [...trajectory.replay.events, { type: 'message', role: 'agent', content: trajectory.closing }],
        termination: { reason: trajectory.termination },
      },
      nlJudgements: allMet(criteria),
    });
    if (kind === 'oracle' && dump) {
      // The gold state our grader compares with must be τ²'s evaluator's (gold actions without sync after each).
      const evaluatorGold = expected.evaluatorGold ?? { agent: expected.gold.agent, user: expected.gold.user };
      const ours = stateHashes(graderGold, dump, prefix, withUser, memo);
      for (const side of SIDES)
        if (ours[side] !== evaluatorGold[side]) problems.push(`grader's gold ${side} state differs from τ²'s evaluator's`);
    }
    if (want.error !== undefined) {
      // τ²'s evaluator raised (an assertion function failed); we must at least report an assertion we could not evaluate.
      if (!(section.envAssertions ?? []).some((a) => a.error !== undefined && !a.met))
        problems.push(`${kind}: τ² raised (${want.error}); ours graded ${JSON.stringify(asEntry(section))}`);
      continue;
    }
    const got = asEntry(section);
    for (const field of ['reward', 'db', 'env_assertions', 'actions', 'communicate', 'basis'] as const) {
      if (JSON.stringify(got[field] ?? null) !== JSON.stringify(want[field] ?? null))
        problems.push(`${kind}.${field}: ours ${JSON.stringify(got[field] ?? null)}, τ² ${JSON.stringify(want[field] ?? null)}`);
    }
  }
  return problems;
}

async function openDomain(spec: DomainUnderTest): Promise<{ domain: Domain; dump?: Dump; fallback?: boolean } | string> {
  const url = new URL(spec.module, import.meta.url);
  if (!existsSync(url)) return `${spec.module} does not exist yet`;
  const module = (await import(url.href)) as Record<string, unknown>;
  const domain = spec.open(module);
  const dump = typeof module.tau2DbDump === 'function' ? (module.tau2DbDump as Dump) : spec.fallbackDump;
  return { domain, dump, fallback: typeof module.tau2DbDump !== 'function' && spec.fallbackDump !== undefined };
}

for (const spec of DOMAINS) {
  test(`τ²-bench ${spec.fixture}: every task's states, gold outputs and rewards equal τ²'s own Python`, async (t: TestContext) => {
    const opened = await openDomain(spec);
    if (typeof opened === 'string') {
      t.skip(`τ² ${spec.fixture} domain not available: ${opened}`);
      return;
    }
    const { domain, dump, fallback } = opened;
    if (fallback) t.diagnostic(`${spec.module} exports no tau2DbDump(state, side): states dumped by this test's own ${spec.fixture} dump`);
    if (!dump) t.diagnostic(`${spec.module} exports no tau2DbDump(state, side): initial and gold state hashes not compared`);
    const fixture = readFixture(spec.fixture);
    const tasks = new Map(domain.tasks({ split: spec.split }).map((task) => [task.id, task]));
    const problems: string[] = [];
    const memo: Memo = { texts: new WeakMap(), hashes: new Map() };
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (const [id, expected] of Object.entries(fixture.tasks)) {
      const task = tasks.get(id);
      if (!task) {
        problems.push(`${id}: not among our ${spec.split} tasks`);
        continue;
      }
      if (task.expected.kind !== 'tau2') {
        problems.push(`${id}: expected.kind is ${task.expected.kind}, not tau2`);
        continue;
      }
      try {
        for (const problem of compareTask(domain, dump, task, expected, fixture.hashPrefix, memo)) problems.push(`${id}: ${problem}`);
      } catch (error) {
        problems.push(`${id}: threw ${(error as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
      }
    }
    const { user, system } = process.cpuUsage(cpu);
    t.diagnostic(
      `${Object.keys(fixture.tasks).length} tasks compared in ${Math.round(performance.now() - started)} ms (${Math.round((user + system) / 1000)} ms CPU)`,
    );
    const failedTasks = new Set(problems.map((p) => p.split(': ')[0]));
    assert.deepEqual(
      problems.slice(0, 40),
      [],
      `${failedTasks.size} of ${Object.keys(fixture.tasks).length} tasks differ from τ² (${problems.length} differences; first 40 shown)`,
    );
  });
}

test('τ²-bench retail: the tasks documented as data defects are exactly those whose gold writes fail in τ²’s own replay', async () => {
  const { createTau2RetailDomain, TAU2_RETAIL_UPSTREAM_DEFECTS } = await import('../tau-bench/index.ts');
  const domain = createTau2RetailDomain();
  const writes = new Set(domain.tools.filter((t) => t.kind === 'write').map((t) => t.name));
  const fixture = readFixture('retail');
  const failingWrites = domain
    .tasks({ split: 'base' })
    .filter(
      (task) =>
        task.expected.kind === 'tau2' && task.expected.actions.some((a, i) => writes.has(a.name) && fixture.tasks[task.id].gold.errors[i]),
    )
    .map((task) => task.id)
    .sort();
  assert.deepEqual(failingWrites, Object.keys(TAU2_RETAIL_UPSTREAM_DEFECTS).sort());
  const tagged = domain.tasks({ split: 'base' }).filter((t) => t.tags.includes('upstream-defect'));
  assert.deepEqual(tagged.map((t) => t.id).sort(), failingWrites);
});
