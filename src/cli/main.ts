import { Command, CommanderError } from 'commander';
import { describeError, GroundworkError } from '../errors.ts';
import { registerAuditCommand } from './commands/audit.ts';
import { registerCompareCommand } from './commands/compare.ts';
import { registerGradeCommand } from './commands/grade.ts';
import { registerDomainsCommand } from './commands/domains.ts';
import { registerInitCommands } from './commands/init.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerRegradeCommand } from './commands/regrade.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerRunsCommand } from './commands/runs.ts';
import { registerShowCommand } from './commands/show.ts';
import { registerTasksCommand } from './commands/tasks.ts';
import { registerTauCommand } from './commands/tau.ts';
import { registerLearnCommand } from './commands/learn.ts';
import { registerExportCommand } from './commands/export.ts';
import { registerExperienceCommand } from './commands/experience.ts';
import { registerViewCommand } from './commands/view.ts';

/** Codes that mean the user asked for something wrong (exit 2); anything else exits 1. */
const USAGE_CODES = new Set(['INVALID_ARGUMENT', 'INVALID_CONFIG', 'UNKNOWN_DOMAIN', 'UNKNOWN_AGENT', 'UNKNOWN_USER', 'UNKNOWN_TASK', 'UNKNOWN_RUN', 'UNKNOWN_EPISODE']);

/** The `groundwork` command line. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('groundwork')
    .description('Judge tool-using AI agents by what actually happened: episodes on real state, graded from the final state.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerRunCommand(program);
  registerInitCommands(program);
  registerRunsCommand(program);
  registerShowCommand(program);
  registerRegradeCommand(program);
  registerTasksCommand(program);
  registerDomainsCommand(program);
  registerTauCommand(program);
  registerAuditCommand(program);
  registerCompareCommand(program);
  registerReportCommand(program);
  registerViewCommand(program);
  registerGradeCommand(program);
  registerLearnCommand(program);
  registerExportCommand(program);
  registerExperienceCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Entry point: one clear error line and a non-zero exit for any failure. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (and help for --help / --version, which exit 0).
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    const code = GroundworkError.isInstance(error) ? error.code : 'INTERNAL';
    process.stderr.write(`groundwork: error: ${describeError(error)}\n`);
    if (!GroundworkError.isInstance(error) && process.env.GROUNDWORK_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = USAGE_CODES.has(code) ? 2 : 1;
  }
}
