import { EXPERIENCE_SCHEMA_VERSION, type DemonstrationRecord } from '../schema/experience.ts';
import type { EpisodeRecord } from '../store/store.ts';
import { experienceId } from './experience-store.ts';
import { compactTurns, openingRequest } from './transcript.ts';

/** Turns texts into vectors (an embedding model). Optional: lexical similarity is the default. */
export type EmbedFunction = (texts: readonly string[]) => Promise<number[][]>;

/** What retrieval compares a stored item with: the opening request and the task family. */
export interface RetrievalQuery {
  request: string;
  family?: string;
}

const STOP_WORDS = new Set(
  "a an and are as at be but by can could do for from has have hello hi i i'm in is it its me my of on or our please so that the their them they this to us was we were will with you your".split(
    ' ',
  ),
);

/** Lower-cased word tokens without stop words. */
export function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((token) => !STOP_WORDS.has(token));
}

/**
 * Okapi BM25 scores of `query` against each document (k1 = 1.2, b = 0.75). Pure: same inputs,
 * same scores; 0 for a document sharing no term.
 */
export function bm25Scores(documents: readonly string[], query: string, k1 = 1.2, b = 0.75): number[] {
  const docs = documents.map(tokenize);
  const n = docs.length;
  if (n === 0) return [];
  const avgLength = docs.reduce((sum, d) => sum + d.length, 0) / n || 1;
  const documentFrequency = new Map<string, number>();
  for (const doc of docs) for (const term of new Set(doc)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  const terms = [...new Set(tokenize(query))];
  return docs.map((doc) => {
    const frequency = new Map<string, number>();
    for (const term of doc) frequency.set(term, (frequency.get(term) ?? 0) + 1);
    let score = 0;
    for (const term of terms) {
      const f = frequency.get(term) ?? 0;
      if (f === 0) continue;
      const df = documentFrequency.get(term) ?? 0;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      score += (idf * (f * (k1 + 1))) / (f + k1 * (1 - b + (b * doc.length) / avgLength));
    }
    return score;
  });
}

/** Cosine similarity of two vectors (0 when either is zero). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Weight of a family match in ranking: same family always ranks above other families. */
const FAMILY_BONUS = 1000;

/**
 * Ranks items by similarity to the query: same family first, then BM25 over the request (or
 * cosine similarity of embeddings when `embed` is given), ties by original order. Returns the top
 * `k`. Deterministic.
 */
export async function rankBySimilarity<T>(
  items: readonly T[],
  text: (item: T) => string,
  family: (item: T) => string | undefined,
  query: RetrievalQuery,
  k: number,
  embed?: EmbedFunction,
): Promise<T[]> {
  if (items.length === 0 || k <= 0) return [];
  let similarity: number[];
  if (embed) {
    const vectors = await embed([query.request, ...items.map(text)]);
    similarity = items.map((_, i) => cosine(vectors[0], vectors[i + 1]));
  } else {
    similarity = bm25Scores(items.map(text), query.request);
  }
  const scored = items.map((item, index) => ({
    item,
    index,
    score: similarity[index] + (query.family !== undefined && family(item) === query.family ? FAMILY_BONUS : 0),
  }));
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.slice(0, k).map((s) => s.item);
}

/** The most similar demonstrations for a request (see `rankBySimilarity`). */
export function retrieveDemonstrations(
  demonstrations: readonly DemonstrationRecord[],
  query: RetrievalQuery,
  k: number,
  embed?: EmbedFunction,
): Promise<DemonstrationRecord[]> {
  return rankBySimilarity(
    demonstrations,
    (d) => d.request,
    (d) => d.family,
    query,
    k,
    embed,
  );
}

/** True when an episode is a verified success (reward 1, ran normally). */
export function isVerifiedSuccess(episode: Pick<EpisodeRecord, 'reward' | 'termination'>): boolean {
  return episode.reward >= 1 && episode.termination !== 'infra_error';
}

/** A demonstration kept concrete from a verified success. */
export function demonstrationFromEpisode(episode: EpisodeRecord, setId: string, createdAt: string, round?: number): DemonstrationRecord {
  return {
    schemaVersion: EXPERIENCE_SCHEMA_VERSION,
    id: experienceId('demonstration', setId, episode.id),
    setId,
    kind: 'demonstration',
    domain: episode.trajectory.domain,
    family: episode.family,
    taskId: episode.taskId,
    request: openingRequest(episode.trajectory.events),
    turns: compactTurns(episode.trajectory.events),
    provenance: {
      runId: episode.runId,
      episodeIds: [episode.id],
      taskIds: [episode.taskId],
      split: episode.split,
      producedBy: 'rule',
      ...(round ? { round } : {}),
    },
    createdAt,
  };
}

/**
 * A deterministic local embedding (hashed bag of words, 64 dimensions): for tests and as an
 * example of the `embed` interface. Not a semantic model.
 */
export const hashedBagOfWordsEmbedding: EmbedFunction = async (texts) =>
  texts.map((text) => {
    const vector = new Array<number>(64).fill(0);
    for (const token of tokenize(text)) {
      let h = 2166136261;
      for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), 16777619);
      vector[(h >>> 0) % 64] += 1;
    }
    return vector;
  });
