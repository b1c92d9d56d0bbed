import { type Command, Option } from 'commander';
import { GroundworkError } from '../../errors.ts';

// Loaded for every command's help: imports nothing heavier than commander and errors.ts.

/** Help of `--store`, the same on every command that opens a store (the `--db` alias is mentioned here only). */
export const STORE_OPTION_HELP =
  'where runs are stored: a SQLite file or postgres://USER[:PASSWORD]@HOST:PORT/DB (default .groundwork/groundwork.db, or $GROUNDWORK_STORE; --db is an alias)';

/** The store a command was given (`--store`, or its alias `--db`), before the environment and the default apply. */
export interface StoreOption {
  store?: string;
}

/** `--store <path|url>`. */
export function storeOption(help: string = STORE_OPTION_HELP): Option {
  return new Option('--store <path|url>', help);
}

/** `--db <path|url>`, the old name of `--store`, hidden from help. */
export function storeAliasOption(): Option {
  return new Option('--db <path|url>', 'alias of --store').hideHelp();
}

/**
 * A `preAction` hook: `--db X` is `--store X` (both with different values is an error), so
 * actions read `options.store` only.
 */
export function mergeStoreAlias(command: Command): void {
  const { store, db } = command.opts<{ store?: string; db?: string }>();
  if (db === undefined) {
    // Mirrored for code that still reads `options.db` (the same value, never another store).
    if (store !== undefined) command.setOptionValue('db', store);
    return;
  }
  if (store !== undefined && store !== db)
    throw new GroundworkError('INVALID_ARGUMENT', '--store and --db name different stores (--db is an alias of --store)', {
      hint: 'pass one of them',
    });
  command.setOptionValue('store', db);
}

/** Adds `--store`, its hidden alias `--db` and the hook that merges them. */
export function addStoreOption(command: Command, help: string = STORE_OPTION_HELP): Command {
  return command.addOption(storeOption(help)).addOption(storeAliasOption()).hook('preAction', mergeStoreAlias);
}
