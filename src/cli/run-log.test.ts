import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openRunLog } from './run-log.ts';

const dir = mkdtempSync(join(tmpdir(), 'gw-run-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A log left as `before` by an earlier command (a crash), reopened to log one more line. */
function reopened(name: string, before: string | Buffer): string {
  writeFileSync(join(dir, `${name}.log`), before);
  const log = openRunLog(join(dir, 'groundwork.db'), name, { logDir: dir });
  log.logger.info({ episode: 'next' }, 'episode stored');
  log.sync();
  return readFileSync(log.path, 'utf8');
}

const line = (msg: string) => `${JSON.stringify({ level: 30, msg })}\n`;

test('a run log torn by a crash is cut back to its last complete line before the next one is appended', () => {
  const intact = line('run start') + line('episode stored');
  const cases: [string, string | Buffer][] = [
    // Zeros where the file system had grown the file but not written it (ext4 after a power loss).
    ['zeros', Buffer.concat([Buffer.from(intact), Buffer.alloc(5000)])],
    ['partial', `${intact}{"level":30,"msg":"episode st`],
    ['partial-then-zeros', Buffer.concat([Buffer.from(`${intact}{"level":30,"ms`), Buffer.alloc(70 * 1024)])],
    ['all-zeros', Buffer.alloc(3000)],
  ];
  for (const [name, before] of cases) {
    const text = reopened(name, before);
    const lines = text.split('\n').filter(Boolean);
    assert.ok(!text.includes('\0'), name);
    for (const each of lines) JSON.parse(each);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).msg),
      name === 'all-zeros' ? ['episode stored'] : ['run start', 'episode stored', 'episode stored'],
      name,
    );
  }
});

test('an intact run log is appended to as it is', () => {
  const intact = line('run start') + line('episode stored');
  const text = reopened('intact', intact);
  assert.ok(text.startsWith(intact));
  assert.equal(text.split('\n').filter(Boolean).length, 3);
});
