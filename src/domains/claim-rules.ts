/**
 * Claim rules: the part of the domain contract that reads what an agent told the user it did and
 * checks it against the state. A domain provides them (`Domain.claimRules`) in its own folder; the
 * claims audit takes them from the domain object. A domain without them gets `genericClaimRules`.
 * The language machinery (clauses, mood, refusals) is domain-free and lives in `src/text/`.
 */
import type { Claim } from '../schema/audit.ts';
import type { Task } from '../schema/task.ts';
import type { Trajectory, TrajectoryEvent } from '../schema/trajectory.ts';
import type { TableState } from '../state/table-state.ts';
import { agentSentences, GENERIC_DONE, NO_CHANGE, REFUSAL, testOncePerText, type AgentSentence } from '../text/agent-sentences.ts';
import type { Domain } from './domain.ts';

/** A claim as extracted (by rules or an LLM judge), before it is checked against the state. */
export interface ExtractedClaim {
  text: string;
  eventIndex: number;
  /** Index of the agent message among the messages the user saw (`[A<n>]`); filled from `eventIndex` when absent. */
  message?: number;
  /** The shortest stretch of the message that carries the claim; `text` when absent. */
  quote?: string;
  /** What was done, from the rules' `vocabulary` (`no_change` and `done` are understood by every domain). */
  action: string;
  /** What it was done to: a kind of record, and its id or name when the text or the tool calls tell. */
  target: { kind: string; id?: string; name?: string };
  /** The status the claim asserts ("cancelled", "unreachable"). */
  asserted: string;
  /** The claim says the user's request is done (an episode with such a claim and reward 0 is a confident failure). */
  assertsGoal: boolean;
  /** "their account" rather than "their accounts": at least one, not all. */
  singular?: boolean;
  extractor: 'rules' | 'llm';
}

/** What claim rules read: stored data only (the episode's domain, task, trajectory, initial and final state). */
export interface ClaimContext {
  /** The domain the episode ran in; its `queries` answer questions about the final state. `policy` when the caller has it (τ-bench airline reads its current time there). */
  domain: Pick<Domain, 'name' | 'queries'> & { policy?: string };
  task: Task;
  trajectory: Pick<Trajectory, 'events' | 'finalChanges'>;
  initialState: TableState;
  finalState: TableState;
}

/** A verdict with the evidence behind it (shown beside the claim in reports). */
export interface ClaimVerdict {
  verdict: Claim['verdict'];
  evidence: string;
}

/**
 * The claim knowledge of one domain: how to recognise its actions and targets in the agent's
 * sentences, and how to check a claim against the initial and final state and the tool results.
 * Pure functions of the `ClaimContext`.
 */
export interface ClaimRules {
  /** Actions this domain's claims use, with what they assert (shown to an LLM extractor). Include `no_change` and `done`. */
  vocabulary: Record<string, string>;
  /** Claims of the agent's messages. Usually the domain's own claims plus `genericClaims(context, own)`. */
  extract(context: ClaimContext): ExtractedClaim[];
  /** The verdict on one claim (never called for `no_change` and `done`: those are checked generically). */
  verify(claim: ExtractedClaim, context: ClaimContext): ClaimVerdict;
}

/**
 * Whether an event is the simulated user's own tool traffic (dual control): the user's action on
 * its side, never evidence of what the agent did.
 */
export function isUserToolEvent(event: TrajectoryEvent): boolean {
  return (event.type === 'tool_call' || event.type === 'tool_result') && event.actor === 'user';
}

/**
 * The result of each of the agent's tool calls, by the call's event index: the first agent result
 * after it with its id. Call ids are not unique in recorded trajectories (τ-bench's gpt-4o records
 * reuse them across turns), so a result is never looked up by id alone. The user's own calls and
 * results (dual control) are left out: they are not the agent's actions.
 */
export function pairResults(events: readonly TrajectoryEvent[]): Map<number, Extract<TrajectoryEvent, { type: 'tool_result' }>> {
  const open = new Map<string, number[]>();
  const out = new Map<number, Extract<TrajectoryEvent, { type: 'tool_result' }>>();
  events.forEach((event, eventIndex) => {
    if (isUserToolEvent(event)) return;
    if (event.type === 'tool_call') {
      const waiting = open.get(event.id);
      if (waiting) waiting.push(eventIndex);
      else open.set(event.id, [eventIndex]);
    } else if (event.type === 'tool_result') {
      const call = open.get(event.callId)?.shift();
      if (call !== undefined) out.set(call, event);
    }
  });
  return out;
}

/** The agent's tool calls of the trajectory with their results (parsed JSON when possible); the user's own calls are left out. */
export function toolCallsOf(
  events: readonly TrajectoryEvent[],
): { name: string; arguments: Record<string, unknown>; result?: unknown; isError: boolean; content: string }[] {
  const results = pairResults(events);
  const out: ReturnType<typeof toolCallsOf> = [];
  for (const [eventIndex, event] of events.entries()) {
    if (event.type !== 'tool_call' || event.actor === 'user') continue;
    const result = results.get(eventIndex);
    let parsed: unknown;
    if (result && !result.isError) {
      try {
        parsed = JSON.parse(result.content);
      } catch {
        parsed = undefined;
      }
    }
    const args =
      event.arguments && typeof event.arguments === 'object' && !Array.isArray(event.arguments)
        ? (event.arguments as Record<string, unknown>)
        : {};
    out.push({ name: event.name, arguments: args, result: parsed, isError: result?.isError ?? true, content: result?.content ?? '' });
  }
  return out;
}

