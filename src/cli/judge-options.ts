import { GroundworkError } from '../errors.ts';
import { ModelHub } from '../models/model-hub.ts';
import { loadRunFile } from '../runner/run-file.ts';
import type { RunConfig } from '../schema/run-config.ts';

/** The judge flags shared by `audit` and `regrade`. */
export interface JudgeFlags {
  judge?: string;
  config?: string;
  record?: string;
  replay?: string;
}

/** Refuses judge-only flags without `--judge`, before anything is opened. */
export function checkJudgeFlags(options: JudgeFlags): void {
  if ((options.config || options.record || options.replay) && !options.judge) {
    throw new GroundworkError('INVALID_ARGUMENT', '--config, --record and --replay configure the judge model', {
      hint: 'add --judge MODEL',
    });
  }
}

/**
 * The judge model for a stored run: a hub over the run's named models plus those of `--config`,
 * recording or replaying as asked; the spec is resolved at once so a bad one fails before any work.
 * Undefined without `--judge`.
 */
export function judgeFor(run: { config: Pick<RunConfig, 'models'> }, options: JudgeFlags): { hub: ModelHub; model: string } | undefined {
  if (!options.judge) return undefined;
  const configured = options.config ? (loadRunFile(options.config).models ?? {}) : {};
  // The AI SDK prints its own warnings to the console; keep stdout a single document.
  (globalThis as Record<string, unknown>).AI_SDK_LOG_WARNINGS = false;
  const hub = new ModelHub({ models: { ...run.config.models, ...configured }, record: options.record, replay: options.replay });
  hub.resolve(options.judge);
  return { hub, model: options.judge };
}
