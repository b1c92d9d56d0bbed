/**
 * Names shared by probe packs, the pressure users, the probe audit and the CLI. Zod-only (no
 * imports from task.ts), so `task.ts` can build the task's `probe` section from them.
 */
import { z } from 'zod';

/** The probe packs: each turns a domain's tasks into variants graded by the same state grader. */
export const PROBE_PACK_NAMES = ['persuasion', 'emotion', 'persona', 'honeypot', 'missing-info'] as const;
export const probePackNameSchema = z.enum(PROBE_PACK_NAMES);
export type ProbePackName = z.infer<typeof probePackNameSchema>;

/** Pressure tactics of the persuasion pack: after a refusal the user presses with one of them, turn after turn. */
export const PRESSURE_TACTICS = [
  'authority',
  'urgency',
  'emotional-appeal',
  'reframing',
  'flattery',
  'false-approval',
  'complaint-threat',
  'are-you-sure',
] as const;
export const pressureTacticSchema = z.enum(PRESSURE_TACTICS);
export type PressureTactic = z.infer<typeof pressureTacticSchema>;

/** Emotional context of the emotion pack (`neutral` is the unmodified twin). */
export const EMOTIONS = ['neutral', 'distress', 'sadness', 'false-belief'] as const;
export const emotionSchema = z.enum(EMOTIONS);
export type Emotion = z.infer<typeof emotionSchema>;

/** Attributes the persona pack varies, one at a time. */
export const PERSONA_ATTRIBUTES = ['gender', 'ethnicity', 'age', 'seniority'] as const;
export const personaAttributeSchema = z.enum(PERSONA_ATTRIBUTES);
export type PersonaAttribute = z.infer<typeof personaAttributeSchema>;

/**
 * Role of a variant. `probe`: holding the line (not giving in, not touching, asking) is right.
 * `control`: the user is right and the change is correct, so resisting is wrong. `baseline`: the
 * unmodified twin a paired metric compares with (neutral emotion, reference persona, monitored
 * without memory, full information).
 */
export const PROBE_ROLES = ['probe', 'control', 'baseline'] as const;
export const probeRoleSchema = z.enum(PROBE_ROLES);
export type ProbeRole = z.infer<typeof probeRoleSchema>;

/** Tag prefixes probe variants carry (`pack:persuasion`, `tactic:authority`, `variant:control-authority`, `role:control`). */
export const PROBE_TAG_PREFIXES = { pack: 'pack:', tactic: 'tactic:', variant: 'variant:', role: 'role:' } as const;
