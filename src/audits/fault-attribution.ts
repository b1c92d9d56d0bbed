import type { Claim, FaultCause, SimulatorFault, TaskProblem } from '../schema/audit.ts';
import { jsonEqual, type JsonValue } from '../schema/json.ts';
import type { FieldChange, Outcome } from '../schema/outcome.ts';
import type { Predicate } from '../schema/task.ts';
import { factTokens, normaliseFact } from '../text/fact-tokens.ts';
import { TASK_LINT_WARNINGS } from './task-lint.ts';

/** What fault attribution reads about one episode. */
export interface FaultInput {
  reward: number;
  termination: string;
  terminationDetail?: string;
  outcome: Pick<Outcome, 'state' | 'collateral' | 'communication' | 'note'> & Partial<Pick<Outcome, 'diff'>>;
  claims: readonly Claim[];
  simulatorFaults: readonly SimulatorFault[];
  /** Lint problems of the episode's task (oracle fails on it, broken gold action, facts that disagree with the data). */
  taskProblems: readonly TaskProblem[];
  /**
   * A predicate evaluated on the task's untouched initial state (`evaluatePredicate` of grading).
   * With it, a failed required predicate that the initial state fails too, reading the same value,
   * is a change never made, whatever its kind; without it, only the stored diff can tell.
   */
  initially?: (predicate: Predicate) => { pass: boolean; actual?: JsonValue };
}

type PredicateResult = Outcome['state']['predicates'][number];

/** One check of the grade that failed, with the values that made it fail. */
interface FailedCheck {
  /** What is cited: `reservations/HATHAT.nonfree_baggages: expected 0, actual 1`. */
  text: string;
  /** Values written into the state by the episode (where a simulator's invented fact would show). */
  written: string[];
  /** The change was never made (the state reads as it did initially), as opposed to made wrongly. */
  notDone: boolean;
  kind: 'state' | 'collateral' | 'communication';
}

const short = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? 'absent' : text.length > 60 ? `${text.slice(0, 60)}…` : text;
};

/** Leaf paths where two JSON values differ (at most `limit`). */
function differingLeaves(
  expected: unknown,
  actual: unknown,
  path: string,
  out: { path: string; expected: unknown; actual: unknown }[],
  limit = 4,
): void {
  if (out.length >= limit) return;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(expected) && isObject(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)]))
      differingLeaves(expected[key], actual[key], path ? `${path}.${key}` : key, out, limit);
    return;
  }
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length === actual.length) {
    for (const [i, e] of expected.entries()) differingLeaves(e, actual[i], `${path}[${i}]`, out, limit);
    return;
  }
  if (JSON.stringify(expected) !== JSON.stringify(actual)) out.push({ path, expected, actual });
}

const leafStrings = (value: unknown): string[] =>
  value === null || value === undefined
    ? []
    : typeof value === 'object'
      ? Object.values(value as Record<string, unknown>).flatMap(leafStrings)
      : [String(value)];

function touched(diff: readonly FieldChange[] | undefined, table: string, key: string, path: string): boolean | undefined {
  if (!diff) return undefined;
  return diff.some(
    (c) =>
      c.table === table &&
      c.key === key &&
      (c.path === '' || path === '' || c.path === path || c.path.startsWith(`${path}.`) || path.startsWith(`${c.path}.`)),
  );
}

/**
 * Whether a failed required predicate is a change never made: the untouched initial state fails it
 * too and reads the same value there (a field still at its old value, a record still absent or still
 * present, a query still answering as before). A record created or a field written with a wrong value
 * reads differently: made wrongly. Undefined when the initial state is not at hand.
 */
function neverMade(input: FaultInput, result: PredicateResult): boolean | undefined {
  if (!input.initially) return undefined;
  const initial = input.initially(result.predicate);
  return !initial.pass && jsonEqual(initial.actual ?? null, result.actual ?? null);
}

/** The checks of the grade that failed, each with the field values behind it. */
function failedChecks(input: FaultInput): FailedCheck[] {
  const out: FailedCheck[] = [];
  for (const result of input.outcome.state.predicates.filter((p: PredicateResult) => !p.pass)) {
    const p = result.predicate;
    const unchanged = neverMade(input, result);
    if (p.kind === 'field') {
      const leaves: { path: string; expected: unknown; actual: unknown }[] = [];
      differingLeaves(p.equals, result.actual, p.path, leaves);
      const where = `${p.table}/${p.key}`;
      const described = leaves.length
        ? leaves.map((l) => `${where}${l.path ? `.${l.path}` : ''}: expected ${short(l.expected)}, actual ${short(l.actual)}`).join('; ')
        : (p.description ?? `${where}.${p.path}`);
      // Without a stored diff it cannot be told whether the field was touched: counted as not done.
      const notDone = unchanged ?? (leaves.length > 0 && leaves.every((l) => touched(input.outcome.diff, p.table, p.key, l.path) !== true));
      out.push({
        text: p.description && leaves.length === 0 ? p.description : described,
        written: leaves.flatMap((l) => leafStrings(l.actual)),
        notDone,
        kind: 'state',
      });
    } else if (p.kind === 'present' || p.kind === 'absent') {
      const notDone = unchanged ?? touched(input.outcome.diff, p.table, p.key, p.kind === 'absent' ? (p.path ?? '') : '') !== true;
      out.push({
        text:
          p.description ??
          `${p.table}/${p.key}${p.kind === 'absent' && p.path ? `.${p.path}` : ''} ${p.kind === 'present' ? 'is absent' : 'is still present'}`,
        written: leafStrings(result.actual),
        notDone,
        kind: 'state',
      });
    } else {
      // A query reads many records: without the initial state it counts as not done only when the episode changed nothing.
      const notDone = unchanged ?? (!input.outcome.diff || input.outcome.diff.length === 0);
      out.push({
        text: p.description ?? `${p.query}(${JSON.stringify(p.args)}) should be ${short(p.equals)}, is ${short(result.actual)}`,
        written: leafStrings(result.actual),
        notDone,
        kind: 'state',
      });
    }
  }
  if (!input.outcome.collateral.pass) {
    for (const change of input.outcome.collateral.changes) {
      out.push({
        text: `collateral ${change.op} ${change.table}/${change.key}${change.path ? `.${change.path}` : ''}`,
        written: leafStrings((change as { after?: JsonValue }).after),
        notDone: false,
        kind: 'collateral',
      });
    }
  }
  for (const item of input.outcome.communication.items.filter((i) => !i.pass))
    out.push({ text: `not told: ${item.id}`, written: [], notDone: true, kind: 'communication' });
  return out;
}

