import { canonicalJson, shortHash } from './json.ts';
import type { Task } from './task.ts';

/** Version of what the task hash covers; part of the hash, so a change never pairs old with new. */
export const TASK_HASH_VERSION = 1;

/**
 * Content hash of a task: canonical JSON of everything that defines the situation (scenario,
 * initial patch, expected outcome, oracle, tags, split...) and of the state it starts from
 * (`initialStateHash`: the domain's world plus the patch). Two runs can only be compared on a
 * task whose hash they share: the same id in worlds of different seeds is a different task, and
 * the same content under another id is the same one. The id is left out because it is a label.
 */
export function taskContentHash(task: Task, initialStateHash: string | null): string {
  const { id: _label, ...content } = task;
  return shortHash(canonicalJson({ v: TASK_HASH_VERSION, initialState: initialStateHash, task: content }));
}
