import { comparePaired, matchTasks, taskPairKeys, withTaskKeys, type PairedComparison, type TaskMatch } from '../../audits/compare.ts';
import { GroundworkError } from '../../errors.ts';
import { type EpisodeRow, type Store, requireRun } from '../../store/store.ts';
import { table } from '../format.ts';
import { openStoreReadOnly, printJson } from '../context.ts';

export interface CompareOptions {
  agent?: string;
  agentB?: string;
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  json?: boolean;
}

async function rowsOf(store: Store, runId: string): Promise<EpisodeRow[]> {
  await requireRun(store, runId);
  return store.listEpisodes(runId);
}

/** Refuses runs that share no task by content: pairing them would compare different tasks. */
export function refuseUnrelated(runA: string, runB: string, match: TaskMatch): void {
  if (match.shared > 0) return;
  const why = match.differ > 0 ? `${match.differ} task id(s) are in both runs but differ in content` : 'no task id or content in common';
  throw new GroundworkError('INVALID_ARGUMENT', `runs ${runA} and ${runB} share no task (${why}), so they cannot be compared`, {
    hint:
      match.differ > 0
        ? 'the worlds or task data differ: compare runs made with the same --domain-seed and task files'
        : 'compare runs of the same domain and split',
  });
}

/**
 * Which agents to pair: `--agent A [--agent-b B]`; else every agent in both runs with itself; else,
 * when each run has exactly one agent, those two.
 */
function agentPairs(a: EpisodeRow[], b: EpisodeRow[], options: CompareOptions): [string, string][] {
  const inA = [...new Set(a.map((e) => e.agent))];
  const inB = [...new Set(b.map((e) => e.agent))];
  if (options.agent) return [[options.agent, options.agentB ?? options.agent]];
  const shared = inA.filter((name) => inB.includes(name));
  if (shared.length) return shared.map((name) => [name, name]);
  if (inA.length === 1 && inB.length === 1) return [[inA[0], inB[0]]];
  throw new GroundworkError('INVALID_ARGUMENT', `the runs share no agent (A: ${inA.join(', ')}; B: ${inB.join(', ')})`, {
    hint: 'name them with --agent NAME_IN_A --agent-b NAME_IN_B',
  });
}

/** `groundwork compare RUN_A RUN_B`: paired comparison on shared tasks and trials. */
export async function compareAction(runA: string, runB: string, options: CompareOptions): Promise<void> {
  const store = await openStoreReadOnly(options.store);
  try {
    const a = await rowsOf(store, runA);
    const b = await rowsOf(store, runB);
    // Pair on task content, not id: hd-test-017 of another --domain-seed is another task.
    const [hashesA, hashesB] = [await store.runTaskHashes(runA), await store.runTaskHashes(runB)];
    const tasks = matchTasks(hashesA, hashesB);
    refuseUnrelated(runA, runB, tasks);
    const [keysA, keysB] = [taskPairKeys(hashesA), taskPairKeys(hashesB)];
    const comparisons: PairedComparison[] = agentPairs(a, b, options).map(([agentA, agentB]) =>
      comparePaired(
        withTaskKeys(
          a.filter((e) => e.agent === agentA),
          keysA,
        ),
        withTaskKeys(
          b.filter((e) => e.agent === agentB),
          keysB,
        ),
      ),
    );
    if (options.json) {
      printJson({ runA, runB, tasks, comparisons });
      return;
    }
    const lines: string[] = [`Compare ${runA} (A) with ${runB} (B), paired on (task content, trial):`];
    if (tasks.note) lines.push(`${tasks.note}; only shared tasks are compared.`);
    lines.push('');
    lines.push(
      table(
        ['agent A', 'agent B', 'pairs', 'tasks', 'pass^1 A', 'pass^1 B', 'B − A', '95% CI', 'A only', 'B only', 'McNemar p'],
        comparisons.map((c) => [
          c.agentA,
          c.agentB,
          c.pairs,
          c.tasks,
          c.passA.toFixed(3),
          c.passB.toFixed(3),
          c.difference.toFixed(3),
          `[${c.ci95[0].toFixed(3)}, ${c.ci95[1].toFixed(3)}]`,
          c.mcnemar.aOnly,
          c.mcnemar.bOnly,
          c.mcnemar.pValue.toFixed(3),
        ]),
      ),
    );
    for (const c of comparisons) {
      lines.push('', `${c.agentA} vs ${c.agentB}: ${c.verdict}`);
      if (c.flips.length)
        lines.push(
          `  tasks that flipped (${c.flips.length}): ${c.flips
            .slice(0, 12)
            .map((f) => `${f.taskId}${f.taskIdB ? `/${f.taskIdB}` : ''} ${f.a}→${f.b}`)
            .join(', ')}${c.flips.length > 12 ? ', …' : ''}`,
        );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await store.close();
  }
}
