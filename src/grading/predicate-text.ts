import type { JsonValue } from '../schema/json.ts';
import type { Predicate } from '../schema/task.ts';

// Imports types only: the viewer's browser bundle uses these too.

const json = (value: unknown) => JSON.stringify(value);
const where = (table: string, key: string, path?: string) => `${table}/${key}${path ? `.${path}` : ''}`;

/** One line saying what a predicate requires: its description, else one built from its fields. */
export function describePredicate(predicate: Predicate): string {
  if (predicate.description) return predicate.description;
  switch (predicate.kind) {
    case 'field':
      return `${where(predicate.table, predicate.key, predicate.path)} equals ${json(predicate.equals)}`;
    case 'present':
      return `${where(predicate.table, predicate.key)} exists`;
    case 'absent':
      return `${where(predicate.table, predicate.key, predicate.path)} is absent`;
    case 'query':
      return `${predicate.query}(${json(predicate.args)}) equals ${json(predicate.equals)}`;
  }
}

/** What the state held instead, for a failed predicate: a missing value reads "absent", never ∅ or null. */
export function describeActual(result: { predicate: Predicate; actual?: JsonValue }): string {
  if (result.predicate.kind === 'absent') return result.actual === undefined ? 'present' : `present: ${json(result.actual)}`;
  if (result.predicate.kind === 'present') return 'absent';
  return result.actual === undefined ? 'absent' : json(result.actual);
}
