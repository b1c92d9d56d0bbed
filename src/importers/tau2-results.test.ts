import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { finalStateFrom, initialStateFor } from '../domains/initial-state.ts';
import { createDomain } from '../domains/registry.ts';
import { createTau2TelecomDomain } from '../domains/tau2-bench/telecom/index.ts';
import { gradeEpisode } from '../grading/grade.ts';
import { summariseRun } from '../report/run-summary.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { importTau2ResultsAsRun } from './tau2-import-run.ts';
import { GroundworkError } from '../errors.ts';
import { TERMINATION_REASONS } from '../schema/trajectory.ts';
import { readTau2Results, regradeTau2Results, TAU2_TERMINATION_REASONS, TERMINATION_FROM_TAU2, tau2DomainName } from './tau2-results.ts';

// Input handling needs no τ² output: these files are hand-made to be wrong in one place each.

const info = {
  git_commit: 'a2c0247',
  num_trials: 1,
  max_steps: 200,
  max_errors: 10,
  user_info: { implementation: 'user_simulator', llm: 'gpt-4.1' },
  agent_info: { implementation: 'llm_agent', llm: 'gpt-4.1-mini' },
  environment_info: { domain_name: 'retail', policy: '' },
};
const say = (role: 'user' | 'assistant', content: string) => ({ role, content });
const simulation = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  task_id: '0',
  trial: 0,
  start_time: '2026-01-01T00:00:00',
  end_time: '2026-01-01T00:01:00',
  duration: 60,
  termination_reason: 'user_stop',
  messages: [say('user', 'hi'), say('assistant', 'hello'), say('user', 'bye ###STOP###')],
  ...extra,
});
const tempDir = () => mkdtempSync(join(tmpdir(), 'gw-tau2-bad-'));

/** The one error line a bad file gives. */
function errorOf(fn: () => unknown): GroundworkError {
  try {
    fn();
  } catch (error) {
    assert.ok(GroundworkError.isInstance(error), `not a GroundworkError: ${String(error)}`);
    assert.equal(error.code === 'INVALID_ARGUMENT' || error.code === 'UNKNOWN_TASK' || error.code === 'UNKNOWN_DOMAIN', true, error.code);
    assert.doesNotMatch(error.message, /\n/);
    return error;
  }
  assert.fail('no error');
}

test('a bad single-file results.json gives one error naming the file, the record index and the field', () => {
  const dir = tempDir();
  const write = (name: string, value: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };
  const cases: [string, unknown, RegExp][] = [
    ['not-json.json', '{"info":', /not-json\.json: not valid JSON/],
    ['no-info.json', { tasks: [], simulations: [] }, /no-info\.json: field info: /],
    [
      'bad-domain-info.json',
      { info: { ...info, environment_info: {} }, tasks: [], simulations: [] },
      /field info\.environment_info\.domain_name/,
    ],
    ['no-sims.json', { info, tasks: [], simulations: [] }, /no simulations/],
    [
      'bad-termination.json',
      { info, tasks: [], simulations: [simulation('a'), simulation('b', { termination_reason: 'gave_up' })] },
      /bad-termination\.json: simulation 1: field termination_reason: /,
    ],
    [
      'bad-call.json',
      {
        info,
        tasks: [],
        simulations: [simulation('a', { messages: [say('user', 'hi'), { role: 'assistant', tool_calls: [{ id: 'c1', arguments: {} }] }] })],
      },
      /simulation 0: field messages\.1\.tool_calls\.0\.name: /,
    ],
    [
      'voice.json',
      { info, tasks: [], simulations: [simulation('a', { messages: null, ticks: [{}] })] },
      /simulation 0: field messages: a full-duplex/,
    ],
  ];
  for (const [name, value, expected] of cases) assert.match(errorOf(() => readTau2Results(write(name, value))).message, expected, name);
  assert.match(errorOf(() => readTau2Results(join(dir, 'absent.json'))).message, /absent\.json: no such file/);
});

