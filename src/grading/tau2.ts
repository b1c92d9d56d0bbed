import type { Domain } from '../domains/domain.ts';
import { executeSideToolCall, runEnvFunction } from '../domains/tools.ts';
import { describeError } from '../errors.ts';
import { jsonEqual, type JsonValue } from '../schema/json.ts';
import type { CommunicationJudgement, Outcome, Tau2Outcome } from '../schema/outcome.ts';
import type { TablePatch, Tau2Criteria, Tau2RewardComponent } from '../schema/task.ts';
import type { TerminationReason, Trajectory, TrajectoryEvent } from '../schema/trajectory.ts';
import type { TableState } from '../state/table-state.ts';
import { phraseOccurs } from './communication.ts';

// τ²-bench's evaluation (tau2/evaluator/*.py at the data's commit), re-implemented from its
// semantics: the reward is the product of the components in the task's reward basis; the other
// components are computed and reported but do not count.

/** Judge verdicts on a task's NL assertions, keyed by the assertion's text. */
export type Tau2NlJudgements = Readonly<Record<string, CommunicationJudgement>>;

/** What grading an episode by τ²'s rules needs: stored data only. */
export interface Tau2GradeInput {
  domain: Pick<Domain, 'tools'> & Partial<Pick<Domain, 'name' | 'user' | 'functions' | 'sync' | 'toolkitTables'>>;
  criteria: Tau2Criteria;
  /** The state the episode started from (`initialStateFor(domain, task)`). */
  initialState: TableState;
  /** The episode's final state (both sides' tables). */
  finalState: TableState;
  trajectory: Pick<Trajectory, 'events' | 'termination'>;
  /** Verdicts of a judge on the NL assertions (absent: NL_ASSERTION is pending when the basis needs it). */
  nlJudgements?: Tau2NlJudgements;
}

/** τ²'s grade and the gold state it compared with (for Groundwork's own diff). */
export interface Tau2Grade {
  section: Tau2Outcome;
  /** Fresh initial state with the gold actions replayed by their sides, as τ²'s evaluator builds it. */
  gold: TableState;
}

/** The terminations τ² grades; any other scores 0 with no check computed. */
const GRADED_TERMINATIONS: ReadonlySet<TerminationReason> = new Set(['user_stop', 'agent_stop']);

type Bit = 0 | 1;
const bit = (pass: boolean): Bit => (pass ? 1 : 0);

/**
 * Grades an episode as τ²'s `evaluate_simulation` (evaluation type ALL) does. Pure: the same stored
 * inputs and verdicts give the same grade.
 */
export function gradeTau2(input: Tau2GradeInput): Tau2Grade {
  const { criteria, trajectory } = input;
  const gold = tau2GoldState(input.domain, input.initialState, criteria);
  const basis = [...criteria.rewardBasis];
  const reason = trajectory.termination.reason;
  if (!GRADED_TERMINATIONS.has(reason)) {
    const infra = reason === 'infra_error' ? '; infra_error: the episode could not run, so this is not a verdict on the agent' : '';
    return {
      gold,
      section: {
        reward: 0,
        basis,
        pending: [],
        premature: reason,
        breakdown: {},
        db: null,
        envAssertions: null,
        actions: null,
        communicate: null,
        nlAssertions: null,
        note: `Simulation terminated prematurely. Termination reason: ${reason}${infra}`,
      },
    };
  }

  // τ² replays the episode's tool calls on a fresh environment and syncs once more at the end; tools
  // are deterministic, so that is the stored final state, synced.
  const predicted = input.finalState.fork();
  // A state the tools could not have produced (an imported or mutated one) may fail to sync: grade it as it is.
  let syncError: string | undefined;
  try {
    input.domain.sync?.(predicted);
  } catch (error) {
    syncError = describeError(error);
  }

  const envChecked = criteria.noEnvCriteria !== true;
  const db = envChecked
    ? compareDatabases(input.domain, gold, predicted)
    : { pass: true, agent: true, user: input.domain.user ? true : null };
  const envAssertions = envChecked ? runAssertions(input.domain, predicted, criteria) : [];
  const actions = criteria.actions.length > 0 ? matchActions(criteria, trajectory.events) : null;
  const communicate = criteria.communicate.length > 0 ? checkCommunicate(criteria, trajectory.events) : null;
  const nlAssertions = criteria.nlAssertions.length > 0 ? nlVerdicts(criteria.nlAssertions, input.nlJudgements) : null;

  const values: Record<Tau2RewardComponent, Bit | null> = {
    DB: bit(db.pass),
    ENV_ASSERTION: bit(envAssertions.every((a) => a.met)),
    ACTION: bit((actions ?? []).every((a) => a.met)),
    COMMUNICATE: bit((communicate ?? []).every((c) => c.met)),
    // Pending while any assertion lacks a verdict; no assertions at all is 1, as in τ².
    NL_ASSERTION: (nlAssertions ?? []).some((a) => a.met === null) ? null : bit((nlAssertions ?? []).every((a) => a.met)),
  };
  const counted = [...new Set(basis)];
  const breakdown: Partial<Record<Tau2RewardComponent, Bit>> = {};
  const pending: Tau2RewardComponent[] = [];
  for (const component of counted) {
    const value = values[component];
    if (value === null) pending.push(component);
    else breakdown[component] = value;
  }
  // A failed component decides the product whatever the judge says; otherwise pending leaves it open.
  const known = Object.values(breakdown);
  const reward: Bit | null = known.includes(0) ? 0 : pending.length > 0 ? null : 1;
  return {
    gold,
    section: {
      reward,
      basis,
      pending,
      breakdown,
      db,
      envAssertions: envChecked ? envAssertions : null,
      actions,
      communicate,
      // τ² runs the NL judge only when the basis counts it (an empty list when there is nothing to judge).
      nlAssertions: counted.includes('NL_ASSERTION') || nlAssertions?.some((a) => a.met !== null) ? (nlAssertions ?? []) : null,
      ...(!envChecked ? { note: 'No expected actions or env assertions: τ² passes the DB check without comparing' } : {}),
      ...(syncError ? { note: `the final state could not be synced (${syncError}); graded unsynced` } : {}),
      ...(pending.length > 0 && reward === null
        ? { note: `τ²'s reward needs a judge: ${pending.join(', ')} not graded yet (groundwork regrade RUN --judge MODEL)` }
        : {}),
    },
  };
}

