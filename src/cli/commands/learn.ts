import type { Command } from 'commander';
import { GroundworkError } from '../../errors.ts';
import type { ExperienceKind } from '../../schema/experience.ts';
import type { LearnCommandOptions } from '../actions/learn.ts';
import { integer, positiveInt } from '../options.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** Names accepted by --mechanisms, with the paper names as aliases. */
const MECHANISM_NAMES: ReadonlyMap<string, ExperienceKind> = new Map<string, ExperienceKind>([
  ['reflexion', 'reflection'],
  ['reflection', 'reflection'],
  ['reflections', 'reflection'],
  ['insight', 'insight'],
  ['insights', 'insight'],
  ['expel', 'insight'],
  ['demonstration', 'demonstration'],
  ['demonstrations', 'demonstration'],
  ['demos', 'demonstration'],
  ['skill', 'skill'],
  ['skills', 'skill'],
]);

/** Parse `--mechanisms reflexion,insights` into experience kinds. */
export function parseMechanisms(value: string): ExperienceKind[] {
  const out: ExperienceKind[] = [];
  for (const name of value
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean)) {
    const kind = MECHANISM_NAMES.get(name);
    if (!kind)
      throw new GroundworkError('INVALID_ARGUMENT', `unknown mechanism ${JSON.stringify(name)}`, {
        hint: 'use reflexion, insights, demonstrations, skills (comma-separated)',
      });
    if (!out.includes(kind)) out.push(kind);
  }
  if (out.length === 0)
    throw new GroundworkError('INVALID_ARGUMENT', '--mechanisms needs at least one mechanism', {
      hint: 'use reflexion, insights, demonstrations, skills',
    });
  return out;
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
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option(
      '--log-dir <dir>',
      'where run logs go (default: logs/ beside a SQLite store, .groundwork/logs for PostgreSQL; or $GROUNDWORK_LOG_DIR)',
    )
    .option('--json', 'print one JSON document on stdout (the learning session)')
    .action(async (options: LearnCommandOptions) => (await import('../actions/learn.ts')).learnAction(options));
}
