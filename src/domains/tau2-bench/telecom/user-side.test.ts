import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { canonicalJson, type JsonObject, type JsonValue, jsonEqual } from '../../../schema/json.ts';
import { TableState } from '../../../state/table-state.ts';
import type { Domain, Side } from '../../domain.ts';
import { executeSideToolCall, runEnvFunction, toolJsonSchema } from '../../tools.ts';
import { benchmarksDir, REPO_ROOT } from '../../tau-bench/data.ts';
import { TELECOM_AGENT_TABLES } from './agent-tables.ts';
import { createTau2TelecomDomain } from './index.ts';
import { syncTelecom } from './sync.ts';
import { TELECOM_USER_FUNCTIONS } from './user-functions.ts';
import { parseTelecomUserDb, userTau2Dump } from './user-tables.ts';
import { createTelecomUserTools } from './user-tools.ts';

/**
 * τ²-bench telecom, user side (the phone, its tools, environment functions and the sync with the
 * agent's side), against values produced by running τ²'s own code: the fixture's `how` says what
 * was run and how each value is made. Every task's initialisation, gold actions and assertions
 * (user-side outputs byte-equal, user database equal after every step), and seeded random
 * sequences of user tools, user functions and agent-side changes the phone must reflect.
 */

type Kind = 'tool' | 'fn';
type Tau2Side = 'user' | 'agent';
/** Agent records a step changed: whole new records (`new`) or the changed fields. */
type FieldPatch = Record<string, Record<string, JsonObject>>;
type FuzzStep = [Kind, Tau2Side, string, Record<string, JsonValue>, string, boolean, string, FieldPatch?];

interface Fixture {
  how: string;
  initialUser: JsonObject;
  tools: {
    name: string;
    kind: string;
    description: string;
    parameters: { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  }[];
  digests: string[];
  small: Record<string, [Kind, Tau2Side, string, string, boolean, string][]>;
  fuzz: { task: string; steps: FuzzStep[] }[];
}

interface Tau2Call {
  env_type?: 'user' | 'assistant';
  requestor?: 'user' | 'assistant';
  func_name?: string;
  name?: string;
  arguments: Record<string, JsonValue>;
}
interface Tau2Task {
  id: string;
  initial_state?: { initialization_actions?: Tau2Call[] | null } | null;
  evaluation_criteria?: { actions?: Tau2Call[] | null; env_assertions?: Tau2Call[] | null } | null;
}

const fixture = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'tau2-telecom', 'user-side.json'), 'utf8')) as Fixture;
const dataDir = path.join(benchmarksDir(), 'tau2-bench', 'telecom');
const tasks = JSON.parse(readFileSync(path.join(dataDir, 'tasks_full_generated.json'), 'utf8')) as Tau2Task[];
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const userHash = (state: TableState) => sha256(canonicalJson(userTau2Dump(state)));
const AGENT_TABLES = Object.keys(TELECOM_AGENT_TABLES);

const domain = createTau2TelecomDomain({});

/** One step as τ² ran it. */
interface StepResult {
  payload: string;
  error: boolean;
}

/** A tool call (τ²'s `get_response`) or an environment function (`run_env_function_call`) on our domain. */
function runStep(state: TableState, kind: Kind, side: Tau2Side, name: string, args: Record<string, JsonValue>): StepResult {
  const ourSide: Side = side === 'user' ? 'user' : 'agent';
  if (kind === 'tool') {
    const result = executeSideToolCall(domain, state, ourSide, name, args);
    return { payload: result.content, error: result.isError };
  }
  try {
    return { payload: canonicalJson(runEnvFunction(domain, state, { side: ourSide, name, arguments: args })), error: false };
  } catch {
    return { payload: 'raised', error: true };
  }
}

/** Agent records changed between two states, whole (`{table: {id: record}}`). */
function changedAgentRecords(before: TableState, after: TableState): Record<string, Record<string, JsonValue>> {
  const out: Record<string, Record<string, JsonValue>> = {};
  for (const table of AGENT_TABLES)
    for (const key of after.keys(table)) {
      const record = after.get(table, key)!;
      const old = before.get(table, key);
      // A fork shares its records until one is written: only a record that is not the same object can differ.
      if (old !== record && !jsonEqual(old, record)) (out[table] ??= {})[key] = record;
    }
  return out;
}

/** The same as field changes (`new` for added records), as the fuzz fixture records them. */
function changedAgentFields(before: TableState, after: TableState): FieldPatch {
  const out: FieldPatch = {};
  for (const [table, rows] of Object.entries(changedAgentRecords(before, after)))
    for (const [key, record] of Object.entries(rows)) {
      const old = before.get(table, key);
      const fields: JsonObject = {};
      if (!old) fields.new = record;
      else for (const [field, value] of Object.entries(record as JsonObject)) if (!jsonEqual(old[field], value)) fields[field] = value;
      (out[table] ??= {})[key] = fields;
    }
  return out;
}

/** Applies agent-side changes τ² recorded (instead of running the agent's tools). */
function applyAgentFields(state: TableState, patch: FieldPatch): void {
  for (const [table, rows] of Object.entries(patch))
    for (const [key, fields] of Object.entries(rows)) {
      if (fields.new) state.put(table, key, fields.new as JsonObject);
      else Object.assign(state.mutable(table, key)!, fields);
    }
}

