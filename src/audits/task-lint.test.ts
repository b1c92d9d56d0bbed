import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDomain } from '../domains/registry.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import type { Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import { attributeFault } from './fault-attribution.ts';
import { lintTasksStatic } from './task-lint.ts';

const domain = createDomain('helpdesk');
const tasks = domain.tasks({ split: 'test' });
const lint = (list: Task[]) => lintTasksStatic(domain, list, (t) => initialStateFor(domain, t));

describe('static task lint', () => {
  it('finds nothing in the generated train and test splits', () => {
    assert.deepEqual(lint(tasks), []);
    assert.deepEqual(lint(domain.tasks({ split: 'train' })), []);
  });

  it('flags a gold action on a missing entity, a known fact the data lacks, and wrong no-change marks', () => {
    const offboard = structuredClone(tasks.find((t) => t.family === 'offboard')!);
    const at = offboard.oracle.findIndex((s) => s.kind === 'call' && s.call.name === 'disable_account');
    offboard.oracle[at] = { kind: 'call', call: { name: 'disable_account', arguments: { account_id: 'acct-9999' } } };
    offboard.user.known = offboard.user.known.map((f) => (f.id === 'email' ? { ...f, value: 'nobody@nowhere.example' } : f));
    const legal = { ...structuredClone(tasks.find((t) => t.family === 'legal_hold')!), noChange: false };
    const erase = { ...structuredClone(tasks.find((t) => t.family === 'erase')!), noChange: true };
    const kinds = lint([offboard, legal, erase]).map((p) => `${p.taskId}:${p.kind}`);
    assert.deepEqual(
      kinds.sort(),
      [
        `${offboard.id}:fact_not_in_data`,
        `${offboard.id}:gold_action_fails`,
        `${legal.id}:no_change_unmarked`,
        `${erase.id}:no_change_mismatch`,
      ].sort(),
    );
  });
});

describe('fault attribution', () => {
  const failed: Pick<Outcome, 'state' | 'collateral' | 'communication' | 'note'> = {
    state: { pass: false, predicates: [{ predicate: { kind: 'absent', table: 'x', key: 'k', description: 'k removed' }, pass: false }] },
    collateral: { pass: true, changes: [] },
    communication: { pass: true, items: [] },
  };
  const base = { reward: 0, termination: 'user_stop', outcome: failed, claims: [], simulatorFaults: [], taskProblems: [] };
  const fault = { kind: 'premature_stop' as const, turn: 1, eventIndex: 2, text: 'bye', evidence: 'stopped early' };
  const problem = { taskId: 't', kind: 'oracle_fails', detail: 'the oracle fails' };

  it('one primary cause, by precedence: infrastructure, task, user simulator, agent', () => {
    assert.equal(attributeFault({ ...base, reward: 1 }), undefined);
    assert.equal(
      attributeFault({ ...base, termination: 'infra_error', taskProblems: [problem], simulatorFaults: [fault] })?.cause,
      'infrastructure',
    );
    assert.equal(attributeFault({ ...base, taskProblems: [problem], simulatorFaults: [fault] })?.cause, 'task');
    assert.equal(
      attributeFault({ ...base, taskProblems: [{ ...problem, kind: 'gold_read_fails' }], simulatorFaults: [fault] })?.cause,
      'user_simulator',
    );
    const agent = attributeFault(base)!;
    assert.equal(agent.cause, 'agent');
    assert.match(agent.evidence, /required not met: k removed/);
  });
});
