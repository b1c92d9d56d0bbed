import { GroundworkError } from '../../errors.ts';
import { EXPERIENCE_KINDS, type ExperienceKind, type ExperienceRecord } from '../../schema/experience.ts';
import { openStoreReadOnly, printJson } from '../context.ts';
import { clip, table } from '../format.ts';

/** One line of text for a record. */
function summary(record: ExperienceRecord): string {
  switch (record.kind) {
    case 'reflection':
      return record.text;
    case 'insight':
      return `[${record.count}] ${record.text}`;
    case 'demonstration':
      return `${record.turns.length} turns: ${record.request}`;
    case 'skill':
      return `${record.polarity}: ${record.title}: ${record.principle}`;
  }
}

export interface ExperienceListOptions {
  set?: string;
  kind?: string;
  family?: string;
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  json?: boolean;
}

/** `groundwork experience list`: stored experience with its provenance. */
export async function experienceListAction(options: ExperienceListOptions): Promise<void> {
  if (options.kind && !(EXPERIENCE_KINDS as readonly string[]).includes(options.kind)) {
    throw new GroundworkError('INVALID_ARGUMENT', `unknown experience kind ${JSON.stringify(options.kind)}`, {
      hint: `kinds: ${EXPERIENCE_KINDS.join(', ')}`,
    });
  }
  const store = await openStoreReadOnly(options.store);
  try {
    const records = await store.listExperience({
      setId: options.set,
      kind: options.kind as ExperienceKind | undefined,
      family: options.family,
    });
    const sessions = (await store.listLearningSessions()).filter((s) => !options.set || s.id === options.set);
    if (options.json) {
      printJson({ sessions, records });
      return;
    }
    if (sessions.length) {
      process.stdout.write(
        `${table(
          ['session', 'status', 'domain', 'agent', 'mechanisms', 'rounds', 'train success by round', 'test before', 'test after'],
          sessions.map((s) => [
            s.id,
            s.status,
            s.domain,
            s.agent,
            s.mechanisms.join(','),
            s.rounds.length,
            s.rounds.map((r) => r.successRate.toFixed(2)).join(' → ') || '-',
            s.test.before?.successRate.toFixed(3) ?? '-',
            s.test.after?.successRate.toFixed(3) ?? '-',
          ]),
        )}\n\n`,
      );
    }
    if (!records.length) {
      process.stdout.write('No experience stored. Build some with: groundwork learn --agent MODEL\n');
      return;
    }
    process.stdout.write(
      `${table(
        ['id', 'kind', 'family', 'set', 'run', 'round', 'tasks', 'split', 'by', 'content'],
        records.map((r) => [
          r.id,
          r.kind,
          r.family ?? '-',
          r.setId,
          r.provenance.runId,
          r.provenance.round ?? '-',
          clip(r.provenance.taskIds.join(','), 40),
          r.provenance.split,
          r.provenance.producedBy,
          clip(summary(r).replace(/\s+/g, ' '), 80),
        ]),
      )}\n`,
    );
  } finally {
    await store.close();
  }
}
