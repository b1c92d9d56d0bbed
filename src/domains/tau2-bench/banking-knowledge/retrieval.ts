import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { GroundworkError, ToolError } from '../../../errors.ts';
import type { DomainTool } from '../../domain.ts';
import type { KnowledgeBase, KnowledgeDocument } from './documents.ts';
import { bm25Search, buildBm25Index, isPythonBlank } from './retrieval-bm25.ts';
import {
  compilePythonRegex,
  PythonRegexError,
  PythonRegexOverflow,
  type PythonRegex,
  UnsupportedPythonRegex,
} from './retrieval-pyregex.ts';

/**
 * τ²'s retrieval variants for banking_knowledge (`retrieval.py`): which knowledge tools the agent
 * gets and which prompt template becomes its policy. Only the variants that need no embedding
 * model, LLM reranker or shell sandbox are offered; the others are listed with the reason.
 */
export type RetrievalVariantName = 'bm25_grep' | 'bm25' | 'grep_only' | 'no_knowledge' | 'full_kb' | 'golden_retrieval';

export type KnowledgeToolName = 'KB_search' | 'grep';

export interface RetrievalVariant {
  readonly name: RetrievalVariantName;
  /** τ²'s prompt template under `prompts/`. */
  readonly prompt: string;
  /** Knowledge tools, in the order τ² lists them (before the banking tools). */
  readonly tools: readonly KnowledgeToolName[];
  /** What the prompt inlines: every document (full_kb) or the task's required documents (golden_retrieval). */
  readonly inline?: 'all_documents' | 'required_documents';
}

export const RETRIEVAL_VARIANTS: Readonly<Record<RetrievalVariantName, RetrievalVariant>> = {
  no_knowledge: { name: 'no_knowledge', prompt: 'no_knowledge.md', tools: [] },
  full_kb: { name: 'full_kb', prompt: 'full_kb.md', tools: [], inline: 'all_documents' },
  golden_retrieval: { name: 'golden_retrieval', prompt: 'required_docs.md', tools: [], inline: 'required_documents' },
  bm25_grep: { name: 'bm25_grep', prompt: 'classic_rag_bm25.md', tools: ['KB_search', 'grep'] },
  bm25: { name: 'bm25', prompt: 'classic_rag_bm25_no_grep.md', tools: ['KB_search'] },
  grep_only: { name: 'grep_only', prompt: 'grep_only.md', tools: ['grep'] },
};

const EMBEDDINGS = 'needs an embedding model (OpenAI text-embedding-3-large or Qwen3-Embedding-8B via OpenRouter); none is available';
const RERANKER = "needs τ²'s pointwise LLM reranker (gpt-5.2 rating each document)";
const SHELL = "needs τ²'s shell sandbox (Anthropic sandbox-runtime over the documents as files)";

/** τ²'s other variants, with why Groundwork does not offer them. */
export const UNSUPPORTED_RETRIEVAL_VARIANTS: Readonly<Record<string, string>> = {
  qwen_embeddings_grep: EMBEDDINGS,
  openai_embeddings_grep: EMBEDDINGS,
  qwen_embeddings_reranker_grep: `${EMBEDDINGS}; ${RERANKER}`,
  openai_embeddings_reranker_grep: `${EMBEDDINGS}; ${RERANKER}`,
  bm25_reranker_grep: RERANKER,
  qwen_embeddings: EMBEDDINGS,
  openai_embeddings: EMBEDDINGS,
  qwen_embeddings_reranker: `${EMBEDDINGS}; ${RERANKER}`,
  openai_embeddings_reranker: `${EMBEDDINGS}; ${RERANKER}`,
  bm25_reranker: RERANKER,
  terminal_use: SHELL,
  terminal_use_write: SHELL,
  alltools: `τ²'s default (alias AllTools): BM25 + dense search + shell; ${EMBEDDINGS}; ${SHELL}`,
  AllTools: `alias of alltools: ${EMBEDDINGS}; ${SHELL}`,
  'alltools-qwen': `${EMBEDDINGS}; ${SHELL}`,
};

