import type { Command } from 'commander';
import { createOracleAgent, createNoopAgent } from '../../agents/oracle.ts';
import { createDomain } from '../../domains/registry.ts';
import { lintTasksStatic, TASK_LINT_WARNINGS } from '../../audits/task-lint.ts';
import { initialStateFor } from '../../domains/initial-state.ts';
import { runEpisode } from '../../episode/orchestrator.ts';
import { gradeEpisode } from '../../grading/grade.ts';
import type { Outcome } from '../../schema/outcome.ts';
import type { Task } from '../../schema/task.ts';
import { createScriptedUser } from '../../users/scripted.ts';
import { integer, parseTaskSelection, printJson } from '../context.ts';
import { table } from '../format.ts';

/** One problem found by the task lint. */
export interface LintProblem {
  taskId: string;
  family: string;
  /** oracle_fails / noop_succeeds from episodes; the static kinds from `lintTaskStatic` (src/audits/task-lint.ts). */
  kind: 'oracle_fails' | 'noop_succeeds' | 'gold_action_fails' | 'gold_read_fails' | 'fact_not_in_data' | 'no_change_unmarked' | 'no_change_mismatch';
  detail: string;
}

interface DomainSelection {
  domain: string;
  split?: string;
  tasks?: string;
  domainSeed?: number;
  data?: string;
  taskFile?: string;
  json?: boolean;
}

function loadTasks(options: DomainSelection) {
  const domain = createDomain(options.domain, { ...(options.domainSeed !== undefined ? { seed: options.domainSeed } : {}), ...(options.data ? { dataDir: options.data } : {}), ...(options.taskFile ? { tasksFile: options.taskFile } : {}) });
  const split = options.split ?? domain.defaultSplit;
  return { domain, split, tasks: domain.tasks({ split, ...parseTaskSelection(options.tasks) }) };
}

function whyFailed(outcome: Outcome, termination: string): string {
  const reasons: string[] = [];
  const missing = outcome.state.predicates.filter((p) => !p.pass).map((p) => p.predicate.description ?? JSON.stringify(p.predicate));
  if (missing.length) reasons.push(`required not met: ${missing.join('; ')}`);
  if (!outcome.collateral.pass) reasons.push(`collateral: ${outcome.collateral.changes.map((c) => `${c.table}/${c.key}${c.path ? `.${c.path}` : ''}`).join(', ')}`);
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
      const outcome = gradeEpisode({ domain, task, initialState: result.initialState, finalState: result.finalState, trajectory: result.trajectory });
      if (agent.name === 'oracle' && outcome.reward !== 1) problems.push({ taskId: task.id, family: task.family, kind: 'oracle_fails', detail: whyFailed(outcome, result.trajectory.termination.reason) });
      if (agent.name === 'noop' && outcome.reward === 1 && !task.noChange) problems.push({ taskId: task.id, family: task.family, kind: 'noop_succeeds', detail: 'a do-nothing agent passes a task that requires a change: its expected outcome is too weak' });
    }
  }
  // Static checks: gold actions reference entities that exist, known facts agree with the data, no-change tasks are marked.
  const families = new Map(tasks.map((t) => [t.id, t.family]));
  for (const p of lintTasksStatic(domain, tasks, (task) => initialStateFor(domain, task))) problems.push({ ...p, family: families.get(p.taskId) ?? '', kind: p.kind as LintProblem['kind'] });
  return problems;
}

/** `groundwork tasks list|lint`. */
export function registerTasksCommand(program: Command): void {
  const tasks = program.command('tasks').description('list and check tasks');
  const selection = (command: Command) =>
    command
      .option('--domain <name>', 'domain', 'helpdesk')
      .option('--split <name>', 'task split (default: the domain default)')
      .option('--tasks <count|ids>', 'first N tasks, or comma-separated task ids')
      .option('--domain-seed <n>', 'seed of generated domains (default 42)', integer('--domain-seed'))
      .option('--data <dir>', 'benchmark data directory (τ-bench domains)')
      .option('--task-file <file>', 'task file (τ-bench domains)')
      .option('--json', 'print one JSON document on stdout');

  selection(tasks.command('list').description('list the tasks of a split')).action(async (options: DomainSelection) => {
    const { domain, split, tasks: list } = loadTasks(options);
    if (options.json) {
      printJson({ domain: domain.name, split, tasks: list.map((t) => ({ id: t.id, family: t.family, split: t.split, tags: t.tags, noChange: t.noChange, opening: t.user.openings[0] })) });
      return;
    }
    process.stdout.write(`${table(['task', 'family', 'no change', 'request'], list.map((t) => [t.id, t.family, t.noChange ? 'yes' : '', t.user.openings[0].slice(0, 90)]))}\n`);
  });

  selection(tasks.command('lint').description('run oracle and noop on each task; report tasks the oracle fails or noop passes')).action(async (options: DomainSelection) => {
    const { domain, split, tasks: list } = loadTasks(options);
    const problems = await lintTasks(domain, list);
    if (options.json) {
      printJson({ domain: domain.name, split, tasks: list.length, problems });
    } else if (problems.length === 0) {
      process.stdout.write(`${list.length} tasks of ${domain.name}/${split}: no problems (oracle passes every task; noop passes none that requires a change)\n`);
    } else {
      process.stdout.write(`${table(['task', 'family', 'problem', 'detail'], problems.map((p) => [p.taskId, p.family, p.kind, p.detail]))}\n\n${problems.length} problem(s) in ${list.length} tasks\n`);
    }
    if (problems.some((p) => !TASK_LINT_WARNINGS.has(p.kind))) process.exitCode = 1;
  });
}
