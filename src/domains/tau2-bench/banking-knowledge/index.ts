import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GroundworkError } from '../../../errors.ts';
import { jsonEqual } from '../../../schema/json.ts';
import type { TablePatch, Task } from '../../../schema/task.ts';
import { hashTables, TableState, type Tables } from '../../../state/table-state.ts';
import type { Domain, DomainOptions } from '../../domain.ts';
import { initialStateFor } from '../../initial-state.ts';
import { executeSideToolCall } from '../../tools.ts';
import { domainDir } from '../../tau-bench/data.ts';
import { readTau2TaskRecords, tau2TaskToTask, type Tau2TaskRecord } from '../task-format.ts';
import { createKnowledgeBase } from './documents.ts';
import { knowledgeTools, resolveRetrievalVariant, retrievalPolicy } from './retrieval.ts';
import {
  BANKING_TABLE_NAMES,
  BANKING_TABLES,
  BANKING_TOOLKIT_TABLES,
  initialDataPatch,
  loadBankingTables,
  READ_LOG_ALLOWLIST_TABLE,
} from './tables.ts';
import { type PyValue, pyJsonLoads } from './py.ts';
import { BANKING_AGENT_TOOLS } from './tools.ts';
import { BANKING_USER_TOOLS } from './user-tools.ts';
import { TAU2_EPISODE_OPTIONS } from '../episode-options.ts';

export { tau2DbDump } from './tables.ts';

/** Registry name. */
export const TAU2_BANKING_KNOWLEDGE_DOMAIN = 'tau2-bench/banking_knowledge';

/** What the user simulator is told about its tools (τ²'s banking domain has no user guide of its own). */
const BANKING_USER_GUIDE =
  'You are a bank customer. You have a few tools of your own (applying for a credit card, submitting a referral or a transaction, asking for a human agent). The agent may give you extra tools to run yourself: run them with call_discoverable_user_tool, with the tool name and the arguments the agent tells you.';

/**
 * τ²'s `read_log_allowlist`: the discoverable tools the task's gold actions call. Reads of these
 * tools are logged to `agent_discoverable_tools` (writes always are), so a required read still
 * shows in the DB while extra cautious reads do not.
 */
function readLogAllowlist(record: Tau2TaskRecord): TablePatch {
  const rows: Record<string, { tool_name: string }> = {};
  for (const action of record.evaluation_criteria?.actions ?? []) {
    const name = action.arguments?.agent_tool_name;
    if (action.name === 'call_discoverable_agent_tool' && typeof name === 'string' && name) rows[name] = { tool_name: name };
  }
  return Object.keys(rows).length > 0 ? { [READ_LOG_ALLOWLIST_TABLE]: rows } : {};
}

/** A task record, and the same JSON parsed with Python's int/float distinction (for the numbers of its data). */
interface TaskSource {
  record: Tau2TaskRecord;
  typed: PyValue;
}

/** The records of one task file (an array or one record). */
function readTaskFile(file: string): TaskSource[] {
  const records = readTau2TaskRecords(file);
  const typed = pyJsonLoads(readFileSync(file, 'utf8'), false);
  const typedList = Array.isArray(typed) ? typed : [typed];
  return records.map((record, i) => ({ record, typed: typedList[i] ?? null }));
}

