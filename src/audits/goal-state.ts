import { CLARIFY_ASKED, CONFIRM_ASKED } from '../text/question-cues.ts';
import type { Domain } from '../domains/domain.ts';
import { evaluatePredicate } from '../grading/grade.ts';
import {
  GOAL_CATEGORIES,
  type FactKind,
  type GoalCategory,
  type GoalItem,
  type GoalOutcome,
  type GoalSnapshot,
  type GoalStatus,
} from '../schema/audit.ts';
import type { Task } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import type { TableState } from '../state/table-state.ts';
import { factTokens } from '../text/fact-tokens.ts';

/** Phrases of a user message that express the confirmation preference. */
const CONFIRM_CUES = ['yes', 'go ahead', 'i confirm', 'please do', 'please proceed'];
const DECLINE_CUES = ["no, please don't", "don't do that", 'do not do that', 'no, thanks'];

/** Guess the kind of a fact from its id and value (for same-kind contradiction checks). */
export function inferFactKind(id: string, value: string): FactKind {
  const v = value.trim();
  if (id === 'email' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return 'email';
  if (id === 'name' || id.endsWith('_name')) return 'name';
  if (/^(read|write|admin)$/i.test(v)) return 'level';
  if (/^\d{5}$/.test(v)) return 'zip';
  if (/^\$?\d[\d,]*(\.\d+)?$/.test(v)) return 'amount';
  if (/^[A-Za-z]{1,6}-\d{2,6}$/.test(v) || /^#W\d+$/.test(v)) return 'id';
  return 'other';
}

/**
 * Goal items derived from a task's user scenario, for tasks that do not carry a `goal`: known
 * facts are profile items, what the user does not know is policy (never reveal or invent it), the
 * request is the objective, the clarification (which one) a requirement, and the confirmation
 * answer a preference.
 */
export function goalItemsFromScenario(task: Task): GoalItem[] {
  const scenario = task.user;
  const items: GoalItem[] = scenario.known.map((fact) => ({
    id: `profile:${fact.id}`,
    category: 'profile',
    description: `${fact.id} is ${fact.value}`,
    value: fact.value,
    kind: inferFactKind(fact.id, fact.value),
  }));
  if (scenario.known.length === 0) {
    // Free-text scenarios (τ-bench): the facts written in the instructions are the profile.
    const seen = new Set<string>();
    for (const token of factTokens(scenario.instructions)) {
      if (token.kind === 'level' || seen.has(token.text)) continue;
      seen.add(token.text);
      items.push({
        id: `profile:${token.kind}:${token.text}`,
        category: 'profile',
        description: `${token.kind} ${token.text}`,
        value: token.text,
        kind: token.kind,
      });
    }
  }
  for (const unknown of scenario.unknown)
    items.push({
      id: `policy:unknown:${unknown.id}`,
      category: 'policy',
      description: `does not know ${unknown.id}; says so when asked, never makes one up`,
      cues: unknown.keywords,
    });
  // No cues: the whole request is one objective, pursued by the user's first message (free-text users
  // word it their own way; a scripted opening is only one of them).
  items.push({
    id: 'objective:request',
    category: 'objectives',
    description: scenario.instructions
      .split(/(?<=\.)\s/)
      .slice(0, 2)
      .join(' '),
  });
  if (scenario.clarification) {
    const quoted = /"([^"]+)"/.exec(scenario.clarification)?.[1];
    items.push({
      id: 'requirement:which',
      category: 'requirements',
      description: scenario.clarification,
      cues: [quoted ?? scenario.clarification],
      askedBy: CLARIFY_ASKED,
    });
  }
  items.push({
    id: 'preference:confirmation',
    category: 'preferences',
    description: scenario.confirms ? 'agrees when asked to confirm the action' : 'declines when asked to confirm the action',
    cues: scenario.confirms ? CONFIRM_CUES : DECLINE_CUES,
    askedBy: CONFIRM_ASKED,
  });
  return items;
}

/** The goal items of a task: its own `goal` when it has one, else derived from the scenario. */
export function goalItemsFor(task: Task): { items: GoalItem[]; source: 'task' | 'scenario' } {
  return task.user.goal && task.user.goal.length > 0
    ? { items: task.user.goal, source: 'task' }
    : { items: goalItemsFromScenario(task), source: 'scenario' };
}

/** The status an item starts with (before the first user turn). */
export function initialStatus(category: GoalCategory): GoalStatus {
  return category === 'profile' || category === 'policy' ? 'ALIGNED' : category === 'preferences' ? 'MISALIGNED' : 'INCOMPLETE';
}

