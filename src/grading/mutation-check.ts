import type { Domain } from '../domains/domain.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import { executeToolCall } from '../domains/tools.ts';
import { canonicalJson, cloneJson, jsonEqual, type JsonObject, type JsonValue } from '../schema/json.ts';
import type { ChangeRule, OutcomeAlternative, Task } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { diffStates, getPath, type RawFieldChange } from '../state/diff.ts';
import type { TableState } from '../state/table-state.ts';
import { gradeEpisode, replayGoldActions } from './grade.ts';
import { tau2LiveGoldState } from './tau2.ts';

/**
 * Grader tightness: from each task's reference end state, systematic mutations of the state, each
 * with the grade the task's expected outcome implies, graded by `gradeEpisode`. The implied grade
 * comes from the declaration's meaning, not from the grader:
 * - undoing a change of the reference solution (a required change) must fail;
 * - a change no allowed-change rule permits (table, key, `where`, op, fields, values, record count) must fail;
 * - a change a rule permits, with allowed values, must keep passing;
 * - gold-replay tasks (τ-bench): any state other than the gold end state must fail.
 * Only the state components are compared (state and collateral); what the agent said is held fixed.
 */

export type MutationKind = 'undo' | 'undo_after_allowed' | 'allowed_extra' | 'delete_record' | 'add_record' | 'change_value';

export interface MutationResult {
  taskId: string;
  family: string;
  kind: MutationKind;
  /** What was changed, e.g. `grants/g-0412.level: "read" → "admin"`. */
  mutation: string;
  expected: 0 | 1;
  got: 0 | 1;
}

export interface MutationTally {
  total: number;
  /** Mutations the expected outcome says must keep passing (the rest must fail). */
  impliedPass: number;
  agreeing: number;
  /** agreeing / total (1 when there is nothing to check). */
  score: number;
}

export interface MutationReport extends MutationTally {
  domain: string;
  tasks: number;
  byFamily: Record<string, MutationTally>;
  byKind: Record<string, MutationTally>;
  /** Mutations whose grade is not the implied one. */
  disagreements: MutationResult[];
  /** Tasks whose reference end state itself does not pass (their mutations are not scored). */
  baselineFailures: { taskId: string; family: string; detail: string }[];
}

export interface MutationCheckOptions {
  /** Records sampled per table besides those the task touches. @default 3 */
  recordsPerTable?: number;
  /** Fields (leaf paths) changed per sampled record. @default 4 */
  fieldsPerRecord?: number;
  /** Other values tried per field. @default 2 */
  valuesPerField?: number;
}

interface Candidate {
  kind: MutationKind;
  mutation: string;
  apply: (state: TableState) => void;
  /** Set when the construction fixes the implied grade (undo); otherwise read from the declaration. */
  expected?: 0 | 1;
}

const at = (table: string, key: string, path = '') => `${table}/${key}${path ? `.${path}` : ''}`;
const show = (value: JsonValue | undefined) => (value === undefined ? 'absent' : JSON.stringify(value).slice(0, 60));

/** The reference end state: gold actions replayed (τ-bench), or the oracle's calls run through the real tools. */
export function referenceEndState(
  domain: Pick<Domain, 'tools'> & Partial<Pick<Domain, 'user' | 'sync'>>,
  task: Task,
  initial: TableState,
): TableState {
  if (task.expected.kind === 'gold-replay') return replayGoldActions(domain, initial, task.expected.actions).state;
  if (task.expected.kind === 'tau2') return tau2LiveGoldState(domain, initial, task.expected);
  const state = initial.fork();
  for (const step of task.oracle) {
    if (step.kind !== 'call' || domain.tools.find((t) => t.name === step.call.name)?.terminal) continue;
    executeToolCall(domain, state, step.call.name, step.call.arguments);
  }
  return state;
}

/** Run the mutation check over tasks of one domain. Pure: same domain and tasks, same report. */
export function mutationCheck(domain: Domain, tasks: readonly Task[], options: MutationCheckOptions = {}): MutationReport {
  const results: MutationResult[] = [];
  const baselineFailures: MutationReport['baselineFailures'] = [];
  for (const task of tasks) {
    const checked = checkTask(domain, task, options);
    if ('baseline' in checked) baselineFailures.push({ taskId: task.id, family: task.family, detail: checked.baseline });
    else results.push(...checked.results);
  }
  const tally = (items: MutationResult[]): MutationTally => {
    const agreeing = items.filter((r) => r.expected === r.got).length;
    return {
      total: items.length,
      impliedPass: items.filter((r) => r.expected === 1).length,
      agreeing,
      score: items.length === 0 ? 1 : agreeing / items.length,
    };
  };
  const groupBy = (key: (r: MutationResult) => string) => {
    const groups: Record<string, MutationResult[]> = {};
    for (const r of results) (groups[key(r)] ??= []).push(r);
    return Object.fromEntries(Object.entries(groups).map(([name, items]) => [name, tally(items)]));
  };
  return {
    domain: domain.name,
    tasks: tasks.length,
    ...tally(results),
    byFamily: groupBy((r) => r.family),
    byKind: groupBy((r) => r.kind),
    disagreements: results.filter((r) => r.expected !== r.got),
    baselineFailures,
  };
}

