import type { KnowledgeDocument } from './documents.ts';

/**
 * Okapi BM25 as τ²'s `bm25` retriever computes it: the `rank_bm25` package's `BM25Okapi` with its
 * defaults (k1 1.5, b 0.75, epsilon 0.25: a term in more than half of the documents gets idf
 * epsilon × mean idf instead of its negative idf), over tokens made by Python's
 * `text.lower().split()`. Floating-point operations are done in rank_bm25's order so that scores
 * are bit-identical; ties keep document order (Python's stable sort).
 */
export interface Bm25Index {
  readonly lengths: readonly number[];
  readonly averageLength: number;
  /** Term -> idf (negative ones already replaced by the floor). */
  readonly idf: ReadonlyMap<string, number>;
  /** Term -> the documents containing it (ascending) and its frequency in each. */
  readonly postings: ReadonlyMap<string, Posting>;
}

export interface Posting {
  readonly documents: number[];
  readonly frequencies: number[];
}

export const BM25_K1 = 1.5;
export const BM25_B = 0.75;
export const BM25_EPSILON = 0.25;

/** Python's `str.isspace()` characters: what `str.split()` without arguments splits on. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+001C..U+001F are whitespace to Python's str.split().
const PYTHON_WHITESPACE = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Python's `not text.strip()`: empty or only whitespace. */
export function isPythonBlank(text: string): boolean {
  return text.split(PYTHON_WHITESPACE).every((part) => part === '');
}

/** Python's `text.lower().split()`. */
export function pythonLowerSplit(text: string): string[] {
  return text
    .toLowerCase()
    .split(PYTHON_WHITESPACE)
    .filter((token) => token !== '');
}

export function buildBm25Index(documents: readonly KnowledgeDocument[]): Bm25Index {
  const lengths: number[] = [];
  // Insertion order = first appearance in the corpus, the order rank_bm25 sums idfs in.
  const postings = new Map<string, Posting>();
  let totalLength = 0;
  documents.forEach((document, index) => {
    const tokens = pythonLowerSplit(document.content);
    lengths.push(tokens.length);
    totalLength += tokens.length;
    for (const token of tokens) {
      let posting = postings.get(token);
      if (!posting) {
        posting = { documents: [], frequencies: [] };
        postings.set(token, posting);
      }
      const last = posting.documents.length - 1;
      if (posting.documents[last] === index) posting.frequencies[last] = (posting.frequencies[last] ?? 0) + 1;
      else {
        posting.documents.push(index);
        posting.frequencies.push(1);
      }
    }
  });
  const corpusSize = documents.length;
  const idf = new Map<string, number>();
  const negative: string[] = [];
  let idfSum = 0;
  for (const [term, posting] of postings) {
    const count = posting.documents.length;
    const value = Math.log(corpusSize - count + 0.5) - Math.log(count + 0.5);
    idf.set(term, value);
    idfSum += value;
    if (value < 0) negative.push(term);
  }
  const floor = BM25_EPSILON * (idfSum / idf.size);
  for (const term of negative) idf.set(term, floor);
  return { lengths, averageLength: totalLength / corpusSize, idf, postings };
}

/** BM25 score of every document for a query (`rank_bm25`'s `get_scores`). */
export function bm25Scores(index: Bm25Index, query: string): Float64Array {
  const scores = new Float64Array(index.lengths.length);
  for (const term of pythonLowerSplit(query)) {
    const idf = index.idf.get(term) ?? 0;
    // Documents without the term add idf × 0 = 0, which leaves their score unchanged.
    const posting = index.postings.get(term);
    if (!posting) continue;
    for (let i = 0; i < posting.documents.length; i++) {
      const document = posting.documents[i] ?? 0;
      const frequency = posting.frequencies[i] ?? 0;
      const length = index.lengths[document] ?? 0;
      const norm = BM25_K1 * (1 - BM25_B + (BM25_B * length) / index.averageLength);
      scores[document] = (scores[document] ?? 0) + idf * ((frequency * (BM25_K1 + 1)) / (frequency + norm));
    }
  }
  return scores;
}

/** The `topK` best documents (index, score), best first, ties in document order; none for a blank query. */
export function bm25Search(index: Bm25Index, query: string, topK: number): { index: number; score: number }[] {
  if (isPythonBlank(query)) return [];
  const scores = bm25Scores(index, query);
  const order = Array.from(scores.keys()).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
  return order.slice(0, Math.min(topK, scores.length)).map((document) => ({ index: document, score: scores[document] ?? 0 }));
}