/** τ²'s `get_tasks`: `tasks/task_*.json`, sorted by file name (one record per file). */
function readTaskFiles(dir: string): TaskSource[] {
  const tasksDir = path.join(dir, 'tasks');
  const files = readdirSync(tasksDir)
    .filter((name) => name.startsWith('task_') && name.endsWith('.json'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return files.flatMap((name) => readTaskFile(path.join(tasksDir, name)));
}

/** `initial_state.initialization_data.<side>_data` of a typed record. */
function typedInitData(typed: PyValue, side: 'agent' | 'user'): PyValue {
  const pick = (value: PyValue, key: string): PyValue =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, key) ? value[key] : null;
  return pick(pick(pick(typed, 'initial_state'), 'initialization_data'), `${side}_data`);
}

/**
 * τ²-bench's `banking_knowledge` domain: a bank's customers, accounts, cards and disputes (τ²'s
 * db.json), 698 policy documents the agent searches (`options.variant`: the retrieval variant), 44
 * discoverable agent tools it must find in them and unlock, four tools it can give the customer,
 * and 97 tasks (split `base`, from `tasks/task_*.json` as τ² loads them, not tasks.json). The user
 * acts on the same database through its own tools. Data is read lazily, once per instance.
 *
 * Known differences from τ²: arguments of the non-discoverable tools are checked by their schema
 * (a wrong type gets our error text, not Python's); τ² offers an LLM user only the task's
 * `user_tools`, we offer all six.
 */
export function createTau2BankingKnowledgeDomain(options: DomainOptions = {}): Domain {
  const dir = domainDir(options.dataDir, 'tau2-bench/banking_knowledge', 'db.json');
  const kb = createKnowledgeBase(dir);
  const variant = resolveRetrievalVariant(options.variant);
  const agentTools = [...knowledgeTools(variant, kb), ...BANKING_AGENT_TOOLS];
  const splits = options.tasksFile ? ['custom'] : ['base'];
  let base: { tables: Tables; hash: string } | undefined;
  let policy: string | undefined;
  let all: Task[] | undefined;

  const loadBase = () => {
    if (!base) {
      const tables = loadBankingTables(path.join(dir, 'db.json'));
      base = { tables, hash: hashTables(tables) };
    }
    return base;
  };
  const baseState = () => TableState.over(loadBase().tables, loadBase().hash);

  const domain: Domain = {
    name: TAU2_BANKING_KNOWLEDGE_DOMAIN,
    variant: variant.name,
    description:
      'τ²-bench banking_knowledge: a bank whose policies live in 698 documents the agent must search; tools unlock as the documents name them; the customer runs tools of its own.',
    get policy() {
      return (policy ??= retrievalPolicy(variant, kb));
    },
    tools: agentTools,
    queries: {},
    tables: BANKING_TABLES,
    toolkitTables: BANKING_TOOLKIT_TABLES,
    user: { tools: BANKING_USER_TOOLS, tables: [], guide: BANKING_USER_GUIDE },
    base: loadBase,
    splits,
    defaultSplit: splits[0],
    tasks(selection) {
      const split = selection.split ?? splits[0];
      if (!splits.includes(split)) {
        throw new GroundworkError('INVALID_ARGUMENT', `${TAU2_BANKING_KNOWLEDGE_DOMAIN} has no split ${JSON.stringify(split)}`, {
          hint: `splits: ${splits.join(', ')}`,
        });
      }
      all ??= loadTasks(split);
      if (selection.ids) {
        return selection.ids.map((id) => {
          const task = all!.find((t) => t.id === id);
          if (!task) throw new GroundworkError('UNKNOWN_TASK', `unknown ${TAU2_BANKING_KNOWLEDGE_DOMAIN} task ${JSON.stringify(id)}`);
          return task;
        });
      }
      return all.slice(0, selection.count ?? all.length);
    },
    options: TAU2_EPISODE_OPTIONS,
  };

  /** Whether the gold actions (both sides') leave τ²'s DB as it was (then doing nothing is correct). */
  function goldChangesNothing(task: Task): boolean {
    if (task.expected.kind !== 'tau2') return false;
    const initial = initialStateFor(domain, task);
    const final = initial.fork();
    for (const action of task.expected.actions) executeSideToolCall(domain, final, action.side, action.name, action.arguments);
    const changed = final.changesFromBase();
    return BANKING_TABLE_NAMES.every((table) =>
      Object.keys(changed[table] ?? {}).every((key) => jsonEqual(initial.get(table, key), final.get(table, key))),
    );
  }

  function loadTasks(split: string): Task[] {
    const sources = options.tasksFile ? readTaskFile(path.resolve(options.tasksFile)) : readTaskFiles(dir);
    return sources.map(({ record, typed }) => {
      const task = tau2TaskToTask(record, {
        domain,
        split,
        initialDataPatch: (data, side) => initialDataPatch(baseState(), data, typedInitData(typed, side)),
        defaultPersona: 'τ²-bench banking customer',
        noChange: () => false,
      });
      const allowlist = readLogAllowlist(record);
      const withAllowlist: Task =
        Object.keys(allowlist).length > 0 ? { ...task, initialPatch: { ...task.initialPatch, ...allowlist } } : task;
      return { ...withAllowlist, noChange: goldChangesNothing(withAllowlist) };
    });
  }

  return domain;
}