/**
 * Our default. τ²'s default, `alltools`, needs dense embeddings and a shell sandbox; `bm25_grep`
 * offers both retrieval tools that run without them.
 */
export const DEFAULT_RETRIEVAL_VARIANT: RetrievalVariantName = 'bm25_grep';

/** A variant by τ²'s name (default when undefined); GroundworkError naming the choices otherwise. */
export function resolveRetrievalVariant(name: string | undefined): RetrievalVariant {
  const chosen = name ?? DEFAULT_RETRIEVAL_VARIANT;
  if (Object.hasOwn(RETRIEVAL_VARIANTS, chosen)) return RETRIEVAL_VARIANTS[chosen as RetrievalVariantName];
  const choices = Object.keys(RETRIEVAL_VARIANTS).join(', ');
  const reason = Object.hasOwn(UNSUPPORTED_RETRIEVAL_VARIANTS, chosen) ? UNSUPPORTED_RETRIEVAL_VARIANTS[chosen] : undefined;
  throw new GroundworkError(
    'INVALID_ARGUMENT',
    reason ? `retrieval variant ${chosen} is not available: it ${reason}` : `unknown retrieval variant ${JSON.stringify(chosen)}`,
    { hint: `choose one of ${choices}` },
  );
}

/** τ²'s `retrieval_kwargs` overrides. */
export interface RetrievalSettings {
  /** Documents KB_search returns. @default 10 */
  topK?: number;
  /** Documents grep returns. @default 10 */
  grepTopK?: number;
  /** grep matches case-sensitively. @default false */
  caseSensitive?: boolean;
}

/** τ² appends retrieval timings measured with a clock; we print zeros so outputs replay byte for byte. */
export const KB_SEARCH_TIMING = '[Timing: retrieval=0ms, reranking=0ms, total=0ms]';

/** τ²'s numbered result list: title, id, score with 4 decimals, full content. */
function formatResults(documents: readonly KnowledgeDocument[], results: readonly { index: number; score: number }[]): string {
  return results
    .map(({ index, score }, position) => {
      const document = documents[index];
      return `${position + 1}. ${document?.title || 'Untitled'}\n   ID: ${document?.id}\n   Score: ${score.toFixed(4)}\n   Content: ${document?.content || ''}\n`;
    })
    .join('\n');
}

/** What τ²'s KB_search (BM25 pipeline) returns for a query. */
export function kbSearch(kb: KnowledgeBase, query: string, topK = 10): string {
  const index = kb.index('bm25', buildBm25Index);
  const results = bm25Search(index, query, topK);
  if (results.length === 0) return `No relevant documents found.\n\n${KB_SEARCH_TIMING}`;
  return `${formatResults(kb.documents(), results)}\n\n${KB_SEARCH_TIMING}`;
}

/** Python's `re.escape` (3.7+): a backslash before each special character. */
function pythonEscape(text: string): string {
  return text.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (char) => `\\${char}`);
}

/**
 * What τ²'s grep returns: documents ranked by the number of (Python `re.findall`) matches of the
 * pattern, ignoring case unless configured; a pattern Python cannot compile is searched literally.
 */
export function grepSearch(kb: KnowledgeBase, pattern: string, settings: { topK?: number; caseSensitive?: boolean } = {}): string {
  const none = `No matches found for pattern: ${pattern}`;
  if (isPythonBlank(pattern)) return none;
  const ignoreCase = !settings.caseSensitive;
  let regex: PythonRegex;
  try {
    try {
      regex = compilePythonRegex(pattern, { ignoreCase });
    } catch (error) {
      if (!(error instanceof PythonRegexError)) throw error;
      regex = compilePythonRegex(pythonEscape(pattern), { ignoreCase });
    }
  } catch (error) {
    if (error instanceof PythonRegexOverflow) throw new ToolError(error.message);
    if (error instanceof UnsupportedPythonRegex)
      throw new ToolError(`this grep pattern uses a regex feature Groundwork cannot run (${error.message})`);
    throw error;
  }
  const documents = kb.documents();
  const results: { index: number; score: number }[] = [];
  documents.forEach((document, index) => {
    const count = regex.countMatches(document.content);
    if (count > 0) results.push({ index, score: count });
  });
  results.sort((a, b) => b.score - a.score || a.index - b.index);
  const top = results.slice(0, settings.topK ?? 10);
  return top.length === 0 ? none : formatResults(documents, top);
}

