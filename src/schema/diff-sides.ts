import type { FieldChange } from './outcome.ts';

/** Headings of the two sides of a dual-control state diff, shared by every view of an episode. */
export const DIFF_SIDE_TITLES = Object.freeze({
  agent: 'Agent side (the service’s records)',
  user: 'User side (the user’s own state)',
});

/**
 * A field-level diff split by side (dual control): changes of the user's tables (`userTables`, as
 * recorded in the trajectory) are the user's side, every other change the agent's. Order is kept.
 */
export function diffSides(diff: readonly FieldChange[], userTables: readonly string[]): { agent: FieldChange[]; user: FieldChange[] } {
  const user = new Set(userTables);
  return { agent: diff.filter((c) => !user.has(c.table)), user: diff.filter((c) => user.has(c.table)) };
}
