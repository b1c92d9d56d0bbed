import { renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GroundworkError } from '../../errors.ts';
import { chartsFor } from '../../report/charts.ts';
import { renderHtmlReport } from '../../report/html-report.ts';
import { collectReportData } from '../../report/report-data.ts';
import { openStore, positiveInt, printJson } from '../context.ts';

/** `groundwork report RUN_ID -o report.html`: one self-contained HTML file. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report of a run (charts, tables, failed episodes with transcript and state diff)')
    .argument('<runId>', 'run id (see groundwork runs)')
    .option('-o, --output <file>', 'where to write the report (default groundwork-report-RUN_ID.html)')
    .option('--max-failed <n>', 'failed episodes included in full, spread over agents', positiveInt('--max-failed', 0), 200)
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (runId: string, options: { output?: string; maxFailed: number; db?: string; json?: boolean }) => {
      const store = openStore(options.db);
      try {
        const data = await collectReportData(store, runId, { maxFailed: options.maxFailed });
        const report = await renderHtmlReport(data, { generatedAt: new Date().toISOString() });
        const path = resolve(options.output ?? `groundwork-report-${runId}.html`);
        try {
          // Write then rename: a reader never sees half a report.
          writeFileSync(`${path}.tmp`, report);
          renameSync(`${path}.tmp`, path);
        } catch (error) {
          throw new GroundworkError('INVALID_ARGUMENT', `cannot write ${path}: ${(error as Error).message}`, { cause: error, hint: 'choose a writable path with -o FILE' });
        }
        const charts = chartsFor(data).map((c) => c.id);
        if (options.json) printJson({ runId, path, bytes: Buffer.byteLength(report), charts, failedTotal: data.failed.total, failedIncluded: data.failed.episodes.length, audited: data.audit !== undefined });
        else process.stdout.write(`Wrote ${path} (${(Buffer.byteLength(report) / 1024).toFixed(0)} KB, ${charts.length} charts, ${data.failed.episodes.length} of ${data.failed.total} failed episodes). Open it in a browser; it needs no network.\n`);
      } finally {
        await store.close();
      }
    });
}