/** The knowledge tools of a variant, as τ² declares them (names, descriptions, parameters). */
export function knowledgeTools(variant: RetrievalVariant, kb: KnowledgeBase, settings: RetrievalSettings = {}): DomainTool[] {
  const tools: Record<KnowledgeToolName, DomainTool> = {
    KB_search: {
      name: 'KB_search',
      description: 'Search the knowledge base for relevant documents.',
      kind: 'read',
      input: z.strictObject({ query: z.string().describe('The search query to find relevant documents') }),
      execute: (_state, { query }: { query: string }) => kbSearch(kb, query, settings.topK),
    },
    grep: {
      name: 'grep',
      description:
        'Search for a regex pattern in all knowledge base documents.\n\nReturns documents ranked by number of matches, with full content.',
      kind: 'read',
      input: z.strictObject({
        pattern: z.string().describe("The regex pattern to search for (e.g., 'credit.*card', 'fee|charge')"),
      }),
      execute: (_state, { pattern }: { pattern: string }) =>
        grepSearch(kb, pattern, { topK: settings.grepTopK, caseSensitive: settings.caseSensitive }),
    },
  };
  return variant.tools.map((name) => tools[name]);
}

function readPrompt(file: string): string {
  if (!existsSync(file))
    throw new GroundworkError('INVALID_ARGUMENT', `prompt template not found: ${file}`, {
      hint: 'check the banking_knowledge data folder',
    });
  return readFileSync(file, 'utf8').replace(/\r\n?/g, '\n');
}

/**
 * The agent policy τ² builds for a variant: `{{component:NAME}}` replaced by `components/NAME.md`;
 * full_kb inlines every document (`## title\n\ncontent`, separated by `---`); golden_retrieval
 * inlines the task's required documents (matched by title, then by id).
 */
export function retrievalPolicy(variant: RetrievalVariant, kb: KnowledgeBase, requiredDocuments: readonly string[] = []): string {
  const prompts = path.join(kb.dir, 'prompts');
  let policy = readPrompt(path.join(prompts, variant.prompt)).replace(/\{\{component:([\p{L}\p{N}_]+)\}\}/gu, (_match, name: string) =>
    readPrompt(path.join(prompts, 'components', `${name}.md`)),
  );
  const section = (document: KnowledgeDocument) => `## ${document.title}\n\n${document.content}`;
  if (variant.inline === 'all_documents' && policy.includes('{{full_knowledge_base}}')) {
    const all = kb.documents().map(section).join('\n\n---\n\n');
    // τ² substitutes with re.sub, which would interpret backslashes; the documents have none.
    if (all.includes('\\'))
      throw new GroundworkError('INVALID_ARGUMENT', 'a knowledge document contains a backslash, which τ² would rewrite');
    policy = policy.split('{{full_knowledge_base}}').join(all);
  }
  if (variant.inline === 'required_documents') {
    const byTitle = new Map(kb.documents().map((document) => [document.title, document]));
    const found = requiredDocuments.flatMap((reference) => {
      const document = byTitle.get(reference) ?? kb.document(reference);
      return document ? [section(document)] : [];
    });
    policy = policy.split('{{required_documents}}').join(found.length > 0 ? found.join('\n\n---\n\n') : '(No documents provided)');
  }
  if (policy.trim() === '') throw new GroundworkError('INVALID_ARGUMENT', `the policy of retrieval variant ${variant.name} is empty`);
  return policy;
}