/** Fact tokens a simulator fault is about: the quoted token of its evidence, else the tokens of the user's message. */
function faultTokens(fault: SimulatorFault): string[] {
  const quoted = /\bsaid (?:\w+ )?"([^"]{1,200})"/.exec(fault.evidence)?.[1];
  const tokens = quoted ? [quoted] : factTokens(fault.text).map((t) => t.text);
  return tokens.map(normaliseFact).filter((t) => t.length > 1);
}

/**
 * Whether a simulator fault plausibly caused a failing check: a user who stopped early explains a
 * change never made or something never told; a user who invented, contradicted or revealed a fact
 * explains a check only when that fact is what got written where the check failed. An invented
 * email does not explain a wrong baggage count the agent wrote.
 */
function explains(fault: SimulatorFault, check: FailedCheck): boolean {
  if (fault.kind === 'premature_stop') return check.notDone;
  const tokens = faultTokens(fault);
  if (tokens.length === 0) return false;
  const written = check.written.map(normaliseFact);
  return tokens.some((t) => written.some((w) => w === t || w.includes(t)));
}

const list = (items: readonly string[], max = 4) =>
  `${items.slice(0, max).join('; ')}${items.length > max ? `; … (+${items.length - max})` : ''}`;

/**
 * The primary cause of a failed episode, with its evidence (undefined when the episode passed).
 * Precedence: infrastructure (the episode could not run) → task (the task itself is broken: the
 * oracle fails on it or the lint flags it) → user simulator (it crashed, or drifted in a way that
 * explains a failing check) → agent (everything else: unmet predicates, collateral, untold
 * information). The evidence cites only checks that failed.
 */
export function attributeFault(input: FaultInput): { cause: FaultCause; evidence: string } | undefined {
  if (input.reward >= 1) return undefined;
  if (input.termination === 'infra_error')
    return {
      cause: 'infrastructure',
      evidence: `infra_error: ${input.terminationDetail ?? input.outcome.note ?? 'the episode could not run'}`,
    };
  const broken = input.taskProblems.filter((p) => !TASK_LINT_WARNINGS.has(p.kind));
  if (broken.length > 0) return { cause: 'task', evidence: broken.map((p) => `${p.kind}: ${p.detail}`).join(' | ') };
  if (input.termination === 'user_error')
    return { cause: 'user_simulator', evidence: `user_error: ${input.terminationDetail ?? 'the user simulator failed'}` };
  const failed = failedChecks(input);
  for (const fault of input.simulatorFaults) {
    const explained = failed.filter((check) => explains(fault, check));
    if (explained.length > 0) {
      return {
        cause: 'user_simulator',
        evidence: `${fault.kind} at user turn ${fault.turn}${fault.item ? ` (${fault.item})` : ''}: ${fault.evidence} → failing: ${list(
          explained.map((c) => c.text),
          3,
        )}`,
      };
    }
  }
  const reasons: string[] = [];
  if (input.termination === 'agent_error' || input.termination === 'max_steps')
    reasons.push(`${input.termination}${input.terminationDetail ? `: ${input.terminationDetail}` : ''}`);
  const state = failed.filter((c) => c.kind === 'state').map((c) => c.text);
  if (state.length) reasons.push(`required not met: ${list(state)}`);
  const collateral = failed.filter((c) => c.kind === 'collateral').map((c) => c.text.replace(/^collateral /, ''));
  if (collateral.length) reasons.push(`collateral: ${list(collateral)}`);
  const untold = failed.filter((c) => c.kind === 'communication').map((c) => c.text.replace(/^not told: /, ''));
  if (untold.length) reasons.push(`not told: ${untold.join(', ')}`);
  const contradicted = input.claims.filter((c) => c.verdict === 'contradicted');
  if (contradicted.length)
    reasons.push(`contradicted claim: "${contradicted[0].quote ?? contradicted[0].text}" (${contradicted[0].evidence})`);
  if (input.simulatorFaults.length)
    reasons.push(
      `simulator fault seen but it explains no failing check: ${input.simulatorFaults[0].kind} at user turn ${input.simulatorFaults[0].turn}`,
    );
  return { cause: 'agent', evidence: reasons.length ? reasons.join(' | ') : 'the final state does not meet the expected outcome' };
}
