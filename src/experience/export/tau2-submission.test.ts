import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { createDomainRegistry } from '../../domains/registry.ts';
import { createTau2TelecomDomain } from '../../domains/tau2-bench/telecom/index.ts';
import { importTau2ResultsAsRun } from '../../importers/tau2-import-run.ts';
import { readTau2Results, tau2ParticipantNames } from '../../importers/tau2-results.ts';
import { createRun, executeRun } from '../../runner/local-runner.ts';
import { SqliteStore } from '../../store/sqlite-store.ts';
import { benchmarksDir } from '../../domains/tau-bench/data.ts';
import { readTau2TaskRecords, tau2CriteriaOf } from '../../domains/tau2-bench/task-format.ts';
import {
  buildTau2Submission,
  pairwiseSum,
  type SubmissionEpisode,
  tau2ActionCount,
  tau2DomainMetrics,
  tau2SubmissionSchema,
} from './tau2-submission.ts';

// Reference values were produced by running numpy 2.4.6 and τ²'s own
// `tau2.scripts.leaderboard.prepare_submission.get_metrics` (sierra-research/tau2-bench a2c0247, with
// the pandas 2.3.3 of τ²'s uv.lock) on inputs built by the same formulas as below.

test("pairwiseSum adds as numpy's add.reduce does, bit for bit", () => {
  // np.sum(np.array([((i * 7919) % 1000) / 997 for i in range(n)])) for each n.
  const numpy: Record<number, number> = {
    1: 0,
    7: 4.311935807422266,
    8: 4.746238716148445,
    9: 5.099297893681043,
    17: 9.011033099297894,
    100: 49.19759277833499,
    128: 63.8234704112337,
    129: 64.45737211634905,
    300: 150.60180541624874,
    1000: 501.00300902708125,
    5000: 2505.015045135406,
  };
  let naiveDiffers = 0;
  for (const [n, expected] of Object.entries(numpy)) {
    const values = Array.from({ length: Number(n) }, (_, i) => ((i * 7919) % 1000) / 997);
    assert.equal(pairwiseSum(values), expected, `n = ${n}`);
    if (values.reduce((a, b) => a + b, 0) !== expected) naiveDiffers++;
  }
  // The order matters: a left-to-right sum misses most of them.
  assert.ok(naiveDiffers >= 8, `${naiveDiffers}`);
});

/** τ²'s retail tasks (tasks.json order) and their gold-action counts. */
const retail = readTau2TaskRecords(join(benchmarksDir(), 'tau2-bench', 'retail', 'tasks.json'));
const actionCounts = new Map(retail.map((r) => [r.id, tau2ActionCount({ expected: tau2CriteriaOf(r) })]));

/** 114 tasks × 4 trials; variant 1 adds infrastructure errors (τ² leaves them out, capping k at 3). */
function synthetic(variant: number): SubmissionEpisode[] {
  return retail.flatMap((task, t) =>
    [0, 1, 2, 3].map((trial) => ({
      taskId: task.id,
      success: (t * 7 + trial * 3 + variant) % 5 < 3,
      infraError: variant === 1 && t % 17 === 0 && trial === 2,
      agentCost: (t + trial) % 9 === 0 ? null : Math.round(1e6 * 0.001 * ((t * 13 + trial * 5) % 97)) / 1e6,
    })),
  );
}

test("pass^1..4 and cost per domain equal τ²'s get_metrics (retail, 114 tasks × 4 trials)", () => {
  const tau2 = [
    { pass_1: 60.08771929824561, pass_2: 30.11695906432748, pass_3: 10.087719298245613, pass_4: 0, cost: 0.047850122850122856 },
    { pass_1: 59.86842105263158, pass_2: 29.97076023391812, pass_3: 10.307017543859649, pass_4: null, cost: 0.04786284289276809 },
  ];
  for (const variant of [0, 1]) {
    const metrics = tau2DomainMetrics(synthetic(variant), 4, (id) => actionCounts.get(id) ?? 0);
    // τ² sorts tasks by action count with numpy's unstable quicksort before the mean, so the order
    // of tied tasks (and with it the last bit of a mean of inexact values) depends on numpy's sort
    // implementation; we sort stably. Equal up to a few ulps; variant 0 happens to be bit-exact.
    for (const [key, expected] of Object.entries(tau2[variant]!)) {
      const actual = metrics.results[key as keyof typeof metrics.results] as number | null;
      if (expected === null || actual === null) assert.equal(actual, expected, `variant ${variant} ${key}`);
      else
        assert.ok(
          Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
          `variant ${variant} ${key}: ${actual} vs ${expected}`,
        );
    }
    if (variant === 0) assert.deepEqual(metrics.results, tau2[0]);
    assert.equal(metrics.tasks, 114);
    assert.equal(metrics.excludedInfraErrors, variant === 1 ? 7 : 0);
  }
  // A task with fewer trials than the run's caps k for the whole domain, as τ² does.
  const short = synthetic(0).filter((e) => !(e.taskId === '3' && e.success === false));
  assert.equal(tau2DomainMetrics(short, 4, () => 0).results.pass_4 === null, true);
});