test('the directory form is read in file-name order and checked against simulation_index', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'simulations'));
  writeFileSync(join(dir, 'simulations', 'b.json'), JSON.stringify(simulation('b', { trial: 1 })));
  writeFileSync(join(dir, 'simulations', 'a.json'), JSON.stringify(simulation('a')));
  const meta = (index: unknown) => writeFileSync(join(dir, 'results.json'), JSON.stringify({ info, tasks: [], simulation_index: index }));
  meta([{ id: 'a' }, { id: 'b' }]);
  const results = readTau2Results(dir);
  assert.equal(results.form, 'directory');
  assert.deepEqual(
    results.simulations.map((s) => s.id),
    ['a', 'b'],
  );
  // The same through the results.json beside simulations/, as τ²'s loader accepts.
  assert.equal(readTau2Results(join(dir, 'results.json')).form, 'directory');
  meta([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
  assert.match(errorOf(() => readTau2Results(dir)).message, /results\.json: simulation_index names 1 simulation\(s\) with no file .*: c/);
  meta([{ id: 'a' }]);
  assert.match(errorOf(() => readTau2Results(dir)).message, /holds 1 simulation file\(s\) not in simulation_index: b/);
  meta(null);
  writeFileSync(join(dir, 'simulations', 'c.json'), JSON.stringify(simulation('c', { trial: 'x' })));
  assert.match(errorOf(() => readTau2Results(dir)).message, /simulations\/c\.json: simulation 2: field trial: /);
});

test("the domain comes from τ²'s domain name; --domain must agree with it", () => {
  const of = (name: string) => ({ source: 'r.json', info: { ...info, environment_info: { domain_name: name } } });
  assert.equal(tau2DomainName(of('retail')), 'tau2-bench/retail');
  assert.equal(tau2DomainName(of('banking_knowledge')), 'tau2-bench/banking_knowledge');
  assert.equal(tau2DomainName(of('telecom'), 'tau2-bench/telecom'), 'tau2-bench/telecom');
  assert.match(errorOf(() => tau2DomainName(of('retail'), 'tau2-bench/telecom')).message, /results are of τ²'s retail/);
  assert.match(errorOf(() => tau2DomainName(of('airline'))).message, /no Groundwork domain for τ²'s "airline"/);
  assert.equal(tau2DomainName(of('airline'), 'tau2-bench/retail'), 'tau2-bench/retail');
});

test("every τ² termination maps to one of ours, and τ²'s ungraded ones to ungraded ones", () => {
  const graded = new Set(['user_stop', 'agent_stop']);
  for (const reason of TAU2_TERMINATION_REASONS) {
    const ours = TERMINATION_FROM_TAU2[reason];
    assert.ok(TERMINATION_REASONS.includes(ours), reason);
    assert.equal(graded.has(ours), graded.has(reason), reason);
  }
});

test('an unknown task or a repeated task and trial is refused before anything is graded', () => {
  const domain = createDomain('tau2-bench/retail');
  const base = {
    source: 'r.json',
    form: 'file' as const,
    info: { ...info, environment_info: { domain_name: 'retail' } },
    tasks: new Map(),
  };
  const parse = (sims: unknown[]) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'r.json'), JSON.stringify({ info, tasks: [], simulations: sims }));
    return { ...readTau2Results(join(dir, 'r.json')), source: 'r.json' };
  };
  assert.match(
    errorOf(() => regradeTau2Results({ ...base, ...parse([simulation('a', { task_id: 'no-such-task' })]) }, { domain })).message,
    /r\.json: simulation 0 \(a\): field task_id: tau2-bench\/retail has no task "no-such-task"/,
  );
  assert.match(
    errorOf(() => regradeTau2Results({ ...base, ...parse([simulation('a'), simulation('b')]) }, { domain })).message,
    /simulation 1 \(b\): field trial: a second simulation of task 0 trial 0/,
  );
});

// Results files written by τ²'s own runner (test/fixtures/tau2-results/README.md says how).
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/tau2-results/', import.meta.url));

