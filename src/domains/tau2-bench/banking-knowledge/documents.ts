import { readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { GroundworkError } from '../../../errors.ts';
import { readJsonFile } from '../../tau-bench/data.ts';

/** One policy document of τ²'s banking_knowledge knowledge base (`documents/<id>.json`). */
export interface KnowledgeDocument {
  id: string;
  title: string;
  content: string;
}

const documentSchema = z.object({ id: z.string(), title: z.string(), content: z.string() });

/**
 * The knowledge base of one domain instance: documents read on first use and kept here (never in
 * module state), plus slots for indexes the retrieval tools build lazily.
 */
export interface KnowledgeBase {
  /** The banking_knowledge data folder (holds `documents/` and `prompts/`). */
  readonly dir: string;
  /** All documents, in file-name order. */
  documents(): readonly KnowledgeDocument[];
  /** A document by id. */
  document(id: string): KnowledgeDocument | undefined;
  /** An index built once from the documents and kept for the life of this knowledge base. */
  index<Index>(name: string, build: (documents: readonly KnowledgeDocument[]) => Index): Index;
}

/**
 * τ² reads `documents/*.json` with `Path.glob`, whose order is the file system's (it differs between
 * machines) and decides ties between equal retrieval scores. We fix it to file-name order; the
 * reference values were produced by running τ² with its knowledge base in that order. As in τ²
 * (a dict keyed by id), a later file with an id already seen replaces the earlier document in place.
 */
export function readKnowledgeDocuments(dir: string): KnowledgeDocument[] {
  const documentsDir = path.join(dir, 'documents');
  let files: string[];
  try {
    files = readdirSync(documentsDir).filter((name) => name.endsWith('.json'));
  } catch (error) {
    throw new GroundworkError('INVALID_ARGUMENT', `cannot read the knowledge base folder ${documentsDir}`, {
      cause: error,
      hint: 'pass dataDir (--data) pointing at the benchmarks folder',
    });
  }
  const byId = new Map<string, KnowledgeDocument>();
  for (const file of files.sort(compareCodePoints)) {
    const parsed = documentSchema.safeParse(readJsonFile(path.join(documentsDir, file)));
    if (!parsed.success) {
      throw new GroundworkError('INVALID_ARGUMENT', `${path.join(documentsDir, file)} is not a knowledge document`, {
        hint: 'each document needs string fields id, title and content',
      });
    }
    byId.set(parsed.data.id, parsed.data);
  }
  return [...byId.values()];
}

/** Python's string order (by code point), which differs from UTF-16 order only outside the BMP. */
function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/** A knowledge base over `dir` that reads nothing until first asked. */
export function createKnowledgeBase(dir: string): KnowledgeBase {
  let documents: readonly KnowledgeDocument[] | undefined;
  let byId: Map<string, KnowledgeDocument> | undefined;
  const indexes = new Map<string, unknown>();
  const all = (): readonly KnowledgeDocument[] => {
    documents ??= Object.freeze(readKnowledgeDocuments(dir).map((document) => Object.freeze(document)));
    return documents;
  };
  return {
    dir,
    documents: all,
    document(id) {
      byId ??= new Map(all().map((document) => [document.id, document]));
      return byId.get(id);
    },
    index<Index>(name: string, build: (documents: readonly KnowledgeDocument[]) => Index): Index {
      if (!indexes.has(name)) indexes.set(name, build(all()));
      return indexes.get(name) as Index;
    },
  };
}
