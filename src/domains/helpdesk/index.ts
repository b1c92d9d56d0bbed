import { readFileSync } from 'node:fs';
import { GroundworkError } from '../../errors.ts';
import type { Task } from '../../schema/task.ts';
import { freezeTables, hashTables, type Tables } from '../../state/table-state.ts';
import type { Domain, DomainOptions, TaskSelection } from '../domain.ts';
import { generateTask, HELPDESK_FAMILIES, HELPDESK_SPLIT_SIZES } from './generate-tasks.ts';
import { generateWorld } from './generate-world.ts';
import { helpdeskQueries } from './queries.ts';
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
    base: world,
    splits,
    defaultSplit: 'test',
    options: { maxSteps: 60 },
    tasks(selection: TaskSelection): Task[] {
      const split = selection.split ?? 'test';
      if (!splits.includes(split)) {
        throw new GroundworkError('INVALID_ARGUMENT', `helpdesk has no split ${JSON.stringify(split)}`, { hint: `splits: ${splits.join(', ')}` });
      }
      const tables = world().tables;
      if (selection.ids) {
        return selection.ids.map((id) => {
          const match = /^hd-(\w+)-(\d+)$/.exec(id);
          if (!match || !splits.includes(match[1])) {
            throw new GroundworkError('UNKNOWN_TASK', `unknown helpdesk task ${JSON.stringify(id)}`, { hint: 'ids look like hd-test-004 or hd-train-012' });
          }
          return generateTask(tables, seed, match[1], Number(match[2]));
        });
      }
      const count = selection.count ?? HELPDESK_SPLIT_SIZES[split];
      return Array.from({ length: count }, (_, index) => generateTask(tables, seed, split, index));
    },
  };
}
