import { checkJudgeFlags, judgeFor } from '../judge-options.ts';
import { auditStoredRun } from '../../audit-runner/audit-stored-run.ts';
import type { AuditCell } from '../../audits/audit.ts';
import { builtInAudits, type AuditRegistry } from '../../audits/registry.ts';
import { runAuditView } from '../../report/audit-view.ts';
import type { EpisodeAudit, RunAudit } from '../../schema/audit.ts';
import { clip, table } from '../format.ts';
import { openStore, printJson } from '../context.ts';
import { requireRun } from '../../store/store.ts';

export interface AuditOptions {
  judge?: string;
  config?: string;
  record?: string;
  replay?: string;
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  json?: boolean;
}

/** `groundwork audit RUN_ID [--judge MODEL]`: audit a stored or imported run, store and print the results. */
export async function auditAction(runId: string, options: AuditOptions): Promise<void> {
  checkJudgeFlags(options);
  const store = await openStore(options.store);
  // SIGINT/SIGTERM stop the audit between episodes: stored episode audits stay, no run audit is half-written.
  const controller = new AbortController();
  let exitCode = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    exitCode = signal === 'SIGINT' ? 130 : 143;
    controller.abort(new Error(`audit of ${runId} stopped by ${signal}; run groundwork audit ${runId} again to finish`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const run = await requireRun(store, runId);
    const judge = judgeFor(run, options);
    const audit = await auditStoredRun(store, runId, { ...(judge ? { judge } : {}), signal: controller.signal });
    if (options.json) printJson(audit);
    else process.stdout.write(`${formatRunAudit(audit)}\n`);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    process.stderr.write(`${controller.signal.reason.message}\n`);
    process.exitCode = exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}

/** Text of an audit table cell. */
const cellText = (cell: AuditCell) => (cell === null ? '-' : typeof cell === 'object' ? cell.episodeId : String(cell));

/**
 * The human form of a run audit (also the audit part of `groundwork run` and `groundwork show`):
 * one section per registered audit, rendered from its display description.
 */
export function formatRunAudit(
  audit: RunAudit,
  registry: AuditRegistry = builtInAudits,
  options: { only?: readonly string[] } = {},
): string {
  const view = runAuditView(audit, { registry });
  const sections = (view?.sections ?? []).filter((section) => !options.only || options.only.includes(section.name));
  const lines: string[] = [
    `Audit of ${audit.runId}  (${audit.episodes} episodes, ${audit.auditorVersion}${audit.judge ? `, judge ${audit.judge}` : ''})`,
  ];
  for (const section of sections) {
    lines.push('', `${section.title}: ${section.text}`);
    if (section.stale) {
      lines.push(`  (${section.stale})`);
      continue;
    }
    if (section.tables.length === 0) lines.push('  (nothing to measure in this run)');
    for (const t of section.tables) {
      if (t.title) lines.push(`${t.title}:`);
      // Long free text (claims, evidence) is clipped so a table stays readable in a terminal.
      lines.push(
        table(
          t.columns,
          t.rows.map((row) => row.map((cell) => clip(cellText(cell), 100))),
        ),
      );
      if (t.note) lines.push(t.note);
    }
  }
  if (audit.taskProblems.length) {
    lines.push('', `Task problems (${audit.taskProblems.length}):`);
    lines.push(...audit.taskProblems.slice(0, 10).map((p) => `  ${p.taskId} ${p.kind}: ${clip(p.detail, 200)}`));
  }
  const notes = view?.notes ?? audit.notes;
  if (notes.length) lines.push('', 'Notes:', ...notes.slice(0, 10).map((n) => `  ${n}`));
  return lines.join('\n');
}

/** The audit part of `groundwork show --episode`: each registered audit's lines for the episode. */
export function formatEpisodeAudit(audit: EpisodeAudit, registry: AuditRegistry = builtInAudits): string {
  const lines: string[] = ['', `Audit (${audit.auditorVersion}):`];
  for (const plugin of registry.audits) {
    if (!plugin.display.episodeLines) continue;
    // Read back with the audit's own schema: a record stored before this audit existed has no fields for it.
    const fields = plugin.fields.safeParse(audit);
    if (fields.success) lines.push(...plugin.display.episodeLines(fields.data).map((line: string) => `  ${line}`));
  }
  return lines.join('\n');
}
