import { recordedUserTables } from '../../episode/orchestrator.ts';
import { GroundworkError } from '../../errors.ts';
import { describeActual, describePredicate } from '../../grading/predicate-text.ts';
import { DIFF_SIDE_TITLES, diffSides } from '../../schema/diff-sides.ts';
import type { FieldChange } from '../../schema/outcome.ts';
import { summariseRun } from '../../report/run-summary.ts';
import { type EpisodeRecord, requireRun } from '../../store/store.ts';
import { clip, indent, table } from '../format.ts';
import { openStoreReadOnly, printJson } from '../context.ts';
import { formatRunSummary } from '../summary-text.ts';
import { formatEpisodeAudit, formatRunAudit } from './audit.ts';

export interface ShowOptions {
  episode?: string;
  limit: number;
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  json?: boolean;
}

/** `groundwork show RUN_ID [--episode ID]`: a run's summary, or one episode in full. */
export async function showAction(runId: string, options: ShowOptions): Promise<void> {
  const store = await openStoreReadOnly(options.store);
  try {
    const run = await requireRun(store, runId);
    if (options.episode) {
      const episode = await store.getEpisode(runId, options.episode);
      if (!episode)
        throw new GroundworkError('UNKNOWN_EPISODE', `no episode ${JSON.stringify(options.episode)} in run ${runId}`, {
          hint: `list episodes with groundwork show ${runId}`,
        });
      const audit = await store.getEpisodeAudit(episode.id);
      if (options.json) printJson(audit ? { ...episode, audit } : episode);
      else process.stdout.write(`${formatEpisode(episode)}${audit ? `\n${formatEpisodeAudit(audit)}` : ''}\n`);
      return;
    }
    const summary = await summariseRun(store, run);
    const failed = await store.listEpisodes(runId, { result: 'fail', limit: options.limit });
    const audit = await store.getRunAudit(runId);
    if (options.json) {
      printJson({ ...summary, failedEpisodes: failed, ...(audit ? { audit } : {}) });
      return;
    }
    process.stdout.write(`${formatRunSummary(summary)}\n`);
    if (audit) process.stdout.write(`\n${formatRunAudit(audit)}\n`);
    if (failed.length > 0) {
      process.stdout.write(`\nFailed episodes (first ${failed.length}; open one with --episode ID):\n`);
      process.stdout.write(
        `${table(
          ['episode', 'agent', 'task', 'family', 'trial', 'termination'],
          failed.map((e) => [e.id, e.agent, e.taskId, e.family, String(e.trial), e.termination]),
        )}\n`,
      );
    }
  } finally {
    await store.close();
  }
}

const show = (value: unknown) => (value === undefined ? '∅' : JSON.stringify(value));

/** One field-level change as a line: verdict, record and field, before → after. */
function changeLine(change: FieldChange): string {
  const where = `${change.table}/${change.key}${change.path ? `.${change.path}` : ''}`;
  const what =
    change.op === 'update'
      ? `${show(change.before)} → ${show(change.after)}`
      : change.op === 'create'
        ? `created ${clip(show(change.after), 200)}`
        : `deleted ${clip(show(change.before), 200)}`;
  return `[${change.verdict}] ${where}: ${what}`;
}

/**
 * The state diff's lines; dual control (the trajectory recorded the user's tables): the agent's
 * side and the user's side apart, as the report and the viewer show them.
 */
function diffLines(diff: readonly FieldChange[], userTables: readonly string[]): string[] {
  if (diff.length === 0) return ['  (no change)'];
  if (userTables.length === 0) return diff.map((change) => `  ${changeLine(change)}`);
  const sides = diffSides(diff, userTables);
  return (['agent', 'user'] as const).flatMap((side) => [
    `  ${DIFF_SIDE_TITLES[side]}:`,
    ...(sides[side].length ? sides[side].map((change) => `    ${changeLine(change)}`) : ['    (no change)']),
  ]);
}

/**
 * One episode as text: transcript with tool traffic (the simulated user's own calls and results
 * marked `user`), then the grade and the field-level diff.
 */
export function formatEpisode(episode: EpisodeRecord): string {
  const { trajectory: t, outcome: o } = episode;
  const lines: string[] = [];
  lines.push(
    `Episode ${episode.id}  agent=${episode.agent}  task=${episode.taskId} (${episode.family})  trial=${episode.trial}  reward=${o.reward}  termination=${t.termination.reason}${t.termination.detail ? ` (${t.termination.detail})` : ''}`,
  );
  lines.push('', 'Transcript:');
  for (const event of t.events) {
    switch (event.type) {
      case 'message':
        lines.push(`  ${event.role === 'user' ? 'USER ' : 'AGENT'} ${clip(event.content)}${event.control ? `  [${event.control}]` : ''}`);
        break;
      case 'tool_call':
        lines.push(
          `    ${event.actor === 'user' ? 'USER ' : ''}→ ${event.name}(${clip(typeof event.arguments === 'string' ? event.arguments : JSON.stringify(event.arguments), 200)})`,
        );
        break;
      case 'tool_result':
        lines.push(
          `    ${event.actor === 'user' ? 'USER ' : ''}${event.isError ? '✗' : '←'} ${clip(event.content, 300)}${event.stateHash ? `  [state ${event.stateHash}]` : ''}`,
        );
        break;
      case 'note':
        lines.push(`    · ${event.content}`);
        break;
      case 'outcome_request':
        lines.push(`    · outcome report requested`);
        break;
      case 'outcome_report':
        lines.push(`    · outcome report: success=${event.success} confidence=${event.confidence} "${clip(event.summary, 200)}"`);
        break;
    }
  }
  lines.push(
    '',
    `Grade: reward ${o.reward}  state ${o.state.pass ? 'pass' : 'FAIL'}  collateral ${o.collateral.pass ? 'none' : `${o.collateral.changes.length} change(s)`}  communication ${o.communication.pass ? 'pass' : 'FAIL'}`,
  );
  if (o.note) lines.push(`  note: ${o.note}`);
  if (o.state.predicates.length > 0) {
    lines.push('  Required:');
    for (const p of o.state.predicates) {
      lines.push(`    ${p.pass ? '✓' : '✗'} ${describePredicate(p.predicate)}${p.pass ? '' : `  (actual: ${describeActual(p)})`}`);
    }
  }
  if (o.communication.items.length > 0) {
    lines.push('  Told to the user:');
    for (const item of o.communication.items) {
      lines.push(`    ${item.pass ? '✓' : '✗'} ${item.id}${item.method === 'judge' ? `  (${clip(item.evidence ?? 'judged', 200)})` : ''}`);
      // Which fact was stated, how, and where; or why a mention did not count.
      for (const fact of item.facts ?? [])
        lines.push(
          `        ${fact.pass ? '✓' : '✗'} ${fact.id}: ${fact.pass ? `${fact.matched}: "${clip(fact.quote ?? '', 120)}" (agent message ${fact.message})` : (fact.note ?? 'not stated')}`,
        );
    }
  }
  lines.push('', 'State diff (initial → final):', ...diffLines(o.diff, recordedUserTables(t)));
  return lines.join('\n');
}

export { indent };
