import type { DemonstrationTurn } from '../schema/experience.ts';
import type { JsonValue } from '../schema/json.ts';
import type { FieldChange } from '../schema/outcome.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';

/** Longest text kept of one tool result or message in prompts built from trajectories. */
export const TRANSCRIPT_CLIP = 600;

const clip = (text: string, max = TRANSCRIPT_CLIP) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * A turn of a transcript shown to a human or a critic: a conversation turn, or (dual control) a
 * call of the simulated user's own tools and its result, labelled as the user's.
 */
export type TranscriptTurn =
  | DemonstrationTurn
  | { role: 'user_tool_call'; name: string; arguments: JsonValue }
  | { role: 'user_tool_result'; name: string; content: string; isError: boolean };

const isOutcomeReport = (event: TrajectoryEvent) =>
  (event.type === 'tool_call' || event.type === 'tool_result') && event.name === 'report_outcome';

/**
 * The agent's conversation as compact turns: messages and the agent's tool traffic (notes,
 * outcome reports and the simulated user's own tool traffic left out: the agent neither made nor
 * saw those calls). What demonstrations keep.
 */
export function compactTurns(events: readonly TrajectoryEvent[]): DemonstrationTurn[] {
  return transcriptTurns(events).filter(
    (turn): turn is DemonstrationTurn => turn.role !== 'user_tool_call' && turn.role !== 'user_tool_result',
  );
}

/**
 * The whole episode as compact turns for a human or a critic: the agent's conversation plus the
 * simulated user's own tool traffic (dual control), in place and labelled as the user's.
 */
export function transcriptTurns(events: readonly TrajectoryEvent[]): TranscriptTurn[] {
  const turns: TranscriptTurn[] = [];
  for (const event of events) {
    if (event.type === 'message') turns.push({ role: event.role, content: event.content });
    else if (isOutcomeReport(event)) continue;
    else if (event.type === 'tool_call')
      turns.push({ role: event.actor === 'user' ? 'user_tool_call' : 'tool_call', name: event.name, arguments: event.arguments });
    else if (event.type === 'tool_result')
      turns.push({
        role: event.actor === 'user' ? 'user_tool_result' : 'tool_result',
        name: event.name,
        content: clip(event.content),
        isError: event.isError,
      });
  }
  return turns;
}

/** Compact turns as plain text, one line each, for prompts and examples; the user's own tool traffic is marked `[user]`. */
export function renderTurns(turns: readonly TranscriptTurn[]): string {
  return turns
    .map((turn): string => {
      switch (turn.role) {
        case 'user':
          return `USER: ${clip(turn.content)}`;
        case 'agent':
          return `AGENT: ${clip(turn.content)}`;
        case 'tool_call':
          return `  -> ${turn.name}(${JSON.stringify(turn.arguments as JsonValue)})`;
        case 'tool_result':
          return `  <- ${turn.isError ? '[error] ' : ''}${clip(turn.content, 300)}`;
        case 'user_tool_call':
          return `  [user] -> ${turn.name}(${JSON.stringify(turn.arguments as JsonValue)})`;
        case 'user_tool_result':
          return `  [user] <- ${turn.isError ? '[error] ' : ''}${clip(turn.content, 300)}`;
        default:
          return '';
      }
    })
    .join('\n');
}

/** The first user message of an episode (the opening request). */
export function openingRequest(events: readonly TrajectoryEvent[]): string {
  const first = events.find((e) => e.type === 'message' && e.role === 'user');
  return first && first.type === 'message' ? first.content : '';
}

/** A field-level diff as text lines (for the optional diff signal of reflections). */
export function renderDiff(diff: readonly FieldChange[], failedChecks: readonly string[]): string {
  const lines = failedChecks.map((check) => `missing: ${check}`);
  for (const change of diff) {
    if (change.verdict === 'collateral')
      lines.push(`not allowed: ${change.op} ${change.table}/${change.key}${change.path ? `.${change.path}` : ''}`);
  }
  return lines.length ? lines.join('\n') : '(no field-level difference recorded)';
}
