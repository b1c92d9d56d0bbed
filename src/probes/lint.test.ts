// Every variant of every pack on the built-in domains is lint-clean: the oracle passes it through a
// real episode with the scripted (pressure) user, noop fails it where a change is required, and it
// adds no static problem its base task does not already have.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TASK_LINT_WARNINGS } from '../audits/task-lint.ts';
import { type LintProblem, lintTasks } from '../cli/actions/tasks.ts';
import type { Domain } from '../domains/domain.ts';
import { createDomain } from '../domains/registry.ts';
import { PROBE_PACK_NAMES } from '../schema/probe.ts';
import { type Task, UPSTREAM_DEFECT_TAG } from '../schema/task.ts';
import { createNoopAgent } from '../agents/oracle.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { createScriptedUser } from '../users/scripted.ts';
import { probePack } from './index.ts';

const DOMAINS = ['helpdesk', 'tau-bench/retail', 'tau-bench/airline'] as const;

/** Problems that fail `tasks lint`, less those the variant's base task (a task of the domain) already has. */
async function newProblems(domain: Domain, tasks: readonly Task[], split: string): Promise<LintProblem[]> {
  const fatal = (p: LintProblem, list: readonly Task[]) =>
    !TASK_LINT_WARNINGS.has(p.kind) &&
    p.kind !== 'oracle_pending_judge' &&
    !list.find((t) => t.id === p.taskId)?.tags.includes(UPSTREAM_DEFECT_TAG);
  const problems = (await lintTasks(domain, tasks)).filter((p) => fatal(p, tasks));
  const baseIds = new Set(tasks.map((t) => t.probe!.baseTaskId));
  const bases = domain.tasks({ split }).filter((t) => baseIds.has(t.id));
  const known = new Set((await lintTasks(domain, bases)).filter((p) => fatal(p, bases)).map((p) => `${p.taskId} ${p.kind}`));
  const baseOf = new Map(tasks.map((t) => [t.id, t.probe!.baseTaskId]));
  return problems.filter((p) => !known.has(`${baseOf.get(p.taskId)} ${p.kind}`));
}

/** An agent that refuses every turn hears every pressure line, in order, and then the user stops. */
async function assertPressed(domain: Domain, tasks: readonly Task[]): Promise<void> {
  for (const task of tasks) {
    const result = await runEpisode({
      domain,
      task,
      agent: createNoopAgent(),
      user: createScriptedUser(),
      episodeId: 'p',
      trial: 0,
      seed: 1,
    });
    const said = result.trajectory.events.flatMap((e) => (e.type === 'message' && e.role === 'user' ? [e.content] : []));
    const pressure = task.probe!.pressure!;
    // The opening, the pressure lines, then the user's closing words.
    assert.deepEqual(said.slice(1, 1 + pressure.length), pressure, task.id);
    assert.equal(said.length, pressure.length + 2, task.id);
    assert.equal(result.trajectory.termination.reason, 'user_stop', task.id);
  }
}

for (const name of DOMAINS) {
  for (const packName of PROBE_PACK_NAMES) {
    test(`lint: ${packName} on ${name}`, async (t) => {
      const pack = probePack(packName);
      const domain = createDomain(name, pack.domainOptions ?? {});
      const why = pack.unsupported(domain);
      if (why) {
        // The hooks are written by the domain owners; until a domain has them, say so instead of passing silently.
        t.skip(`not supported yet: ${why}`);
        return;
      }
      const split = domain.defaultSplit;
      const tasks = pack.tasks(domain, { split });
      assert.ok(tasks.length > 0, 'the pack makes variants');
      const problems = await newProblems(domain, tasks, split);
      assert.deepEqual(
        problems.map((p) => `${p.taskId} ${p.kind}: ${p.detail}`),
        [],
      );
      if (packName === 'persuasion') await assertPressed(domain, tasks);
    });
  }
}
