import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GroundworkError } from '../../../errors.ts';
import type { JsonObject, JsonValue } from '../../../schema/json.ts';
import { type TablePatch, type Task, UPSTREAM_DEFECT_TAG } from '../../../schema/task.ts';
import { freezeTables, hashTables, type Tables } from '../../../state/table-state.ts';
import { domainDir, readJsonFile } from '../../tau-bench/data.ts';
import type { Domain, DomainOptions, Side } from '../../domain.ts';
import { readTau2TaskRecords, tau2TaskToTask, type Tau2TaskRecord } from '../task-format.ts';
import { MOCK_SIDE_TABLES } from './dump.ts';
import { MOCK_TABLES } from './tables.ts';
import { createMockAgentTools, createMockUserTools, MOCK_AGENT_FUNCTIONS, MOCK_USER_FUNCTIONS } from './tools.ts';
import { TAU2_EPISODE_OPTIONS } from '../episode-options.ts';

export { tau2DbDump, MOCK_SIDE_TABLES } from './dump.ts';
export { MOCK_TABLES } from './tables.ts';

/** Registry name. */
export const TAU2_MOCK_DOMAIN = 'tau2-bench/mock';

/** What the user simulator is told about its side (τ²'s mock has no user guide of its own). */
const MOCK_USER_GUIDE =
  'You have a notification inbox on your side. Use your own tools to check or dismiss notifications when your instructions or the agent ask you to; the agent cannot see your inbox.';

/**
 * Tasks τ²'s own code fails with its reference solution (its evaluator gives the gold actions
 * reward 0; values in tau2-reference.json): defects of the published data, tagged `upstream-defect`.
 */
export const MOCK_UPSTREAM_DEFECTS: Readonly<Record<string, string>> = {
  update_task_with_history_and_env_assertions:
    'no gold action, yet the assertion wants task_2 completed: replaying the gold actions leaves it pending',
  update_task_with_user_tools:
    'the DB check wants the user database as the gold replay leaves it (notif_1 unread), the assertion wants notif_1 read: no trajectory passes both',
};

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** τ²'s `update_db` merge (addict's `update`): nested objects merge key by key, anything else replaces. */
function deepUpdate(target: JsonObject, update: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(update)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? deepUpdate(current, value) : value;
  }
  return out;
}

/**
 * `initialization_data` of one side as a patch of whole records: each updated record is the base
 * record deep-updated. τ² then points the other side's toolkit at the updated database, which the
 * patch records in `db_alias`.
 */
function initialDataPatch(base: Tables, data: Record<string, JsonValue>, side: Side): TablePatch {
  const patch: TablePatch = {};
  for (const [table, records] of Object.entries(data)) {
    if (!MOCK_SIDE_TABLES[side].includes(table) || !isObject(records))
      throw new GroundworkError(
        'INVALID_TASK',
        `τ²-bench mock: ${side}_data updates ${JSON.stringify(table)}, not a table of the ${side}'s database`,
        {
          hint: `tables: ${MOCK_SIDE_TABLES[side].join(', ')}`,
        },
      );
    patch[table] = {};
    for (const [key, update] of Object.entries(records)) {
      if (!isObject(update)) throw new GroundworkError('INVALID_TASK', `τ²-bench mock: ${side}_data.${table}.${key} is not an object`);
      patch[table][key] = deepUpdate(base[table]?.[key] ?? {}, update);
    }
  }
  const other: Side = side === 'agent' ? 'user' : 'agent';
  patch.db_alias = { [other]: { same_as: side } };
  return patch;
}

/**
 * τ²-bench's `mock` domain: a task list per user (agent side) and a notification inbox (user
 * side, dual control), with τ²'s data, tools, environment functions and ten tasks (split `base`).
 * Data is read lazily, once per instance, from `options.dataDir` (benchmarks root or the
 * `tau2-bench/mock` folder).
 */
export function createTau2MockDomain(options: DomainOptions = {}): Domain {
  const dir = domainDir(options.dataDir, 'tau2-bench/mock', 'user_db.json');
  const agentTools = createMockAgentTools();
  const userTools = createMockUserTools();
  let base: { tables: Tables; hash: string } | undefined;
  let policy: string | undefined;
  let all: Task[] | undefined;
  const splits = options.tasksFile ? ['custom'] : ['base'];

  const loadBase = () => {
    if (!base) {
      const agent = readJsonFile(path.join(dir, 'db.json')) as Tables;
      const user = readJsonFile(path.join(dir, 'user_db.json')) as Tables;
      const tables = freezeTables({ tasks: agent.tasks ?? {}, users: agent.users ?? {}, notifications: user.notifications ?? {} });
      base = { tables, hash: hashTables(tables) };
    }
    return base;
  };

  const domain: Domain = {
    name: TAU2_MOCK_DOMAIN,
    description: 'τ²-bench mock: tasks of users (agent side) and a notification inbox the user manages with its own tools (dual control).',
    get policy() {
      return (policy ??= readFileSync(path.join(dir, 'policy.md'), 'utf8'));
    },
    tools: agentTools,
    queries: {},
    tables: MOCK_TABLES,
    user: { tools: userTools, tables: ['notifications'], guide: MOCK_USER_GUIDE },
    functions: { agent: MOCK_AGENT_FUNCTIONS, user: MOCK_USER_FUNCTIONS },
    base: loadBase,
    splits,
    defaultSplit: splits[0],
    tasks(selection) {
      const split = selection.split ?? splits[0];
      if (!splits.includes(split))
        throw new GroundworkError('INVALID_ARGUMENT', `${TAU2_MOCK_DOMAIN} has no split ${JSON.stringify(split)}`, {
          hint: `splits: ${splits.join(', ')}`,
        });
      all ??= loadTasks(split);
      if (selection.ids) {
        return selection.ids.map((id) => {
          const task = all!.find((t) => t.id === id);
          if (!task) throw new GroundworkError('UNKNOWN_TASK', `unknown ${TAU2_MOCK_DOMAIN} task ${JSON.stringify(id)}`);
          return task;
        });
      }
      return all.slice(0, selection.count ?? all.length);
    },
    options: TAU2_EPISODE_OPTIONS,
  };

  function loadTasks(split: string): Task[] {
    const records = readTau2TaskRecords(options.tasksFile ?? path.join(dir, 'tasks.json'));
    let chosen: Tau2TaskRecord[] = records;
    if (!options.tasksFile) {
      // τ²'s get_tasks(split): the file's tasks whose id the split lists, in file order.
      const ids = new Set((readJsonFile(path.join(dir, 'split_tasks.json')) as Record<string, string[]>)[split] ?? []);
      chosen = records.filter((record) => ids.has(record.id));
    }
    return chosen.map((record) => {
      const task = tau2TaskToTask(record, {
        domain,
        split,
        initialDataPatch: (data, side) => initialDataPatch(loadBase().tables, data, side),
        defaultPersona: 'τ²-bench mock user',
      });
      return MOCK_UPSTREAM_DEFECTS[task.id] && !options.tasksFile ? { ...task, tags: [...task.tags, UPSTREAM_DEFECT_TAG] } : task;
    });
  }

  return domain;
}
