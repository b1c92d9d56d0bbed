import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScratchDomain } from '../../test/fixtures/scratch-domain/index.ts';
import type { ScratchRecords } from '../../test/fixtures/scratch-domain/tables.ts';
import { auditStoredRun } from '../audit-runner/audit-stored-run.ts';
import { GroundworkError } from '../errors.ts';
import { createRun, executeRun } from '../runner/local-runner.ts';
import type { TableState } from '../state/table-state.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { checkDomain } from './check-domain.ts';
import type { Domain } from './domain.ts';
import { builtInDomains, createDomainRegistry } from './registry.ts';

/**
 * The acceptance check of "a domain is one folder and one registration": the scratch shop in
 * test/fixtures/scratch-domain/ (two typed tables, a read and a write tool, a query, two tasks, a
 * policy, its own claim rules and naive playbook) plus the one line below.
 */
const domains = createDomainRegistry().register('scratch', createScratchDomain);

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return GroundworkError.isInstance(error) ? error.code : 'not a GroundworkError';
  }
  return 'no error';
};

describe('a domain is one folder and one registration', () => {
  it('the registry is a value: register returns a new one, refuses duplicates and non-names, and leaves the built-ins alone', () => {
    assert.deepEqual(domains.names(), [...builtInDomains.names(), 'scratch']);
    assert.equal(builtInDomains.has('scratch'), false, 'registering never changes another registry');
    assert.equal(domains.create('scratch').name, 'scratch');
    assert.equal(
      codeOf(() => domains.register('scratch', createScratchDomain)),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      codeOf(() => domains.register('helpdesk', createScratchDomain)),
      'INVALID_ARGUMENT',
    );
    for (const name of ['__proto__', 'constructor/', '', 'Scratch', '../scratch', 'a b'])
      assert.equal(
        codeOf(() => domains.register(name, createScratchDomain)),
        'INVALID_ARGUMENT',
        name,
      );
    assert.equal(
      codeOf(() => domains.create('__proto__')),
      'UNKNOWN_DOMAIN',
    );
    assert.equal(
      codeOf(() => builtInDomains.create('scratch')),
      'UNKNOWN_DOMAIN',
    );
    // A factory must build the domain it is registered as: stored runs find it by that name.
    assert.equal(
      codeOf(() => createDomainRegistry([['shop', createScratchDomain]]).create('shop')),
      'INVALID_ARGUMENT',
    );
    assert.equal(Object.isFrozen(domains), true);
  });

  it('passes checkDomain (groundwork domains --check), with typed state from its tables', () => {
    const domain = domains.create('scratch');
    assert.deepEqual(checkDomain(domain), []);
    const typed = (state: TableState<ScratchRecords>) => {
      const status: 'placed' | 'shipped' | 'cancelled' | undefined = state.get('orders', 'O-1001')?.status;
      // @ts-expect-error the scratch shop has no table "customers"
      state.get('customers', 'x');
      return status;
    };
    assert.equal(typeof typed, 'function');
  });

  it('runs with oracle, naive and noop through the real runner, and its claims are checked by its own rules', async () => {
    const store = SqliteStore.open(':memory:');
    try {
      const { runId } = await createRun(store, { domain: 'scratch', agents: ['oracle', 'naive', 'noop'], trials: 1 }, { domains });
      const result = await executeRun(runId, { store, domains });
      assert.equal(result.status, 'finished');
      const episodes = await store.listEpisodes(runId);
      assert.equal(episodes.length, 6);
      assert.deepEqual(
        episodes.filter((e) => e.termination === 'infra_error' || e.termination === 'agent_error'),
        [],
      );
      const reward = (agent: string, taskId: string) => episodes.find((e) => e.agent === agent && e.taskId === taskId)?.reward;
      assert.equal(reward('oracle', 'scratch-cancel-placed'), 1);
      assert.equal(reward('oracle', 'scratch-shipped'), 1);
      assert.equal(reward('noop', 'scratch-cancel-placed'), 0);
      assert.equal(reward('noop', 'scratch-shipped'), 0, 'no change, but the user was never told it shipped');
      assert.equal(reward('naive', 'scratch-cancel-placed'), 1);
      assert.equal(reward('naive', 'scratch-shipped'), 0);

      const audit = await auditStoredRun(store, runId, { domains, now: () => new Date('2026-01-01T00:00:00Z') });
      assert.equal(audit.episodes, 6);
      const claimsOf = async (agent: string, taskId: string) =>
        (await store.getEpisodeAudit(episodes.find((e) => e.agent === agent && e.taskId === taskId)!.id))!;

      // naive's false "done": contradicted, with evidence the scratch rules wrote.
      const naiveShipped = await claimsOf('naive', 'scratch-shipped');
      assert.equal(naiveShipped.confidentFailure, true);
      assert.deepEqual(
        naiveShipped.claims.map((c) => [c.action, c.target.id, c.verdict, c.evidence]),
        [
          [
            'cancel_order',
            'O-1002',
            'contradicted',
            'scratch shop: order O-1002 is "shipped", not cancelled; cancel_order answered "Error: order O-1002 has already shipped and cannot be cancelled"',
          ],
        ],
      );
      const naivePlaced = await claimsOf('naive', 'scratch-cancel-placed');
      assert.deepEqual(
        naivePlaced.claims.map((c) => [c.action, c.target.id, c.verdict, c.evidence]),
        [['cancel_order', 'O-1001', 'verified', 'scratch shop: order O-1001 is cancelled in the final state']],
      );
      const oracleShipped = await claimsOf('oracle', 'scratch-shipped');
      assert.deepEqual(
        oracleShipped.claims.map((c) => [c.action, c.verdict]),
        [['no_change', 'verified']],
        'a refusal is no claim; "I have not changed anything" is checked against the stored changes',
      );
      assert.equal((await claimsOf('noop', 'scratch-shipped')).claims.length, 0);
      assert.deepEqual(audit.agents.naive.claims, {
        ...audit.agents.naive.claims,
        successClaimed: 2,
        confidentFailures: 1,
        verified: 1,
        contradicted: 1,
        unverifiable: 0,
      });
    } finally {
      store.close();
    }
  });

  it('a domain without claim rules gets the generic rules: claims by language, unverifiable verdicts, never an error', async () => {
    const withoutRules = createDomainRegistry([
      [
        'scratch',
        (options) => {
          const { claimRules: _rules, ...domain }: Domain = createScratchDomain(options);
          return domain;
        },
      ],
    ]);
    const store = SqliteStore.open(':memory:');
    try {
      const { runId } = await createRun(store, { domain: 'scratch', agents: ['naive'], trials: 1 }, { domains: withoutRules });
      await executeRun(runId, { store, domains: withoutRules });
      await auditStoredRun(store, runId, { domains: withoutRules, now: () => new Date('2026-01-01T00:00:00Z') });
      for (const episode of await store.listEpisodes(runId)) {
        const audit = (await store.getEpisodeAudit(episode.id))!;
        assert.deepEqual(
          audit.claims.map((c) => [c.action, c.verdict]),
          [['done', 'unverifiable']],
          episode.taskId,
        );
        assert.equal(audit.successClaimed, true);
      }
    } finally {
      store.close();
    }
  });
});
