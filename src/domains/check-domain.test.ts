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

test('the check catches a broken user side (dual control)', () => {
  const good = createHelpdeskDomain();
  const task = good.tasks({ split: 'test', count: 1 })[0];
  const userTool = {
    name: 'toggle_airplane_mode',
    description: 'Toggle.',
    kind: 'write' as const,
    input: z.object({}),
    execute: () => 'ok',
  };
  const broken = {
    ...good,
    user: { tools: [userTool, { ...good.tools[0] }], tables: ['phone'] },
    functions: { user: { turn_airplane_mode_on: () => true } },
    tasks: () => [
      {
        ...task,
        initialization: [
          { side: 'user' as const, name: 'turn_airplane_mode_on', arguments: {} },
          { side: 'agent' as const, name: 'turn_airplane_mode_on', arguments: {} },
        ],
        user: { ...task.user, actions: [{ name: 'reboot_device', arguments: {} }] },
        oracle: [...task.oracle, { kind: 'ask_user' as const, call: { name: 'toggle_airplane_mode', arguments: {} } }],
      },
    ],
  };
  const problems = checkDomain(broken, { maxTasksPerSplit: 1 }).map((p) => `${p.where}: ${p.problem}`);
  assert.ok(problems.some((p) => p.startsWith(`user tool ${good.tools[0].name}: has the name of an agent tool`)));
  assert.ok(problems.includes("user table phone: is not declared in the domain's tables"));
  assert.ok(problems.some((p) => p.endsWith('initialisation names unknown agent-side function turn_airplane_mode_on')));
  assert.ok(!problems.some((p) => p.endsWith('initialisation names unknown user-side function turn_airplane_mode_on')));
  assert.ok(problems.some((p) => p.endsWith('user action uses unknown user tool reboot_device')));
  assert.ok(!problems.some((p) => p.includes('oracle asks the user')));
});