/**
 * The agent questions that give the user its chance to express an item (undefined: due from the
 * start). Tasks stored before goal items carried `askedBy` get the cues of the two items the
 * built-in generators make.
 */
export function askedByOf(item: GoalItem): readonly string[] | undefined {
  if (item.askedBy) return item.askedBy;
  if (item.id === 'preference:confirmation') return CONFIRM_ASKED;
  if (item.id === 'requirement:clarify' || item.id === 'requirement:which') return CLARIFY_ASKED;
  return undefined;
}

/** How the user sees the agent's last words: the tracker's own reading (rules). */
export type AgentTurnReading = 'done' | 'refusal' | 'blocked' | 'question' | 'other' | 'none';

const REFUSAL =
  /\b(cannot|can't|can not|unable|not able|not authori[sz]ed|not permitted|legal hold|pending approval|awaiting approval|i'm sorry|i am sorry|won't be able|not allowed)\b/;
const DONE = /\b(done|completed|complete|has been|have been|all set|taken care|finished|is now|are now|successfully)\b/;

/** Question sentences of a text, joined (lowercase in, lowercase out). */
function questions(text: string): string {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .filter((sentence) => sentence.trim().endsWith('?'))
    .join(' ');
}

/** Read the agent's words since the user's previous message. */
export function readAgentTurn(text: string, unknownCues: readonly string[]): AgentTurnReading {
  const lower = text.toLowerCase().trim();
  if (!lower) return 'none';
  const asked = questions(lower);
  if (asked) return unknownCues.some((cue) => asked.includes(cue.toLowerCase())) ? 'blocked' : 'question';
  if (REFUSAL.test(lower)) return 'refusal';
  if (DONE.test(lower)) return 'done';
  return 'other';
}

const WORD_CHAR = /[\p{L}\p{N}]/u;
/** Whether a character is a letter or a digit. */
const word = (c: string) => WORD_CHAR.test(c);

/** Cues as `mentions` reads them: trimmed and lowercased, empty ones left out. */
function phrasesOf(cues: readonly string[] | undefined): string[] {
  const phrases: string[] = [];
  for (const cue of cues ?? []) {
    const phrase = cue.trim().toLowerCase();
    if (phrase) phrases.push(phrase);
  }
  return phrases;
}

/** Whether a lowercase text holds one of the phrases (`phrasesOf`) as whole words ("yes" is not in "yesterday"). */
function mentions(text: string, phrases: readonly string[]): boolean {
  return phrases.some((phrase) => {
    for (let at = text.indexOf(phrase); at >= 0; at = text.indexOf(phrase, at + 1)) {
      const before = text[at - 1] ?? ' ';
      const after = text[at + phrase.length] ?? ' ';
      // A cue that starts or ends with a letter or digit must not continue a longer word there.
      const wordStart = !word(phrase[0]) || !word(before);
      const wordEnd = !word(phrase.at(-1)!) || !word(after);
      if (wordStart && wordEnd) return true;
    }
    return false;
  });
}

/** Drift found in a user message that makes a profile or policy item MISALIGNED: event index → item ids. */
export type GoalViolations = ReadonlyMap<number, readonly string[]>;

/** What the user last heard from the agent about a pursued objective or requirement (its view, not the state). */
export type HeardAboutItem = 'done' | 'blocked';

/** The rule tracker's result. */
export interface GoalTracking {
  timeline: GoalSnapshot[];
  final: Record<string, GoalStatus>;
  /** Items the conversation gave the user a chance to express (see `askedByOf`). */
  chance: Record<string, boolean>;
  /** Pursued objectives and requirements the agent last reported done, or refused / blocked. */
  heard: Record<string, HeardAboutItem>;
}

/**
 * The rule tracker: the goal state after every user turn, from the stored conversation alone.
 * Objectives and requirements become ATTEMPTED once the user pursues them (says the request, states
 * the requirement; an objective without cues is pursued by the user's first message); they never
 * become COMPLETE here, since completion is read from the final state (`applyCompletion`), not from
 * the agent's words. Preferences become ALIGNED once expressed; profile and policy items MISALIGNED
 * (for good) when a drift detector flags the user's message against them. Beside the statuses: which
 * items the conversation gave a chance to (an agent question with one of its `askedBy` phrases), and
 * what the user last heard about each pursued item (for steering and the premature-stop detector).
 */
export function trackGoalState(
  items: readonly GoalItem[],
  events: readonly TrajectoryEvent[],
  violations: GoalViolations = new Map(),
): GoalTracking {
  const status: Record<string, GoalStatus> = Object.fromEntries(items.map((item) => [item.id, initialStatus(item.category)]));
  const chance: Record<string, boolean> = Object.fromEntries(items.map((item) => [item.id, askedByOf(item) === undefined]));
  const heard: Record<string, HeardAboutItem> = {};
  const unknownCues = items.filter((i) => i.category === 'policy').flatMap((i) => i.cues ?? []);
  // Each item's phrases read once, not per user turn.
  const prepared = items.map((item) => ({
    item,
    askedBy: phrasesOf(askedByOf(item)),
    // No cues (an objective with an empty list too): pursued by the user's opening message.
    cues: item.cues === undefined || (item.category === 'objectives' && item.cues.length === 0) ? undefined : phrasesOf(item.cues),
    value: item.value?.toLowerCase(),
  }));
  const timeline: GoalSnapshot[] = [];
  let agentText: string[] = [];
  let turn = 0;
  events.forEach((event, eventIndex) => {
    if (event.type !== 'message') return;
    if (event.role === 'agent') {
      agentText.push(event.content);
      return;
    }
    const agentTurn = agentText.join('\n');
    const reading = readAgentTurn(agentTurn, unknownCues);
    const asked = questions(agentTurn.toLowerCase());
    agentText = [];
    const said = event.content.toLowerCase();
    const flagged = violations.get(eventIndex) ?? [];
    for (const { item, askedBy, cues, value } of prepared) {
      if (!chance[item.id] && asked && mentions(asked, askedBy)) chance[item.id] = true;
      switch (item.category) {
        case 'profile':
        case 'policy':
          if (flagged.includes(item.id)) status[item.id] = 'MISALIGNED';
          break;
        case 'objectives':
        case 'requirements': {
          // What the agent said before this message answers what the user had pursued until then.
          if (status[item.id] !== 'INCOMPLETE') {
            if (reading === 'done') heard[item.id] = 'done';
            else if (reading === 'refusal' || reading === 'blocked') heard[item.id] = 'blocked';
          }
          if (status[item.id] !== 'INCOMPLETE') break;
          const pursued =
            cues === undefined ? turn === 0 && said.trim() !== '' : mentions(said, cues) || (value !== undefined && said.includes(value));
          if (pursued) status[item.id] = 'ATTEMPTED';
          break;
        }
        case 'preferences':
          if (mentions(said, cues ?? [])) status[item.id] = 'ALIGNED';
          break;
      }
    }
    timeline.push({ eventIndex, turn, statuses: { ...status } });
    turn++;
  });
  return { timeline, final: { ...status }, chance, heard };
}

/** Everything completion is read from: the task, the domain's queries and the final state (plus the grade's state verdict). */
export interface CompletionInput {
  task: Pick<Task, 'noChange'>;
  domain: Pick<Domain, 'queries'>;
  finalState: TableState;
  /** The grade's state component: the final state satisfies the expected outcome's required changes. */
  statePass: boolean;
}

/**
 * Per objective and requirement: whether the final state shows it done (null: the state cannot
 * tell). An item's own `done` predicates decide when it has them; otherwise the expected outcome
 * stands for the user's request when the task requires a change (the grade's state verdict: true
 * for every item when it passes; when it fails, false for the only such item of its category, else
 * unknown which), and nothing can be told when the task requires no change (a refusal or a question).
 */
export function completionFromState(items: readonly GoalItem[], input: CompletionInput): Record<string, boolean | null> {
  const tracked = items.filter((i) => i.category === 'objectives' || i.category === 'requirements');
  const undeclared = tracked.filter((i) => !i.done?.length);
  const out: Record<string, boolean | null> = {};
  for (const item of tracked) {
    if (item.done?.length) {
      try {
        out[item.id] = item.done.every((predicate) => evaluatePredicate(input.domain, input.finalState, predicate).pass);
      } catch {
        out[item.id] = null;
      }
    } else
      out[item.id] = input.task.noChange
        ? null
        : input.statePass
          ? true
          : undeclared.filter((i) => i.category === item.category).length === 1
            ? false
            : null;
  }
  return out;
}

/**
 * Final statuses with completion read from the state: COMPLETE where the state shows the item done;
 * where it shows it not done, a COMPLETE read from the conversation (an LLM tracker) is only
 * ATTEMPTED; where the state cannot tell, the tracked status stands.
 */
export function applyCompletion(
  final: Readonly<Record<string, GoalStatus>>,
  completion: Readonly<Record<string, boolean | null>>,
): Record<string, GoalStatus> {
  const out = { ...final };
  for (const [id, done] of Object.entries(completion)) {
    if (done === true) out[id] = 'COMPLETE';
    else if (done === false && out[id] === 'COMPLETE') out[id] = 'ATTEMPTED';
  }
  return out;
}

/** Whether the simulated user kept an item: see `episodeAuditSchema.goal.kept`. */
export type KeptVerdict = 'kept' | 'not_kept' | 'no_chance';

/**
 * Simulator fidelity per item: profile and policy kept while ALIGNED; objectives and requirements
 * kept when pursued (ATTEMPTED) or COMPLETE; preferences kept when expressed (ALIGNED). An item the
 * user has not kept is `no_chance` (not counted) when the conversation never gave it the chance.
 */
export function keptByUser(
  items: readonly GoalItem[],
  final: Readonly<Record<string, GoalStatus>>,
  chance: Readonly<Record<string, boolean>>,
): Record<string, KeptVerdict> {
  const out: Record<string, KeptVerdict> = {};
  for (const item of items) {
    const status = final[item.id] ?? initialStatus(item.category);
    const kept =
      item.category === 'objectives' || item.category === 'requirements'
        ? status === 'ATTEMPTED' || status === 'COMPLETE'
        : status === 'ALIGNED';
    out[item.id] = kept ? 'kept' : chance[item.id] === false ? 'no_chance' : 'not_kept';
  }
  return out;
}

/**
 * The agent's side, per objective and requirement: `completed` in the final state, else `blocked`
 * when the agent last refused it or asked for what the user cannot know, else `open` (the state
 * shows it not done) or `unknown` (the state cannot tell).
 */
export function goalOutcomes(
  items: readonly GoalItem[],
  completion: Readonly<Record<string, boolean | null>>,
  heard: Readonly<Record<string, HeardAboutItem>>,
): Record<string, GoalOutcome> {
  const out: Record<string, GoalOutcome> = {};
  for (const item of items) {
    if (item.category !== 'objectives' && item.category !== 'requirements') continue;
    const done = completion[item.id] ?? null;
    out[item.id] = done === true ? 'completed' : heard[item.id] === 'blocked' ? 'blocked' : done === false ? 'open' : 'unknown';
  }
  return out;
}

/**
 * The goal state as a prompt block for steering an LLM user (`--steer-user`). Written from the user's
 * view (it cannot see the state): an objective or requirement is still open until the user has
 * pursued it and the agent has reported it done, refused it or asked for what the user cannot know.
 */
export function renderGoalStateBlock(
  items: readonly GoalItem[],
  statuses: Readonly<Record<string, GoalStatus>>,
  heard: Readonly<Record<string, HeardAboutItem>> = {},
): string {
  const lines: string[] = [];
  const note = (id: string) =>
    heard[id] === 'done' ? ' (the agent says it is done)' : heard[id] === 'blocked' ? ' (the agent refused it or cannot go on)' : '';
  for (const category of GOAL_CATEGORIES) {
    const inCategory = items.filter((i) => i.category === category);
    if (inCategory.length === 0) continue;
    lines.push(`${category}:`);
    for (const item of inCategory) lines.push(`- [${statuses[item.id] ?? initialStatus(category)}] ${item.description}${note(item.id)}`);
  }
  const open = items.filter(
    (i) =>
      (i.category === 'objectives' || i.category === 'requirements') &&
      statuses[i.id] !== 'COMPLETE' &&
      (statuses[i.id] === 'INCOMPLETE' || heard[i.id] === undefined),
  );
  lines.push(
    open.length > 0
      ? `Still open: ${open.map((i) => i.description).join('; ')}. Do not end the conversation while these are open and the agent can still act on them.`
      : 'Every objective was reported done or was refused; you may end the conversation when appropriate.',
  );
  lines.push('Stay consistent with your profile facts; never state a fact you were not given.');
  return lines.join('\n');
}

/**
 * For `createLlmUser({ goalStateBlock })`: the current goal state of the task, tracked by rules
 * over the conversation so far, rendered for the user's prompt before each turn.
 */
export function goalStateBlockFor(events: readonly TrajectoryEvent[], task: Task): string {
  const { items } = goalItemsFor(task);
  const { final, heard } = trackGoalState(items, events);
  return renderGoalStateBlock(items, final, heard);
}

export { CLARIFY_ASKED, CONFIRM_ASKED } from '../text/question-cues.ts';
