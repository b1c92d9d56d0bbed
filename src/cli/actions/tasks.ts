import { createOracleAgent, createNoopAgent } from '../../agents/oracle.ts';
import type { createDomain } from '../../domains/registry.ts';
import { domainFor, selectTasks, withProbeDomainOptions } from '../../runner/local-runner.ts';
import { runConfigSchema } from '../../schema/run-config.ts';
import { lintTasksStatic, TASK_LINT_WARNINGS } from '../../audits/task-lint.ts';
import { initialStateFor } from '../../domains/initial-state.ts';
import { runEpisode } from '../../episode/orchestrator.ts';
import { gradeEpisode } from '../../grading/grade.ts';
import { mutationCheck, type MutationReport } from '../../grading/mutation-check.ts';
import { describeActual, describePredicate } from '../../grading/predicate-text.ts';
import type { Outcome } from '../../schema/outcome.ts';
import { type Task, UPSTREAM_DEFECT_TAG } from '../../schema/task.ts';
import { createScriptedUser } from '../../users/scripted.ts';
import { checkProbePack, parseTaskSelection, printJson } from '../context.ts';
import { table } from '../format.ts';

/** One problem found by the task lint. */
export interface LintProblem {
  taskId: string;
  family: string;
  /** oracle_fails / noop_succeeds from episodes; the static kinds from `lintTaskStatic` (src/audits/task-lint.ts). */
  kind:
    | 'oracle_fails'
    /** τ² tasks: the oracle's reward awaits an NL-assertion judge (every other component passed). A warning. */
    | 'oracle_pending_judge'
    | 'noop_succeeds'
    | 'gold_action_fails'
    | 'gold_read_fails'
    | 'fact_not_in_data'
    | 'no_change_unmarked'
    | 'no_change_mismatch';
  detail: string;
}

export interface DomainSelection {
  domain: string;
  split?: string;
  tasks?: string;
  domainSeed?: number;
  data?: string;
  taskFile?: string;
  domainVariant?: string;
  json?: boolean;
  mutations?: boolean;
  /** A probe pack: its variants of the selected base scenarios instead of the tasks. */
  probes?: string;
}

function loadTasks(options: DomainSelection) {
  const config = runConfigSchema.parse({
    domain: options.domain,
    domainOptions: {
      ...(options.domainSeed !== undefined ? { seed: options.domainSeed } : {}),
      ...(options.data ? { dataDir: options.data } : {}),
      ...(options.taskFile ? { tasksFile: options.taskFile } : {}),
      ...(options.domainVariant ? { variant: options.domainVariant } : {}),
    },
    ...(options.split ? { split: options.split } : {}),
    tasks: parseTaskSelection(options.tasks),
    // With --probes: the pack's variants, its domain options (honeypots) and variant ids, as a probe run selects them.
    ...(options.probes ? { probes: { pack: checkProbePack(options.probes) } } : {}),
    agents: ['oracle'],
  });
  const withPack = withProbeDomainOptions(config);
  const domain = domainFor(withPack);
  const split = options.split ?? domain.defaultSplit;
  return { domain, split, tasks: selectTasks(domain, { ...withPack, split }) };
}

function whyFailed(outcome: Outcome, termination: string): string {
  const reasons: string[] = [];
  const missing = outcome.state.predicates
    .filter((p) => !p.pass)
    .map((p) => `${describePredicate(p.predicate)} (actual: ${describeActual(p)})`);
  if (missing.length) reasons.push(`required not met: ${missing.join('; ')}`);
  if (!outcome.collateral.pass)
    reasons.push(`collateral: ${outcome.collateral.changes.map((c) => `${c.table}/${c.key}${c.path ? `.${c.path}` : ''}`).join(', ')}`);
  const untold = outcome.communication.items.filter((i) => !i.pass).map((i) => i.id);
  if (untold.length) reasons.push(`not told: ${untold.join(', ')}`);
  reasons.push(`termination ${termination}`);
  return reasons.join(' | ');
}

/**
 * Lint tasks: the oracle must pass each, noop must fail each task that requires a change, and the
 * static checks of `lintTaskStatic` hold (warnings — failing gold reads, unmarked no-change — are listed, not fatal).
 */
export async function lintTasks(domain: ReturnType<typeof createDomain>, tasks: readonly Task[], seed = 1): Promise<LintProblem[]> {
  const problems: LintProblem[] = [];
  const user = createScriptedUser();
  for (const task of tasks) {
    for (const agent of [createOracleAgent(), createNoopAgent()]) {
      const result = await runEpisode({ domain, task, agent, user, episodeId: `lint-${task.id}-${agent.name}`, trial: 0, seed });
      const outcome = gradeEpisode({
        domain,
        task,
        initialState: result.initialState,
        finalState: result.finalState,
        trajectory: result.trajectory,
      });
      if (agent.name === 'oracle' && outcome.tau2?.reward === null)
        problems.push({
          taskId: task.id,
          family: task.family,
          kind: 'oracle_pending_judge',
          detail: `every other component passed; ${outcome.tau2.pending.join(', ')} needs a judge (groundwork regrade RUN --judge MODEL on a run)`,
        });
      else if (agent.name === 'oracle' && outcome.reward !== 1)
        problems.push({
          taskId: task.id,
          family: task.family,
          kind: 'oracle_fails',
          detail: whyFailed(outcome, result.trajectory.termination.reason),
        });
      if (agent.name === 'noop' && outcome.reward === 1 && !task.noChange)
        problems.push({
          taskId: task.id,
          family: task.family,
          kind: 'noop_succeeds',
          detail: 'a do-nothing agent passes a task that requires a change: its expected outcome is too weak',
        });
    }
  }
  // Static checks: gold actions reference entities that exist, known facts agree with the data, no-change tasks are marked.
  const families = new Map(tasks.map((t) => [t.id, t.family]));
  for (const p of lintTasksStatic(domain, tasks, (task) => initialStateFor(domain, task)))
    problems.push({ ...p, family: families.get(p.taskId) ?? '', kind: p.kind as LintProblem['kind'] });
  return problems;
}

