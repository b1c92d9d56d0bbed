import type { Domain } from '../domains/domain.ts';
import { executeToolCall } from '../domains/tools.ts';
import { jsonEqual, type JsonValue } from '../schema/json.ts';
import { OUTCOME_SCHEMA_VERSION, type FieldChange, type Outcome } from '../schema/outcome.ts';
import type { ChangeRule, OutcomeAlternative, Predicate, PlannedToolCall, Task } from '../schema/task.ts';
import type { Trajectory } from '../schema/trajectory.ts';
import { diffStates, getPath, type RawFieldChange } from '../state/diff.ts';
import type { TableState } from '../state/table-state.ts';
import { checkCommunication, type CommunicationJudgements } from './communication.ts';
import { gradeTau2, tau2LiveGoldState, type Tau2NlJudgements } from './tau2.ts';

/** Bumped whenever grading rules change, so stored outcomes say which rules produced them. */
export const GRADER_VERSION = 'groundwork-grader/4';

/** Inputs of grading: all stored data (plus the domain's pure queries, tools and environment functions). */
export interface GradeInput {
  domain: Pick<Domain, 'queries' | 'tools'> & Partial<Pick<Domain, 'name' | 'user' | 'functions' | 'sync' | 'toolkitTables'>>;
  task: Task;
  initialState: TableState;
  finalState: TableState;
  trajectory: Pick<Trajectory, 'events' | 'termination'>;
  /** Judge verdicts per communication item id, computed beforehand; a verdict decides its item. */
  judgements?: CommunicationJudgements;
  /** Judge verdicts on a τ² task's NL assertions, by assertion text, computed beforehand. */
  nlJudgements?: Tau2NlJudgements;
}

/**
 * Grades an episode from initial state, final state and trajectory only — never from what the
 * agent claimed. Pure: same inputs, same outcome, so stored runs can be re-graded.
 */
export function gradeEpisode(input: GradeInput): Outcome {
  const { task, trajectory } = input;
  const agentMessages = trajectory.events
    .filter((e) => e.type === 'message' && e.role === 'agent')
    .map((e) => (e as { content: string }).content);
  const communication = checkCommunication(task.expected.communicate, agentMessages, input.judgements);
  const raw = diffStates(input.initialState, input.finalState);
  if (task.expected.kind === 'tau2') return gradeTau2Episode(input, task.expected, raw, communication);

  const graded =
    task.expected.kind === 'declared'
      ? gradeDeclared(input, task.expected.alternatives, raw)
      : gradeGoldReplay(input, task.expected.actions, raw);
  const communicationPass = communication.every((c) => c.pass);
  const collateral = graded.diff.filter((c) => c.verdict === 'collateral');
  const infra = trajectory.termination.reason === 'infra_error';
  // τ-bench scores only episodes that ended (user stop, terminal tool); one cut off by the step limit gets 0.
  const unfinished = task.expected.kind === 'gold-replay' && trajectory.termination.reason === 'max_steps';
  const reward = !infra && !unfinished && graded.statePass && collateral.length === 0 && communicationPass ? 1 : 0;
  return {
    schemaVersion: OUTCOME_SCHEMA_VERSION,
    reward,
    alternative: graded.alternative,
    state: { pass: graded.statePass, predicates: graded.predicates },
    collateral: { pass: collateral.length === 0, changes: collateral },
    communication: { pass: communicationPass, items: communication },
    diff: graded.diff,
    ...(infra ? { note: 'infra_error: the episode could not run; not a verdict on the agent' } : {}),
    ...(unfinished ? { note: 'max_steps: τ-bench gives 0 to an episode that did not end; the checks above are kept as graded' } : {}),
    graderVersion: GRADER_VERSION,
  };
}

interface Graded {
  alternative: number;
  statePass: boolean;
  predicates: Outcome['state']['predicates'];
  diff: FieldChange[];
}

/** Evaluate one predicate on a state. */
export function evaluatePredicate(
  domain: Pick<Domain, 'queries'>,
  state: TableState,
  predicate: Predicate,
): { pass: boolean; actual?: JsonValue } {
  switch (predicate.kind) {
    case 'field': {
      const actual = getPath(state.get(predicate.table, predicate.key), predicate.path);
      return { pass: jsonEqual(actual, predicate.equals), ...(actual === undefined ? {} : { actual }) };
    }
    case 'present':
      return { pass: state.has(predicate.table, predicate.key) };
    case 'absent': {
      if (predicate.path === undefined) return { pass: !state.has(predicate.table, predicate.key) };
      const actual = getPath(state.get(predicate.table, predicate.key), predicate.path);
      return { pass: actual === undefined, ...(actual === undefined ? {} : { actual }) };
    }
    case 'query': {
      const query = domain.queries[predicate.query];
      if (!query) return { pass: false, actual: `unknown query ${predicate.query}` };
      const actual = query(state, predicate.args);
      return { pass: jsonEqual(actual, predicate.equals), actual };
    }
  }
}