test("τ²'s own mock results (both forms) re-grade with τ²'s reward on every record, check by check", () => {
  const domain = createDomain('tau2-bench/mock');
  const file = regradeTau2Results(readTau2Results(join(FIXTURES, 'mock.json')), { domain });
  const dir = regradeTau2Results(readTau2Results(join(FIXTURES, 'mock-dir')), { domain });
  for (const { summary, episodes } of [file, dir]) {
    assert.equal(summary.records, 20);
    // No mock task needs a judge; every recomputed reward and component equals τ²'s.
    assert.equal(summary.noJudgeNeeded, 20);
    assert.equal(summary.agreement, 20);
    assert.deepEqual(summary.disagreements, []);
    assert.deepEqual(summary.componentDisagreements, { db: 0, envAssertions: 0, actions: 0, communicate: 0 });
    // Our tools answered every recorded call exactly as τ²'s did, user-side calls included.
    assert.equal(summary.toolOutputMismatches, 0);
    assert.equal(summary.tasksDifferingFromDomain, 0);
    assert.equal(episodes.filter((e) => e.reward === 1).length, episodes.filter((e) => e.recorded?.reward === 1).length);
  }
  // The directory form holds the same simulations (read in file-name order).
  const byId = (episodes: typeof file.episodes) => Object.fromEntries(episodes.map((e) => [e.simulationId, [e.taskId, e.trial, e.reward]]));
  assert.deepEqual(byId(dir.episodes), byId(file.episodes));

  // The user-side assertion (the notification stays unread: nobody read it) fails as in τ².
  const userSide = file.episodes.find((e) => e.taskId === 'update_task_with_user_tools' && e.trial === 0)!;
  assert.deepEqual(userSide.recorded?.envAssertions, [false]);
  assert.deepEqual(
    userSide.outcome.tau2?.envAssertions?.map((a) => [a.side, a.met]),
    [['user', false]],
  );
  // The task's message history is in the trajectory but ran once, as initialisation.
  const history = file.episodes.find((e) => e.taskId === 'update_task_with_message_history' && e.trial === 0)!;
  assert.ok(history.trajectory.events.some((e) => e.type === 'note' && /already run as initialisation/.test(e.content)));
  assert.equal(history.comparison.db, true);
});

test('an imported τ² run stores one episode per simulation; bad input stores nothing', async () => {
  const store = SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'gw-tau2-import-')), 'g.db'));
  try {
    const domain = createDomain('tau2-bench/mock');
    const results = readTau2Results(join(FIXTURES, 'mock.json'));
    const bad = { ...results, simulations: [...results.simulations, { ...results.simulations[0]!, id: 'x', task_id: 'no-such-task' }] };
    await assert.rejects(
      importTau2ResultsAsRun(bad, { store, domain, agent: 'imported:a', user: 'imported:u' }),
      /simulation 20 \(x\): field task_id/,
    );
    assert.deepEqual(await store.listRuns(), []);

    const imported = await importTau2ResultsAsRun(results, {
      store,
      domain,
      agent: 'imported:a',
      user: 'imported:u',
      now: () => new Date('2026-01-02T03:04:05Z'),
    });
    assert.equal(imported.missing, 0);
    const run = (await store.getRun(imported.runId))!;
    assert.equal(run.status, 'finished');
    assert.equal(run.config.trials, 2);
    const summary = await summariseRun(store, run);
    assert.equal(summary.episodes, 20);
    assert.equal(summary.tau2?.imported?.agreement, 20);
    assert.equal(summary.tau2?.imported?.noJudgeNeeded, 20);
    assert.equal(summary.tau2?.pending.episodes, 0);
    assert.ok(summary.notes.some((n) => n.startsWith('τ² reward')));
    // The stored outcome re-grades from stored data alone to the same τ² reward.
    for await (const episode of store.iterateEpisodes(imported.runId)) {
      const task = (await store.runTasks(imported.runId)).find((t) => t.id === episode.taskId)!;
      const initial = initialStateFor(domain, task);
      const regraded = gradeEpisode({
        domain,
        task,
        initialState: initial,
        finalState: finalStateFrom(initial, episode.trajectory.finalChanges),
        trajectory: episode.trajectory,
      });
      assert.equal(regraded.tau2?.reward, episode.outcome.tau2?.reward, episode.taskId);
    }
  } finally {
    await store.close();
  }
});

