import { EXPERIENCE_SCHEMA_VERSION, type ReflectionRecord } from '../schema/experience.ts';
import type { EpisodeRecord } from '../store/store.ts';
import { experienceId } from './experience-store.ts';
import { transcriptTurns, renderDiff, renderTurns } from './transcript.ts';

/** Reflections given on the next trial of a task (Reflexion keeps the last 1–3). @default 3 */
export const DEFAULT_REFLECTIONS_PER_TASK = 3;

/** System prompt of the self-diagnosis: the agent's own model reflects on its failure. */
export const REFLECTION_SYSTEM = `You are an AI agent that serves users through tools under a policy. One of your attempts at a task failed.
Write a short self-diagnosis in the first person: what went wrong and a concrete plan of what you will do differently on your next attempt at this task.
At most 4 sentences. No preamble.`;

/** The reflection request: the policy, the agent's own trajectory and the binary outcome (optionally the field-level diff). */
export function reflectionPrompt(policy: string, episode: EpisodeRecord, withDiff: boolean): string {
  const transcript = renderTurns(transcriptTurns(episode.trajectory.events));
  let text = `Policy you follow:\n${policy}\n\nYour attempt:\n${transcript}\n\nOutcome: FAILED (reward 0, judged from the final state of the system).`;
  if (withDiff) {
    const failed = episode.outcome.state.predicates
      .filter((p) => !p.pass)
      .map((p) => p.predicate.description ?? `${p.predicate.kind} check`);
    const untold = episode.outcome.communication.items.filter((i) => !i.pass).map((i) => `tell the user: ${i.id}`);
    text += `\nWhat the grader found:\n${renderDiff(episode.outcome.diff, [...failed, ...untold])}`;
  }
  return `${text}\n\nDiagnose your failure and plan your next attempt.`;
}

/** A reflection record for a failed episode. */
export function reflectionRecord(
  episode: EpisodeRecord,
  text: string,
  options: { setId: string; producedBy: string; withDiff: boolean; createdAt: string; round?: number },
): ReflectionRecord {
  return {
    schemaVersion: EXPERIENCE_SCHEMA_VERSION,
    id: experienceId('reflection', options.setId, episode.id),
    setId: options.setId,
    kind: 'reflection',
    domain: episode.trajectory.domain,
    family: episode.family,
    taskId: episode.taskId,
    text: text.trim(),
    withDiff: options.withDiff,
    provenance: {
      runId: episode.runId,
      episodeIds: [episode.id],
      taskIds: [episode.taskId],
      split: episode.split,
      producedBy: options.producedBy,
      ...(options.round ? { round: options.round } : {}),
    },
    createdAt: options.createdAt,
  };
}

/** The last `n` reflections on a task, oldest first (round, then time, then id). Pure. */
export function selectReflections(
  reflections: readonly ReflectionRecord[],
  taskId: string,
  n = DEFAULT_REFLECTIONS_PER_TASK,
): ReflectionRecord[] {
  const mine = reflections.filter((r) => r.taskId === taskId);
  mine.sort(
    (a, b) => (a.provenance.round ?? 0) - (b.provenance.round ?? 0) || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
  );
  return n <= 0 ? [] : mine.slice(-n);
}