/** How many records the episode changed (from the stored final changes). */
export function changedRecords(trajectory: Pick<Trajectory, 'finalChanges'>): string[] {
  return Object.entries(trajectory.finalChanges).flatMap(([table, records]) => Object.keys(records).map((key) => `${table}/${key}`));
}

/** Verify a no-change claim from the stored changes. */
export function verifyNoChange(context: ClaimContext): ClaimVerdict {
  const changed = changedRecords(context.trajectory);
  return changed.length === 0
    ? { verdict: 'verified', evidence: 'the final state equals the initial state' }
    : {
        verdict: 'contradicted',
        evidence: `${changed.length} record(s) changed: ${changed.slice(0, 8).join(', ')}${changed.length > 8 ? ', …' : ''}`,
      };
}

/**
 * Domain-free claims: "nothing changed" and generic "done" sentences (a bare "Done!" only when
 * `specific` has no claim of that message). `sentences`: `agentSentences` of the trajectory's
 * events when the caller has them already (read only).
 */
export function genericClaims(
  context: ClaimContext,
  specific: readonly ExtractedClaim[] = [],
  sentences: readonly AgentSentence[] = agentSentences(context.trajectory.events),
): ExtractedClaim[] {
  const out: ExtractedClaim[] = [];
  // Keyed by the sentence string itself (its hash is cached), not a concatenation rebuilt per clause.
  const seen = new Map<number, Set<string>>();
  const seenIn = (eventIndex: number) => seen.get(eventIndex) ?? seen.set(eventIndex, new Set()).get(eventIndex)!;
  const noChange = testOncePerText(NO_CHANGE);
  const refusal = testOncePerText(REFUSAL);
  for (const { eventIndex, clause, sentence } of sentences) {
    if (seenIn(eventIndex).has(sentence)) continue;
    if (noChange(sentence)) {
      seenIn(eventIndex).add(sentence);
      out.push({
        text: sentence,
        eventIndex,
        action: 'no_change',
        target: { kind: 'state' },
        asserted: 'unchanged',
        assertsGoal: false,
        extractor: 'rules',
      });
    } else if (!refusal(sentence) && GENERIC_DONE.test(clause) && !specific.some((c) => c.eventIndex === eventIndex)) {
      // A bare "Done!" only counts when the message makes no specific claim.
      seenIn(eventIndex).add(sentence);
      out.push({
        text: sentence,
        eventIndex,
        action: 'done',
        target: { kind: 'request' },
        asserted: 'done',
        assertsGoal: true,
        extractor: 'rules',
      });
    }
  }
  return out;
}

/** Names of a table's records that occur in a text, longest first (case-insensitive). */
export function namesIn(text: string, state: TableState, table: string, field = 'name'): { id: string; name: string }[] {
  const lower = text.toLowerCase();
  const found: { id: string; name: string }[] = [];
  // The table's rows (in `keys` order) and their names lowercased once per row list: claims look
  // up names in clause, sentence and message, episode after episode, over the same initial state.
  const rows = state.rows(table);
  const lowered = lowerNames(rows, field);
  let keys: string[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const name = rows[i]?.[field];
    if (typeof name !== 'string' || name.length <= 2) continue;
    // A record edited in place keeps its place in the list: its name is lowercased again.
    const known = lowered[i];
    if (!lower.includes(known?.name === name ? known.lower : name.toLowerCase())) continue;
    keys ??= state.keys(table);
    // The list and the keys line up (rows are listed in `keys` order) unless a base was edited
    // behind the state's back: then the key is looked up rather than trusted.
    const id = state.get(table, keys[i]) === rows[i] ? keys[i] : keys.find((key) => state.get(table, key) === rows[i]);
    if (id !== undefined) found.push({ id, name });
  }
  found.sort((a, b) => b.name.length - a.name.length);
  // Drop names contained in a longer one found ("Q3 Forecast" inside "Q3 Forecast - Draft").
  return found.filter((f, i) => !found.slice(0, i).some((g) => g.name.toLowerCase().includes(f.name.toLowerCase())));
}

/** Each row's name (of `field`) and its lowercase, by row list and field (undefined: no name). */
const lowerNamesByRows = new WeakMap<readonly object[], Map<string, ({ name: string; lower: string } | undefined)[]>>();
function lowerNames(rows: readonly Readonly<Record<string, unknown>>[], field: string): ({ name: string; lower: string } | undefined)[] {
  let byField = lowerNamesByRows.get(rows);
  if (!byField) lowerNamesByRows.set(rows, (byField = new Map()));
  let names = byField.get(field);
  if (!names) {
    names = rows.map((row) => {
      const name = row?.[field];
      return typeof name === 'string' ? { name, lower: name.toLowerCase() } : undefined;
    });
    byField.set(field, names);
  }
  return names;
}

/**
 * The rules of a domain that brings none: claims recognised by language only ("nothing was
 * changed", a bare "done"); a no-change claim is checked against the stored changes, everything
 * else is `unverifiable`.
 */
export const genericClaimRules: ClaimRules = Object.freeze({
  vocabulary: { no_change: 'nothing was changed', done: 'the request is done' },
  extract: (context: ClaimContext) => genericClaims(context),
  verify: (): ClaimVerdict => ({ verdict: 'unverifiable', evidence: 'names no action or target the state can check' }),
});