test('pending rewards count as failures in the metrics (the export refuses them unless allowed)', () => {
  const episodes: SubmissionEpisode[] = [
    { taskId: 'a', success: true, infraError: false, agentCost: 1 },
    { taskId: 'a', success: null, infraError: false, agentCost: 3 },
  ];
  assert.deepEqual(tau2DomainMetrics(episodes, 2, () => 0).results, { pass_1: 50, pass_2: 0, pass_3: null, pass_4: null, cost: 2 });
});

test("our submission schema keeps τ²'s constraints: closed objects, percentages, dates, the four domains", () => {
  const valid = {
    model_name: 'm',
    model_organization: 'o',
    submitting_organization: 'o',
    submission_date: '2026-01-02',
    contact_info: { email: 'a@b.c' },
    results: { retail: { pass_1: 50, pass_2: null, cost: 0.1 }, banking_knowledge: { pass_1: 10, retrieval_config: 'bm25' } },
  };
  assert.equal(tau2SubmissionSchema.safeParse(valid).success, true);
  const invalid: [string, unknown][] = [
    ['unknown key in a domain result', { ...valid, results: { retail: { pass_1: 1, pass_5: 1 } } }],
    ['unknown key in contact_info', { ...valid, contact_info: { phone: '1' } }],
    ['unknown domain', { ...valid, results: { mock: { pass_1: 1 } } }],
    ['percentage over 100', { ...valid, results: { retail: { pass_1: 100.5 } } }],
    ['negative cost', { ...valid, results: { retail: { cost: -1 } } }],
    ['date format', { ...valid, submission_date: '02/01/2026' }],
    ['missing contact_info', { ...valid, contact_info: undefined }],
    ['submission type', { ...valid, submission_type: 'other' }],
    ['announcement without release date', { ...valid, model_release: { announcement_url: 'https://x' } }],
  ];
  for (const [why, value] of invalid) assert.equal(tau2SubmissionSchema.safeParse(value).success, false, why);
});

/** τ²'s published submission schema and text submissions, from a τ² checkout (CI has none: those checks skip). */
function tau2Checkout(): { schema: object; submissions: { name: string; value: unknown }[] } | undefined {
  const gitDir = process.env.TAU2_BENCH_GIT_DIR ?? '/work/.mirror/sierra-research+tau2-bench/repo';
  if (!existsSync(gitDir)) return undefined;
  const git = (...args: string[]) => execFileSync('git', [`--git-dir=${gitDir}`, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const dir = 'web/leaderboard/public/submissions';
  const submissions = git('ls-tree', '-r', '--name-only', 'HEAD', dir)
    .split('\n')
    .filter((path) => path.endsWith('/submission.json'))
    .map((path) => ({ name: path, value: JSON.parse(git('show', `HEAD:${path}`)) as unknown }));
  return { schema: JSON.parse(git('show', `HEAD:${dir}/schema.json`)) as object, submissions };
}
const checkout = tau2Checkout();
const NO_CHECKOUT = checkout ? false : 'no τ² checkout (set TAU2_BENCH_GIT_DIR to a clone of sierra-research/tau2-bench)';

/** τ²'s JSON Schema compiled with ajv (draft-07; `format: date` as τ²'s pydantic reads it). */
function tau2Validator(schema: object) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  return ajv.compile(schema);
}

test("our schema accepts and rejects τ²'s published text submissions exactly as τ²'s JSON Schema does", { skip: NO_CHECKOUT }, () => {
  const validate = tau2Validator(checkout!.schema);
  const text = checkout!.submissions.filter((s) => (s.value as { modality?: string }).modality !== 'voice');
  assert.ok(text.length >= 20, `${text.length} text submissions`);
  // Each published file, and copies of it broken in one place each: both schemas must agree on all.
  const broken = (value: Record<string, unknown>): Record<string, unknown>[] => {
    const results = value.results as Record<string, Record<string, unknown> | null>;
    const domain = Object.keys(results).find((d) => results[d]);
    return [
      { ...value, results: { ...results, [domain!]: { ...results[domain!], pass_1: 100.01 } } },
      { ...value, results: { ...results, [domain!]: { ...results[domain!], cost: -0.5 } } },
      { ...value, results: { ...results, voice: {} } },
      { ...value, submission_date: 'yesterday' },
      { ...value, contact_info: { ...(value.contact_info as object), phone: '1' } },
      { ...value, submission_type: 'hybrid' },
      Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'model_organization')),
    ];
  };
  let compared = 0;
  for (const { name, value } of text) {
    for (const [i, candidate] of [value as Record<string, unknown>, ...broken(value as Record<string, unknown>)].entries()) {
      const theirs = validate(candidate);
      assert.equal(theirs, i === 0, `${name} #${i}: τ²'s schema says ${theirs}`);
      assert.equal(tau2SubmissionSchema.safeParse(candidate).success, theirs, `${name} #${i}: τ²'s schema says ${theirs}`);
      compared++;
    }
  }
  assert.ok(compared >= 160, `${compared}`);
});

