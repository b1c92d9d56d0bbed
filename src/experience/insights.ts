import { EXPERIENCE_SCHEMA_VERSION, type ExperienceProvenance, type InsightRecord } from '../schema/experience.ts';
import { experienceId } from './experience-store.ts';

/** Counter of a rule when it is added (ExpeL). */
export const INSIGHT_ADD_COUNT = 2;

/**
 * One ExpeL operation on the rule list. Indexes are 1-based positions in the list as it was shown
 * to the critic (ranked order).
 */
export type InsightEdit =
  | { op: 'ADD'; text: string }
  | { op: 'EDIT'; index: number; text: string }
  | { op: 'AGREE'; index: number }
  | { op: 'REMOVE'; index: number };

const EDIT_LINE = /^\s*(?:[-*•]\s*|\d+[.)]\s*)?\**\s*(ADD|EDIT|AGREE|REMOVE)\b\**\s*(?:RULE\s*)?#?\s*(\d+)?\s*[:.\-–]?\s*(.*)$/i;

/**
 * Reads the critic's answer: one operation per line, `ADD: rule`, `EDIT 2: new text`, `AGREE 1`,
 * `REMOVE 3` (ExpeL's format; `AGREE 1: existing text` also accepted). Other lines are ignored and
 * returned so they can be logged. Pure.
 */
export function parseInsightEdits(text: string): { edits: InsightEdit[]; ignored: string[] } {
  const edits: InsightEdit[] = [];
  const ignored: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const match = EDIT_LINE.exec(line);
    if (!match) {
      ignored.push(line.trim());
      continue;
    }
    const op = match[1].toUpperCase() as InsightEdit['op'];
    const index = match[2] === undefined ? undefined : Number(match[2]);
    const rest = match[3]
      .trim()
      .replace(/^\*+|\*+$/g, '')
      .trim();
    if (op === 'ADD') {
      // "ADD 3: text" happens; the number means nothing for an addition.
      if (rest) edits.push({ op, text: rest });
      else ignored.push(line.trim());
    } else if (index === undefined || index < 1) {
      ignored.push(line.trim());
    } else if (op === 'EDIT') {
      if (rest) edits.push({ op, index, text: rest });
      else ignored.push(line.trim());
    } else {
      edits.push({ op, index });
    }
  }
  return { edits, ignored };
}

/** Where the edits come from, merged into the provenance of every rule they touch. */
export interface InsightEditSource {
  setId: string;
  domain: string;
  provenance: ExperienceProvenance;
  createdAt: string;
}

/** What applying edits did. */
export interface InsightEditResult {
  /** The rule list after the edits, ranked. */
  rules: InsightRecord[];
  /** Rules whose counter reached 0 (to delete). */
  removed: InsightRecord[];
  /** Edits that named no existing rule. */
  skipped: InsightEdit[];
}

const normalise = (text: string) =>
  text
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[.\s]+$/, '')
    .trim();

function mergeProvenance(a: ExperienceProvenance, b: ExperienceProvenance): ExperienceProvenance {
  const union = (x: string[], y: string[]) => [...new Set([...x, ...y])];
  const producers = union(a.producedBy.split(', '), b.producedBy.split(', ')).join(', ');
  // The run and round of a rule are those of its latest edit; episodes and tasks accumulate.
  return { ...b, episodeIds: union(a.episodeIds, b.episodeIds), taskIds: union(a.taskIds, b.taskIds), producedBy: producers };
}

/**
 * Applies ExpeL edits to a rule list: ADD creates a rule with counter 2 (an ADD of an existing
 * rule counts as AGREE), EDIT replaces the text and adds 1, AGREE adds 1, REMOVE subtracts 1; a
 * rule whose counter drops to 0 is removed. `rules` must be in the order shown to the critic (the
 * indexes of the edits refer to it). Pure: ids come from the set and creation order.
 */
export function applyInsightEdits(
  rules: readonly InsightRecord[],
  edits: readonly InsightEdit[],
  source: InsightEditSource,
): InsightEditResult {
  const shown = rules.map((rule) => ({ ...rule }));
  const added: InsightRecord[] = [];
  const skipped: InsightEdit[] = [];
  let nextOrder = Math.max(-1, ...rules.map((r) => r.order)) + 1;
  const touch = (rule: InsightRecord, delta: number) => {
    rule.count = Math.max(0, rule.count + delta);
    rule.provenance = mergeProvenance(rule.provenance, source.provenance);
  };
  for (const edit of edits) {
    if (edit.op === 'ADD') {
      const existing = [...shown, ...added].find((r) => r.count > 0 && normalise(r.text) === normalise(edit.text));
      if (existing) touch(existing, 1);
      else {
        const order = nextOrder++;
        added.push({
          schemaVersion: EXPERIENCE_SCHEMA_VERSION,
          id: experienceId('insight', source.setId, order),
          setId: source.setId,
          domain: source.domain,
          kind: 'insight',
          text: edit.text,
          count: INSIGHT_ADD_COUNT,
          order,
          provenance: source.provenance,
          createdAt: source.createdAt,
        });
      }
      continue;
    }
    const rule = shown[edit.index - 1];
    if (!rule || rule.count === 0) {
      skipped.push(edit);
      continue;
    }
    if (edit.op === 'EDIT') {
      rule.text = edit.text;
      touch(rule, 1);
    } else if (edit.op === 'AGREE') touch(rule, 1);
    else touch(rule, -1);
  }
  const all = [...shown, ...added];
  return {
    rules: rankInsights(all.filter((r) => r.count > 0)),
    removed: all.filter((r) => r.count === 0 && rules.some((old) => old.id === r.id)),
    skipped,
  };
}

/** Rules ranked: higher counter first, then older first. Pure. */
export function rankInsights(rules: readonly InsightRecord[]): InsightRecord[] {
  return [...rules].sort((a, b) => b.count - a.count || a.order - b.order);
}

/** The rule list as the critic sees it: `1. text (count)`. */
export function renderRuleList(rules: readonly InsightRecord[]): string {
  return rules.length ? rules.map((rule, i) => `${i + 1}. ${rule.text}`).join('\n') : '(no rules yet)';
}

/** System prompt of the insight critic (ExpeL's operations). */
export const INSIGHT_CRITIC_SYSTEM = `You are a critic improving a list of rules for an AI agent that serves users through tools under a policy.
You compare trajectories of the agent and edit the rule list. Answer ONLY with operations, one per line:
ADD: <new rule>
EDIT <number>: <rewritten rule>
AGREE <number>
REMOVE <number>
Rules must be general (no names or ids of one case), short, and actionable. Use at most 4 operations.`;

/** User message for comparing a failed and a successful trajectory of the same task. */
export function comparePrompt(rules: readonly InsightRecord[], failed: string, succeeded: string): string {
  return `Current rules:\n${renderRuleList(rules)}\n\nA FAILED attempt at a task:\n${failed}\n\nA SUCCESSFUL attempt at the same task:\n${succeeded}\n\nWhat made the difference? Edit the rules.`;
}

/** User message for a batch of successes (ExpeL's second kind of comparison). */
export function successBatchPrompt(rules: readonly InsightRecord[], successes: readonly string[]): string {
  return `Current rules:\n${renderRuleList(rules)}\n\nSuccessful attempts at different tasks:\n${successes.map((s, i) => `--- Success ${i + 1}\n${s}`).join('\n\n')}\n\nWhat do they have in common that others should do? Edit the rules.`;
}
