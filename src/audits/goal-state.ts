import { GOAL_CATEGORIES, type FactKind, type GoalCategory, type GoalItem, type GoalSnapshot, type GoalStatus } from '../schema/audit.ts';
import type { Task } from '../schema/task.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { factTokens } from './fact-tokens.ts';

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
  const items: GoalItem[] = scenario.known.map((fact) => ({ id: `profile:${fact.id}`, category: 'profile', description: `${fact.id} is ${fact.value}`, value: fact.value, kind: inferFactKind(fact.id, fact.value) }));
  if (scenario.known.length === 0) {
    // Free-text scenarios (τ-bench): the facts written in the instructions are the profile.
    const seen = new Set<string>();
    for (const token of factTokens(scenario.instructions)) {
      if (token.kind === 'level' || seen.has(token.text)) continue;
      seen.add(token.text);
      items.push({ id: `profile:${token.kind}:${token.text}`, category: 'profile', description: `${token.kind} ${token.text}`, value: token.text, kind: token.kind });
    }
  }
  for (const unknown of scenario.unknown) items.push({ id: `policy:unknown:${unknown.id}`, category: 'policy', description: `does not know ${unknown.id}; says so when asked, never makes one up`, cues: unknown.keywords });
  items.push({ id: 'objective:request', category: 'objectives', description: scenario.instructions.split(/(?<=\.)\s/).slice(0, 2).join(' '), cues: [...scenario.openings, 'my request'] });
  if (scenario.clarification) {
    const quoted = /"([^"]+)"/.exec(scenario.clarification)?.[1];
    items.push({ id: 'requirement:which', category: 'requirements', description: scenario.clarification, cues: [quoted ?? scenario.clarification] });
  }
  items.push({
    id: 'preference:confirmation',
    category: 'preferences',
    description: scenario.confirms ? 'agrees when asked to confirm the action' : 'declines when asked to confirm the action',
    cues: scenario.confirms ? CONFIRM_CUES : DECLINE_CUES,
  });
  return items;
}

/** The goal items of a task: its own `goal` when it has one, else derived from the scenario. */
export function goalItemsFor(task: Task): { items: GoalItem[]; source: 'task' | 'scenario' } {
  return task.user.goal && task.user.goal.length > 0 ? { items: task.user.goal, source: 'task' } : { items: goalItemsFromScenario(task), source: 'scenario' };
}

/** The status an item starts with (before the first user turn). */
export function initialStatus(category: GoalCategory): GoalStatus {
  return category === 'profile' || category === 'policy' ? 'ALIGNED' : category === 'preferences' ? 'MISALIGNED' : 'INCOMPLETE';
}

/** The status that counts as success for a category. */
export function successStatus(category: GoalCategory): GoalStatus {
  return category === 'objectives' || category === 'requirements' ? 'COMPLETE' : 'ALIGNED';
}

/** How the user sees the agent's last words: the tracker's own reading (rules). */
export type AgentTurnReading = 'done' | 'refusal' | 'blocked' | 'question' | 'other' | 'none';

const REFUSAL = /\b(cannot|can't|can not|unable|not able|not authori[sz]ed|not permitted|legal hold|pending approval|awaiting approval|i'm sorry|i am sorry|won't be able|not allowed)\b/;
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

const mentions = (text: string, cues: readonly string[] | undefined) => (cues ?? []).some((cue) => cue.trim() !== '' && text.includes(cue.toLowerCase()));

/** Drift found in a user message that makes a profile or policy item MISALIGNED: event index → item ids. */
export type GoalViolations = ReadonlyMap<number, readonly string[]>;

/**
 * The rule tracker: the goal state after every user turn, from the stored conversation alone.
 * Objectives become COMPLETE when the agent reports the request done, ATTEMPTED when it refuses,
 * asks for something the user cannot know, or the user has to repeat the request; requirements
 * COMPLETE once the user has stated them; preferences ALIGNED once expressed; profile and policy
 * items MISALIGNED (for good) when a drift detector flags the user's message against them.
 */
export function trackGoalState(items: readonly GoalItem[], events: readonly TrajectoryEvent[], violations: GoalViolations = new Map()): { timeline: GoalSnapshot[]; final: Record<string, GoalStatus> } {
  const status: Record<string, GoalStatus> = Object.fromEntries(items.map((item) => [item.id, initialStatus(item.category)]));
  const unknownCues = items.filter((i) => i.category === 'policy').flatMap((i) => i.cues ?? []);
  const timeline: GoalSnapshot[] = [];
  let agentText: string[] = [];
  let turn = 0;
  events.forEach((event, eventIndex) => {
    if (event.type !== 'message') return;
    if (event.role === 'agent') {
      agentText.push(event.content);
      return;
    }
    const reading = readAgentTurn(agentText.join('\n'), unknownCues);
    agentText = [];
    const said = event.content.toLowerCase();
    const flagged = new Set(violations.get(eventIndex) ?? []);
    for (const item of items) {
      const current = status[item.id];
      switch (item.category) {
        case 'profile':
        case 'policy':
          if (flagged.has(item.id)) status[item.id] = 'MISALIGNED';
          break;
        case 'objectives':
          if (current === 'COMPLETE') break;
          if (reading === 'done') status[item.id] = 'COMPLETE';
          else if (reading === 'refusal' || reading === 'blocked' || (turn > 0 && mentions(said, item.cues))) status[item.id] = 'ATTEMPTED';
          break;
        case 'requirements':
          if (current !== 'COMPLETE' && (mentions(said, item.cues) || (item.value !== undefined && said.includes(item.value.toLowerCase())))) status[item.id] = 'COMPLETE';
          else if (current === 'INCOMPLETE' && reading === 'refusal') status[item.id] = 'ATTEMPTED';
          break;
        case 'preferences':
          if (mentions(said, item.cues)) status[item.id] = 'ALIGNED';
          break;
      }
    }
    timeline.push({ eventIndex, turn, statuses: { ...status } });
    turn++;
  });
  return { timeline, final: { ...status } };
}

/** Share of items at their success status, per category (null when the task has none of it). */
export function goalSuccessByCategory(items: readonly GoalItem[], final: Readonly<Record<string, GoalStatus>>): Record<GoalCategory, number | null> {
  const out = {} as Record<GoalCategory, number | null>;
  for (const category of GOAL_CATEGORIES) {
    const inCategory = items.filter((i) => i.category === category);
    out[category] = inCategory.length === 0 ? null : inCategory.filter((i) => final[i.id] === successStatus(category)).length / inCategory.length;
  }
  return out;
}

/** The goal state as a prompt block for steering an LLM user (`--steer-user`). */
export function renderGoalStateBlock(items: readonly GoalItem[], statuses: Readonly<Record<string, GoalStatus>>): string {
  const lines: string[] = [];
  for (const category of GOAL_CATEGORIES) {
    const inCategory = items.filter((i) => i.category === category);
    if (inCategory.length === 0) continue;
    lines.push(`${category}:`);
    for (const item of inCategory) lines.push(`- [${statuses[item.id] ?? initialStatus(category)}] ${item.description}`);
  }
  const open = items.filter((i) => (i.category === 'objectives' || i.category === 'requirements') && statuses[i.id] === 'INCOMPLETE');
  lines.push(
    open.length > 0
      ? `Still open: ${open.map((i) => i.description).join('; ')}. Do not end the conversation while these are open and the agent can still act on them.`
      : 'Every objective is complete or was attempted; you may end the conversation when appropriate.',
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
  const { final } = trackGoalState(items, events);
  return renderGoalStateBlock(items, final);
}