function checkTask(domain: Domain, task: Task, options: MutationCheckOptions): { results: MutationResult[] } | { baseline: string } {
  const initial = initialStateFor(domain, task);
  const reference = referenceEndState(domain, task, initial);
  const events: TrajectoryEvent[] = task.oracle.flatMap((step) =>
    step.kind === 'say' ? [{ type: 'message' as const, role: 'agent' as const, content: step.text }] : [],
  );
  const stateGrade = (final: TableState): 0 | 1 => {
    const outcome = gradeEpisode({
      domain,
      task,
      initialState: initial,
      finalState: final,
      trajectory: { events, termination: { reason: 'user_stop' } },
    });
    return outcome.state.pass && outcome.collateral.pass ? 1 : 0;
  };
  if (stateGrade(reference) !== 1) return { baseline: 'the reference end state does not pass its own expected outcome' };

  const referenceChanges = diffStates(initial, reference);
  const candidates = mutationsOf(task, initial, reference, referenceChanges, options);
  const seen = new Set<string>([reference.hash()]);
  const results: MutationResult[] = [];
  for (const candidate of candidates) {
    const mutated = reference.fork();
    candidate.apply(mutated);
    const hash = mutated.hash();
    if (seen.has(hash)) continue; // no change, or a state already checked
    seen.add(hash);
    const expected = candidate.expected ?? impliedGrade(task, initial, mutated, referenceChanges);
    results.push({
      taskId: task.id,
      family: task.family,
      kind: candidate.kind,
      mutation: candidate.mutation,
      expected,
      got: stateGrade(mutated),
    });
  }
  return { results };
}

/** The grade the expected outcome implies for a mutated end state. */
function impliedGrade(task: Task, initial: TableState, mutated: TableState, referenceChanges: readonly RawFieldChange[]): 0 | 1 {
  // A gold-replay task has exactly one valid end state: the gold one.
  if (task.expected.kind !== 'declared') return 0;
  if (undoesAny(initial, mutated, referenceChanges)) return 0;
  return task.expected.alternatives.some((alternative) => declarationPermits(alternative, initial, mutated)) ? 1 : 0;
}

/** Whether a change the reference solution made is missing from the state. */
function undoesAny(initial: TableState, state: TableState, referenceChanges: readonly RawFieldChange[]): boolean {
  return referenceChanges.some((change) => {
    if (change.op === 'create') return !state.has(change.table, change.key);
    if (change.op === 'delete') return state.has(change.table, change.key);
    // A record deleted after the update is another change, judged by the rules (e.g. an override removed instead of switched off).
    const record = state.get(change.table, change.key);
    return record !== undefined && jsonEqual(getPath(record, change.path), getPath(initial.get(change.table, change.key), change.path));
  });
}

/**
 * The declaration read record by record: every record that differs from the initial state must be
 * permitted by a rule (table, keys, `where` before or after, op, changed fields, values), and a
 * rule with `maxRecords` permits at most that many records.
 */
function declarationPermits(alternative: OutcomeAlternative, initial: TableState, state: TableState): boolean {
  const records = new Map<string, { table: string; key: string; before?: Readonly<JsonObject>; after?: Readonly<JsonObject> }>();
  for (const change of diffStates(initial, state)) {
    const id = `${change.table}\u0000${change.key}`;
    if (!records.has(id))
      records.set(id, {
        table: change.table,
        key: change.key,
        before: initial.get(change.table, change.key),
        after: state.get(change.table, change.key),
      });
  }
  const used = alternative.allowed.map(() => 0);
  for (const record of [...records.values()].sort((a, b) => (at(a.table, a.key) < at(b.table, b.key) ? -1 : 1))) {
    const index = alternative.allowed.findIndex(
      (rule, i) => (rule.maxRecords === undefined || used[i] < rule.maxRecords) && rulePermitsRecord(rule, record),
    );
    if (index < 0) return false;
    used[index] += 1;
  }
  return true;
}

