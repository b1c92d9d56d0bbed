import type { ModelHub } from '../models/model-hub.ts';
import { addUsage } from '../models/usage.ts';
import type { ExperienceKind, ExperienceProvenance, ExperienceRecord, InsightRecord } from '../schema/experience.ts';
import type { Usage } from '../schema/trajectory.ts';
import type { EpisodeRecord, Store } from '../store/store.ts';
import { demonstrationFromEpisode, isVerifiedSuccess } from './demonstrations.ts';
import { assertTrainSplit } from './experience-store.ts';
import {
  applyInsightEdits,
  comparePrompt,
  INSIGHT_CRITIC_SYSTEM,
  parseInsightEdits,
  rankInsights,
  successBatchPrompt,
} from './insights.ts';
import { REFLECTION_SYSTEM, reflectionPrompt, reflectionRecord } from './reflexion.ts';
import { mistakePrompt, parseSkill, SKILL_SYSTEM, skillPrompt, skillRecord } from './skills.ts';
import { transcriptTurns, renderTurns } from './transcript.ts';

/** Successes compared at once in an ExpeL success batch. */
const SUCCESS_BATCH = 4;

/** Everything one experience update needs. */
export interface ExperienceUpdateOptions {
  store: Store;
  hub: ModelHub;
  setId: string;
  domain: { name: string; policy: string };
  /** Graded episodes of this round (train split only: anything else is refused). */
  episodes: readonly EpisodeRecord[];
  /** Episodes of earlier rounds of the same session (for fail/success pairs across rounds). */
  history: readonly EpisodeRecord[];
  mechanisms: readonly ExperienceKind[];
  /** The agent's model: writes its own reflections (Reflexion). */
  agentModel: string;
  /** The critic model: edits rules and distils skills. */
  critic: string;
  /** Show the field-level diff to the reflection (more than Reflexion's binary signal). @default false */
  withDiff?: boolean;
  round?: number;
  /** Episodes to leave out of successes (e.g. labelled simulator-faulted by the audits). */
  excluded?: ReadonlySet<string>;
  now: () => Date;
  /** Model calls made at once. @default 4 */
  concurrency?: number;
}

/** What an update did. */
export interface ExperienceUpdateResult {
  saved: number;
  removed: number;
  /** Model usage by role (`reflection`, `critic`). */
  usage: Record<string, Usage>;
  /** Critic lines that were not operations, and failed model calls: kept for the log. */
  notes: string[];
}

const transcriptOf = (episode: EpisodeRecord) => renderTurns(transcriptTurns(episode.trajectory.events));

async function pool<T>(items: readonly T[], concurrency: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await worker(items[next++]);
    }),
  );
}

/**
 * Turns one round of graded train episodes into experience: reflections on failures (the agent's
 * own model), demonstrations of verified successes, rule edits by the critic comparing failed and
 * successful attempts at the same task (and batches of successes), and skills/mistakes per family.
 * Refuses episodes outside the train split. A failing model call is noted and skipped, never
 * fatal: the round's episodes stay stored.
 */
