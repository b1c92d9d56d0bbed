import { existsSync } from 'node:fs';
import path from 'node:path';
import { GroundworkError } from '../../../errors.ts';
import type { JsonObject, JsonValue } from '../../../schema/json.ts';
import type { Task } from '../../../schema/task.ts';
import { freezeTables, hashTables, type Tables, type TableState } from '../../../state/table-state.ts';
import type { Domain, DomainOptions, Side, TaskSelection } from '../../domain.ts';
import { benchmarksDir } from '../../tau-bench/data.ts';
import { readTau2TaskRecords, type Tau2TaskRecord, tau2TaskToTask } from '../task-format.ts';
import { TELECOM_AGENT_FUNCTIONS } from './agent-functions.ts';
import { TELECOM_AGENT_TABLES } from './agent-tables.ts';
import { createTelecomAgentTools } from './agent-tools.ts';
import { composeTelecomPolicy, readDataFile, readTomlFile, telecomAgentTables } from './data.ts';
import { syncTelecom } from './sync.ts';
import { TELECOM_USER_FUNCTIONS } from './user-functions.ts';
import { TELECOM_USER_TABLES, telecomUserTables, userTau2Dump } from './user-tables.ts';
import { createTelecomUserTools, TELECOM_USER_GUIDE } from './user-tools.ts';
import { TAU2_EPISODE_OPTIONS } from '../episode-options.ts';

/**
 * τ²-bench telecom: a mobile carrier's customer service (agent side: customers, lines, plans, bills,
 * devices in db.toml) and the customer's own phone (user side: user_db.toml), each with its own
 * tools; tasks start by breaking the phone or the account and are graded by assertions on the final
 * state (τ²'s `ENV_ASSERTION`) and, for some, by the actions taken.
 */

export const TELECOM_DOMAIN_NAME = 'tau2-bench/telecom';

/** Splits: τ²'s small task file, the named subsets of split_tasks.json, and every generated task. */
export const TELECOM_SPLITS = ['small', 'base', 'train', 'test', 'full', 'generated'] as const;

const SMALL_TASKS = 'tasks_small.json';
const GENERATED_TASKS = 'tasks_full_generated.json';
const SPLIT_FILE = 'split_tasks.json';

/** The folder of telecom data: `dataDir` may be the benchmarks root or the folder itself. */
function telecomDir(dataDir: string | undefined): string {
  const root = benchmarksDir(dataDir);
  const found = [path.join(root, 'tau2-bench', 'telecom'), root].find((candidate) => existsSync(path.join(candidate, 'db.toml')));
  if (found) return found;
  throw new GroundworkError('INVALID_ARGUMENT', `τ²-bench telecom data not found: no tau2-bench/telecom/db.toml under ${root}`, {
    hint: 'pass dataDir (--data) pointing at the benchmarks folder, or set GROUNDWORK_BENCHMARKS_DIR',
  });
}

/** The task family: the bracketed issue type that starts every generated id (`[mobile_data_issue]…`). */
function familyOf(record: Tau2TaskRecord): string {
  return /^\[([^\]]+)\]/.exec(record.id)?.[1] ?? 'telecom';
}

/**
 * The τ²-bench telecom domain. Data (db.toml, user_db.toml, policies, task files) is read from
 * `options.dataDir` on first use, once per instance.
 */
