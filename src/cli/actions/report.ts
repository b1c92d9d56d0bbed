import { renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GroundworkError } from '../../errors.ts';
import { chartsFor } from '../../report/charts.ts';
import { renderHtmlReport } from '../../report/html-report.ts';
import { collectReportData } from '../../report/report-data.ts';
import { openStoreReadOnly, printJson } from '../context.ts';

export interface ReportOptions {
  output?: string;
  maxFailed: number;
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  json?: boolean;
}

/** `groundwork report RUN_ID -o report.html`: one self-contained HTML file. */
export async function reportAction(runId: string, options: ReportOptions): Promise<void> {
  const store = await openStoreReadOnly(options.store);
  try {
    const data = await collectReportData(store, runId, { maxFailed: options.maxFailed });
    const report = await renderHtmlReport(data, { generatedAt: new Date().toISOString() });
    const path = resolve(options.output ?? `groundwork-report-${runId}.html`);
    try {
      // Write then rename: a reader never sees half a report.
      writeFileSync(`${path}.tmp`, report);
      renameSync(`${path}.tmp`, path);
    } catch (error) {
      throw new GroundworkError('INVALID_ARGUMENT', `cannot write ${path}: ${(error as Error).message}`, {
        cause: error,
        hint: 'choose a writable path with -o FILE',
      });
    }
    const charts = chartsFor(data).map((c) => c.id);
    if (options.json)
      printJson({
        runId,
        path,
        bytes: Buffer.byteLength(report),
        charts,
        failedTotal: data.failed.total,
        failedIncluded: data.failed.episodes.length,
        audited: data.audit !== undefined,
      });
    else
      process.stdout.write(
        `Wrote ${path} (${(Buffer.byteLength(report) / 1024).toFixed(0)} KB, ${charts.length} charts, ${data.failed.episodes.length} of ${data.failed.total} failed episodes). Open it in a browser; it needs no network.\n`,
      );
  } finally {
    await store.close();
  }
}
