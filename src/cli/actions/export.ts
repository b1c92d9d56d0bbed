import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { GroundworkError } from '../../errors.ts';
import { exportRun } from '../../experience/export/export-run.ts';
import { EXPORT_FORMATS, exportJsonSchema, parseExportFormat } from '../../experience/export/schemas.ts';
import { buildTau2Submission, tau2SubmissionSchema } from '../../experience/export/tau2-submission.ts';
import { num, table } from '../format.ts';
import { openStoreReadOnly, printJson } from '../context.ts';

/** The document format of `groundwork export` beside the JSONL ones. */
const TAU2_SUBMISSION = 'tau2-submission';

export interface ExportOptions {
  format?: string;
  output?: string;
  schema?: string;
  alternatives?: number;
  modelName?: string;
  modelOrganization?: string;
  submittingOrganization?: string;
  contactEmail?: string;
  contactName?: string;
  github?: string;
  submissionType?: string;
  submissionDate?: string;
  tau2Version?: string;
  retrievalConfig?: string;
  reasoningEffort?: string;
  notes?: string;
  isNew?: boolean;
  allowPending?: boolean;
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  json?: boolean;
}

/** `groundwork export RUN_ID --format F -o FILE`: training data from a stored run, as validated JSONL. */
export async function exportAction(runIds: string | readonly string[] | undefined, options: ExportOptions): Promise<void> {
  const ids = runIds === undefined ? [] : typeof runIds === 'string' ? [runIds] : [...runIds];
  if (options.schema === TAU2_SUBMISSION) {
    printJson(z.toJSONSchema(tau2SubmissionSchema, { io: 'input' }));
    return;
  }
  if (options.schema) {
    printJson(exportJsonSchema(parseExportFormat(options.schema)));
    return;
  }
  if (options.format === TAU2_SUBMISSION) return exportTau2Submission(ids, options);
  if (ids.length > 1)
    throw new GroundworkError('INVALID_ARGUMENT', `--format ${options.format ?? '?'} exports one run; got ${ids.length}`, {
      hint: 'only --format tau2-submission takes several runs (one per domain)',
    });
  const runId = ids[0];
  if (!runId)
    throw new GroundworkError('INVALID_ARGUMENT', 'export needs a run id', {
      hint: 'groundwork export RUN_ID --format sft -o FILE (list runs with groundwork runs)',
    });
  if (!options.format)
    throw new GroundworkError('INVALID_ARGUMENT', '--format is required', {
      hint: `one of ${[...EXPORT_FORMATS, TAU2_SUBMISSION].join(', ')}`,
    });
  const format = parseExportFormat(options.format);
  if (!options.output) throw new GroundworkError('INVALID_ARGUMENT', '-o FILE is required');
  const file = resolve(options.output);
  const store = await openStoreReadOnly(options.store);
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
          `simulator-fault labels: ${summary.audits.audited} episode(s) audited, ${summary.audits.faulted} faulted, ${summary.audits.unaudited} without an audit${summary.audits.auditedNow ? ' (the run has no stored audit: audited now, not stored)' : ''}\n` +
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

/** `groundwork export RUN... --format tau2-submission -o submission.json`: a τ² leaderboard submission. */
async function exportTau2Submission(runIds: readonly string[], options: ExportOptions): Promise<void> {
  if (runIds.length === 0)
    throw new GroundworkError('INVALID_ARGUMENT', 'export needs a run id', {
      hint: 'groundwork export RUN [RUN...] --format tau2-submission -o submission.json (one run per domain)',
    });
  if (!options.output) throw new GroundworkError('INVALID_ARGUMENT', '-o FILE is required');
  if (options.submissionType !== undefined && options.submissionType !== 'standard' && options.submissionType !== 'custom')
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `--submission-type must be standard or custom, got ${JSON.stringify(options.submissionType)}`,
    );
  const file = resolve(options.output);
  const store = await openStoreReadOnly(options.store);
  try {
    const { submission, domains } = await buildTau2Submission(store, runIds, {
      ...(options.modelName ? { modelName: options.modelName } : {}),
      ...(options.modelOrganization ? { modelOrganization: options.modelOrganization } : {}),
      ...(options.submittingOrganization ? { submittingOrganization: options.submittingOrganization } : {}),
      ...(options.contactEmail ? { contactEmail: options.contactEmail } : {}),
      ...(options.contactName ? { contactName: options.contactName } : {}),
      ...(options.github ? { github: options.github } : {}),
      ...(options.submissionType ? { submissionType: options.submissionType as 'standard' | 'custom' } : {}),
      ...(options.submissionDate ? { submissionDate: options.submissionDate } : {}),
      ...(options.tau2Version ? { tau2Version: options.tau2Version } : {}),
      ...(options.retrievalConfig ? { retrievalConfig: options.retrievalConfig } : {}),
      ...(options.reasoningEffort ? { reasoningEffort: options.reasoningEffort } : {}),
      ...(options.notes ? { notes: options.notes } : {}),
      ...(options.isNew ? { isNew: true } : {}),
      ...(options.allowPending ? { allowPending: true } : {}),
    });
    // Written beside the target and renamed: a failed export leaves no partial file.
    const partial = `${file}.partial`;
    writeFileSync(partial, `${JSON.stringify(submission, null, 2)}\n`);
    renameSync(partial, file);
    if (options.json) {
      printJson({ format: TAU2_SUBMISSION, file, submission, domains });
      return;
    }
    const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${num(v, 1)}%`);
    const rows = Object.entries(domains).map(([domain, d]) => {
      const r = submission.results[domain as keyof typeof submission.results]!;
      return [
        domain,
        d.runId,
        String(d.tasks),
        String(d.episodes),
        pct(r.pass_1),
        pct(r.pass_2),
        pct(r.pass_3),
        pct(r.pass_4),
        r.cost == null ? '-' : `$${r.cost.toFixed(4)}`,
      ];
    });
    process.stdout.write(
      `wrote a τ² leaderboard submission for ${submission.model_name} (${submission.submission_type}) to ${file}\n\n` +
        `${table(['domain', 'run', 'tasks', 'episodes', 'pass^1', 'pass^2', 'pass^3', 'pass^4', 'cost/trajectory'], rows)}\n\n` +
        `user simulator: ${submission.methodology?.user_simulator ?? '-'}\nschema: groundwork export --schema tau2-submission\n`,
    );
  } finally {
    await store.close();
  }
}