/**
 * The gold state τ²'s evaluator compares with: the fresh initial state (synced, as τ²'s
 * `set_state` ends), then every gold action run by its requestor. τ² runs them with
 * `make_tool_call`, which does not sync; a failing action is logged and the replay goes on.
 */
export function tau2GoldState(domain: Tau2GradeInput['domain'], initial: TableState, criteria: Pick<Tau2Criteria, 'actions'>): TableState {
  const gold = initial.fork();
  domain.sync?.(gold);
  const unsynced = { tools: domain.tools, user: domain.user };
  for (const action of criteria.actions) executeSideToolCall(unsynced, gold, action.side, action.name, action.arguments);
  return gold;
}

/**
 * The gold end state as a live episode reaches it: each gold action by its side, the two sides
 * synced after every call as episodes (and τ²'s own orchestrator) run them. Groundwork's field-level
 * view compares with this; τ²'s DB check keeps `tau2GoldState`, and the two differ where a sync
 * between gold actions matters (telecom).
 */
export function tau2LiveGoldState(
  domain: Tau2GradeInput['domain'],
  initial: TableState,
  criteria: Pick<Tau2Criteria, 'actions'>,
): TableState {
  const gold = initial.fork();
  domain.sync?.(gold);
  for (const action of criteria.actions) executeSideToolCall(domain, gold, action.side, action.name, action.arguments);
  return gold;
}

/** Whether two states over the same base hold equal records in the given tables (their changes from the base, read once). */
function tablesEqual(a: TableState, b: TableState, changesA: TablePatch, changesB: TablePatch, tables: Iterable<string>): boolean {
  for (const table of tables) {
    const keys = new Set([...Object.keys(changesA[table] ?? {}), ...Object.keys(changesB[table] ?? {})]);
    for (const key of keys) if (!jsonEqual(a.get(table, key), b.get(table, key))) return false;
  }
  return true;
}

/** DB: τ² compares the hash of each side's whole database (gold vs predicted); the user's side is its declared tables. */
function compareDatabases(domain: Tau2GradeInput['domain'], gold: TableState, predicted: TableState): NonNullable<Tau2Outcome['db']> {
  const goldChanges = gold.changesFromBase();
  const predictedChanges = predicted.changesFromBase();
  const userTables = new Set(domain.user?.tables ?? []);
  // Toolkit bookkeeping (e.g. unlocked tools) is outside τ²'s DB: an extra unlock is not a DB difference.
  const toolkit = new Set(domain.toolkitTables ?? []);
  const changed = new Set([...Object.keys(goldChanges), ...Object.keys(predictedChanges)].filter((table) => !toolkit.has(table)));
  const agent = tablesEqual(
    gold,
    predicted,
    goldChanges,
    predictedChanges,
    [...changed].filter((table) => !userTables.has(table)),
  );
  const user = domain.user ? tablesEqual(gold, predicted, goldChanges, predictedChanges, userTables) : null;
  return { pass: agent && user !== false, agent, user };
}

/**
 * ENV_ASSERTION: each assertion runs, in order, on the one predicted environment (a function may
 * change it and syncs after it). The value must be a boolean equal to `assertValue`; τ² raises on
 * anything else, which we record as an unmet assertion with the reason.
 */
