import type { Command } from 'commander';
import type { ServeOptions } from '../actions/serve.ts';
import { GroundworkError } from '../../errors.ts';
import { integer, positiveInt } from '../options.ts';
import { mergeStoreAlias, storeAliasOption, storeOption } from './store-option.ts';

/** Default port (DEFAULT_SERVE_PORT of src/serve/server.ts, repeated here so that `--help` stays light). */
const DEFAULT_PORT = 8000;

/** Parse `--port`: an integer from 0 to 65535. */
export function portNumber(value: string): number {
  const n = positiveInt('--port', 0)(value);
  if (n > 65535) throw new GroundworkError('INVALID_ARGUMENT', `--port must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  return n;
}

/** `groundwork serve`: a domain's episodes over OpenEnv's protocol (HTTP, WebSocket), MCP and offline grading. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description("serve a domain's episodes to external agents and trainers over OpenEnv's protocol (HTTP, WebSocket /ws) and MCP (/mcp)")
    .option('--domain <name>', 'domain to serve', 'helpdesk')
    .option('--split <name>', 'task split (default: the domain default, e.g. test)')
    .option('--user <name>', 'user simulator: scripted (default), a model spec or a configured model')
    .option('--host <address>', 'address to bind (loopback only unless --allow-remote)', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', portNumber, DEFAULT_PORT)
    .option('--allow-remote', 'allow a non-loopback --host (anyone who can reach it can play and store episodes)')
    .option('--max-sessions <n>', 'sessions open at once; one more gets CAPACITY_REACHED (default 16)', positiveInt('--max-sessions'))
    .option(
      '--idle-timeout <seconds>',
      'close sessions idle this long; their episodes are stored as abandoned (default 600)',
      positiveInt('--idle-timeout'),
    )
    .option('--client-name <name>', "the run's agent is served:<name> (default served:external)")
    .option('--run <runId>', 'add episodes to this served run instead of creating one')
    .option('--seed <n>', 'run seed: episode seeds derive from it (default 1)', integer('--seed'))
    .option('--domain-seed <n>', 'seed of generated domains: helpdesk world and tasks (default 42)', integer('--domain-seed'))
    .option('--data <dir>', 'benchmark data directory (τ-bench domains)')
    .option('--max-steps <n>', 'steps per episode before max_steps', positiveInt('--max-steps'))
    .option('--config <file>', 'YAML file with named models (same format as a run file)')
    .addOption(storeOption())
    .addOption(storeAliasOption())
    .hook('preAction', mergeStoreAlias)
    .option('--json', 'print one JSON document ({url, ws, run_id, ...}) on stdout once listening')
    .action(async (options: ServeOptions) => (await import('../actions/serve.ts')).serveAction(options));
}
