// Keeps the dependency order of docs/architecture.md true: every import of every source file is
// parsed (static, type-only, re-exports and dynamic import()) and must point to a lower layer.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The layers, bottom to top. A folder may import only folders of lower layers (and itself); folders
 * of one layer do not import each other. Mirrored in docs/architecture.md ("Layers").
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'util'],
  ['schema'],
  ['state', 'models', 'text'],
  ['domains'],
  ['grading', 'agents', 'users', 'probes'],
  ['audits', 'episode'],
  ['store'],
  ['runner', 'audit-runner'],
  ['importers', 'experience', 'serve', 'queue'],
  ['report'],
  ['viewer', 'testing'],
  ['cli'],
];

/**
 * Imports allowed against the order, each with its reason (file → folders). None today: the store
 * driver that lived in audits/audit-run.ts moved to audit-runner/. The test fails when an entry is
 * no longer needed, so the list only shrinks.
 */
const KNOWN_EXCEPTIONS: ReadonlyMap<string, { imports: readonly string[]; reason: string }> = new Map();

const SRC = fileURLToPath(new URL('./', import.meta.url));

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test(-d)?\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** `errors` for src/errors.ts, `domains` for src/domains/helpdesk/tools.ts, `index` for the root index. */
function folderOf(file: string): string {
  const [first] = relative(SRC, file).split(sep);
  return first!.replace(/\.tsx?$/, '');
}

/** Every relative module specifier of a file: imports, `import type`, re-exports, `import()`. */
function relativeImports(source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map((entry) => entry.fileName).filter((name) => name.startsWith('.'));
}

const layerOf = new Map(LAYERS.flatMap((folders, level) => folders.map((folder) => [folder, level] as const)));

interface Violation {
  file: string;
  imports: string;
  reason: string;
}

/** Why `specifier`, imported by `file`, breaks the order; undefined when it does not. */
function importProblem(file: string, specifier: string): Omit<Violation, 'file'> | undefined {
  const from = folderOf(file);
  const fromLevel = layerOf.get(from);
  if (fromLevel === undefined)
    return { imports: '-', reason: `folder ${from} has no layer: add it to LAYERS here and to docs/architecture.md` };
  const target = resolve(dirname(file), specifier);
  if (!target.startsWith(SRC)) return { imports: specifier, reason: 'imports from outside src/' };
  const to = folderOf(target);
  if (to === from) return undefined;
  if (to === 'index') return { imports: specifier, reason: 'imports the root index (the public API is for users, not for src/)' };
  const toLevel = layerOf.get(to);
  if (toLevel === undefined) return { imports: specifier, reason: `folder ${to} has no layer` };
  return toLevel >= fromLevel ? { imports: to, reason: `${from} (layer ${fromLevel}) imports ${to} (layer ${toLevel})` } : undefined;
}

function violations(): Violation[] {
  const found: Violation[] = [];
  for (const file of sourceFiles()) {
    // The root index is the package facade: it re-exports every folder and nothing imports it.
    if (folderOf(file) === 'index') continue;
    const name = relative(SRC, file).split(sep).join('/');
    for (const specifier of relativeImports(readFileSync(file, 'utf8'))) {
      const problem = importProblem(file, specifier);
      if (problem) found.push({ file: name, ...problem });
    }
  }
  return found;
}

test('no folder imports a folder of its own or a higher layer, apart from the known exceptions', () => {
  const found = violations();
  const unexpected = found.filter((v) => !KNOWN_EXCEPTIONS.get(v.file)?.imports.includes(v.imports));
  assert.deepEqual(
    unexpected,
    [],
    `imports against the layer order:\n${unexpected.map((v) => `  ${v.file} → ${v.imports}: ${v.reason}`).join('\n')}`,
  );
  for (const [file, exception] of KNOWN_EXCEPTIONS) {
    for (const folder of exception.imports) {
      assert.ok(
        found.some((v) => v.file === file && v.imports === folder),
        `${file} no longer imports ${folder}: remove it from KNOWN_EXCEPTIONS`,
      );
    }
  }
});

test('the check rejects upward and sideways imports and accepts downward ones', () => {
  const at = (path: string) => join(SRC, path);
  // The import that motivated the order: the store reading the run config from the runner.
  assert.equal(importProblem(at('store/sqlite-store.ts'), '../runner/config.ts')?.imports, 'runner');
  assert.equal(importProblem(at('domains/helpdesk/tools.ts'), '../../cli/main.ts')?.imports, 'cli');
  assert.equal(importProblem(at('agents/agent.ts'), '../users/user.ts')?.imports, 'users', 'same layer');
  assert.match(importProblem(at('runner/plan.ts'), '../index.ts')?.reason ?? '', /root index/);
  assert.match(importProblem(at('runner/plan.ts'), '../../test/e2e/x.ts')?.reason ?? '', /outside src/);
  assert.equal(importProblem(at('runner/local-runner.ts'), '../store/store.ts'), undefined);
  assert.equal(importProblem(at('domains/helpdesk/tools.ts'), '../tools.ts'), undefined);
  const source = [
    "import { z } from 'zod';",
    "import type { Task } from '../schema/task.ts';",
    "export { runEpisode } from '../episode/orchestrator.ts';",
    "const lazy = () => import('../cli/main.ts');",
  ].join('\n');
  assert.deepEqual(relativeImports(source), ['../schema/task.ts', '../episode/orchestrator.ts', '../cli/main.ts']);
});

test('every folder of src/ has exactly one layer', () => {
  const folders = readdirSync(SRC, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const files = readdirSync(SRC).filter((name) => /\.ts$/.test(name) && name !== 'index.ts' && !name.endsWith('.test.ts'));
  const layered = LAYERS.flat();
  assert.equal(new Set(layered).size, layered.length, 'a folder is listed twice');
  assert.deepEqual([...folders, ...files.map((name) => name.replace(/\.ts$/, ''))].sort(), [...layered].sort());
});

test('docs/architecture.md shows the same layers', () => {
  const doc = readFileSync(new URL('../docs/architecture.md', import.meta.url), 'utf8');
  const block = /<!-- layers: generated from LAYERS in src\/architecture\.test\.ts -->\n```\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'docs/architecture.md has no layers block');
  const documented = block[1]!
    .trim()
    .split('\n')
    .map((line) =>
      line
        .replace(/^\s*\d+\s+/, '')
        .split(/,\s*/)
        .map((name) => name.trim()),
    );
  assert.deepEqual(
    documented,
    [...LAYERS].reverse().map((folders) => [...folders]),
  );
});

test('every index.ts exports by name (no export *)', () => {
  const star = sourceFiles().filter((file) => file.endsWith(`${sep}index.ts`) && /^export \* from/m.test(readFileSync(file, 'utf8')));
  assert.deepEqual(
    star.map((file) => relative(SRC, file)),
    [],
  );
});