/** A task's steps in τ²'s order: initialisation actions, gold actions, assertions. */
function stepsOf(task: Tau2Task): [Kind, Tau2Side, string, Record<string, JsonValue>][] {
  const side = (call: Tau2Call): Tau2Side => ((call.env_type ?? call.requestor) === 'user' ? 'user' : 'agent');
  return [
    ...(task.initial_state?.initialization_actions ?? []).map((c) => ['fn', side(c), c.func_name!, c.arguments] as const),
    ...(task.evaluation_criteria?.actions ?? []).map((c) => ['tool', side(c), c.name!, c.arguments] as const),
    ...(task.evaluation_criteria?.env_assertions ?? []).map((c) => ['fn', side(c), c.func_name!, c.arguments] as const),
  ] as [Kind, Tau2Side, string, Record<string, JsonValue>][];
}

/** Runs a task's steps on a fresh state; returns the digest lines (see the fixture's `how`) and the state. */
function replayTask(task: Tau2Task): { lines: string[]; state: TableState } {
  const state = TableState.over(domain.base().tables, domain.base().hash);
  const lines: string[] = [];
  for (const [kind, side, name, args] of stepsOf(task)) {
    const before = side === 'user' ? state.fork() : undefined;
    const { payload, error } = runStep(state, kind, side, name, args);
    const changed = before ? changedAgentRecords(before, state) : {};
    const shownChanges = Object.keys(changed).length > 0 ? canonicalJson(changed) : '';
    lines.push([kind, side, name, side === 'user' ? payload : '', error ? 'E' : '', shownChanges, userHash(state)].join('\t'));
  }
  return { lines, state };
}

describe('τ²-bench telecom user side', () => {
  it('loads user_db.toml as τ²’s TelecomUserDB, every default filled', () => {
    const tables = parseTelecomUserDb(readFileSync(path.join(dataDir, 'user_db.toml'), 'utf8'));
    assert.deepEqual(userTau2Dump(TableState.over(tables)), fixture.initialUser);
    assert.deepEqual(userTau2Dump(TableState.over(domain.base().tables)), fixture.initialUser);
  });

  it('offers τ²’s user tools: names, order, kinds, descriptions and arguments', () => {
    const tools = createTelecomUserTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      fixture.tools.map((t) => t.name),
    );
    for (const [i, tool] of tools.entries()) {
      const expected = fixture.tools[i];
      assert.equal(tool.kind, expected.kind, tool.name);
      assert.equal(tool.description, expected.description, tool.name);
      const schema = toolJsonSchema(tool) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
      const properties = expected.parameters.properties ?? {};
      assert.deepEqual(Object.keys(schema.properties ?? {}), Object.keys(properties), tool.name);
      assert.deepEqual(schema.required ?? [], expected.parameters.required ?? [], tool.name);
      for (const [name, property] of Object.entries(properties))
        assert.equal(schema.properties?.[name]?.description, property.description, `${tool.name}.${name}`);
    }
  });

  it('replays the 20 small tasks step by step as τ² does (user outputs byte-equal, user database after each step)', () => {
    const byId = new Map(tasks.map((task) => [task.id, task]));
    assert.equal(Object.keys(fixture.small).length, 20);
    for (const [id, expected] of Object.entries(fixture.small)) {
      const { lines } = replayTask(byId.get(id)!);
      const actual = lines.map((line) => {
        const [kind, side, name, payload, error, , hash] = line.split('\t');
        return [kind, side, name, payload, error === 'E', hash.slice(0, 16)];
      });
      assert.deepEqual(actual, expected, id);
    }
  });

  it('replays every generated task’s initialisation, gold actions and assertions as τ² does', () => {
    assert.equal(fixture.digests.length, tasks.length);
    const failures: string[] = [];
    tasks.forEach((task, i) => {
      const { lines } = replayTask(task);
      if (sha256(lines.join('\n')).slice(0, 16) !== fixture.digests[i]) failures.push(task.id);
    });
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${tasks.length} tasks differ from τ²`);
  });

  it('follows τ² through random user tool calls, user functions and agent-side changes (sync)', () => {
    const byId = new Map(tasks.map((task) => [task.id, task]));
    assert.ok(fixture.fuzz.length >= 30);
    for (const sequence of fixture.fuzz) {
      const { state } = replayTask(byId.get(sequence.task)!);
      sequence.steps.forEach(([kind, side, name, args, output, error, hash, patch], i) => {
        const where = `${sequence.task} step ${i} ${side} ${name}(${JSON.stringify(args)})`;
        if (side === 'agent') {
          // τ²'s agent tools made these changes; the phone must show them after the sync.
          applyAgentFields(state, patch ?? {});
          if (!error) syncTelecom(state);
        } else {
          const before = state.fork();
          const result = runStep(state, kind, side, name, args);
          assert.equal(sha256(result.payload).slice(0, 8), output, `${where}: output ${JSON.stringify(result.payload)}`);
          assert.equal(result.error, error, `${where}: error`);
          assert.deepEqual(changedAgentFields(before, state), patch ?? {}, `${where}: agent records`);
        }
        assert.equal(userHash(state).slice(0, 10), hash, `${where}: user database ${JSON.stringify(userTau2Dump(state))}`);
      });
    }
  });

  it('functions and tools run on the user side only', () => {
    const state = TableState.over(domain.base().tables, domain.base().hash);
    assert.equal(executeSideToolCall(domain as Domain, state, 'agent', 'toggle_data', {}).isError, true);
    assert.ok(TELECOM_USER_FUNCTIONS.turn_data_off);
    assert.throws(() => runEnvFunction(domain, state, { side: 'user', name: 'no_such_function', arguments: {} }), /no user-side function/);
  });
});
