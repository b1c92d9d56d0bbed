import { existsSync, writeFileSync } from 'node:fs';
import { GroundworkError } from '../../errors.ts';
import { runFileJsonSchema, STARTER_RUN_FILE } from '../../runner/run-file.ts';
import { printJson } from '../context.ts';

/** `groundwork init [FILE]`: a commented starter run file and its JSON Schema beside it. */
export async function initAction(file: string, options: { force?: boolean }): Promise<void> {
  const schemaFile = file.replace(/[^/\\]*$/, 'groundwork.schema.json');
  if (!options.force && existsSync(file))
    throw new GroundworkError('INVALID_ARGUMENT', `${file} already exists`, { hint: 'use --force to overwrite it' });
  writeFileSync(file, STARTER_RUN_FILE);
  writeFileSync(schemaFile, `${JSON.stringify(runFileJsonSchema(), null, 2)}\n`);
  process.stdout.write(`wrote ${file} and ${schemaFile}; run it with: groundwork run ${file}\n`);
}

/** `groundwork schema`: the JSON Schema of run files. */
export async function schemaAction(): Promise<void> {
  printJson(runFileJsonSchema());
}
