import type { DemonstrationTurn } from '../schema/experience.ts';
import type { JsonValue } from '../schema/json.ts';
import type { FieldChange } from '../schema/outcome.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';

/** Longest text kept of one tool result or message in prompts built from trajectories. */
export const TRANSCRIPT_CLIP = 600;

const clip = (text: string, max = TRANSCRIPT_CLIP) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** The conversation of an episode as compact turns (notes and outcome reports left out). */
export function compactTurns(events: readonly TrajectoryEvent[]): DemonstrationTurn[] {
  const turns: DemonstrationTurn[] = [];
  for (const event of events) {
    if (event.type === 'message') turns.push({ role: event.role, content: event.content });
    else if (event.type === 'tool_call' && event.name !== 'report_outcome')
      turns.push({ role: 'tool_call', name: event.name, arguments: event.arguments });
    else if (event.type === 'tool_result' && event.name !== 'report_outcome')
      turns.push({ role: 'tool_result', name: event.name, content: clip(event.content), isError: event.isError });
  }
  return turns;
}

/** Compact turns as plain text, one line each, for prompts and examples. */
export function renderTurns(turns: readonly DemonstrationTurn[]): string {
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
