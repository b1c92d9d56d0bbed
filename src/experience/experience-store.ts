import { GroundworkError } from '../errors.ts';
import { EXPERIENCE_KINDS, type ExperienceKind, type ExperienceRecord } from '../schema/experience.ts';
import { shortHash } from '../schema/json.ts';
import type { Store } from '../store/store.ts';

/** The only split experience may be built from. */
export const EXPERIENCE_SOURCE_SPLIT = 'train';

/** A stable experience id from its kind, set and source parts. */
export function experienceId(kind: ExperienceKind, setId: string, ...parts: (string | number)[]): string {
  return `${kind.slice(0, 4)}-${shortHash([setId, ...parts].join('\u0000')).slice(0, 12)}`;
}

/**
 * Refuses to build experience from anything but the train split: every episode a record is
 * derived from must be a train-split episode. Throws INVALID_ARGUMENT naming the offender.
 */
export function assertTrainSplit(episodes: readonly { id: string; split: string }[]): void {
  const offender = episodes.find((e) => e.split !== EXPERIENCE_SOURCE_SPLIT);
  if (offender) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `experience can only be built from ${EXPERIENCE_SOURCE_SPLIT}-split episodes; episode ${offender.id} is from ${offender.split}`,
      {
        hint: 'learn on the train split and evaluate on test',
      },
    );
  }
}

/** What an evaluation is allowed to see. */
export interface EvaluationScope {
  /** Split being evaluated (`train` during learning rounds, `test` for the held-out evaluation). */
  split: string;
  /** Every task id of the evaluated split (not just the selected ones), so any leak is caught. */
  taskIds: ReadonlySet<string>;
}

/** Experience that passed the split guard, and how many records it refused. */
export interface GuardedExperience {
  records: ExperienceRecord[];
  refused: ExperienceRecord[];
}

/**
 * The split guard. A record is usable only when it was built from the train split and, when the
 * evaluated split is not train, none of the tasks it was derived from belongs to the evaluated
 * split. Pure.
 */
export function guardExperience(records: readonly ExperienceRecord[], scope: EvaluationScope): GuardedExperience {
  const usable: ExperienceRecord[] = [];
  const refused: ExperienceRecord[] = [];
  for (const record of records) {
    const fromTrain = record.provenance.split === EXPERIENCE_SOURCE_SPLIT;
    const touchesEvaluation = scope.split !== EXPERIENCE_SOURCE_SPLIT && record.provenance.taskIds.some((id) => scope.taskIds.has(id));
    (fromTrain && !touchesEvaluation ? usable : refused).push(record);
  }
  return { records: usable, refused };
}

/** Options of `loadExperience`. */
export interface LoadExperienceOptions {
  setId: string;
  domain: string;
  /** Mechanisms whose records are loaded. @default all four */
  mechanisms?: readonly ExperienceKind[];
  scope: EvaluationScope;
}

/** Read an experience set from the store through the split guard. */
export async function loadExperience(store: Store, options: LoadExperienceOptions): Promise<GuardedExperience> {
  const kinds = new Set(options.mechanisms ?? EXPERIENCE_KINDS);
  const all = (await store.listExperience({ setId: options.setId, domain: options.domain })).filter((r) => kinds.has(r.kind));
  return guardExperience(all, options.scope);
}

/** Count records by kind (every kind present, 0 when none). */
export function countByKind(records: readonly ExperienceRecord[]): Record<ExperienceKind, number> {
  const out = Object.fromEntries(EXPERIENCE_KINDS.map((k) => [k, 0])) as Record<ExperienceKind, number>;
  for (const record of records) out[record.kind]++;
  return out;
}
