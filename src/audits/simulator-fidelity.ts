import type { GoalItem, GoalOutcome, GoalSnapshot, GoalStatus, SimulatorFault } from '../schema/audit.ts';
import { factTokens, normaliseFact } from '../text/fact-tokens.ts';
import type { Task } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import {
  applyCompletion,
  goalOutcomes,
  keptByUser,
  readAgentTurn,
  trackGoalState,
  type GoalTracking,
  type KeptVerdict,
} from './goal-state.ts';
import type { AuditTextWork } from './task-work.ts';

/** Everything the scenario gives the simulated user, as one text (what it may legitimately say). */
export function scenarioText(task: Task, items: readonly GoalItem[] = []): string {
  const s = task.user;
  return [
    s.persona,
    s.instructions,
    ...s.openings,
    ...s.known.map((f) => f.value),
    s.clarification ?? '',
    ...items.map((i) => `${i.description} ${i.value ?? ''}`),
  ].join('\n');
}

/** Shape of an id (letters → a, digits → 9): ids of the same shape are values of the same fact. */
const shape = (token: string) => token.replace(/[a-z]/gi, 'a').replace(/\d/g, '9').replace(/a+/g, 'a').replace(/9+/g, '9');

/** Inputs of the drift detectors. */
export interface DriftInput {
  items: readonly GoalItem[];
  events: readonly TrajectoryEvent[];
  /** What the scenario gives the user (see `scenarioText`). */
  scenario: string;
  /** Whether a token names something in the task's initial state (revealed vs invented). */
  exists?: (token: string) => boolean;
  /** `normaliseFact(scenario)`, when the caller has it already. */
  scenarioNormal?: string;
  /** Text work shared across episodes (the same results, looked up instead of computed). */
  texts?: AuditTextWork;
}

const clipText = (text: string, max = 240) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * Per user message: a fact-like token neither given by the scenario nor said earlier by the agent
 * is a drift. Same kind as a profile fact with another value → `contradiction`; found in the
 * task's data → `revealed_unknown` (the user said what it should not know); otherwise
 * `invented_fact`.
 */
export function detectMessageDrift(input: DriftInput): SimulatorFault[] {
  const faults: SimulatorFault[] = [];
  const scenario = input.scenarioNormal ?? normaliseFact(input.scenario);
  const tokensOf = input.texts ? input.texts.factTokens : factTokens;
  const profile = input.items.filter((i) => i.category === 'profile' && i.value !== undefined);
  const policy = input.items.find((i) => i.category === 'policy');
  let agentSaid = '';
  let turn = 0;
  input.events.forEach((event, eventIndex) => {
    if (event.type !== 'message') return;
    if (event.role === 'agent') {
      agentSaid += `\n${normaliseFact(event.content)}`;
      return;
    }
    const seen = new Set<string>();
    for (const token of tokensOf(event.content)) {
      const norm = normaliseFact(token.text);
      if (!norm || seen.has(norm) || scenario.includes(norm) || agentSaid.includes(norm)) continue;
      seen.add(norm);
      const base = { turn, eventIndex, text: clipText(event.content) };
      const same = profile.find(
        (p) =>
          (p.kind ?? 'other') === token.kind &&
          (token.kind !== 'id' || shape(p.value!) === shape(token.text)) &&
          normaliseFact(p.value!) !== norm,
      );
      if (same && token.kind !== 'amount') {
        faults.push({
          ...base,
          kind: 'contradiction',
          item: same.id,
          evidence: `said "${token.text}" but the scenario's ${same.id} is "${same.value}"`,
        });
      } else if (input.exists?.(token.text)) {
        faults.push({
          ...base,
          kind: 'revealed_unknown',
          ...(policy ? { item: policy.id } : {}),
          evidence: `said "${token.text}", which exists in the task's data but was never given to the user nor said by the agent`,
        });
      } else {
        faults.push({
          ...base,
          kind: 'invented_fact',
          evidence: `said ${token.kind} "${token.text}", which the scenario never gave and the agent never said`,
        });
      }
    }
    turn++;
  });
  return faults;
}

/**
 * The user ended the conversation (`###STOP###`) while an objective it could still pursue was open —
 * not done in the final state (which is the state at the stop: nothing runs after it), and the
 * agent had neither reported it done nor refused or blocked it — and in mid-flow: right after a
 * question of the agent, or confirming and leaving at once (before the agent acted).
 */