test("a run exported as a submission validates against τ²'s published schema; mock and pending rewards are refused", async () => {
  const store = SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'gw-tau2-sub-')), 'g.db'));
  try {
    const { runId } = await createRun(store, {
      domain: 'tau2-bench/retail',
      split: 'base',
      tasks: { count: 3 },
      agents: ['oracle'],
      trials: 2,
    });
    await executeRun(runId, { store });
    await assert.rejects(buildTau2Submission(store, [runId], { allowPending: true }), /names the organization/);
    // The oracle's rewards on NL-assertion tasks await a judge here: refused unless counted as failures.
    await assert.rejects(buildTau2Submission(store, [runId], { modelOrganization: 'G' }), /awaiting a judge/);
    const { submission, domains } = await buildTau2Submission(store, [runId], {
      allowPending: true,
      modelName: 'oracle',
      modelOrganization: 'Groundwork',
      contactEmail: 'a@b.c',
      now: () => new Date('2026-03-04T05:06:07Z'),
    });
    assert.equal(submission.submission_date, '2026-03-04');
    // A Groundwork run is not τ²'s scaffold: custom, with Groundwork's prompts, and 3 of 114 tasks.
    assert.equal(submission.submission_type, 'custom');
    assert.equal(submission.methodology?.verification?.modified_prompts, true);
    assert.equal(submission.methodology?.verification?.omitted_questions, true);
    assert.deepEqual(Object.keys(submission.results), ['retail']);
    assert.equal(submission.results.retail?.pass_3, null);
    assert.equal(domains.retail?.tasks, 3);
    if (checkout) {
      const validate = tau2Validator(checkout.schema);
      assert.ok(validate(JSON.parse(JSON.stringify(submission))), JSON.stringify(validate.errors));
      // The validator does reject: a domain τ² does not list.
      assert.equal(validate({ ...submission, results: { mock: {} } }), false);
    }
    const mock = await createRun(store, { domain: 'tau2-bench/mock', tasks: { count: 1 }, agents: ['oracle'], trials: 1 });
    await executeRun(mock.runId, { store });
    await assert.rejects(
      buildTau2Submission(store, [mock.runId], { modelOrganization: 'G' }),
      /reports retail, airline, telecom, banking_knowledge only/,
    );
  } finally {
    await store.close();
  }
});

test("τ²'s own retail and telecom results, imported, export as τ²'s `submit prepare` computes them", async () => {
  const fixtures = fileURLToPath(new URL('../../../test/fixtures/tau2-results/', import.meta.url));
  // Telecom is a built-in domain once registered; until then this test registers it.
  const builtIn = createDomainRegistry();
  const domains = builtIn.names().includes('tau2-bench/telecom')
    ? builtIn
    : builtIn.register('tau2-bench/telecom', createTau2TelecomDomain);
  const store = SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'gw-tau2-sub-')), 'g.db'));
  try {
    const runIds: string[] = [];
    for (const [file, name] of [
      ['retail.json', 'tau2-bench/retail'],
      ['telecom.json', 'tau2-bench/telecom'],
    ] as const) {
      const results = readTau2Results(join(fixtures, file));
      const { agent, user } = tau2ParticipantNames(results);
      runIds.push((await importTau2ResultsAsRun(results, { store, domain: domains.create(name), agent, user })).runId);
    }
    const { submission } = await buildTau2Submission(store, runIds, { modelOrganization: 'Scripted', domains });
    // τ²'s get_metrics on the same files (pass^k up to the 2 trials; every recorded agent cost is 0.0).
    const tau2 = { pass_1: 50, pass_2: 0, pass_3: null, pass_4: null, cost: 0 };
    assert.deepEqual(submission.results, { retail: tau2, telecom: tau2 });
    assert.equal(submission.model_name, 'openai/gw-agent');
    assert.equal(submission.methodology?.user_simulator, 'openai/gw-user');
    assert.equal(submission.submission_type, 'standard');
    assert.equal(submission.methodology?.verification?.omitted_questions, true);
    if (checkout) {
      const validate = tau2Validator(checkout.schema);
      assert.ok(validate(JSON.parse(JSON.stringify(submission))), JSON.stringify(validate.errors));
    }
    await assert.rejects(buildTau2Submission(store, [runIds[0]!, runIds[0]!], { modelOrganization: 'S', domains }), /two runs of retail/);
  } finally {
    await store.close();
  }
});
