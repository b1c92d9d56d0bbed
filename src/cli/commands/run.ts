import type { Command } from 'commander';
import type { RunOptions } from '../actions/run.ts';
import { collect, integer, positiveInt } from '../options.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** `groundwork run [RUN_FILE]`: plan, run, grade and store episodes; print the summary. */
export function registerRunCommand(program: Command): void {
  addRunOptions(
    program
      .command('run')
      .description('run a graded evaluation (default: helpdesk test split with oracle, naive and noop, 3 trials)')
      .argument('[runFile]', 'YAML run file (see groundwork init); flags override it')
      .option('--tasks <count|ids>', 'first N tasks, or comma-separated task ids (with --probes: N base scenarios, or variant ids)')
      .option('--probes <pack>', `run a probe pack's variants instead of the tasks (${PROBE_PACKS_HELP}; see groundwork probes list)`),
  ).action(async (runFile: string | undefined, options: RunOptions, command: Command) =>
    (await import('../actions/run.ts')).runAction(runFile, options, command),
  );
}

/** The probe packs, for help texts (`PROBE_PACK_NAMES` of src/schema/probe.ts, which imports zod). */
export const PROBE_PACKS_HELP = 'persuasion, emotion, persona, honeypot, missing-info';

/** The options `run` and `probe` share (everything but the task selection and the pack). */
export function addRunOptions(command: Command): Command {
  return command
    .option('--domain <name>', 'domain to run (default helpdesk)')
    .option('--split <name>', 'task split (default: the domain default, e.g. test)')
    .option(
      '--agent <name>',
      'agent under test, repeatable: oracle, naive, noop, the probe test agents (always-comply, always-refuse, policy-following, honeypot-toucher, persona-biased), a model spec (openai:MODEL...), a configured model, an OpenAI-compatible endpoint (http://HOST/v1[#MODEL]) or an external process (cmd:COMMAND, see docs/external-agents.md)',
      collect,
    )
    .option('--user <name>', 'user simulator: scripted (default), a model spec or a configured model')
    .option('--trials <n>', 'trials per task and agent (default 3)', positiveInt('--trials'))
    .option('--concurrency <n>', 'episodes run at once (default 4)', positiveInt('--concurrency'))
    .option(
      '--threads <n>',
      'worker threads that run the episodes (default: 1, or up to 4 on 4+ cores for runs of 256+ episodes at concurrency 128+; $GROUNDWORK_THREADS)',
      positiveInt('--threads'),
    )
    .option('--seed <n>', 'seed of the episodes: simulated users, agents (default 1)', integer('--seed'))
    .option('--domain-seed <n>', 'seed of generated domains: helpdesk world and tasks (default 42)', integer('--domain-seed'))
    .option('--data <dir>', 'benchmark data directory (τ-bench domains)')
    .option('--task-file <file>', 'task file to load instead of the split default (τ-bench domains)')
    .option(
      '--domain-variant <name>',
      'domain variant, e.g. the retrieval configuration of tau2-bench/banking_knowledge (bm25_grep, bm25, grep_only…)',
    )
    .option('--max-steps <n>', 'steps per episode before max_steps', positiveInt('--max-steps'))
    .option(
      '--max-episodes <n>',
      'most episodes (tasks × agents × trials) a new run may plan (default 1000000)',
      positiveInt('--max-episodes'),
    )
    .option('--config <file>', 'YAML file with named models and run defaults (same format as a run file)')
    .option('--record <dir>', 'record every model request and response in DIR (cassettes)')
    .option('--replay <dir>', 'answer every model request from cassettes in DIR; no network')
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option(
      '--log-dir <dir>',
      'where run logs go (default: logs/ beside a SQLite store, .groundwork/logs for PostgreSQL; or $GROUNDWORK_LOG_DIR)',
    )
    .option('--resume <runId>', 'continue a stored run (skips episodes already stored)')
    .option('--retry-errors', 'with --resume: run the infra_error episodes again')
    .option(
      '--queue [url]',
      'enqueue the episodes on a Redis queue (redis://HOST:PORT; --queue alone: $GROUNDWORK_QUEUE, which keeps a password out of argv) for groundwork worker processes instead of running them here (docs/scale.md)',
    )
    .option('--detach', 'with --queue: return once the episodes are enqueued instead of following the run')
    .option(
      '--outcome-report',
      'ask agents for a structured outcome report at the end of each episode (default: on when every agent is built in)',
    )
    .option('--no-outcome-report', 'do not ask agents for outcome reports')
    .option('--steer-user', 'write the tracked goal state (UGST) into the LLM user prompt every turn')
    .option('--json', 'print one JSON document on stdout');
}