export async function updateExperience(options: ExperienceUpdateOptions): Promise<ExperienceUpdateResult> {
  const { store, hub, setId, domain, mechanisms, round } = options;
  assertTrainSplit([...options.episodes, ...options.history]);
  const on = new Set(mechanisms);
  const createdAt = options.now().toISOString();
  const excluded = options.excluded ?? new Set<string>();
  const graded = options.episodes.filter((e) => e.termination !== 'infra_error');
  const successes = graded.filter((e) => isVerifiedSuccess(e) && !excluded.has(e.id));
  const failures = graded.filter((e) => e.reward < 1);
  const usage: Record<string, Usage> = {};
  const notes: string[] = [];
  const saved: ExperienceRecord[] = [];
  const removedIds: string[] = [];
  const concurrency = options.concurrency ?? 4;

  const ask = async (
    model: string,
    role: string,
    episode: Pick<EpisodeRecord, 'trial' | 'seed'>,
    system: string,
    content: string,
  ): Promise<string | undefined> => {
    try {
      const response = await hub
        .session(model, { role, trial: episode.trial, seed: episode.seed })
        .generate({ system, messages: [{ role: 'user', content }] });
      usage[role] = addUsage(usage[role], response.usage);
      return response.text.trim();
    } catch (error) {
      notes.push(`${role} call failed: ${(error as Error).message}`);
      return undefined;
    }
  };
  const provenanceOf = (episodes: readonly EpisodeRecord[], producedBy: string): ExperienceProvenance => ({
    runId: episodes[episodes.length - 1].runId,
    episodeIds: [...new Set(episodes.map((e) => e.id))],
    taskIds: [...new Set(episodes.map((e) => e.taskId))],
    split: episodes[0].split,
    producedBy,
    ...(round ? { round } : {}),
  });

  if (on.has('reflection')) {
    await pool(failures, concurrency, async (episode) => {
      const text = await ask(
        options.agentModel,
        'reflection',
        episode,
        REFLECTION_SYSTEM,
        reflectionPrompt(domain.policy, episode, options.withDiff === true),
      );
      if (text)
        saved.push(
          reflectionRecord(episode, text, { setId, producedBy: options.agentModel, withDiff: options.withDiff === true, createdAt, round }),
        );
    });
  }

  if (on.has('demonstration')) for (const episode of successes) saved.push(demonstrationFromEpisode(episode, setId, createdAt, round));

  if (on.has('insight')) {
    let rules = rankInsights((await store.listExperience({ setId, kind: 'insight' })) as InsightRecord[]);
    const apply = async (episodes: EpisodeRecord[], prompt: string, anchor: EpisodeRecord) => {
      const answer = await ask(options.critic, 'critic', anchor, INSIGHT_CRITIC_SYSTEM, prompt);
      if (!answer) return;
      const { edits, ignored } = parseInsightEdits(answer);
      if (ignored.length) notes.push(`critic lines ignored: ${ignored.slice(0, 3).join(' | ')}`);
      const result = applyInsightEdits(rules, edits, {
        setId,
        domain: domain.name,
        provenance: provenanceOf(episodes, options.critic),
        createdAt,
      });
      rules = result.rules;
      removedIds.push(...result.removed.map((r) => r.id));
    };
    // Pairs: a failed and a successful attempt at the same task, at least one from this round.
    const all = [...options.history, ...graded];
    const paired = new Set<string>();
    const thisRound = new Set(graded.map((e) => e.id));
    for (const taskId of [...new Set(graded.map((e) => e.taskId))]) {
      const attempts = all.filter((e) => e.taskId === taskId);
      const failed = attempts.filter((e) => e.reward < 1).at(-1);
      const succeeded = attempts.filter((e) => isVerifiedSuccess(e) && !excluded.has(e.id)).at(-1);
      if (!failed || !succeeded || (!thisRound.has(failed.id) && !thisRound.has(succeeded.id))) continue;
      paired.add(succeeded.id);
      // Sequential: each comparison edits the list the next one sees.
      await apply([failed, succeeded], comparePrompt(rules, transcriptOf(failed), transcriptOf(succeeded)), succeeded);
    }
    const unpaired = successes.filter((e) => !paired.has(e.id));
    const distinctTasks = [...new Map(unpaired.map((e) => [e.taskId, e])).values()].slice(0, SUCCESS_BATCH);
    if (distinctTasks.length >= 2) await apply(distinctTasks, successBatchPrompt(rules, distinctTasks.map(transcriptOf)), distinctTasks[0]);
    saved.push(...rules);
  }

  if (on.has('skill')) {
    // One skill from a success and one mistake from a failure per family and round (bounded cost).
    const families = [...new Set(graded.map((e) => e.family))].sort();
    await pool(families, concurrency, async (family) => {
      const success = successes.find((e) => e.family === family);
      const failure = failures.find((e) => e.family === family);
      if (success) {
        const fields = parseSkill(
          (await ask(options.critic, 'critic', success, SKILL_SYSTEM, skillPrompt(family, transcriptOf(success)))) ?? '',
        );
        if (fields)
          saved.push(
            skillRecord(fields, 'skill', {
              setId,
              domain: domain.name,
              family,
              provenance: provenanceOf([success], options.critic),
              createdAt,
            }),
          );
        else notes.push(`no skill read from the critic for ${family}`);
      }
      if (failure) {
        const reason = failure.outcome.state.predicates
          .filter((p) => !p.pass)
          .map((p) => p.predicate.description ?? p.predicate.kind)
          .join('; ');
        const fields = parseSkill(
          (await ask(options.critic, 'critic', failure, SKILL_SYSTEM, mistakePrompt(family, transcriptOf(failure), reason))) ?? '',
        );
        if (fields)
          saved.push(
            skillRecord(fields, 'mistake', {
              setId,
              domain: domain.name,
              family,
              provenance: provenanceOf([failure], options.critic),
              createdAt,
            }),
          );
        else notes.push(`no mistake read from the critic for ${family}`);
      }
    });
  }

  if (saved.length) await store.saveExperience(saved);
  const removed = removedIds.length ? await store.deleteExperience(removedIds) : 0;
  return { saved: saved.length, removed, usage, notes };
}