function runAssertions(
  domain: Tau2GradeInput['domain'],
  predicted: TableState,
  criteria: Tau2Criteria,
): NonNullable<Tau2Outcome['envAssertions']> {
  const env = { name: domain.name ?? 'domain', tools: domain.tools, user: domain.user, functions: domain.functions, sync: domain.sync };
  return criteria.envAssertions.map((assertion) => {
    const call = { side: assertion.side, name: assertion.name, arguments: assertion.arguments };
    const base = { ...call, assertValue: assertion.assertValue };
    let actual: JsonValue;
    try {
      actual = runEnvFunction(env, predicted, call);
    } catch (error) {
      return { ...base, met: false, error: describeError(error) };
    }
    if (typeof actual !== 'boolean')
      return {
        ...base,
        met: false,
        actual,
        error: `${assertion.name} returned ${actual === null ? 'null' : typeof actual} instead of a boolean`,
      };
    return { ...base, met: actual === assertion.assertValue, actual };
  });
}

/** Python's `==` on JSON values: 1 == 1.0 == True, dicts by key set, lists in order. */
export function pyEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  const scalar = (v: unknown) => (typeof v === 'boolean' ? Number(v) : v);
  if ((typeof a === 'number' || typeof a === 'boolean') && (typeof b === 'number' || typeof b === 'boolean'))
    return scalar(a) === scalar(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => pyEqual(item, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keysA = Object.keys(a);
    if (keysA.length !== Object.keys(b).length) return false;
    return keysA.every((key) => Object.hasOwn(b, key) && pyEqual(a[key], b[key]));
  }
  return a === b;
}

/**
 * τ²'s `Action.compare_with_tool_call`: same name, then the arguments named by `compare_args` — or,
 * when it is absent, the arguments the call itself passed — must be equal on both sides. An empty
 * list of compared arguments matches. The side is not compared.
 */
export function tau2ActionMatches(
  action: Pick<Tau2Criteria['actions'][number], 'name' | 'arguments' | 'compareArgs'>,
  call: { name: string; arguments: JsonValue },
): boolean {
  if (action.name !== call.name) return false;
  // τ²'s tool calls always carry a dict; a call whose arguments were not a JSON object matches nothing.
  if (call.arguments === null || typeof call.arguments !== 'object' || Array.isArray(call.arguments)) return false;
  const callArgs = call.arguments;
  const compared = action.compareArgs ?? Object.keys(callArgs);
  if (compared.length === 0) return true;
  const pick = (args: Record<string, JsonValue>) => Object.fromEntries(Object.entries(args).filter(([key]) => compared.includes(key)));
  return pyEqual(pick(callArgs), pick(action.arguments));
}

/** Every tool call of the episode, both sides, in order (τ² reads assistant and user messages alike). */
function toolCallsOf(events: readonly TrajectoryEvent[]): { name: string; arguments: JsonValue }[] {
  return events.flatMap((e) => (e.type === 'tool_call' ? [{ name: e.name, arguments: e.arguments }] : []));
}

/** ACTION: each gold action must be matched by some tool call of the episode. */
function matchActions(criteria: Tau2Criteria, events: readonly TrajectoryEvent[]): NonNullable<Tau2Outcome['actions']> {
  const calls = toolCallsOf(events);
  return criteria.actions.map((action) => {
    const index = calls.findIndex((call) => tau2ActionMatches(action, call));
    return {
      id: action.id,
      side: action.side,
      name: action.name,
      arguments: action.arguments,
      met: index >= 0,
      ...(index >= 0 ? { matchedCall: index } : {}),
    };
  });
}

/** The agent's messages with text (τ² skips assistant messages whose content is empty or blank). */
function agentTexts(events: readonly TrajectoryEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'message' && e.role === 'agent' ? [e.content] : []));
}

/** COMMUNICATE: each string must occur in an agent message (lowercased, commas removed from the message). */
function checkCommunicate(criteria: Tau2Criteria, events: readonly TrajectoryEvent[]): NonNullable<Tau2Outcome['communicate']> {
  const messages = agentTexts(events);
  return criteria.communicate.map((item) => {
    const info = item.anyOf?.[0] ?? item.description ?? item.id;
    const index = messages.findIndex(
      (m) => m.trim() !== '' && (item.anyOf ?? [info]).some((phrase) => phraseOccurs(phrase, m, 'tau-substring')),
    );
    return { info, met: index >= 0, ...(index >= 0 ? { message: index + 1 } : {}) };
  });
}

/** NL_ASSERTION: the judge's verdict on each assertion (met null when there is none). */
function nlVerdicts(assertions: readonly string[], judgements: Tau2NlJudgements | undefined): NonNullable<Tau2Outcome['nlAssertions']> {
  return assertions.map((assertion) => {
    const judgement = judgements?.[assertion];
    return { assertion, met: judgement ? judgement.pass : null, ...(judgement ? { judgement } : {}) };
  });
}

/** The judge verdicts stored in an outcome, so a re-grade without a judge keeps them. */
export function nlJudgementsOf(outcome: Pick<Outcome, 'tau2'> | undefined): Tau2NlJudgements {
  const out: Record<string, CommunicationJudgement> = {};
  for (const item of outcome?.tau2?.nlAssertions ?? []) if (item.judgement) out[item.assertion] = item.judgement;
  return out;
}
