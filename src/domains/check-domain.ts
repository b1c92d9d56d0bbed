import { canonicalJson } from '../schema/json.ts';
import { type Task, taskSchema } from '../schema/task.ts';
import type { Domain, DomainTool, Side } from './domain.ts';
import { formatZodIssues, toolJsonSchema } from './tools.ts';

/** One way a domain breaks the contract. */
export interface DomainProblem {
  where: string;
  problem: string;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** At most this many invalid records are listed per table (then a count). */
const MAX_RECORD_PROBLEMS = 3;

/**
 * Conformance check for any domain (like Gymnasium's `check_env`): tools are well named, unique
 * and publishable as JSON Schema; the base state is frozen, every table of it is declared in
 * `tables` and every record validates against its table's schema (as do tasks' initial patches); every task of every split validates,
 * is deterministic, names only tools and queries the domain has, and has a unique id.
 * Behavioural checks (the oracle passes, noop fails) are `groundwork tasks lint`.
 */
export function checkDomain(domain: Domain, options: { maxTasksPerSplit?: number } = {}): DomainProblem[] {
  const problems: DomainProblem[] = [];
  const add = (where: string, problem: string) => problems.push({ where, problem });
  if (!domain.name) add('domain', 'has no name');
  if (!domain.policy.trim()) add('domain', 'has an empty policy');
  if (!domain.splits.includes(domain.defaultSplit)) add('domain', `default split ${domain.defaultSplit} is not one of its splits`);

  const names = checkTools(domain.tools, 'tool', add);
  const userNames = checkTools(domain.user?.tools ?? [], 'user tool', add);
  for (const name of userNames)
    if (names.has(name)) add(`user tool ${name}`, 'has the name of an agent tool: calls could not say which side acted');
  for (const table of domain.user?.tables ?? [])
    if (!Object.hasOwn(domain.tables, table)) add(`user table ${table}`, "is not declared in the domain's tables");
  for (const table of domain.toolkitTables ?? [])
    if (!Object.hasOwn(domain.tables, table)) add(`toolkit table ${table}`, "is not declared in the domain's tables");
  const sideNames = { agent: names, user: userNames };
  /** An environment function or tool of that side (what initialisation and assertions may name). */
  const callable = (side: Side, name: string) => Object.hasOwn(domain.functions?.[side] ?? {}, name) || sideNames[side].has(name);

  const base = domain.base();
  for (const [table, rows] of Object.entries(base.tables)) {
    if (!Object.isFrozen(rows)) add(`table ${table}`, 'base table is not frozen: episodes could write into shared data');
    const schema = Object.hasOwn(domain.tables, table) ? domain.tables[table] : undefined;
    if (!schema) {
      add(`table ${table}`, "is not declared in the domain's tables (no record schema)");
      continue;
    }
    // Parsed copies are discarded: the stored records stay exactly as loaded.
    let invalid = 0;
    for (const [key, record] of Object.entries(rows)) {
      const parsed = schema.safeParse(record);
      if (parsed.success) continue;
      if (++invalid <= MAX_RECORD_PROBLEMS)
        add(`table ${table} record ${key}`, `does not match the table schema: ${formatZodIssues(parsed.error)}`);
    }
    if (invalid > MAX_RECORD_PROBLEMS)
      add(`table ${table}`, `${invalid} records do not match the table schema (first ${MAX_RECORD_PROBLEMS} listed)`);
  }

  for (const split of domain.splits) {
    let tasks: Task[];
    try {
      // A split's own tasks, capped: asking a fixed split for more tasks than it has is an error.
      tasks = domain.tasks({ split }).slice(0, options.maxTasksPerSplit);
    } catch (error) {
      add(`split ${split}`, `cannot list tasks: ${(error as Error).message}`);
      continue;
    }
    const again = domain.tasks({ split }).slice(0, options.maxTasksPerSplit);
    if (canonicalJson(tasks) !== canonicalJson(again))
      add(`split ${split}`, 'tasks differ between two calls: generation is not deterministic');
    const ids = new Set<string>();
    for (const task of tasks) {
      const where = `task ${task.id}`;
      const parsed = taskSchema.safeParse(task);
      if (!parsed.success) add(where, `does not match the task schema: ${parsed.error.issues[0]?.message}`);
      if (ids.has(task.id)) add(where, 'id used twice in the split');
      ids.add(task.id);
      if (task.domain !== domain.name) add(where, `says domain ${task.domain}`);
      for (const [table, rows] of Object.entries(task.initialPatch ?? {})) {
        const schema = Object.hasOwn(domain.tables, table) ? domain.tables[table] : undefined;
        if (!schema) {
          add(where, `initial patch writes table ${table}, which is not declared`);
          continue;
        }
        for (const [key, record] of Object.entries(rows)) {
          const parsed = record === null ? undefined : schema.safeParse(record);
          if (parsed && !parsed.success)
            add(where, `initial patch record ${table}/${key} does not match the table schema: ${formatZodIssues(parsed.error)}`);
        }
      }
      for (const step of task.oracle) {
        if (step.kind === 'call' && !names.has(step.call.name)) add(where, `oracle calls unknown tool ${step.call.name}`);
        if (step.kind === 'ask_user' && !userNames.has(step.call.name))
          add(where, `oracle asks the user for unknown user tool ${step.call.name}`);
      }
      for (const call of task.initialization ?? [])
        if (!callable(call.side, call.name)) add(where, `initialisation names unknown ${call.side}-side function ${call.name}`);
      for (const action of task.user.actions ?? [])
        if (!userNames.has(action.name)) add(where, `user action uses unknown user tool ${action.name}`);
      if (task.expected.kind === 'declared') {
        for (const alternative of task.expected.alternatives) {
          for (const predicate of alternative.required)
            if (predicate.kind === 'query' && !domain.queries[predicate.query]) add(where, `expects unknown query ${predicate.query}`);
        }
      } else if (task.expected.kind === 'gold-replay') {
        for (const action of task.expected.actions) if (!names.has(action.name)) add(where, `gold action uses unknown tool ${action.name}`);
      } else {
        for (const action of task.expected.actions)
          if (!sideNames[action.side].has(action.name)) add(where, `gold action uses unknown ${action.side}-side tool ${action.name}`);
        for (const assertion of task.expected.envAssertions)
          if (!callable(assertion.side, assertion.name))
            add(where, `assertion names unknown ${assertion.side}-side function ${assertion.name}`);
      }
    }
  }
  return problems;
}

/** Names, descriptions and argument schemas of one side's tools; returns their names. */
function checkTools(tools: readonly DomainTool[], label: string, add: (where: string, problem: string) => void): Set<string> {
  const names = new Set<string>();
  for (const tool of tools) {
    if (!TOOL_NAME.test(tool.name)) add(`${label} ${tool.name}`, 'name must match [a-zA-Z0-9_-]{1,64} (provider limits)');
    if (names.has(tool.name)) add(`${label} ${tool.name}`, 'defined twice');
    names.add(tool.name);
    if (!tool.description.trim()) add(`${label} ${tool.name}`, 'has no description');
    try {
      const schema = toolJsonSchema(tool);
      if (schema.type !== 'object') add(`${label} ${tool.name}`, 'arguments must be an object schema');
    } catch (error) {
      add(`${label} ${tool.name}`, `arguments cannot be published as JSON Schema: ${(error as Error).message}`);
    }
  }
  return names;
}
