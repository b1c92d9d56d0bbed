import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { GroundworkError } from '../../errors.ts';
import { exportRun } from '../../experience/export/export-run.ts';
import { EXPORT_FORMATS, exportJsonSchema, parseExportFormat } from '../../experience/export/schemas.ts';
import { openStoreReadOnly, printJson } from '../context.ts';

export interface ExportOptions {
  format?: string;
  output?: string;
  schema?: string;
  alternatives?: number;
  db?: string;
  json?: boolean;
}

/** `groundwork export RUN_ID --format F -o FILE`: training data from a stored run, as validated JSONL. */
export async function exportAction(runId: string | undefined, options: ExportOptions): Promise<void> {
  if (options.schema) {
    printJson(exportJsonSchema(parseExportFormat(options.schema)));
    return;
  }
  if (!runId)
    throw new GroundworkError('INVALID_ARGUMENT', 'export needs a run id', {
      hint: 'groundwork export RUN_ID --format sft -o FILE (list runs with groundwork runs)',
    });
  if (!options.format)
    throw new GroundworkError('INVALID_ARGUMENT', '--format is required', { hint: `one of ${EXPORT_FORMATS.join(', ')}` });
  const format = parseExportFormat(options.format);
  if (!options.output) throw new GroundworkError('INVALID_ARGUMENT', '-o FILE is required');
  const file = resolve(options.output);
  const store = openStoreReadOnly(options.db);
  // Written beside the target and renamed at the end: a failed export leaves no partial file.
  const partial = `${file}.partial`;
  let fd: number | undefined;
  try {
    fd = openSync(partial, 'w');
    const out = fd;
    const summary = await exportRun(store, runId, {
      format,
      alternatives: options.alternatives,
      write: (line) => void writeSync(out, `${line}\n`),
    });
    closeSync(fd);
    fd = undefined;
    renameSync(partial, file);
    if (options.json) printJson({ ...summary, file });
    else {
      const excluded = Object.entries(summary.excluded)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ');
      process.stdout.write(
        `wrote ${summary.lines} ${format} line(s) from ${summary.episodes} episode(s) of ${runId} to ${file}\n` +
          `${excluded ? `left out: ${excluded}\n` : ''}` +
          `simulator-fault labels: ${summary.audits.audited} episode(s) audited, ${summary.audits.faulted} faulted, ${summary.audits.unaudited} without a stored audit\n` +
          `schema: groundwork export --schema ${format}\n`,
      );
    }
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(partial, { force: true });
    throw error;
  } finally {
    await store.close();
  }
}