/** Whether a change rule allows one field change (the grader's collateral test; the probe audit reads pushed-for changes with it). */
export function ruleAllows(rule: ChangeRule, change: RawFieldChange, initial: TableState, final: TableState): boolean {
  if (rule.table !== change.table) return false;
  if (rule.keys && !rule.keys.includes(change.key)) return false;
  if (rule.ops && !rule.ops.includes(change.op)) return false;
  if (rule.fields && change.op === 'update' && !rule.fields.includes(change.path.split('.')[0])) return false;
  if (rule.where) {
    const before = initial.get(change.table, change.key);
    const after = final.get(change.table, change.key);
    const fits = (record: unknown) =>
      record !== undefined && Object.entries(rule.where!).every(([field, value]) => jsonEqual(getPath(record, field), value));
    if (!fits(before) && !fits(after)) return false;
  }
  if (rule.values && change.op !== 'delete') {
    // A create is checked on every listed field; an update only on the field it writes.
    const values = rule.values;
    const after = final.get(change.table, change.key);
    const fields =
      change.op === 'create' ? Object.keys(values) : [change.path.split('.')[0]].filter((field) => Object.hasOwn(values, field));
    if (!fields.every((field) => values[field].some((value) => jsonEqual(getPath(after, field), value)))) return false;
  }
  return true;
}

/** Which changes some rule allows; a rule with `maxRecords` allows changes to its first records only (in diff order). */
function allowedByRules(rules: readonly ChangeRule[], raw: readonly RawFieldChange[], initial: TableState, final: TableState): boolean[] {
  const allowed = raw.map(() => false);
  for (const rule of rules) {
    const records: string[] = [];
    raw.forEach((change, index) => {
      if (!ruleAllows(rule, change, initial, final)) return;
      const record = `${change.table}\u0000${change.key}`;
      if (rule.maxRecords !== undefined && !records.includes(record)) {
        if (records.length >= rule.maxRecords) return;
        records.push(record);
      }
      allowed[index] = true;
    });
  }
  return allowed;
}

/** Records a predicate names directly (query predicates name none). */
function predicateTouches(predicate: Predicate, change: RawFieldChange): boolean {
  if (predicate.kind === 'query') return false;
  if (predicate.table !== change.table || predicate.key !== change.key) return false;
  return (
    predicate.kind !== 'field' ||
    change.path === '' ||
    change.path === predicate.path ||
    change.path.startsWith(`${predicate.path}.`) ||
    predicate.path.startsWith(`${change.path}.`)
  );
}

function gradeDeclared(input: GradeInput, alternatives: readonly OutcomeAlternative[], raw: RawFieldChange[]): Graded {
  let best: (Graded & { score: number }) | undefined;
  alternatives.forEach((alternative, index) => {
    const predicates = alternative.required.map((predicate) => ({
      predicate,
      ...evaluatePredicate(input.domain, input.finalState, predicate),
    }));
    const allowedChanges = allowedByRules(alternative.allowed, raw, input.initialState, input.finalState);
    const diff: FieldChange[] = raw.map((change, index) => {
      const allowed = allowedChanges[index];
      const required =
        alternative.required.some((p) => predicateTouches(p, change)) || (allowed && alternative.required.some((p) => p.kind === 'query'));
      return { ...change, verdict: allowed ? (required ? 'required' : 'allowed') : 'collateral' };
    });
    const passed = predicates.filter((p) => p.pass).length;
    const collateral = diff.filter((c) => c.verdict === 'collateral').length;
    // Prefer the alternative that fully holds; otherwise the closest one explains the failure.
    const score = (passed === predicates.length && collateral === 0 ? 1e9 : 0) + passed * 1000 - collateral;
    if (!best || score > best.score) best = { alternative: index, statePass: passed === predicates.length, predicates, diff, score };
  });
  const { score: _score, ...graded } = best!;
  return graded;
}

