import { Command, CommanderError } from 'commander';
import { describeError, GroundworkError } from '../errors.ts';
import { registerAuditCommand } from './commands/audit.ts';
import { registerCompareCommand } from './commands/compare.ts';
import { registerCopyRunsCommand } from './commands/copy-runs.ts';
import { registerGradeCommand } from './commands/grade.ts';
import { registerDomainsCommand } from './commands/domains.ts';
import { registerInitCommands } from './commands/init.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerRegradeCommand } from './commands/regrade.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerProbeCommand, registerProbesCommand } from './commands/probe.ts';
import { registerRunsCommand } from './commands/runs.ts';
import { registerShowCommand } from './commands/show.ts';
import { registerTasksCommand } from './commands/tasks.ts';
import { registerTauCommand } from './commands/tau.ts';
import { registerLearnCommand } from './commands/learn.ts';
import { registerExportCommand } from './commands/export.ts';
import { registerExperienceCommand } from './commands/experience.ts';
import { registerViewCommand } from './commands/view.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerWorkerCommand } from './commands/worker.ts';

/** Codes that mean the user asked for something wrong (exit 2); anything else exits 1. */
const USAGE_CODES = new Set([
  'INVALID_ARGUMENT',
  'INVALID_CONFIG',
  'INVALID_TASK',
  'UNKNOWN_DOMAIN',
  'UNKNOWN_AGENT',
  'UNKNOWN_USER',
  'UNKNOWN_TASK',
  'UNKNOWN_RUN',
  'UNKNOWN_EPISODE',
  'UNKNOWN_PROBE_PACK',
  'NO_DATABASE',
]);

/**
 * Commander's parse errors (unknown option, missing argument, bad choice…) as our one error line:
 * `groundwork: error: unknown option '--tsk' (did you mean --task? see groundwork run --help)`.
 */
export function formatUsageError(text: string, commandPath: string): string {
  const lines = text
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const suggestion = lines.find((line) => /^\(?did you mean /i.test(line));
  const what = lines.filter((line) => line !== suggestion).join(' ');
  const fix = `${suggestion ? `${suggestion.replace(/^\(|\)$/g, '').replace(/^Did/, 'did')} ` : ''}see ${commandPath} --help`;
  return `groundwork: error: ${what} (${fix})\n`;
}

/** Full name of a command (`groundwork tau replay`). */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Every command routes its parse errors through `formatUsageError` and throws instead of exiting. */
function configureParseErrors(command: Command): void {
  command.exitOverride();
  command.showHelpAfterError(false);
  command.configureOutput({
    writeErr: (text) => process.stderr.write(text),
    outputError: (text, write) => write(formatUsageError(text, commandPath(command))),
  });
  for (const sub of command.commands) configureParseErrors(sub);
}

/**
 * A reader that stops early (`groundwork show RUN | head -1`) closes stdout: stop quietly with the
 * exit status so far (0 when nothing failed) instead of an EPIPE stack trace.
 */
function exitQuietlyWhenOutputCloses(): void {
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED')
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    process.stderr.write(`groundwork: error: cannot write the output: ${error.message}\n`);
    process.exit(1);
  };
  process.stdout.on('error', onError);
  // Nothing can be reported once stderr is gone; keep going (a run still finishes and is stored).
  process.stderr.on('error', () => {});
}

/** The `groundwork` command line. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('groundwork')
    .description('Judge tool-using AI agents by what actually happened: episodes on real state, graded from the final state.')
    .version('0.1.0');
  registerRunCommand(program);
  registerProbeCommand(program);
  registerProbesCommand(program);
  registerInitCommands(program);
  registerRunsCommand(program);
  registerShowCommand(program);
  registerRegradeCommand(program);
  registerTasksCommand(program);
  registerDomainsCommand(program);
  registerTauCommand(program);
  registerAuditCommand(program);
  registerCompareCommand(program);
  registerCopyRunsCommand(program);
  registerReportCommand(program);
  registerViewCommand(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerGradeCommand(program);
  registerLearnCommand(program);
  registerExportCommand(program);
  registerExperienceCommand(program);
  configureParseErrors(program);
  return program;
}

/** Entry point: one clear error line and a non-zero exit for any failure. */
export async function main(argv: string[]): Promise<void> {
  exitQuietlyWhenOutputCloses();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message through formatUsageError (or help for --help / --version, which exit 0).
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    const code = GroundworkError.isInstance(error) ? error.code : 'INTERNAL';
    process.stderr.write(`groundwork: error: ${describeError(error)}\n`);
    if (!GroundworkError.isInstance(error) && process.env.GROUNDWORK_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = USAGE_CODES.has(code) ? 2 : 1;
  }
}
