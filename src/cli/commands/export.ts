import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GroundworkError } from '../../errors.ts';
import { exportRun } from '../../experience/export/export-run.ts';
import { EXPORT_FORMATS, exportJsonSchema, parseExportFormat } from '../../experience/export/schemas.ts';
import { openStore, positiveInt, printJson } from '../context.ts';

interface ExportOptions {
  format?: string;
  output?: string;
  schema?: string;
  alternatives?: number;
  db?: string;
  json?: boolean;
}

/** `groundwork export RUN_ID --format F -o FILE`: training data from a stored run, as validated JSONL. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(`export a stored run as JSONL training data (${EXPORT_FORMATS.join(', ')}); every line validated against its schema`)
    .argument('[runId]', 'the run to export')
    .option('--format <format>', `sft (verified successes, OpenAI chat fine-tuning format), preference (success/failure pairs at a shared state), rl (prompts with grounded reward components and calibration), early-experience (expert states, alternative actions on forks, next states)`)
    .option('-o, --output <file>', 'JSONL file to write')
    .option('--schema <format>', 'print the JSON Schema of one line of FORMAT and exit')
    .option('--alternatives <n>', 'early-experience: alternative actions per expert state (default 3)', positiveInt('--alternatives'))
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (runId: string | undefined, options: ExportOptions) => {
      if (options.schema) {
        printJson(exportJsonSchema(parseExportFormat(options.schema)));
        return;
      }
      if (!runId) throw new GroundworkError('INVALID_ARGUMENT', 'export needs a run id', { hint: 'groundwork export RUN_ID --format sft -o FILE (list runs with groundwork runs)' });
      if (!options.format) throw new GroundworkError('INVALID_ARGUMENT', '--format is required', { hint: `one of ${EXPORT_FORMATS.join(', ')}` });
      const format = parseExportFormat(options.format);
      if (!options.output) throw new GroundworkError('INVALID_ARGUMENT', '-o FILE is required');
      const file = resolve(options.output);
      const store = openStore(options.db);
      // Written beside the target and renamed at the end: a failed export leaves no partial file.
      const partial = `${file}.partial`;
      let fd: number | undefined;
      try {
        fd = openSync(partial, 'w');
        const out = fd;
        const summary = await exportRun(store, runId, { format, alternatives: options.alternatives, write: (line) => void writeSync(out, `${line}\n`) });
        closeSync(fd);
        fd = undefined;
        renameSync(partial, file);
        if (options.json) printJson({ ...summary, file });
        else {
          const excluded = Object.entries(summary.excluded).map(([reason, n]) => `${reason} ${n}`).join(', ');
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
    });
}
