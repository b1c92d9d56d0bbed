import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { GroundworkError, ToolError } from '../../../errors.ts';
import { domainDir, REPO_ROOT } from '../../tau-bench/data.ts';
import { pyDumps } from '../../tau-bench/py-format.ts';
import { createKnowledgeBase } from './documents.ts';
import {
  grepSearch,
  kbSearch,
  knowledgeTools,
  RETRIEVAL_VARIANTS,
  type RetrievalVariantName,
  resolveRetrievalVariant,
  retrievalPolicy,
} from './retrieval.ts';
import { compilePythonRegex, PythonRegexError } from './retrieval-pyregex.ts';

/**
 * Parity with τ²'s own retrieval tools: `test/fixtures/tau2-parity/banking-retrieval.json` holds
 * sha256 hashes of the outputs τ²'s Python produced (see its `how`); we compute ours and compare.
 */
const DIR = domainDir(undefined, 'tau2-bench/banking_knowledge', 'db.json');
const kb = createKnowledgeBase(DIR);

const specSchema = z.object({
  text: z.string().optional(),
  from: z.enum(['task', 'doc']).optional(),
  id: z.string().optional(),
  field: z.enum(['content', 'title']).optional(),
  start: z.number().optional(),
  end: z.number().optional(),
  sha256: z.string(),
  error: z.boolean(),
});
type Spec = z.infer<typeof specSchema>;
const fixture = z
  .object({
    policies: z.record(z.string(), z.string()),
    tools: z.record(
      z.string(),
      z.array(z.object({ name: z.string(), description: z.string(), parameters: z.string(), required: z.array(z.string()) })),
    ),
    settings: z.object({ topK: z.number(), grepTopK: z.number(), caseSensitive: z.boolean() }),
    KB_search: z.array(specSchema),
    grep: z.array(specSchema),
    'KB_search:settings': z.array(specSchema),
    'grep:settings': z.array(specSchema),
  })
  .parse(JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures/tau2-parity/banking-retrieval.json'), 'utf8')));

const taskInstructions = new Map<string, string>();
for (const file of readdirSync(path.join(DIR, 'tasks')).filter((name) => /^task_.*\.json$/.test(name))) {
  const task = JSON.parse(readFileSync(path.join(DIR, 'tasks', file), 'utf8')) as { id: string; user_scenario: { instructions: unknown } };
  const instructions = task.user_scenario.instructions;
  taskInstructions.set(task.id, typeof instructions === 'string' ? instructions : JSON.stringify(instructions));
}

/** The query a fixture entry names: literal, or a code-point slice of a task's instructions or a document field. */
function queryOf(spec: Spec): string {
  if (spec.text !== undefined) return spec.text;
  const document = spec.id === undefined ? undefined : kb.document(spec.id);
  const full = spec.from === 'task' ? taskInstructions.get(spec.id ?? '') : document?.[spec.field ?? 'content'];
  assert.ok(full !== undefined, `fixture names a missing ${spec.from} ${spec.id}`);
  const codePoints = [...full];
  return codePoints.slice(spec.start ?? 0, spec.end ?? codePoints.length).join('');
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** What the agent sees: the tool's string, or `Error: ...` when it refuses (as τ² shows exceptions). */
function output(run: () => string): { text: string; error: boolean } {
  try {
    return { text: run(), error: false };
  } catch (error) {
    if (error instanceof ToolError) return { text: `Error: ${error.message}`, error: true };
    throw error;
  }
}

/** Patterns whose results differ from τ²'s, each for a documented reason. */
const KNOWN_GREP_DIFFERENCES = new Map([['\\N{EM DASH}', 'Unicode character names need a name table; grep refuses the pattern']]);

type FixtureList = 'KB_search' | 'grep' | 'KB_search:settings' | 'grep:settings';

function mismatches(tool: FixtureList, run: (query: string) => string): string[] {
  const differing: string[] = [];
  for (const spec of fixture[tool]) {
    const query = queryOf(spec);
    const result = output(() => run(query));
    if (sha256(result.text) !== spec.sha256 || result.error !== spec.error) differing.push(query);
  }
  return differing;
}

describe('banking_knowledge retrieval: parity with τ²', () => {
  it('KB_search (BM25) output is byte-equal to τ²’s for every fixture query', () => {
    assert.ok(fixture.KB_search.length > 400);
    assert.deepEqual(
      mismatches('KB_search', (query) => kbSearch(kb, query)),
      [],
    );
  });

  it('grep output is byte-equal to τ²’s for every fixture pattern but the documented ones', () => {
    assert.ok(fixture.grep.length > 700);
    assert.deepEqual(
      mismatches('grep', (query) => grepSearch(kb, query)),
      [...KNOWN_GREP_DIFFERENCES.keys()],
    );
  });

  it('honours τ²’s retrieval_kwargs (top_k, grep_top_k, case_sensitive) as RetrievalSettings', () => {
    const { topK, grepTopK, caseSensitive } = fixture.settings;
    const [kbTool, grepTool] = knowledgeTools(RETRIEVAL_VARIANTS.bm25_grep, kb, { topK, grepTopK, caseSensitive });
    assert.deepEqual(
      mismatches('KB_search:settings', (query) => String(kbTool?.execute(undefined as never, { query }))),
      [],
    );
    assert.deepEqual(
      mismatches('grep:settings', (pattern) => String(grepTool?.execute(undefined as never, { pattern }))),
      [...KNOWN_GREP_DIFFERENCES.keys()],
    );
  });

  it('policies equal τ²’s build_policy for every offered variant', () => {
    for (const name of Object.keys(RETRIEVAL_VARIANTS) as RetrievalVariantName[]) {
      assert.equal(sha256(retrievalPolicy(RETRIEVAL_VARIANTS[name], kb)), fixture.policies[name], name);
    }
    const required = JSON.parse(readFileSync(path.join(DIR, 'tasks', 'task_001.json'), 'utf8')).required_documents as string[];
    assert.equal(sha256(retrievalPolicy(RETRIEVAL_VARIANTS.golden_retrieval, kb, required)), fixture.policies['golden_retrieval:task_001']);
  });

  it('each variant offers τ²’s knowledge tools, in τ²’s order, with τ²’s descriptions', () => {
    for (const name of Object.keys(RETRIEVAL_VARIANTS) as RetrievalVariantName[]) {
      const ours = knowledgeTools(RETRIEVAL_VARIANTS[name], kb).map((tool) => {
        const schema = z.toJSONSchema(tool.input) as {
          properties: Record<string, { type: string; description?: string }>;
          required?: string[];
        };
        const parameters = Object.fromEntries(
          Object.entries(schema.properties).map(([key, property]) => [
            key,
            { description: property.description ?? null, type: property.type },
          ]),
        );
        return {
          name: tool.name,
          description: sha256(tool.description),
          parameters: sha256(pyDumps(parameters)),
          required: schema.required ?? [],
        };
      });
      assert.deepEqual(ours, fixture.tools[name], name);
    }
  });
});

describe('banking_knowledge retrieval: variants and Python regex syntax', () => {
  it('resolves τ²’s variant names and explains the ones it cannot offer', () => {
    assert.equal(resolveRetrievalVariant(undefined).name, 'bm25_grep');
    assert.equal(resolveRetrievalVariant('grep_only').name, 'grep_only');
    assert.throws(
      () => resolveRetrievalVariant('alltools'),
      (error) => GroundworkError.isInstance(error) && /embedding/.test(error.message),
    );
    assert.throws(
      () => resolveRetrievalVariant('nope'),
      (error) => GroundworkError.isInstance(error) && /unknown/.test(error.message),
    );
  });

  it('rejects what Python’s re rejects and accepts what it accepts', () => {
    for (const bad of [
      '(fee',
      'fee)',
      '*a',
      'a**',
      'a{3,1}',
      '[z-a]',
      '\\q',
      '\\1',
      '(?<=a+)b',
      '(?i',
      'a(?i)b',
      '(?P<a>x)(?P<a>y)',
      '[',
    ]) {
      assert.throws(() => compilePythonRegex(bad, { ignoreCase: true }), PythonRegexError, bad);
    }
    for (const good of ['a{,3}', '{', 'a{}', 'x{a}', '(?i)a', '(?>a)', 'a*+', '(?<=ab|cd)e', '[]a]', '\\-', '(?x) a # c']) {
      assert.doesNotThrow(() => compilePythonRegex(good, { ignoreCase: true }), good);
    }
  });

  it('counts matches as Python’s findall does, empty matches included', () => {
    const count = (pattern: string, text: string, ignoreCase = false) => compilePythonRegex(pattern, { ignoreCase }).countMatches(text);
    assert.equal(count('a*?', 'aa'), 5); // ['', 'a', '', 'a', '']
    assert.equal(count('a*', 'baac'), 4); // ['', 'aa', '', '']
    assert.equal(count('$', 'a\n'), 2); // before the final newline and at the end
    assert.equal(count('.', 'a\r\u2028'), 3); // `.` stops only at \n
    assert.equal(count('\\w+', 'naïve café'), 2);
    assert.equal(count('i', 'İı', true), 2);
    assert.equal(count('|(?<=a)b', 'ab'), 4); // the retry at a position sees the text before it
    assert.equal(count('|(?<=😀)b', '😀b😀b'), 7);
  });

  it('refuses, as a tool error, the few Python patterns it cannot run exactly', () => {
    for (const pattern of ['\\N{EM DASH}', '(?:|a)*', '(a)(?(1)b|c)']) {
      assert.throws(() => grepSearch(kb, pattern), ToolError, pattern);
    }
    assert.throws(
      () => grepSearch(kb, 'x{4294967296}'),
      (error) => error instanceof ToolError && error.message === 'the repetition number is too large',
    );
  });
});
