import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GroundworkError } from '../../errors.ts';
import { runFileJsonSchema, STARTER_RUN_FILE } from '../../runner/run-file.ts';
import { printJson } from '../context.ts';

/** `groundwork init [FILE]` and `groundwork schema`. */
export function registerInitCommands(program: Command): void {
  program
    .command('init')
    .description('write a commented starter run file (and its JSON Schema for editors)')
    .argument('[file]', 'where to write it', 'groundwork.yaml')
    .option('--force', 'overwrite an existing file')
    .action((file: string, options: { force?: boolean }) => {
      const schemaFile = file.replace(/[^/\\]*$/, 'groundwork.schema.json');
      if (!options.force && existsSync(file)) throw new GroundworkError('INVALID_ARGUMENT', `${file} already exists`, { hint: 'use --force to overwrite it' });
      writeFileSync(file, STARTER_RUN_FILE);
      writeFileSync(schemaFile, `${JSON.stringify(runFileJsonSchema(), null, 2)}\n`);
      process.stdout.write(`wrote ${file} and ${schemaFile}; run it with: groundwork run ${file}\n`);
    });
  program
    .command('schema')
    .description('print the JSON Schema of run files (for editor validation)')
    .action(() => printJson(runFileJsonSchema()));
}
