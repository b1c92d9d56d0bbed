import { describeError, GroundworkError } from '../../errors.ts';
import { learn, type LearnEvent, type TaskChoice } from '../../experience/learn.ts';
import { loadRunFile, type RunFile } from '../../runner/run-file.ts';
import { DEFAULT_CONCURRENCY } from '../../schema/run-config.ts';
import { EXPERIENCE_KINDS, type ExperienceKind, type LearningEvaluation, type LearningSession } from '../../schema/experience.ts';
import { createProgressReporter } from '../progress.ts';
import { openStore, parseTaskSelection, printJson, resolveStoreLocation } from '../context.ts';
import { openRunLog, type RunLog } from '../run-log.ts';
import { num, table } from '../format.ts';
import { modelParticipants } from '../participants.ts';

export interface LearnCommandOptions {
  domain?: string;
  domainSeed?: number;
  agent?: string;
  critic?: string;
  embed?: string;
  user?: string;
  mechanisms?: ExperienceKind[];
  rounds?: number;
  trainTasks?: string;
  testTasks?: string;
  trials?: number;
  withDiff?: boolean;
  testBefore?: boolean;
  seed?: number;
  concurrency?: number;
  maxSteps?: number;
  config?: string;
  record?: string;
  replay?: string;
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  /** Where run logs go (default: beside a SQLite store, ./.groundwork/logs for PostgreSQL). */
  logDir?: string;
  json?: boolean;
}

const evaluationRow = (label: string, e: LearningEvaluation | undefined): (string | number)[] =>
  e
    ? [
        label,
        e.runId,
        e.episodes,
        num(e.successRate),
        num(e.passHatK['1']),
        `[${num(e.ci95[0])}, ${num(e.ci95[1])}]`,
        e.experienceUsed,
        e.experienceRefused,
      ]
    : [label, '-', 0, '-', '-', '-', 0, 0];

/** The learning curve as text. */
export function formatLearningSession(session: LearningSession): string {
  const lines = [
    `Learning session ${session.id}  ${session.domain}  agent=${session.agent}  critic=${session.critic}  mechanisms=${session.mechanisms.join(',')}${session.settings.embedModel ? `  retrieval=embeddings(${String(session.settings.embedModel)})` : ''}  [${session.status}]`,
    '',
  ];
  lines.push('Train (success per round, with the experience learned in the rounds before):');
  lines.push(
    table(
      ['round', 'run', 'episodes', 'success', 'pass^1', '95% CI', ...EXPERIENCE_KINDS],
      session.rounds.map((r) => [
        r.round,
        r.runId,
        r.episodes,
        num(r.successRate),
        num(r.passHatK['1']),
        `[${num(r.ci95[0])}, ${num(r.ci95[1])}]`,
        ...EXPERIENCE_KINDS.map((k) => r.experience[k] ?? 0),
      ]),
    ),
  );
  lines.push('', 'Test (held-out tasks; experience from train only):');
  lines.push(
    table(
      ['phase', 'run', 'episodes', 'success', 'pass^1', '95% CI', 'experience used', 'refused'],
      [evaluationRow('before', session.test.before), evaluationRow('after', session.test.after)],
    ),
  );
  if (session.error) lines.push('', `error: ${session.error}`);
  return lines.join('\n');
}

/** `groundwork learn`: rounds on the train split, then a test evaluation with the learned experience. */
export async function learnAction(options: LearnCommandOptions): Promise<void> {
  const file: RunFile = options.config ? loadRunFile(options.config) : {};
  const agent = options.agent ?? file.agents?.[0];
  if (!agent)
    throw new GroundworkError('INVALID_ARGUMENT', 'learn needs a model agent', {
      hint: 'pass --agent openai:MODEL (or a model named in --config)',
    });
  const choice = (value: string | undefined): TaskChoice | undefined => (value === undefined ? undefined : parseTaskSelection(value));
  // Every run the session creates gets its log (logs/RUN_ID.log beside the database), like `run`.
  const storeLocation = resolveStoreLocation(options.store);
  let log: RunLog | undefined;
  const pending: object[] = [];
  const { hub, factory } = modelParticipants({
    models: file.models ?? {},
    // A model without a configured limit takes the session's episode concurrency.
    concurrency: options.concurrency ?? file.concurrency ?? DEFAULT_CONCURRENCY,
    record: options.record,
    replay: options.replay,
    onEvent: (event) => (log ? log.logger.warn(event, `model ${event.type}`) : pending.push(event)),
  });
  const store = await openStore(storeLocation);
  const progress = options.json ? undefined : createProgressReporter();
  const onEvent = (event: LearnEvent) => {
    if (event.type === 'phase-start') {
      log?.logger.flush();
      log = openRunLog(storeLocation, event.runId, { logDir: options.logDir });
      for (const e of pending.splice(0)) log.logger.warn(e, 'model event');
      log.logger.info(
        {
          learn: true,
          phase: event.phase,
          planned: event.planned,
          agent,
          mechanisms: options.mechanisms,
          mode: options.replay ? 'replay' : options.record ? 'record' : 'live',
        },
        'run start',
      );
      process.stderr.write(`${event.phase}: run ${event.runId} (${event.planned} episodes; log: ${log.path})\n`);
    } else if (event.type === 'episode') {
      progress?.update(event.progress);
      if (event.progress.last) log?.logger.info(event.progress.last, 'episode stored');
    } else if (event.type === 'phase-end') {
      progress?.finish();
      log?.logger.info({ phase: event.phase, successRate: event.successRate }, 'run end');
      process.stderr.write(`${event.phase}: success ${num(event.successRate)}\n`);
    } else if (event.type === 'experience') {
      log?.logger.info({ round: event.round, saved: event.saved, removed: event.removed, notes: event.notes }, 'experience updated');
      process.stderr.write(
        `round ${event.round}: ${event.saved} experience record(s) saved, ${event.removed} removed${event.notes.length ? ` (${event.notes.length} note(s): ${event.notes[0]})` : ''}\n`,
      );
    }
  };
  try {
    const domainSeed = options.domainSeed ?? file.domainSeed;
    const session = await learn({
      store,
      hub,
      participants: factory,
      models: file.models ?? {},
      agent,
      critic: options.critic,
      ...(options.embed ? { embedModel: options.embed } : {}),
      domain: options.domain ?? file.domain ?? 'helpdesk',
      domainOptions: domainSeed !== undefined ? { seed: domainSeed } : {},
      user: options.user ?? file.user ?? 'scripted',
      mechanisms: options.mechanisms,
      rounds: options.rounds,
      trainTasks: choice(options.trainTasks),
      testTasks: choice(options.testTasks),
      trials: options.trials,
      withDiff: options.withDiff,
      testBefore: options.testBefore,
      seed: options.seed ?? file.seed,
      concurrency: options.concurrency ?? file.concurrency,
      maxSteps: options.maxSteps ?? file.maxSteps,
      onEvent,
    });
    log?.logger.info({ session: session.id, status: session.status }, 'learn end');
    // The log's last lines on disk before the results are reported (lines are synced in the background).
    log?.sync();
    if (options.json) printJson(session);
    else process.stdout.write(`${formatLearningSession(session)}\n\nExperience: groundwork experience list --set ${session.id}\n`);
  } catch (error) {
    log?.logger.error({ error: describeError(error) }, 'learn failed');
    throw error;
  } finally {
    log?.logger.flush();
    await store.close();
  }
}
