import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { z } from 'zod';
import { checkDomain } from './check-domain.ts';
import { createHelpdeskDomain } from './helpdesk/index.ts';
import { createDomain, domainNames } from './registry.ts';
import { benchmarksDir } from './tau-bench/index.ts';

test('every registered domain passes the conformance check', () => {
  for (const name of domainNames()) {
    if (name !== 'helpdesk' && !existsSync(benchmarksDir())) continue;
    assert.deepEqual(checkDomain(createDomain(name), { maxTasksPerSplit: 60 }), [], name);
  }
});

test('the check catches broken domains', () => {
  const good = createHelpdeskDomain();
  const broken = {
    ...good,
    policy: ' ',
    tools: [
      ...good.tools,
      { ...good.tools[0] },
      { name: 'bad name!', description: '', kind: 'read' as const, input: z.object({}), execute: () => 'x' },
    ],
    queries: {},
    base: () => ({ tables: { t: {} }, hash: 'h' }),
  };
  const problems = checkDomain(broken, { maxTasksPerSplit: 7 }).map((p) => `${p.where}: ${p.problem}`);
  assert.ok(problems.includes('domain: has an empty policy'));
  assert.ok(problems.some((p) => p.startsWith('tool find_person: defined twice')));
  assert.ok(problems.some((p) => p.startsWith('tool bad name!: name must match')));
  assert.ok(problems.some((p) => p.includes('table t: base table is not frozen')));
  assert.ok(problems.some((p) => /expects unknown query customerDataReachable/.test(p)));
});
