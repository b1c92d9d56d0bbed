// One stylesheet for both front ends: the HTML report inlines src/report/groundwork.css and the
// viewer bundles the same file. These tests read what each front end actually ships (the report's
// <style>, the Vite bundle's CSS) and compare it with that file, so a second stylesheet or an
// inlined copy that drifts fails here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureViewerBundle } from '../../src/viewer/bundle.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/groundwork.js');
const SHEET = join(ROOT, 'src/report/groundwork.css');
const dir = mkdtempSync(join(tmpdir(), 'gw-stylesheet-'));
const db = join(dir, 'groundwork.db');

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

let sheet: string;
let reportHtml: string;
let viewerHtml: string;
let viewerCss: string;

before(async () => {
  sheet = readFileSync(SHEET, 'utf8');
  const runId = JSON.parse(cli(['run', '--json', '--db', db])).runId;
  const report = JSON.parse(cli(['report', runId, '-o', join(dir, 'report.html'), '--json', '--db', db]));
  reportHtml = readFileSync(report.path, 'utf8');
  // The bundle the viewer serves, rebuilt when any of its sources (the shared stylesheet included) changed.
  const bundle = await ensureViewerBundle();
  viewerHtml = readFileSync(join(bundle.dir, 'index.html'), 'utf8');
  const links = [...viewerHtml.matchAll(/<link rel="stylesheet"[^>]*href="\/([^"]+\.css)"/g)].map((m) => m[1]!);
  assert.equal(links.length, 1, `the viewer loads one stylesheet, not ${links.length}`);
  viewerCss = readFileSync(join(bundle.dir, links[0]!), 'utf8');
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the only stylesheet of the report and the viewer is src/report/groundwork.css', () => {
  const cssUnder = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? cssUnder(join(folder, entry.name))
        : entry.name.endsWith('.css')
          ? [relative(ROOT, join(folder, entry.name))]
          : [],
    );
  assert.deepEqual([...cssUnder(join(ROOT, 'src/report')), ...cssUnder(join(ROOT, 'src/viewer'))], ['src/report/groundwork.css']);
  assert.match(readFileSync(join(ROOT, 'src/viewer/app/main.tsx'), 'utf8'), /^import '\.\.\/\.\.\/report\/groundwork\.css';$/m);
});

test('the report inlines the stylesheet file unchanged, allowed by its hash, under body.gw-report', () => {
  const styles = [...reportHtml.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
  assert.equal(styles.length, 1, 'one <style> element');
  assert.equal(styles[0], sheet, 'the inlined CSS is the file, byte for byte');
  const hash = createHash('sha256').update(sheet).digest('base64');
  assert.ok(reportHtml.includes(`style-src 'sha256-${hash}'`), 'the CSP allows exactly this stylesheet');
  assert.match(reportHtml, /<body class="gw-report">/);
  assert.match(viewerHtml, /<body class="gw-viewer">/);
  // Each root class has its layout rules in the file (neither front end is left unstyled).
  for (const root of ['.gw-report', '.gw-viewer']) assert.ok(sheet.includes(`${root} main {`), `${root} main`);
});

test('the viewer bundle carries the stylesheet file unchanged', () => {
  // The bundle is not minified (src/viewer/bundle.ts), so the comparison is exact; a second stylesheet
  // imported by the app, or an edit to a copy, makes the bundled CSS differ from the file.
  assert.ok(sheet.length > 1000 && viewerCss.length > 1000);
  assert.equal(viewerCss, sheet, "the viewer's bundled CSS is not src/report/groundwork.css");
});