function rulePermitsRecord(
  rule: ChangeRule,
  record: { table: string; key: string; before?: Readonly<JsonObject>; after?: Readonly<JsonObject> },
): boolean {
  const { before, after } = record;
  const op = before === undefined ? 'create' : after === undefined ? 'delete' : 'update';
  if (rule.table !== record.table) return false;
  if (rule.keys && !rule.keys.includes(record.key)) return false;
  if (rule.ops && !rule.ops.includes(op)) return false;
  const fits = (r?: Readonly<JsonObject>) =>
    r !== undefined && Object.entries(rule.where ?? {}).every(([field, value]) => jsonEqual(getPath(r, field), value));
  if (rule.where && !fits(before) && !fits(after)) return false;
  const changedFields =
    op === 'update' ? [...new Set([...Object.keys(before!), ...Object.keys(after!)])].filter((f) => !jsonEqual(before![f], after![f])) : [];
  if (rule.fields && changedFields.some((f) => !rule.fields!.includes(f))) return false;
  const valueFields =
    op === 'create'
      ? Object.keys(rule.values ?? {})
      : op === 'update'
        ? changedFields.filter((f) => Object.hasOwn(rule.values ?? {}, f))
        : [];
  return valueFields.every((f) => rule.values![f].some((v) => jsonEqual(after![f], v)));
}

/** The mutations of one task's reference end state, in a fixed order. */
function mutationsOf(
  task: Task,
  initial: TableState,
  reference: TableState,
  referenceChanges: readonly RawFieldChange[],
  options: MutationCheckOptions,
): Candidate[] {
  const perTable = options.recordsPerTable ?? 3;
  const perRecord = options.fieldsPerRecord ?? 4;
  const perField = options.valuesPerField ?? 2;
  const out: Candidate[] = [];

  // Undo each required change, on the reference state and after every extra change the rules permit.
  const undo = (change: RawFieldChange) => (state: TableState) => {
    const before = initial.get(change.table, change.key);
    if (change.op !== 'update' || before === undefined || !state.has(change.table, change.key)) {
      if (before === undefined) state.delete(change.table, change.key);
      else state.put(change.table, change.key, cloneJson(before) as JsonObject);
      return;
    }
    setPath(state.mutable(change.table, change.key)!, change.path, getPath(before, change.path));
  };
  const undoLabel = (c: RawFieldChange) => `undo ${c.op} ${at(c.table, c.key, c.path)}`;
  for (const change of referenceChanges) out.push({ kind: 'undo', mutation: undoLabel(change), apply: undo(change), expected: 0 });

  // Extra changes the declaration permits: deletions its rules name (e.g. the file rows of an erasure).
  const extras: { mutation: string; apply: (s: TableState) => void }[] = [];
  if (task.expected.kind === 'declared') {
    for (const rule of task.expected.alternatives.flatMap((a) => a.allowed)) {
      if (rule.ops && !rule.ops.includes('delete')) continue;
      const keys = (rule.keys ?? reference.keys(rule.table)).filter((key) => {
        const record = reference.get(rule.table, key);
        return record !== undefined && Object.entries(rule.where ?? {}).every(([field, value]) => jsonEqual(getPath(record, field), value));
      });
      for (const key of keys.slice(0, 8))
        extras.push({ mutation: `delete ${at(rule.table, key)} (permitted)`, apply: (s) => s.delete(rule.table, key) });
    }
  }
  for (const extra of extras) out.push({ kind: 'allowed_extra', ...extra });
  if (extras.length > 1) {
    const all = (s: TableState) => {
      for (const extra of extras) extra.apply(s);
    };
    out.push({ kind: 'allowed_extra', mutation: `all ${extras.length} permitted deletions`, apply: all });
    for (const change of referenceChanges)
      out.push({
        kind: 'undo_after_allowed',
        mutation: `${undoLabel(change)} after all permitted deletions`,
        apply: (s) => (all(s), undo(change)(s)),
        expected: 0,
      });
  } else if (extras.length === 1) {
    for (const change of referenceChanges)
      out.push({
        kind: 'undo_after_allowed',
        mutation: `${undoLabel(change)} after ${extras[0].mutation}`,
        apply: (s) => (extras[0].apply(s), undo(change)(s)),
        expected: 0,
      });
  }

  // Records to mutate: those the reference changed or the rules name, and an evenly spaced sample of every table.
  const named = new Map<string, string[]>();
  const name = (table: string, key: string) => {
    const keys = named.get(table) ?? [];
    if (!keys.includes(key) && reference.has(table, key)) keys.push(key);
    named.set(table, keys);
  };
  for (const change of referenceChanges) name(change.table, change.key);
  if (task.expected.kind === 'declared') {
    for (const rule of task.expected.alternatives.flatMap((a) => a.allowed)) {
      const keys =
        rule.keys ??
        reference
          .keys(rule.table)
          .filter((key) =>
            Object.entries(rule.where ?? {}).every(([field, value]) => jsonEqual(getPath(reference.get(rule.table, key), field), value)),
          );
      for (const key of keys.slice(0, 6)) name(rule.table, key);
    }
  }
  for (const table of reference.tables().sort()) {
    const keys = reference.keys(table);
    const sample = evenlySpaced(keys, perTable);
    const chosen = [...(named.get(table) ?? []), ...sample.filter((k) => !(named.get(table) ?? []).includes(k))];
    chosen.forEach((key, index) => {
      const record = reference.get(table, key)!;
      out.push({ kind: 'delete_record', mutation: `delete ${at(table, key)}`, apply: (s) => s.delete(table, key) });
      // A copy under a new key: one per table, plus one of each record the task names (e.g. a second grant).
      if (index === 0 || (named.get(table) ?? []).includes(key)) {
        const newKey = freshKey(reference, table, key);
        const copy = cloneJson(record) as JsonObject;
        if (copy.id === key) copy.id = newKey;
        out.push({ kind: 'add_record', mutation: `add ${at(table, newKey)} (a copy of ${key})`, apply: (s) => s.put(table, newKey, copy) });
      }
      const paths = evenlySpaced(leafPaths(record), (named.get(table) ?? []).includes(key) ? perRecord * 2 : perRecord);
      for (const path of paths) {
        const current = getPath(record, path);
        for (const value of otherValues(reference, table, path, current, perField, rulesValues(task, table, path))) {
          out.push({
            kind: 'change_value',
            mutation: `${at(table, key, path)}: ${show(current)} → ${show(value)}`,
            apply: (s) => setPath(s.mutable(table, key)!, path, value),
          });
        }
      }
    });
  }
  return out;
}

