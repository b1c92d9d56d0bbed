import type { Command } from 'commander';
import { comparePaired, type PairedComparison } from '../../audits/compare.ts';
import { GroundworkError } from '../../errors.ts';
import { type EpisodeRow, type Store, requireRun } from '../../store/store.ts';
import { table } from '../format.ts';
import { openStore, printJson } from '../context.ts';

interface CompareOptions {
  agent?: string;
  agentB?: string;
  db?: string;
  json?: boolean;
}

async function rowsOf(store: Store, runId: string): Promise<EpisodeRow[]> {
  const run = await requireRun(store, runId);
  return store.listEpisodes(runId);
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
  throw new GroundworkError('INVALID_ARGUMENT', `the runs share no agent (A: ${inA.join(', ')}; B: ${inB.join(', ')})`, { hint: 'name them with --agent NAME_IN_A --agent-b NAME_IN_B' });
}

/** `groundwork compare RUN_A RUN_B`: paired comparison on shared tasks and trials. */
export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('compare two runs episode by episode on shared tasks and trials: pass^1 difference with bootstrap 95% CI, McNemar exact test, per-task flips')
    .argument('<runA>', 'baseline run id')
    .argument('<runB>', 'run id compared with it')
    .option('--agent <name>', 'agent of run A to compare (default: every agent in both runs)')
    .option('--agent-b <name>', 'agent of run B (default: same as --agent)')
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (runA: string, runB: string, options: CompareOptions) => {
      const store = openStore(options.db);
      try {
        const a = await rowsOf(store, runA);
        const b = await rowsOf(store, runB);
        const comparisons: PairedComparison[] = agentPairs(a, b, options).map(([agentA, agentB]) =>
          comparePaired(
            a.filter((e) => e.agent === agentA),
            b.filter((e) => e.agent === agentB),
          ),
        );
        if (options.json) {
          printJson({ runA, runB, comparisons });
          return;
        }
        const lines: string[] = [`Compare ${runA} (A) with ${runB} (B), paired on (task, trial):`, ''];
        lines.push(
          table(
            ['agent A', 'agent B', 'pairs', 'tasks', 'pass^1 A', 'pass^1 B', 'B − A', '95% CI', 'A only', 'B only', 'McNemar p'],
            comparisons.map((c) => [c.agentA, c.agentB, c.pairs, c.tasks, c.passA.toFixed(3), c.passB.toFixed(3), c.difference.toFixed(3), `[${c.ci95[0].toFixed(3)}, ${c.ci95[1].toFixed(3)}]`, c.mcnemar.aOnly, c.mcnemar.bOnly, c.mcnemar.pValue.toFixed(3)]),
          ),
        );
        for (const c of comparisons) {
          lines.push('', `${c.agentA} vs ${c.agentB}: ${c.verdict}`);
          if (c.flips.length) lines.push(`  tasks that flipped (${c.flips.length}): ${c.flips.slice(0, 12).map((f) => `${f.taskId} ${f.a}→${f.b}`).join(', ')}${c.flips.length > 12 ? ', …' : ''}`);
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await store.close();
      }
    });
}
