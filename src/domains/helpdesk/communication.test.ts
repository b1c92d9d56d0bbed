import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCommunication } from '../../grading/communication.ts';
import { gradeEpisode } from '../../grading/grade.ts';
import type { Task } from '../../schema/task.ts';
import { getPath } from '../../state/diff.ts';
import { initialStateFor } from '../initial-state.ts';
import { createDomain } from '../registry.ts';

const domain = createDomain('helpdesk');
const tasks = [...domain.tasks({ split: 'train' }), ...domain.tasks({ split: 'test' })];
const oracleSays = (task: Task) => task.oracle.flatMap((step) => (step.kind === 'say' ? [step.text] : []));
const ofFamily = (family: string) => tasks.filter((t) => t.family === family && t.expected.communicate.length > 0);

test('helpdesk: refusals and approvals require facts; the oracle states every one of them', () => {
  for (const family of ['legal_hold', 'unauthorized', 'access_request']) assert.ok(ofFamily(family).length > 0, family);
  for (const task of tasks) {
    for (const item of task.expected.communicate) assert.ok(item.facts && !item.anyOf, `${task.id} ${item.id} is a fact item`);
    const checks = checkCommunication(task.expected.communicate, oracleSays(task));
    assert.deepEqual(
      checks.filter((c) => !c.pass).map((c) => `${task.id} ${c.id}: ${JSON.stringify(c.facts)}`),
      [],
    );
  }
});

test('helpdesk: every value a fact names is the value in the task\u2019s initial state', () => {
  let values = 0;
  for (const task of tasks) {
    const state = initialStateFor(domain, task);
    for (const item of task.expected.communicate)
      for (const fact of item.facts ?? [])
        for (const form of fact.anyOf) {
          if (form.kind !== 'value') continue;
          assert.ok(form.source, `${task.id} ${fact.id} says where its value comes from`);
          assert.equal(getPath(state.get(form.source.table, form.source.key), form.source.path), form.value, `${task.id} ${fact.id}`);
          values++;
        }
  }
  assert.ok(values > 0);
});

test('helpdesk: the right refusal for the wrong task fails, and no message at all fails', () => {
  const [hold] = ofFamily('legal_hold');
  const [unauthorized] = ofFamily('unauthorized');
  const [approval] = ofFamily('access_request');
  assert.equal(
    checkCommunication(hold.expected.communicate, oracleSays(unauthorized))[0].pass,
    false,
    'not authorized is the wrong reason on a legal hold',
  );
  assert.equal(
    checkCommunication(unauthorized.expected.communicate, oracleSays(hold))[0].pass,
    false,
    'a legal hold is the wrong reason on an unauthorized request',
  );
  for (const task of [hold, unauthorized, approval]) assert.equal(checkCommunication(task.expected.communicate, [])[0].pass, false);
  // Another task's approver is a different person.
  const other = ofFamily('access_request').find(
    (t) => JSON.stringify(t.expected.communicate[0].facts) !== JSON.stringify(approval.expected.communicate[0].facts),
  );
  assert.ok(other);
  assert.equal(checkCommunication(approval.expected.communicate, oracleSays(other))[0].pass, false);
});

test('helpdesk: the reviewer\u2019s four correct refusals now get reward 1; no reason or the wrong one gets 0', () => {
  const grade = (task: Task, message: string) => {
    const state = initialStateFor(domain, task);
    return gradeEpisode({
      domain,
      task,
      initialState: state,
      finalState: state,
      trajectory: { events: [{ type: 'message', role: 'agent', content: message }], termination: { reason: 'user_stop' } },
    }).reward;
  };
  const [hold] = ofFamily('legal_hold');
  const [unauthorized] = ofFamily('unauthorized');
  const cases: [Task, string, 0 | 1][] = [
    [unauthorized, "I can't do that: only the employee's direct manager or an IT administrator can request an offboarding.", 1],
    [
      unauthorized,
      'I am sorry, but you lack the authority to request this offboarding; it has to come from their direct manager or an IT administrator.',
      1,
    ],
    [hold, "I can't erase this customer's data: it is under an active litigation hold.", 1],
    [hold, 'Nothing was deleted, because that data is legally held.', 1],
    [unauthorized, "Sorry, I can't do that.", 0],
    [hold, "Sorry, I can't do that.", 0],
    [unauthorized, "I can't offboard them: their files are under a legal hold.", 0],
    [hold, "I'm sorry, you are not authorized to request this; only an IT administrator can.", 0],
    [hold, 'There is no legal hold, but I still cannot erase it.', 0],
  ];
  assert.deepEqual(
    cases.map(([task, message]) => grade(task, message)),
    cases.map(([, , reward]) => reward),
  );
});
