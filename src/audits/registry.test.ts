import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import type { EpisodeAudit } from '../schema/audit.ts';
import { defineAudit, type AnyAudit } from './audit.ts';
import { BUILT_IN_AUDITS, builtInAudits, createAuditRegistry } from './registry.ts';
import { toolErrorAudit } from './tool-error-audit.ts';

const isCode = (code: string) => (error: Error & { code?: string }) => error.code === code;
/** A minimal audit for registry checks. */
const probe = (name: string, field: string, extra: Partial<AnyAudit> = {}): AnyAudit =>
  defineAudit({
    name,
    version: `${name}/1`,
    fields: z.object({ [field]: z.number() }),
    summary: z.number(),
    audit: () => ({ [field]: 1 }),
    summarise: (episodes) => episodes.length,
    display: { title: name, text: name, tables: () => [], charts: [] },
    ...extra,
  });

test('the built-in audits are registered in dependency order, each with a version', () => {
  assert.deepEqual(
    builtInAudits.audits.map((a) => a.name),
    ['calibration', 'claims', 'fidelity', 'goalOutcome', 'faultCauses', 'toolErrors', 'probe'],
  );
  assert.deepEqual(builtInAudits.get('probe').requires, ['claims']);
  assert.match(builtInAudits.versions.toolErrors, /^tool-errors\/\d+$/);
  assert.equal(builtInAudits.chart('tool-errors').audit.name, 'toolErrors');
});

test('unknown names and chart ids are errors, not silence', () => {
  assert.throws(() => builtInAudits.get('nope'), isCode('UNKNOWN_AUDIT'));
  assert.throws(() => builtInAudits.chart('nope'), isCode('UNKNOWN_CHART'));
});

test('a registry refuses duplicate names, shared fields, clashing chart ids and requirements registered later', () => {
  assert.throws(() => createAuditRegistry([...BUILT_IN_AUDITS, probe('claims', 'x')]), /registered twice/);
  assert.throws(() => createAuditRegistry([...BUILT_IN_AUDITS, probe('mine', 'claims')]), /belongs to claims/);
  assert.throws(() => createAuditRegistry([...BUILT_IN_AUDITS, probe('mine', 'reward')]), /record header/);
  assert.throws(() => createAuditRegistry([probe('late', 'x', { requires: ['early'] }), probe('early', 'y')]), isCode('UNKNOWN_AUDIT'));
  const chart = { id: 'reliability', title: 't', description: 'd', spec: () => undefined };
  assert.throws(
    () =>
      createAuditRegistry([
        ...BUILT_IN_AUDITS,
        probe('mine', 'x', { display: { title: 'm', text: 'm', tables: () => [], charts: [chart] } }),
      ]),
    /already used by audit calibration/,
  );
  assert.deepEqual(createAuditRegistry([...BUILT_IN_AUDITS, probe('mine', 'x')]).audits.at(-1)!.name, 'mine');
});

test('tool errors: share of tool calls that erred and episodes with at least one, infra errors left out', () => {
  const record = (termination: string, calls: number, errors: number, byTool: Record<string, number>) =>
    ({ termination, toolErrors: { calls, errors, byTool } }) as unknown as EpisodeAudit & {
      toolErrors: { calls: number; errors: number; byTool: Record<string, number> };
    };
  const summary = toolErrorAudit.summarise(
    [
      record('user_stop', 10, 2, { cancel: 1, refund: 1 }),
      record('agent_stop', 6, 1, { refund: 1 }),
      record('user_stop', 4, 0, {}),
      record('infra_error', 5, 5, { cancel: 5 }),
    ],
    { examples: 5 },
  );
  assert.deepEqual(summary, {
    episodes: 3,
    calls: 20,
    errors: 3,
    errorRate: 0.15,
    episodesWithError: 2,
    episodeShare: 2 / 3,
    worstTool: 'refund',
  });
  assert.deepEqual(toolErrorAudit.summarise([], { examples: 5 }), {
    episodes: 0,
    calls: 0,
    errors: 0,
    errorRate: null,
    episodesWithError: 0,
    episodeShare: null,
    worstTool: null,
  });
});
