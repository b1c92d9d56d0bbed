import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GroundworkError } from '../errors.ts';

// Both src/viewer/bundle.ts and its build dist/viewer/bundle.js sit two levels below the package root.
/** The viewer's single-page app (Preact) sources, built by Vite into a static bundle; absent from an installed package. */
export const VIEWER_APP_DIR = fileURLToPath(new URL('../../src/viewer/app/', import.meta.url));

/**
 * Where the bundle goes by default: `dist/viewer-app` at the package root. The published package
 * ships it prebuilt (`npm run build`), so an installed package needs neither the sources nor Vite.
 */
export const DEFAULT_BUNDLE_DIR = fileURLToPath(new URL('../../dist/viewer-app/', import.meta.url));

const STAMP = '.groundwork-stamp';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
    .filter((file) => !file.endsWith('.test.ts') && !file.endsWith('.test.tsx'))
    .sort();
}

/**
 * Modules outside app/ that the bundle contains: value imports (not `import type`) and side-effect
 * imports (the stylesheet shared with the report, src/report/groundwork.css), followed transitively.
 */
function bundledModulesOutsideApp(appFiles: readonly string[]): string[] {
  const seen = new Set<string>();
  const queue = [...appFiles];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (!/\.tsx?$/.test(file)) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(/^import (?:(?!type )[^;]*?from )?'(\.[^']+)'/gm)) {
      const target = join(dirname(file), match[1]!);
      if (target.startsWith(VIEWER_APP_DIR) || seen.has(target) || !existsSync(target)) continue;
      seen.add(target);
      queue.push(target);
    }
  }
  return [...seen].sort();
}

/**
 * Hash of everything the bundle is built from: the app's files, the modules outside app/ whose
 * values it bundles (type imports are erased), and the versions of the build tools.
 */
export function viewerSourceHash(): string {
  const hash = createHash('sha256');
  const appFiles = filesUnder(VIEWER_APP_DIR);
  for (const file of [...appFiles, ...bundledModulesOutsideApp(appFiles)])
    hash.update(relative(VIEWER_APP_DIR, file)).update('\0').update(readFileSync(file)).update('\0');
  const require = createRequire(import.meta.url);
  for (const name of ['vite', 'preact', '@preact/preset-vite']) {
    try {
      hash.update(`${name}@${(require(`${name}/package.json`) as { version: string }).version}`);
    } catch {
      hash.update(`${name}@?`);
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/** True when `dir` holds a bundle built from the current sources. */
export function isBundleCurrent(dir: string, hash = viewerSourceHash()): boolean {
  try {
    return readFileSync(join(dir, STAMP), 'utf8').trim() === hash && existsSync(join(dir, 'index.html'));
  } catch {
    return false;
  }
}

/** Build the viewer bundle into `outDir` with Vite (replacing what is there). */
export async function buildViewerBundle(outDir: string): Promise<void> {
  const { build } = await import('vite');
  const { default: preact } = await import('@preact/preset-vite');
  await build({
    root: VIEWER_APP_DIR,
    base: '/',
    configFile: false,
    envFile: false,
    publicDir: false,
    logLevel: 'error',
    plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false, prerender: { enabled: false } })],
    build: {
      outDir,
      emptyOutDir: true,
      sourcemap: false,
      // The viewer's CSP allows only same-origin files: no data: URLs, no inline preload script.
      assetsInlineLimit: 0,
      // The stylesheet ships as written (src/report/groundwork.css, which the report inlines too), so
      // a test can check that both front ends carry the same CSS; unminified it is about 14 KB.
      cssMinify: false,
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
    },
  });
}

/** Options of `ensureViewerBundle`. */
export interface EnsureBundleOptions {
  /** Where to keep the bundle. @default DEFAULT_BUNDLE_DIR, or a temp dir when that is not writable */
  dir?: string;
  /** Rebuild even when the bundle is current. @default false */
  force?: boolean;
  /** Called before a build starts (for a progress line). */
  onBuild?: (dir: string) => void;
}

function writable(dir: string): boolean {
  try {
    mkdirSync(dirname(dir), { recursive: true });
    const probe = join(dirname(dir), `.probe-${process.pid}-${randomBytes(3).toString('hex')}`);
    writeFileSync(probe, '');
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An installed package has no app sources to build from: serve the bundle it shipped with. */
function prebuiltBundle(options: EnsureBundleOptions): { dir: string; built: boolean; ms: number } {
  const dir = options.dir ?? DEFAULT_BUNDLE_DIR;
  if (!existsSync(join(dir, 'index.html'))) {
    throw new GroundworkError('INVALID_CONFIG', `no viewer bundle in ${dir} and no app sources in ${VIEWER_APP_DIR} to build one`, {
      hint: 'reinstall the package, or run `npm run build` in a git checkout',
    });
  }
  return { dir, built: false, ms: 0 };
}

/**
 * Make sure a current viewer bundle exists and return its directory. Builds it (a few seconds)
 * when missing or built from other sources, so a fresh clone needs no separate build step.
 * Concurrent callers (parallel test files) take a lock and build once; the bundle appears by an
 * atomic rename, so no reader sees half of it.
 */
export async function ensureViewerBundle(options: EnsureBundleOptions = {}): Promise<{ dir: string; built: boolean; ms: number }> {
  const started = Date.now();
  if (!existsSync(VIEWER_APP_DIR)) return prebuiltBundle(options);
  const hash = viewerSourceHash();
  let dir = options.dir ?? DEFAULT_BUNDLE_DIR;
  if (!options.force && isBundleCurrent(dir, hash)) return { dir, built: false, ms: 0 };
  if (!options.dir && !writable(dir)) dir = join(tmpdir(), `groundwork-viewer-${hash}`);
  if (!options.force && isBundleCurrent(dir, hash)) return { dir, built: false, ms: 0 };
  const lock = `${dir.replace(/\/$/, '')}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else is building: wait for them, or take over a lock left by a crash.
      if (!options.force && isBundleCurrent(dir, hash)) return { dir, built: false, ms: Date.now() - started };
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // the lock went away meanwhile
      }
      await sleep(100);
    }
  }
  try {
    if (!options.force && isBundleCurrent(dir, hash)) return { dir, built: false, ms: Date.now() - started };
    options.onBuild?.(dir);
    const temp = `${dir.replace(/\/$/, '')}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
    try {
      await buildViewerBundle(temp);
      writeFileSync(join(temp, STAMP), `${hash}\n`);
      rmSync(dir, { recursive: true, force: true });
      renameSync(temp, dir);
    } catch (error) {
      rmSync(temp, { recursive: true, force: true });
      throw new GroundworkError('INVALID_CONFIG', `cannot build the viewer bundle: ${(error as Error).message}`, {
        cause: error,
        hint: 'run `npm ci` to install the build tools, then `npm run build:viewer`',
      });
    }
    return { dir, built: true, ms: Date.now() - started };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// `npm run build:viewer`: node --import tsx src/viewer/bundle.ts
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await ensureViewerBundle({ force: process.argv.includes('--force') });
  process.stdout.write(`viewer bundle ${result.built ? `built in ${result.ms} ms` : 'is current'}: ${result.dir}\n`);
}