/** Values the declaration lists for a top-level field (tried first: they must keep passing). */
function rulesValues(task: Task, table: string, path: string): JsonValue[] {
  if (task.expected.kind !== 'declared' || path.includes('.')) return [];
  return task.expected.alternatives.flatMap((a) => a.allowed.filter((r) => r.table === table).flatMap((r) => r.values?.[path] ?? []));
}

/** Other values of a field: listed values, values the column holds elsewhere, or a neighbour of its type. */
function otherValues(
  state: TableState,
  table: string,
  path: string,
  current: JsonValue | undefined,
  limit: number,
  listed: JsonValue[],
): JsonValue[] {
  const out: JsonValue[] = [];
  const add = (value: JsonValue | undefined) => {
    if (value !== undefined && !jsonEqual(value, current) && !out.some((v) => jsonEqual(v, value))) out.push(value);
  };
  for (const value of listed) add(value);
  if (typeof current === 'boolean') add(!current);
  else if (typeof current === 'number') {
    add(current + 1);
    add(current === 0 ? 100 : current * 2);
  } else if (Array.isArray(current)) {
    if (current.length > 0) add(current.slice(0, -1));
    add([...current, current.length > 0 ? cloneJson(current[0]) : 'x']);
  } else {
    // Strings and nulls: the column's own values (levels, statuses, owners), in a fixed order.
    const column = new Map<string, JsonValue>();
    for (const key of evenlySpaced(state.keys(table), 200)) {
      const value = getPath(state.get(table, key), path);
      if (value !== undefined && (typeof value === 'string' || value === null)) column.set(canonicalJson(value), value);
    }
    for (const value of [...column.values()].sort((a, b) => (String(a) < String(b) ? -1 : 1))) add(value);
    if (typeof current === 'string') add(`${current}-changed`);
  }
  return out.slice(0, Math.max(limit, listed.length));
}

/** Dot paths of a record's scalar and array values (objects are walked into). */
function leafPaths(record: unknown, prefix = ''): string[] {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return prefix ? [prefix] : [];
  return Object.keys(record as object)
    .sort()
    .flatMap((key) => leafPaths((record as Record<string, unknown>)[key], prefix ? `${prefix}.${key}` : key));
}

function setPath(record: JsonObject, path: string, value: JsonValue | undefined): void {
  const parts = path.split('.');
  let current: Record<string, JsonValue> = record;
  for (const part of parts.slice(0, -1)) current = current[part] as Record<string, JsonValue>;
  const last = parts[parts.length - 1];
  if (value === undefined) delete current[last];
  else current[last] = cloneJson(value);
}

function evenlySpaced<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

function freshKey(state: TableState, table: string, key: string): string {
  let candidate = `${key}-mutant`;
  for (let n = 2; state.has(table, candidate); n++) candidate = `${key}-mutant${n}`;
  return candidate;
}
