// `npm run build`: compile src/ to dist/ (JS + .d.ts), copy the files the code reads at run time,
// and prebuild the viewer bundle so an installed package needs neither tsx nor Vite.
//   node --import tsx scripts/build.ts [--out-dir DIR]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureViewerBundle } from '../src/viewer/bundle.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC = join(ROOT, 'src');

/** Non-TypeScript files under src/ that ship: everything but the viewer's app sources and test fixtures. */
function runtimeAssets(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join(SRC, 'viewer', 'app') ? [] : runtimeAssets(path);
    return /\.tsx?$/.test(entry.name) || entry.name.includes('fixture') ? [] : [path];
  });
}

/** Build into `outDir` (default `dist/`); returns what was written. */
export async function build(outDir = join(ROOT, 'dist')): Promise<{ outDir: string; assets: string[]; viewerBuilt: boolean }> {
  // Keep a current viewer bundle (a Vite build takes seconds); everything else is rebuilt from scratch.
  mkdirSync(outDir, { recursive: true });
  for (const entry of readdirSync(outDir)) if (entry !== 'viewer-app') rmSync(join(outDir, entry), { recursive: true, force: true });
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir],
      { stdio: 'inherit' },
    );
  } catch {
    throw new Error('tsc -p tsconfig.build.json failed (errors above)');
  }
  const assets = runtimeAssets().map((file) => relative(SRC, file));
  for (const asset of assets) {
    mkdirSync(dirname(join(outDir, asset)), { recursive: true });
    cpSync(join(SRC, asset), join(outDir, asset));
  }
  const viewer = await ensureViewerBundle({ dir: join(outDir, 'viewer-app') });
  // bin/groundwork.js runs dist/ only when this stamp is newer than every source file.
  writeFileSync(join(outDir, '.build-stamp'), `${new Date().toISOString()}\n`);
  return { outDir, assets, viewerBuilt: viewer.built };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const flag = process.argv.indexOf('--out-dir');
  const started = Date.now();
  const result = await build(flag > 0 ? resolve(process.argv[flag + 1]!) : undefined).catch((error: Error) => {
    process.stderr.write(`build: error: ${error.message}\n`);
    process.exit(1);
  });
  process.stdout.write(
    `built ${relative(process.cwd(), result.outDir) || '.'} in ${((Date.now() - started) / 1000).toFixed(1)} s (assets: ${result.assets.join(', ') || 'none'}; viewer bundle ${result.viewerBuilt ? 'built' : 'current'})\n`,
  );
}