/** What the problem count includes: documented data defects and judge-pending rewards, which do not fail the lint. */
function lintNotes(problems: readonly LintProblem[], tasks: readonly Task[]): string {
  const defects = new Set(tasks.filter((t) => t.tags.includes(UPSTREAM_DEFECT_TAG)).map((t) => t.id));
  const documented = new Set(problems.filter((p) => defects.has(p.taskId)).map((p) => p.taskId)).size;
  const pending = problems.filter((p) => p.kind === 'oracle_pending_judge').length;
  const notes = [
    ...(documented ? [`${documented} task(s) are documented defects of the published data (tag ${UPSTREAM_DEFECT_TAG})`] : []),
    ...(pending ? [`${pending} oracle reward(s) await an NL-assertion judge (not failures)`] : []),
  ];
  return notes.length ? `; ${notes.join('; ')}` : '';
}

/** `groundwork tasks list`: the tasks of a split. */
export async function tasksListAction(options: DomainSelection): Promise<void> {
  const { domain, split, tasks: list } = loadTasks(options);
  if (options.json) {
    printJson({
      domain: domain.name,
      split,
      tasks: list.map((t) => ({
        id: t.id,
        family: t.family,
        split: t.split,
        tags: t.tags,
        noChange: t.noChange,
        opening: t.user.openings[0],
      })),
    });
    return;
  }
  process.stdout.write(
    `${table(
      ['task', 'family', 'no change', 'request'],
      list.map((t) => [t.id, t.family, t.noChange ? 'yes' : '', t.user.openings[0].slice(0, 90)]),
    )}\n`,
  );
}

/** `groundwork tasks lint`: oracle and noop on each task, the static checks and, with --mutations, the mutation check. */
export async function tasksLintAction(options: DomainSelection): Promise<void> {
  const { domain, split, tasks: list } = loadTasks(options);
  const problems = await lintTasks(domain, list);
  const started = performance.now();
  const mutations = options.mutations ? mutationCheck(domain, list) : undefined;
  const seconds = (performance.now() - started) / 1000;
  if (options.json) {
    printJson({
      domain: domain.name,
      split,
      tasks: list.length,
      problems,
      ...(mutations ? { mutations: { ...mutations, seconds: Number(seconds.toFixed(2)) } } : {}),
    });
  } else if (problems.length === 0) {
    process.stdout.write(
      `${list.length} tasks of ${domain.name}/${split}: no problems (oracle passes every task; noop passes none that requires a change)\n`,
    );
  } else {
    process.stdout.write(
      `${table(
        ['task', 'family', 'problem', 'detail'],
        problems.map((p) => [p.taskId, p.family, p.kind, p.detail]),
      )}\n\n${problems.length} problem(s) in ${list.length} tasks${lintNotes(problems, list)}\n`,
    );
  }
  if (mutations && !options.json) process.stdout.write(`\n${formatMutationReport(mutations, split, seconds)}\n`);
  // A problem of a task the domain documents as a defect of the published data does not fail the lint.
  const documented = new Set(list.filter((t) => t.tags.includes(UPSTREAM_DEFECT_TAG)).map((t) => t.id));
  if (problems.some((p) => !TASK_LINT_WARNINGS.has(p.kind) && p.kind !== 'oracle_pending_judge' && !documented.has(p.taskId)))
    process.exitCode = 1;
  // Any mutation graded otherwise than its expected outcome implies is a grade that cannot be trusted.
  if (mutations && (mutations.disagreements.length > 0 || mutations.baselineFailures.length > 0)) process.exitCode = 1;
}

const percent = (score: number) => `${(100 * score).toFixed(1)}%`;

/** The mutation check as text: a row per family and per kind of mutation, then what disagreed. */
export function formatMutationReport(report: MutationReport, split: string, seconds: number, shown = 40): string {
  const rows = (groups: MutationReport['byFamily']) =>
    Object.entries(groups).map(([name, t]) => [name, String(t.total), String(t.impliedPass), String(t.agreeing), percent(t.score)]);
  const lines = [
    `Mutation check of ${report.domain}/${split}: ${report.agreeing}/${report.total} mutations graded as the expected outcome implies (${percent(report.score)}), ${report.tasks} tasks, ${seconds.toFixed(1)} s`,
    '',
    table(['family', 'mutations', 'must pass', 'agreeing', 'score'], rows(report.byFamily)),
    '',
    table(['mutation kind', 'mutations', 'must pass', 'agreeing', 'score'], rows(report.byKind)),
  ];
  if (report.baselineFailures.length > 0)
    lines.push(
      '',
      table(
        ['task', 'family', 'reference end state'],
        report.baselineFailures.map((b) => [b.taskId, b.family, b.detail]),
      ),
    );
  if (report.disagreements.length > 0) {
    lines.push(
      '',
      table(
        ['task', 'family', 'mutation', 'expected', 'got'],
        report.disagreements.slice(0, shown).map((d) => [d.taskId, d.family, d.mutation, String(d.expected), String(d.got)]),
      ),
    );
    if (report.disagreements.length > shown) lines.push(`… and ${report.disagreements.length - shown} more (--json lists all)`);
  }
  return lines.join('\n');
}
