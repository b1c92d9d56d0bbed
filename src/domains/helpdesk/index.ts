import { readFileSync } from 'node:fs';
import { GroundworkError } from '../../errors.ts';
import type { Task } from '../../schema/task.ts';
import { freezeTables, hashTables, type Tables } from '../../state/table-state.ts';
import type { Domain, DomainOptions, TaskSelection } from '../domain.ts';
import { helpdeskClaimRules } from './claim-rules.ts';
import { generateTask, HELPDESK_FAMILIES, HELPDESK_SPLIT_SIZES } from './generate-tasks.ts';
import { generateWorld } from './generate-world.ts';
import { helpdeskNaivePlaybook } from './naive-playbook.ts';
import { helpdeskProbeHooks } from './probes.ts';
import { helpdeskQueries } from './queries.ts';
import { HELPDESK_TABLES } from './state.ts';
import { helpdeskTools } from './tools.ts';

export { HELPDESK_FAMILIES } from './generate-tasks.ts';
export { generateWorld } from './generate-world.ts';

const POLICY = readFileSync(new URL('./policy.md', import.meta.url), 'utf8');

/** Default generator seed of the helpdesk world and tasks. */
export const HELPDESK_DEFAULT_SEED = 42;

/**
 * The built-in IT helpdesk: a company generated from a seed, with tasks whose classic failures
 * (partial erasure, flags left on by overrides, access without approval, acting under a legal
 * hold, guessing instead of asking) show in the final state.
 */
export function createHelpdeskDomain(options: DomainOptions = {}): Domain {
  const seed = options.seed ?? HELPDESK_DEFAULT_SEED;
  let base: { tables: Tables; hash: string } | undefined;
  const world = () => {
    if (!base) {
      const tables = freezeTables(generateWorld(seed));
      base = { tables, hash: hashTables(tables) };
    }
    return base;
  };
  const splits = Object.keys(HELPDESK_SPLIT_SIZES);
  return {
    name: 'helpdesk',
    description: `IT helpdesk of a generated company (seed ${seed}); families: ${HELPDESK_FAMILIES.join(', ')}`,
    policy: POLICY,
    tools: helpdeskTools,
    queries: helpdeskQueries,
    tables: HELPDESK_TABLES,
    baselines: { naive: helpdeskNaivePlaybook },
    claimRules: helpdeskClaimRules,
    probes: helpdeskProbeHooks(() => world().tables, seed),
    base: world,
    splits,
    defaultSplit: 'test',
    options: { maxSteps: 60 },
    tasks(selection: TaskSelection): Task[] {
      const split = selection.split ?? 'test';
      if (!splits.includes(split)) {
        throw new GroundworkError('INVALID_ARGUMENT', `helpdesk has no split ${JSON.stringify(split)}`, {
          hint: `splits: ${splits.join(', ')}`,
        });
      }
      const tables = world().tables;
      if (selection.ids) {
        // Ids are canonical (`hd-test-004`, as generated) and of a known split. Since any number of
        // tasks can be generated (`--tasks 700`), an id beyond the fixed split (hd-test-150) is
        // valid and names the same task a count reaches; typos of the split or number are not.
        const ranges = splits.map((s) => `hd-${s}-000 … hd-${s}-${String(HELPDESK_SPLIT_SIZES[s] - 1).padStart(3, '0')}`).join(', ');
        return selection.ids.map((id) => {
          const match = /^hd-([a-z]+)-(\d{3,6})$/.exec(id);
          const index = match ? Number(match[2]) : -1;
          if (!match || !splits.includes(match[1]) || `hd-${match[1]}-${String(index).padStart(3, '0')}` !== id) {
            throw new GroundworkError('UNKNOWN_TASK', `unknown helpdesk task ${JSON.stringify(id)}`, {
              hint: `ids are ${ranges} (higher numbers name generated tasks beyond the fixed split)`,
            });
          }
          if (selection.split !== undefined && match[1] !== selection.split) {
            throw new GroundworkError('UNKNOWN_TASK', `helpdesk task ${id} belongs to the ${match[1]} split, not ${selection.split}`, {
              hint: `pass --split ${match[1]}, or use ids hd-${selection.split}-NNN`,
            });
          }
          return generateTask(tables, seed, match[1], index);
        });
      }
      const count = selection.count ?? HELPDESK_SPLIT_SIZES[split];
      return Array.from({ length: count }, (_, index) => generateTask(tables, seed, split, index));
    },
  };
}
