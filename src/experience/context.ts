import type { DemonstrationRecord, ExperienceRecord, InsightRecord, ReflectionRecord, SkillRecord } from '../schema/experience.ts';
import { retrieveDemonstrations, type EmbedFunction } from './demonstrations.ts';
import { rankInsights } from './insights.ts';
import { DEFAULT_REFLECTIONS_PER_TASK, selectReflections } from './reflexion.ts';
import { retrieveSkills } from './skills.ts';
import { renderTurns } from './transcript.ts';

/** How much of each kind goes into one episode's context. */
export interface ExperienceLimits {
  /** Last N reflections on the same task. @default 3 */
  reflections: number;
  /** Top K rules. @default 10 */
  insights: number;
  /** Most similar K demonstrations. @default 2 */
  demonstrations: number;
  /** K skills and K mistakes of the family. @default 3 */
  skills: number;
}

export const DEFAULT_EXPERIENCE_LIMITS: ExperienceLimits = {
  reflections: DEFAULT_REFLECTIONS_PER_TASK,
  insights: 10,
  demonstrations: 2,
  skills: 3,
};

/** What an episode is, for retrieval: its task, family and the user's opening request. */
export interface EpisodeQuery {
  taskId: string;
  family: string;
  request: string;
}

/** The experience chosen for one episode. */
export interface SelectedExperience {
  reflections: ReflectionRecord[];
  insights: InsightRecord[];
  demonstrations: DemonstrationRecord[];
  skills: SkillRecord[];
  mistakes: SkillRecord[];
}

/**
 * Chooses experience for an episode from a (split-guarded) pool: the last reflections on the
 * same task, the top-ranked rules, the most similar demonstrations, and the family's skills and
 * mistakes. Deterministic for the same pool and query.
 */
export async function selectExperience(
  pool: readonly ExperienceRecord[],
  query: EpisodeQuery,
  limits: ExperienceLimits = DEFAULT_EXPERIENCE_LIMITS,
  embed?: EmbedFunction,
): Promise<SelectedExperience> {
  const of = <K extends ExperienceRecord['kind']>(kind: K) =>
    pool.filter((r): r is Extract<ExperienceRecord, { kind: K }> => r.kind === kind);
  const retrieval = { request: query.request, family: query.family };
  const skills = await retrieveSkills(of('skill'), retrieval, limits.skills, embed);
  return {
    reflections: selectReflections(of('reflection'), query.taskId, limits.reflections),
    insights: rankInsights(of('insight')).slice(0, Math.max(0, limits.insights)),
    demonstrations: await retrieveDemonstrations(of('demonstration'), retrieval, limits.demonstrations, embed),
    skills: skills.skills,
    mistakes: skills.mistakes,
  };
}

/** Ids of every selected record. */
export function selectedIds(selected: SelectedExperience): string[] {
  return [...selected.reflections, ...selected.insights, ...selected.skills, ...selected.mistakes, ...selected.demonstrations].map(
    (r) => r.id,
  );
}

/** Heading that starts the experience section of a system prompt. */
export const EXPERIENCE_HEADING = '# Experience from earlier graded attempts';

/**
 * The selected experience as a system-prompt section (empty string when nothing was selected).
 * Rules and skills first (short), reflections next, examples last (long).
 */
export function renderExperience(selected: SelectedExperience): string {
  const parts: string[] = [];
  if (selected.insights.length)
    parts.push(`## Rules learned from graded attempts\n${selected.insights.map((r, i) => `${i + 1}. ${r.text}`).join('\n')}`);
  if (selected.skills.length)
    parts.push(
      `## Skills\n${selected.skills.map((s) => `- ${s.title}: ${s.principle}${s.whenToApply ? ` (when: ${s.whenToApply})` : ''}`).join('\n')}`,
    );
  if (selected.mistakes.length)
    parts.push(
      `## Mistakes to avoid\n${selected.mistakes.map((s) => `- ${s.title}: ${s.principle}${s.whenToApply ? ` (when: ${s.whenToApply})` : ''}`).join('\n')}`,
    );
  if (selected.reflections.length)
    parts.push(`## Your reflections on earlier failed attempts at this task\n${selected.reflections.map((r) => `- ${r.text}`).join('\n')}`);
  if (selected.demonstrations.length)
    parts.push(
      `## Examples of verified successful conversations\n${selected.demonstrations.map((d, i) => `### Example ${i + 1}\n${renderTurns(d.turns)}`).join('\n\n')}`,
    );
  return parts.length ? `${EXPERIENCE_HEADING}\n\n${parts.join('\n\n')}` : '';
}

/** The policy followed by the experience section (the policy alone when there is none). */
export function systemPromptWithExperience(policy: string, experience: string): string {
  return experience ? `${policy}\n\n${experience}` : policy;
}
