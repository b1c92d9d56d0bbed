import type { Command } from 'commander';

/** `groundwork init [FILE]` and `groundwork schema`. */
export function registerInitCommands(program: Command): void {
  program
    .command('init')
    .description('write a commented starter run file (and its JSON Schema for editors)')
    .argument('[file]', 'where to write it', 'groundwork.yaml')
    .option('--force', 'overwrite an existing file')
    .action(async (file: string, options: { force?: boolean }) => (await import('../actions/init.ts')).initAction(file, options));
  program
    .command('schema')
    .description('print the JSON Schema of run files (for editor validation)')
    .action(async () => (await import('../actions/init.ts')).schemaAction());
}
