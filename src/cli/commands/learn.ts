import type { Command } from 'commander';
import { GroundworkError } from '../../errors.ts';
import { learn, type LearnEvent, type TaskChoice } from '../../experience/learn.ts';
import { loadRunFile, type RunFile } from '../../runner/run-file.ts';
import { EXPERIENCE_KINDS, type ExperienceKind, type LearningEvaluation, type LearningSession } from '../../schema/experience.ts';
import { createProgressReporter } from '../progress.ts';
import { integer, openStore, parseTaskSelection, positiveInt, printJson } from '../context.ts';
import { num, table } from '../format.ts';
import { modelParticipants } from '../participants.ts';

/** Names accepted by --mechanisms, with the paper names as aliases. */
const MECHANISM_NAMES: Record<string, ExperienceKind> = {
  reflexion: 'reflection',
  reflection: 'reflection',
  reflections: 'reflection',
  insight: 'insight',
  insights: 'insight',
  expel: 'insight',
  demonstration: 'demonstration',
  demonstrations: 'demonstration',
  demos: 'demonstration',
  skill: 'skill',
  skills: 'skill',
};

/** Parse `--mechanisms reflexion,insights` into experience kinds. */
export function parseMechanisms(value: string): ExperienceKind[] {
  const out: ExperienceKind[] = [];
  for (const name of value.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean)) {
    const kind = MECHANISM_NAMES[name];
    if (!kind) throw new GroundworkError('INVALID_ARGUMENT', `unknown mechanism ${JSON.stringify(name)}`, { hint: 'use reflexion, insights, demonstrations, skills (comma-separated)' });
    if (!out.includes(kind)) out.push(kind);
  }
  if (out.length === 0) throw new GroundworkError('INVALID_ARGUMENT', '--mechanisms needs at least one mechanism', { hint: 'use reflexion, insights, demonstrations, skills' });
  return out;
}

interface LearnCommandOptions {
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
  db?: string;
  json?: boolean;
}

const evaluationRow = (label: string, e: LearningEvaluation | undefined): (string | number)[] =>
  e ? [label, e.runId, e.episodes, num(e.successRate), num(e.passHatK['1']), `[${num(e.ci95[0])}, ${num(e.ci95[1])}]`, e.experienceUsed, e.experienceRefused] : [label, '-', 0, '-', '-', '-', 0, 0];

/** The learning curve as text. */
export function formatLearningSession(session: LearningSession): string {
  const lines = [`Learning session ${session.id}  ${session.domain}  agent=${session.agent}  critic=${session.critic}  mechanisms=${session.mechanisms.join(',')}${session.settings.embedModel ? `  retrieval=embeddings(${String(session.settings.embedModel)})` : ''}  [${session.status}]`, ''];
  lines.push('Train (success per round, with the experience learned in the rounds before):');
  lines.push(
    table(
      ['round', 'run', 'episodes', 'success', 'pass^1', '95% CI', ...EXPERIENCE_KINDS],
      session.rounds.map((r) => [r.round, r.runId, r.episodes, num(r.successRate), num(r.passHatK['1']), `[${num(r.ci95[0])}, ${num(r.ci95[1])}]`, ...EXPERIENCE_KINDS.map((k) => r.experience[k] ?? 0)]),
    ),
  );
  lines.push('', 'Test (held-out tasks; experience from train only):');
  lines.push(table(['phase', 'run', 'episodes', 'success', 'pass^1', '95% CI', 'experience used', 'refused'], [evaluationRow('before', session.test.before), evaluationRow('after', session.test.after)]));
  if (session.error) lines.push('', `error: ${session.error}`);
  return lines.join('\n');
}

/** `groundwork learn`: rounds on the train split, then a test evaluation with the learned experience. */
export function registerLearnCommand(program: Command): void {
  program
    .command('learn')
    .description('learn from graded train episodes in context (reflexion, insights, demonstrations, skills), then evaluate on test')
    .option('--domain <name>', 'domain with train and test splits (default helpdesk)')
    .option('--domain-seed <n>', 'seed of generated domains (default 42)', integer('--domain-seed'))
    .option('--agent <spec>', 'the learning agent: a model spec (openai:MODEL...) or a configured model')
    .option('--critic <model>', 'model that edits rules and distils skills (default: the agent model)')
    .option('--embed <model>', 'embedding model for retrieving demonstrations and skills (default: lexical BM25)')
    .option('--user <name>', 'user simulator: scripted (default), a model spec or a configured model')
    .option('--mechanisms <list>', 'comma-separated: reflexion, insights, demonstrations, skills (default all)', parseMechanisms)
    .option('--rounds <n>', 'learning rounds on the train split (default 3)', positiveInt('--rounds'))
    .option('--train-tasks <count|ids>', 'train tasks: first N or comma-separated ids (default 14)')
    .option('--test-tasks <count|ids>', 'test tasks: first N or comma-separated ids (default 7)')
    .option('--trials <n>', 'trials per task in every phase (default 1)', positiveInt('--trials'))
    .option('--with-diff', 'show reflections the field-level diff, not only the binary outcome')
    .option('--no-test-before', 'skip the test evaluation before learning')
    .option('--seed <n>', 'seed of the episodes (default 1)', integer('--seed'))
    .option('--concurrency <n>', 'episodes run at once (default 4)', positiveInt('--concurrency'))
    .option('--max-steps <n>', 'steps per episode before max_steps', positiveInt('--max-steps'))
    .option('--config <file>', 'YAML file with named models (same format as a run file)')
    .option('--record <dir>', 'record every model request and response in DIR (cassettes)')
    .option('--replay <dir>', 'answer every model request from cassettes in DIR; no network')
    .option('--db <path>', 'SQLite database (default .groundwork/groundwork.db, or $GROUNDWORK_DB)')
    .option('--json', 'print one JSON document on stdout (the learning session)')
    .action(async (options: LearnCommandOptions) => {
      const file: RunFile = options.config ? loadRunFile(options.config) : {};
      const agent = options.agent ?? file.agents?.[0];
      if (!agent) throw new GroundworkError('INVALID_ARGUMENT', 'learn needs a model agent', { hint: 'pass --agent openai:MODEL (or a model named in --config)' });
      const choice = (value: string | undefined): TaskChoice | undefined => (value === undefined ? undefined : parseTaskSelection(value));
      const { hub, factory } = modelParticipants({ models: file.models ?? {}, record: options.record, replay: options.replay });
      const store = openStore(options.db);
      const progress = options.json ? undefined : createProgressReporter();
      const onEvent = (event: LearnEvent) => {
        if (event.type === 'phase-start') process.stderr.write(`${event.phase}: run ${event.runId} (${event.planned} episodes)\n`);
        else if (event.type === 'episode') progress?.update(event.progress);
        else if (event.type === 'phase-end') {
          progress?.finish();
          process.stderr.write(`${event.phase}: success ${num(event.successRate)}\n`);
        } else if (event.type === 'experience') {
          process.stderr.write(`round ${event.round}: ${event.saved} experience record(s) saved, ${event.removed} removed${event.notes.length ? ` (${event.notes.length} note(s): ${event.notes[0]})` : ''}\n`);
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
        if (options.json) printJson(session);
        else process.stdout.write(`${formatLearningSession(session)}\n\nExperience: groundwork experience list --set ${session.id}\n`);
      } finally {
        await store.close();
      }
    });
}