test("τ²'s own retail results: no-judge records agree; NL-judged ones use τ²'s recorded verdicts and say so", () => {
  const domain = createDomain('tau2-bench/retail');
  for (const source of ['retail.json', 'retail-dir']) {
    const { summary, episodes } = regradeTau2Results(readTau2Results(join(FIXTURES, source)), { domain });
    assert.equal(summary.records, 10, source);
    assert.equal(summary.noJudgeNeeded, 8, source);
    assert.equal(summary.agreement, 8, source);
    assert.equal(summary.judgedByTau2, 2, source);
    assert.equal(summary.judgedByTau2Agreement, 2, source);
    assert.equal(summary.pending, 0, source);
    assert.equal(summary.toolOutputMismatches, 0, source);
    for (const e of episodes.filter((x) => x.judgedBy === 'tau2-recorded')) {
      // Judged by τ² means: its basis needs the NL verdicts, the rest passed, and the verdicts are τ²'s.
      assert.ok(e.outcome.tau2?.basis.includes('NL_ASSERTION'));
      assert.ok(e.outcome.tau2?.nlAssertions?.every((a) => a.judgement?.judge === 'τ² (recorded)'));
      assert.equal((e.trajectory.participants.import as { judgedBy: string }).judgedBy, 'tau2-recorded');
    }
  }
  // Without τ²'s verdicts the same records stay pending: never counted as passed.
  const results = readTau2Results(join(FIXTURES, 'retail.json'));
  const stripped = {
    ...results,
    simulations: results.simulations.map((s) => (s.reward_info ? { ...s, reward_info: { ...s.reward_info, nl_assertions: null } } : s)),
  };
  const pending = regradeTau2Results(stripped, { domain });
  assert.equal(pending.summary.pending, 2);
  assert.ok(pending.episodes.filter((e) => e.judgedBy === 'pending').every((e) => e.reward === null && e.outcome.reward === 0));
});

test("τ²'s own telecom results: both sides' tool calls replay to τ²'s reward; a max_steps record scores 0 unchecked", () => {
  const domain = createTau2TelecomDomain({});
  for (const source of ['telecom.json', 'telecom-dir']) {
    const { summary, episodes } = regradeTau2Results(readTau2Results(join(FIXTURES, source)), { domain });
    assert.equal(summary.records, 8, source);
    assert.equal(summary.agreement, 8, source);
    assert.equal(summary.noJudgeNeeded, 8, source);
    assert.deepEqual(summary.componentDisagreements, { db: 0, envAssertions: 0, actions: 0, communicate: 0 });
    // Every output of the user's phone and the agent's tools equals the one τ² recorded.
    assert.equal(summary.toolOutputMismatches, 0, source);
    const userCalls = episodes.flatMap((e) => e.trajectory.events.filter((x) => x.type === 'tool_call' && x.actor === 'user'));
    assert.ok(userCalls.length >= 8, `${userCalls.length} user-side calls`);
  }
  const [cut] = regradeTau2Results(readTau2Results(join(FIXTURES, 'telecom-max-steps.json')), { domain }).episodes;
  assert.equal(cut!.trajectory.termination.reason, 'max_steps');
  assert.equal(cut!.outcome.tau2?.premature, 'max_steps');
  assert.equal(cut!.comparison.reward, true);
  assert.equal(cut!.outcome.tau2?.db, null);
});

test('a run whose τ² rewards await a judge says so in its summary and counts them as failed', async () => {
  const store = SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'gw-tau2-pending-')), 'g.db'));
  try {
    const results = readTau2Results(join(FIXTURES, 'retail.json'));
    const stripped = {
      ...results,
      simulations: results.simulations.map((s) => (s.reward_info ? { ...s, reward_info: { ...s.reward_info, nl_assertions: null } } : s)),
    };
    const { runId } = await importTau2ResultsAsRun(stripped, {
      store,
      domain: createDomain('tau2-bench/retail'),
      agent: 'imported:a',
      user: 'imported:u',
    });
    const summary = await summariseRun(store, (await store.getRun(runId))!);
    assert.deepEqual(summary.tau2?.pending, { episodes: 2, tasks: 1 });
    assert.equal(summary.tau2?.passed, 4);
    assert.equal(summary.agents['imported:a']?.meanReward, 0.4);
    assert.ok(summary.notes.some((n) => /^τ² reward incomplete: 2 episode\(s\) of 1 task\(s\) await an NL-assertion judge/.test(n)));
  } finally {
    await store.close();
  }
});
