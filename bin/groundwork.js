#!/usr/bin/env -S node --max-semi-space-size=64
// --max-semi-space-size=64: a larger young generation halves garbage-collection time when hundreds of
// episodes are in flight (bench/model-latency.ts: GC 13% -> 6% of wall time at 256), same peak memory.
// Runs the compiled CLI in dist/ (what the package ships). In a git checkout with no build, or a
// build older than some source file, it runs the TypeScript sources through tsx instead, so an
// edited tree never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
const sources = new URL('../src/', import.meta.url);

/** Newest modification time under `dir` (a few ms for the whole src/ tree). */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function compiledIsCurrent() {
  if (!existsSync(compiled)) return false;
  if (!existsSync(sources)) return true; // an installed package: dist/ is all there is
  const stamp = new URL('../dist/.build-stamp', import.meta.url);
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newestMtime(sources.pathname.replace(/\/$/, ''));
}

let main;
if (compiledIsCurrent()) {
  ({ main } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