export function createTau2TelecomDomain(options: DomainOptions = {}): Domain {
  let dir: string | undefined;
  const folder = () => (dir ??= telecomDir(options.dataDir));
  let baseInfo: { tables: Tables; hash: string } | undefined;
  let policy: string | undefined;
  let generated: Tau2TaskRecord[] | undefined;
  let splitIds: Record<string, string[]> | undefined;
  const taskCache = new Map<string, Task[]>();

  const tools = createTelecomAgentTools();
  const userTools = createTelecomUserTools();
  const splits: readonly string[] = options.tasksFile ? ['custom'] : TELECOM_SPLITS;
  const defaultSplit = options.tasksFile ? 'custom' : 'base';

  const base = () => {
    if (!baseInfo) {
      const tables = freezeTables({
        ...telecomAgentTables(readTomlFile(folder(), 'db.toml')),
        ...telecomUserTables(readTomlFile(folder(), 'user_db.toml')),
      });
      baseInfo = { tables, hash: hashTables(tables) };
    }
    return baseInfo;
  };

  const generatedRecords = () => (generated ??= readTau2TaskRecords(path.join(folder(), GENERATED_TASKS)));
  const recordsOf = (split: string): Tau2TaskRecord[] => {
    if (options.tasksFile) return readTau2TaskRecords(path.resolve(options.tasksFile));
    if (split === 'small') return readTau2TaskRecords(path.join(folder(), SMALL_TASKS));
    if (split === 'generated') return generatedRecords();
    splitIds ??= JSON.parse(readDataFile(folder(), SPLIT_FILE)) as Record<string, string[]>;
    // τ² keeps the task file's order and filters it by the split's ids.
    const ids = new Set(splitIds[split] ?? []);
    return generatedRecords().filter((record) => ids.has(record.id));
  };

  const domain: Domain = {
    name: TELECOM_DOMAIN_NAME,
    description:
      'τ²-bench telecom (dual control): a carrier’s agent with account tools and a customer acting on their own phone; graded by τ²’s rule.',
    get policy() {
      // τ²'s default environment: the main policy and the tech-support manual ("manual" policy type).
      return (policy ??= composeTelecomPolicy(readDataFile(folder(), 'main_policy.md'), readDataFile(folder(), 'tech_support_manual.md')));
    },
    tools,
    queries: {
      /** A record by table and key (null when absent). */
      record: (state: TableState, args: Record<string, JsonValue>) =>
        (state.get(String(args.table), String(args.key)) as JsonValue | undefined) ?? null,
    },
    tables: { ...TELECOM_AGENT_TABLES, ...TELECOM_USER_TABLES },
    user: { tools: userTools, tables: Object.keys(TELECOM_USER_TABLES), guide: TELECOM_USER_GUIDE },
    functions: { agent: TELECOM_AGENT_FUNCTIONS, user: TELECOM_USER_FUNCTIONS },
    sync: syncTelecom,
    base,
    splits,
    defaultSplit,
    tasks(selection: TaskSelection = {}): Task[] {
      const split = selection.split ?? defaultSplit;
      if (!splits.includes(split))
        throw new GroundworkError('INVALID_ARGUMENT', `${TELECOM_DOMAIN_NAME} has no split ${JSON.stringify(split)}`, {
          hint: `splits: ${splits.join(', ')}`,
        });
      let all = taskCache.get(split);
      if (!all) {
        // No initialDataPatch: no telecom task has initialization_data, and τ²'s own set_state would then point
        // the user's tools at the agent's database; such a task is refused (INVALID_TASK) rather than guessed at.
        all = recordsOf(split).map((record) => tau2TaskToTask(record, { domain, split, family: familyOf }));
        taskCache.set(split, all);
      }
      let picked = all;
      if (selection.ids) {
        const byId = new Map(all.map((task) => [task.id, task]));
        picked = selection.ids.map(
          (id) =>
            byId.get(id) ??
            (() => {
              throw new GroundworkError('UNKNOWN_TASK', `${TELECOM_DOMAIN_NAME} ${split} has no task ${JSON.stringify(id)}`, {
                hint: `ids look like ${all[0]?.id}`,
              });
            })(),
        );
      }
      if (selection.count !== undefined && selection.count > picked.length)
        throw new GroundworkError('UNKNOWN_TASK', `${TELECOM_DOMAIN_NAME} ${split} has ${picked.length} tasks, not ${selection.count}`, {
          hint: `pass --tasks ${picked.length} or fewer`,
        });
      return selection.count === undefined ? picked : picked.slice(0, selection.count);
    },
    options: TAU2_EPISODE_OPTIONS,
  };
  return domain;
}

/**
 * One side's database as τ²'s `model_dump()` prints it (lists in order, every field, nulls
 * included; dates as `YYYY-MM-DD`, date-times as `YYYY-MM-DDTHH:MM:SS`): the agent's `TelecomDB`
 * or the user's `TelecomUserDB`. For parity hashes (see canonical.ts).
 */
export function tau2DbDump(state: TableState, side: Side): JsonValue {
  if (side === 'user') return userTau2Dump(state);
  const dump: JsonObject = {};
  for (const table of Object.keys(TELECOM_AGENT_TABLES)) dump[table] = state.rows(table) as JsonObject[];
  return dump;
}