export function detectPrematureStop(
  items: readonly GoalItem[],
  events: readonly TrajectoryEvent[],
  tracking: Pick<GoalTracking, 'timeline' | 'heard'>,
  completion: Readonly<Record<string, boolean | null>> = {},
): SimulatorFault[] {
  const stopIndex = events.findIndex((e) => e.type === 'message' && e.role === 'user' && e.control === '###STOP###');
  if (stopIndex < 0) return [];
  const snapshot = tracking.timeline.find((s) => s.eventIndex === stopIndex);
  if (!snapshot) return [];
  const open = items.filter((i) => i.category === 'objectives' && completion[i.id] !== true && tracking.heard[i.id] === undefined);
  if (open.length === 0) return [];
  const stop = events[stopIndex] as Extract<TrajectoryEvent, { type: 'message' }>;
  const lastAgent = [...events.slice(0, stopIndex)].reverse().find((e) => e.type === 'message' && e.role === 'agent') as
    | Extract<TrajectoryEvent, { type: 'message' }>
    | undefined;
  // Only a stop in mid-flow counts: the agent had just asked something (or said nothing), or the user
  // confirmed and left in the same breath. A thank-you after the agent's answer is a normal ending.
  const previousUser = events.slice(0, stopIndex).findLastIndex((e) => e.type === 'message' && e.role === 'user');
  const agentTurn = events
    .slice(previousUser + 1, stopIndex)
    .flatMap((e) => (e.type === 'message' && e.role === 'agent' ? [e.content] : []))
    .join('\n');
  const reading = readAgentTurn(
    agentTurn,
    items.filter((i) => i.category === 'policy').flatMap((i) => i.cues ?? []),
  );
  const confirmedAndLeft = /\b(yes|go ahead|proceed|i confirm)\b/i.test(stop.content);
  if (reading !== 'question' && reading !== 'blocked' && reading !== 'none' && !confirmedAndLeft) return [];
  return [
    {
      kind: 'premature_stop',
      turn: snapshot.turn,
      eventIndex: stopIndex,
      text: clipText(stop.content),
      item: open[0].id,
      evidence: `ended the conversation while ${open.map((i) => `"${i.description}"`).join(', ')} was still open (not done in the state, neither reported done nor refused by the agent); the agent had last said: ${lastAgent ? `"${clipText(lastAgent.content, 160)}"` : 'nothing'}`,
    },
  ];
}

/** Inputs of `auditSimulator`: the drift detectors' plus completion read from the final state. */
export interface SimulatorAuditInput extends DriftInput {
  /** Per objective and requirement: done in the final state (null: the state cannot tell). See `completionFromState`. */
  completion?: Readonly<Record<string, boolean | null>>;
  /** A goal-state timeline from an LLM tracker, used instead of the rule tracker's statuses. */
  timeline?: { timeline: GoalSnapshot[]; final: Record<string, GoalStatus> };
}

/**
 * The simulator audit of one episode: drift faults, the goal-state timeline, final statuses (with
 * completion from the state), what the user kept (simulator fidelity) and what became of each
 * objective and requirement (the agent's side).
 */
export function auditSimulator(input: SimulatorAuditInput): {
  faults: SimulatorFault[];
  timeline: GoalSnapshot[];
  final: Record<string, GoalStatus>;
  kept: Record<string, KeptVerdict>;
  outcome: Record<string, GoalOutcome>;
} {
  const drift = detectMessageDrift(input);
  const violations = new Map<number, string[]>();
  for (const fault of drift) if (fault.item) violations.set(fault.eventIndex, [...(violations.get(fault.eventIndex) ?? []), fault.item]);
  // The rules always run: chances to express an item and what the user heard come from them.
  const rules = trackGoalState(input.items, input.events, violations);
  const tracked = input.timeline ?? rules;
  const completion = input.completion ?? {};
  const final = applyCompletion(tracked.final, completion);
  const faults = [
    ...drift,
    ...detectPrematureStop(input.items, input.events, { timeline: tracked.timeline, heard: rules.heard }, completion),
  ].sort((a, b) => a.eventIndex - b.eventIndex);
  return {
    faults,
    timeline: tracked.timeline,
    final,
    kept: keptByUser(input.items, final, rules.chance),
    outcome: goalOutcomes(input.items, completion, rules.heard),
  };
}

/** A record of a state, under its key. */
export interface KeyedRecord {
  key: string;
  record: unknown;
}

/**
 * How many times each token (lowercase) occurs as a key or string value in the records: what
 * `stateTokenIndex` indexes, counted, so that records can be taken out again (`tokenIndexWith`).
 */
export function countTokens(records: Iterable<KeyedRecord>, counts = new Map<string, number>(), sign: 1 | -1 = 1): Map<string, number> {
  const add = (token: string) => counts.set(token, (counts.get(token) ?? 0) + sign);
  const walk = (value: unknown) => {
    if (typeof value === 'string') add(value.toLowerCase());
    else if (Array.isArray(value)) for (const item of value) walk(item);
    else if (value && typeof value === 'object') {
      for (const k in value) {
        if (!Object.hasOwn(value, k)) continue;
        add(k.toLowerCase());
        walk((value as Record<string, unknown>)[k]);
      }
    }
  };
  for (const { key, record } of records) {
    add(key.toLowerCase());
    walk(record);
  }
  return counts;
}

/**
 * `stateTokenIndex` of a state given as a base (its token counts, `countTokens`) with some records
 * taken out (`removed`: replaced or deleted) and others put in (`added`): the same answers, without
 * walking the base again. `base` is read, never changed.
 */
export function tokenIndexWith(
  base: ReadonlyMap<string, number>,
  removed: Iterable<KeyedRecord>,
  added: Iterable<KeyedRecord>,
): (token: string) => boolean {
  const delta = countTokens(added, countTokens(removed, new Map(), -1));
  const has = (token: string) => (base.get(token) ?? 0) + (delta.get(token) ?? 0) > 0;
  return (token) => has(token.toLowerCase()) || has(token.toLowerCase().replace(/^#/, ''));
}

/** An index of every key and string value of a state's records, for `DriftInput.exists`. */
export function stateTokenIndex(tables: Iterable<{ key: string; record: unknown }>): (token: string) => boolean {
  const index = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') index.add(value.toLowerCase());
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        index.add(k.toLowerCase());
        walk(v);
      }
    }
  };
  for (const { key, record } of tables) {
    index.add(key.toLowerCase());
    walk(record);
  }
  return (token) => index.has(token.toLowerCase()) || index.has(token.toLowerCase().replace(/^#/, ''));
}
