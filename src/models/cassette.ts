import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { GroundworkError } from '../errors.ts';
import { canonicalJson, jsonValueSchema } from '../schema/json.ts';
import { createHash } from 'node:crypto';

/** Version of the cassette file format. Readers reject newer files. */
export const CASSETTE_VERSION = 1;

/**
 * One recorded model exchange. Holds the request body (for debugging and keying) and the raw
 * response body; never any header, so never a key.
 */
export const cassetteSchema = z.object({
  version: z.literal(CASSETTE_VERSION),
  key: z.string(),
  /** Role of the caller: agent, user, judge... */
  role: z.string(),
  trial: z.number().int(),
  seed: z.number().int(),
  /** How many identical requests this session made before this one (0 for the first). */
  occurrence: z.number().int().nonnegative(),
  /** Model name as asked (config name or spec). */
  model: z.string(),
  provider: z.string(),
  request: z.object({ method: z.string(), url: z.string(), body: jsonValueSchema }),
  response: z.object({
    status: z.number().int(),
    contentType: z.string().optional(),
    body: z.string(),
    /** Latency of the recorded answer; replay reports it so usage replays identically. */
    latencyMs: z.number().nonnegative(),
  }),
  recordedAt: z.string(),
});
/** One recorded model exchange (see `cassetteSchema`). */
export type Cassette = z.infer<typeof cassetteSchema>;

/** What identifies a recorded request. The base URL is not part of it (servers move). */
export interface CassetteKeyParts {
  /** Model name as asked (config name or spec): two names for one model are recorded apart. */
  model: string;
  provider: string;
  /** The request body as sent, parsed (canonicalised before hashing). */
  body: unknown;
  role: string;
  trial: number;
  seed: number;
  occurrence: number;
}

/** Hash (sha256, 24 hex) of the canonical request body, model name, provider, role, trial, seed and occurrence. */
export function cassetteKey(parts: CassetteKeyParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex').slice(0, 24);
}

/** Hash of a request body alone (counts identical requests within a session). */
export function bodyHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 24);
}

/** A directory of cassettes: one JSON file per request, named `ROLE-tTRIAL-KEY.json`. */
export class CassetteStore {
  constructor(readonly dir: string) {}

  /** File of a key. */
  path(role: string, trial: number, key: string): string {
    const safeRole = role.replace(/[^A-Za-z0-9_-]/g, '_');
    return join(this.dir, `${safeRole}-t${trial}-${key}.json`);
  }

  /** The recorded exchange, or undefined when not recorded. Rejects corrupt or newer files. */
  async load(role: string, trial: number, key: string): Promise<Cassette | undefined> {
    const file = this.path(role, trial, key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new GroundworkError('REPLAY_MISS', `cannot read cassette ${file}: ${(error as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new GroundworkError('REPLAY_MISS', `cassette ${file} is not valid JSON`);
    }
    if (
      typeof raw === 'object' &&
      raw !== null &&
      typeof (raw as { version?: unknown }).version === 'number' &&
      (raw as { version: number }).version > CASSETTE_VERSION
    ) {
      throw new GroundworkError(
        'SCHEMA_VERSION',
        `cassette ${file} has version ${(raw as { version: number }).version}; this Groundwork reads up to ${CASSETTE_VERSION}`,
        { hint: 'upgrade Groundwork' },
      );
    }
    const parsed = cassetteSchema.safeParse(raw);
    if (!parsed.success) throw new GroundworkError('REPLAY_MISS', `cassette ${file} is malformed`);
    return parsed.data;
  }

  /** Writes a cassette atomically (only answers of calls that succeeded are written). */
  async save(cassette: Cassette): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.path(cassette.role, cassette.trial, cassette.key);
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temp, `${JSON.stringify(cassette, null, 2)}\n`, 'utf8');
    await rename(temp, file);
  }
}
