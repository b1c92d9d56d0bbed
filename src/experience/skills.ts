import { EXPERIENCE_SCHEMA_VERSION, type ExperienceProvenance, type SkillRecord } from '../schema/experience.ts';
import { rankBySimilarity, type EmbedFunction, type RetrievalQuery } from './demonstrations.ts';
import { experienceId } from './experience-store.ts';

/** System prompt of the skill distiller (SkillRL). */
export const SKILL_SYSTEM = `You distil the experience of an AI agent that serves users through tools under a policy into reusable skills.
Answer ONLY with one JSON object: {"title": "...", "principle": "...", "whenToApply": "..."}.
title: a few words. principle: what to do (or, for a mistake, what to avoid and what to do instead), general, no names or ids of one case. whenToApply: the situation it applies to.`;

/** User message asking for a skill from a verified success. */
export function skillPrompt(family: string, transcript: string): string {
  return `Task family: ${family}\nThis attempt SUCCEEDED (verified by the final state):\n${transcript}\n\nDistil the reusable skill it shows.`;
}

/** User message asking for a mistake to avoid from a failure. */
export function mistakePrompt(family: string, transcript: string, reason: string): string {
  return `Task family: ${family}\nThis attempt FAILED (verified by the final state).${reason ? `\nWhat the grader found: ${reason}` : ''}\n${transcript}\n\nDistil the mistake to avoid, as a skill whose principle says what to avoid and what to do instead.`;
}

/** The fields of a skill read from a model's answer. */
export interface SkillFields {
  title: string;
  principle: string;
  whenToApply: string;
}

/**
 * Reads a skill from a model answer: the first JSON object with a `principle`; failing that,
 * `Title:` / `Principle:` / `When to apply:` lines. Undefined when neither is there. Pure.
 */
export function parseSkill(text: string): SkillFields | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start >= 0 && end > start) {
    try {
      const value = JSON.parse(text.slice(start, end + 1)) as Record<string, unknown>;
      const principle = typeof value.principle === 'string' ? value.principle.trim() : '';
      if (principle) {
        return {
          title: typeof value.title === 'string' && value.title.trim() ? value.title.trim() : principle.slice(0, 60),
          principle,
          whenToApply:
            typeof value.whenToApply === 'string'
              ? value.whenToApply.trim()
              : typeof value.when_to_apply === 'string'
                ? String(value.when_to_apply).trim()
                : '',
        };
      }
    } catch {
      // fall through to the line format
    }
  }
  const field = (name: string) => new RegExp(`^\\s*${name}\\s*:\\s*(.+)$`, 'im').exec(text)?.[1].trim();
  const principle = field('principle');
  if (!principle) return undefined;
  return { title: field('title') ?? principle.slice(0, 60), principle, whenToApply: field('when ?to ?apply') ?? '' };
}

/** A skill (or mistake) record for a family. */
export function skillRecord(
  fields: SkillFields,
  polarity: SkillRecord['polarity'],
  options: { setId: string; domain: string; family: string; provenance: ExperienceProvenance; createdAt: string },
): SkillRecord {
  return {
    schemaVersion: EXPERIENCE_SCHEMA_VERSION,
    id: experienceId('skill', options.setId, polarity, ...options.provenance.episodeIds),
    setId: options.setId,
    kind: 'skill',
    domain: options.domain,
    family: options.family,
    polarity,
    ...fields,
    provenance: options.provenance,
    createdAt: options.createdAt,
  };
}

/**
 * Skills and mistakes for an episode: those of the same family first, ranked by similarity of
 * their text to the request (or embeddings), at most `k` of each polarity.
 */
export async function retrieveSkills(
  skills: readonly SkillRecord[],
  query: RetrievalQuery,
  k: number,
  embed?: EmbedFunction,
): Promise<{ skills: SkillRecord[]; mistakes: SkillRecord[] }> {
  const text = (s: SkillRecord) => `${s.title} ${s.principle} ${s.whenToApply}`;
  const family = (s: SkillRecord) => s.family;
  return {
    skills: await rankBySimilarity(
      skills.filter((s) => s.polarity === 'skill'),
      text,
      family,
      query,
      k,
      embed,
    ),
    mistakes: await rankBySimilarity(
      skills.filter((s) => s.polarity === 'mistake'),
      text,
      family,
      query,
      k,
      embed,
    ),
  };
}
