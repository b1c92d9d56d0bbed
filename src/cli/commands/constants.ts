import type { ExportFormat } from '../../experience/export/schemas.ts';
import type { ExperienceKind } from '../../schema/experience.ts';

// Values the command definitions show in their help. The modules that own them import zod or a
// web server, which `groundwork --help` must not load, so they are repeated here; the types keep
// each a subset of the real one and constants.test.ts keeps them equal.

/** `EXPERIENCE_KINDS` of src/schema/experience.ts. */
export const EXPERIENCE_KINDS = ['reflection', 'insight', 'demonstration', 'skill'] as const satisfies readonly ExperienceKind[];

/** `EXPORT_FORMATS` of src/experience/export/schemas.ts. */
export const EXPORT_FORMATS = ['sft', 'preference', 'rl', 'early-experience'] as const satisfies readonly ExportFormat[];

/** `DEFAULT_VIEWER_PORT` of src/viewer/server.ts. */
export const DEFAULT_VIEWER_PORT = 5151;