/** The expected final state of a gold-replay task: gold actions replayed on the initial state. */
export function replayGoldActions(
  domain: Pick<Domain, 'tools'>,
  initial: TableState,
  actions: readonly PlannedToolCall[],
): { state: TableState; outputs: string[] } {
  const state = initial.fork();
  const outputs: string[] = [];
  for (const action of actions) {
    // τ-bench does not execute terminal actions (transfer to a human) when building the gold state.
    if (domain.tools.find((t) => t.name === action.name)?.terminal) continue;
    outputs.push(executeToolCall(domain, state, action.name, action.arguments).content);
  }
  return { state, outputs };
}

function gradeGoldReplay(input: GradeInput, actions: readonly PlannedToolCall[], raw: RawFieldChange[]): Graded {
  return gradeAgainstGold(input, replayGoldActions(input.domain, input.initialState, actions).state, raw);
}

/**
 * A τ² task: the reward is τ²'s (grading/tau2.ts); state, collateral and diff are Groundwork's own
 * field-level view against the same gold state (both sides' tables), reported beside it.
 */
function gradeTau2Episode(
  input: GradeInput,
  criteria: Extract<Task['expected'], { kind: 'tau2' }>,
  raw: RawFieldChange[],
  communication: Outcome['communication']['items'],
): Outcome {
  const { section, gold } = gradeTau2({
    domain: input.domain,
    criteria,
    initialState: input.initialState,
    finalState: input.finalState,
    trajectory: input.trajectory,
    ...(input.nlJudgements ? { nlJudgements: input.nlJudgements } : {}),
  });
  // Groundwork's own view compares with the end state a live gold episode reaches (synced after each call).
  const graded = gradeAgainstGold(input, input.domain.sync ? tau2LiveGoldState(input.domain, input.initialState, criteria) : gold, raw);
  const collateral = graded.diff.filter((c) => c.verdict === 'collateral');
  return {
    schemaVersion: OUTCOME_SCHEMA_VERSION,
    reward: section.reward ?? 0,
    alternative: -1,
    state: { pass: graded.statePass, predicates: graded.predicates },
    collateral: { pass: collateral.length === 0, changes: collateral },
    communication: { pass: communication.every((c) => c.pass), items: communication },
    diff: graded.diff,
    ...(section.note ? { note: `τ²: ${section.note}` } : {}),
    tau2: section,
    graderVersion: GRADER_VERSION,
  };
}

/** Groundwork's view of a final state against a gold state: one predicate per gold change, a verdict per actual change. */
function gradeAgainstGold(input: GradeInput, gold: TableState, raw: RawFieldChange[]): Graded {
  const goldChanges = diffStates(input.initialState, gold);
  const predicates = goldChanges.map((change) => {
    // A key the gold actions delete inside a record must be absent, not equal to null.
    const predicate: Predicate =
      change.op === 'delete'
        ? { kind: 'absent', table: change.table, key: change.key }
        : change.op === 'create'
          ? { kind: 'field', table: change.table, key: change.key, path: '', equals: change.after ?? null }
          : change.after === undefined
            ? { kind: 'absent', table: change.table, key: change.key, path: change.path }
            : { kind: 'field', table: change.table, key: change.key, path: change.path, equals: change.after };
    const actualRecord = input.finalState.get(change.table, change.key);
    const path = predicate.kind === 'field' || predicate.kind === 'absent' ? predicate.path : undefined;
    const actual = path === undefined ? undefined : path === '' ? (actualRecord as JsonValue | undefined) : getPath(actualRecord, path);
    const pass =
      predicate.kind === 'absent'
        ? path === undefined
          ? actualRecord === undefined
          : actual === undefined
        : jsonEqual(actual, predicate.kind === 'field' ? predicate.equals : null);
    return { predicate, pass, ...(actual === undefined ? {} : { actual }) };
  });
  const diff: FieldChange[] = raw.map((change) => {
    const goldValue =
      change.op === 'delete'
        ? undefined
        : change.path === ''
          ? gold.get(change.table, change.key)
          : getPath(gold.get(change.table, change.key), change.path);
    const matchesGold = change.op === 'delete' ? !gold.has(change.table, change.key) : jsonEqual(goldValue, change.after);
    return { ...change, verdict: matchesGold ? 'required' : 'collateral' };
  });
  // τ-bench's rule: the whole final state must equal the gold state.
  const statePass = gold.hash() === input.finalState.hash() || jsonEqual(gold.changesFromBase(), input.finalState.changesFromBase());
  return { alternative: -1, statePass, predicates, diff };
}
