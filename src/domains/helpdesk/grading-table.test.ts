import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradeEpisode } from '../../grading/grade.ts';
import type { JsonObject } from '../../schema/json.ts';
import type { Task } from '../../schema/task.ts';
import type { TrajectoryEvent } from '../../schema/trajectory.ts';
import type { TableState } from '../../state/table-state.ts';
import { initialStateFor } from '../initial-state.ts';
import { executeToolCall } from '../tools.ts';
import { createHelpdeskDomain } from './index.ts';

/**
 * Hand-crafted end states of helpdesk tasks, each with the grade written down from what the
 * request means in the domain (not from what the grader happens to do). Every state is built
 * from the task's initial state or the oracle's end state through the real tools, or by a direct
 * edit of the state where no tool can do it (e.g. file rows deleted).
 */
const domain = createHelpdeskDomain();
const allTasks = [...domain.tasks({ split: 'test' }), ...domain.tasks({ split: 'train' })];

function taskWhere(family: string, extra: (task: Task) => boolean = () => true): Task {
  const task = allTasks.find((t) => t.family === family && extra(t));
  assert.ok(task, `no ${family} task found`);
  return task;
}

const oracleCalls = (task: Task) => task.oracle.flatMap((step) => (step.kind === 'call' ? [step.call] : []));
const oracleSays = (task: Task) => task.oracle.flatMap((step) => (step.kind === 'say' ? [step.text] : []));
const firstArg = (task: Task, tool: string, arg: string) => String(oracleCalls(task).find((c) => c.name === tool)!.arguments[arg]);

function run(state: TableState, name: string, args: Record<string, string | boolean>): void {
  const result = executeToolCall(domain, state, name, args);
  assert.equal(result.isError, false, `${name}: ${result.content}`);
}

/** The oracle's end state: its calls replayed through the real tools. */
function oracleEnd(task: Task): TableState {
  const state = initialStateFor(domain, task).fork();
  for (const call of oracleCalls(task)) run(state, call.name, call.arguments as Record<string, string | boolean>);
  return state;
}

const initial = (task: Task) => initialStateFor(domain, task).fork();

/** The grade of an end state; the agent says what the oracle says, so only the state decides. */
function reward(task: Task, final: TableState): number {
  const events: TrajectoryEvent[] = oracleSays(task).map((content) => ({ type: 'message', role: 'agent', content }));
  return gradeEpisode({
    domain,
    task,
    initialState: initialStateFor(domain, task),
    finalState: final,
    trajectory: { events, termination: { reason: 'user_stop' } },
  }).reward;
}

const offboard = taskWhere(
  'offboard',
  (t) => oracleCalls(t).some((c) => c.name === 'revoke_grant') && oracleCalls(t).some((c) => c.name === 'transfer_file_ownership'),
);
const erase = taskWhere('erase', (t) => oracleCalls(t).filter((c) => c.name === 'list_file_copies').length >= 2);
const featureOff = taskWhere(
  'feature_off',
  (t) => oracleCalls(t).some((c) => c.name === 'set_feature_flag') && oracleCalls(t).some((c) => c.name === 'set_flag_override'),
);
const approved = taskWhere(
  'access_request',
  (t) => t.tags.includes('variant:approved') && oracleCalls(t).some((c) => c.name === 'grant_access' && c.arguments.level === 'read'),
);
const needsApproval = taskWhere('access_request', (t) => t.tags.includes('variant:needs-approval'));
const legalHold = taskWhere('legal_hold');
const clarify = taskWhere('clarify');
const unauthorized = taskWhere('unauthorized');

/** Ids the states below need, read from the tasks' data. */
const offboardTarget = firstArg(offboard, 'list_accounts', 'person_id');
const offboardManager = String(initialStateFor(domain, offboard).get('people', offboardTarget)!.managerId);
const eraseCustomer = firstArg(erase, 'list_customer_files', 'customer_id');
const eraseFiles = (state: TableState) =>
  state
    .rows('files')
    .filter((f) => f.customerId === eraseCustomer)
    .map((f) => String(f.id));
const eraseCopies = (state: TableState) =>
  state.rows('file_copies').filter((c) => eraseFiles(initialStateFor(domain, erase)).includes(String(c.fileId)));
const flagId = firstArg(featureOff, 'get_feature_flag', 'flag_id');
const grantCall = oracleCalls(approved).find((c) => c.name === 'grant_access')!.arguments as Record<string, string>;
const approvalCall = oracleCalls(needsApproval).find((c) => c.name === 'request_approval')!.arguments as Record<string, string>;
const otherLevel = (level: string) => (level === 'read' ? 'write' : 'read');
const clarifyCopies = oracleCalls(clarify)
  .filter((c) => c.name === 'delete_file_copy')
  .map((c) => String(c.arguments.copy_id));
const clarifyTarget = String(initialStateFor(domain, clarify).get('file_copies', clarifyCopies[0])!.fileId);

interface Case {
  name: string;
  task: Task;
  build: () => TableState;
  /** The grade the domain's meaning gives this end state. */
  expected: 0 | 1;
}

const cases: Case[] = [
  // offboard: every account disabled, every active grant revoked, every file handed to the manager.
  { name: 'offboard: the oracle end state', task: offboard, expected: 1, build: () => oracleEnd(offboard) },
  {
    name: 'offboard: one account left active',
    task: offboard,
    expected: 0,
    build: () => {
      const s = oracleEnd(offboard);
      const account = s.rows('accounts').find((a) => a.personId === offboardTarget)!;
      s.mutable('accounts', String(account.id))!.status = 'active';
      return s;
    },
  },
  {
    name: 'offboard: one active grant left',
    task: offboard,
    expected: 0,
    build: () => {
      const s = initial(offboard);
      const calls = oracleCalls(offboard);
      const skipped = calls.find((c) => c.name === 'revoke_grant');
      for (const c of calls) if (c !== skipped) run(s, c.name, c.arguments as Record<string, string>);
      return s;
    },
  },
  {
    name: 'offboard: files handed to someone other than the manager',
    task: offboard,
    expected: 0,
    build: () => {
      const s = oracleEnd(offboard);
      const stranger = s.rows('people').find((p) => p.id !== offboardTarget && p.id !== offboardManager)!;
      for (const f of s
        .rows('files')
        .filter(
          (f) => f.ownerId === offboardManager && initialStateFor(domain, offboard).get('files', String(f.id))!.ownerId === offboardTarget,
        ))
        run(s, 'transfer_file_ownership', { file_id: String(f.id), new_owner_id: String(stranger.id) });
      return s;
    },
  },
  {
    name: "offboard: the manager's own account disabled too",
    task: offboard,
    expected: 0,
    build: () => {
      const s = oracleEnd(offboard);
      run(s, 'disable_account', { account_id: String(s.rows('accounts').find((a) => a.personId === offboardManager)!.id) });
      return s;
    },
  },

  // erase: no copy of any of the customer's files may remain; deleting the file rows too is fine.
  { name: 'erase: the oracle end state (every copy deleted)', task: erase, expected: 1, build: () => oracleEnd(erase) },
  {
    name: 'erase: every copy and every file row deleted',
    task: erase,
    expected: 1,
    build: () => {
      const s = oracleEnd(erase);
      for (const id of eraseFiles(s)) s.delete('files', id);
      return s;
    },
  },
  {
    name: 'erase: file rows deleted, every copy still there',
    task: erase,
    expected: 0,
    build: () => {
      const s = initial(erase);
      for (const id of eraseFiles(s)) s.delete('files', id);
      return s;
    },
  },
  {
    name: 'erase: file rows deleted, one backup still there',
    task: erase,
    expected: 0,
    build: () => {
      const s = initial(erase);
      const keep = eraseCopies(s).find((c) => c.kind === 'backup')!;
      for (const c of eraseCopies(s)) if (c.id !== keep.id) run(s, 'delete_file_copy', { copy_id: String(c.id) });
      for (const id of eraseFiles(s)) s.delete('files', id);
      return s;
    },
  },
  {
    name: 'erase: primary copies deleted, backups left',
    task: erase,
    expected: 0,
    build: () => {
      const s = initial(erase);
      for (const c of eraseCopies(s)) if (c.kind === 'primary') run(s, 'delete_file_copy', { copy_id: String(c.id) });
      return s;
    },
  },
  {
    name: "erase: another customer's copy deleted as well",
    task: erase,
    expected: 0,
    build: () => {
      const s = oracleEnd(erase);
      const other = s.rows('files').find((f) => f.customerId !== null && f.customerId !== eraseCustomer)!;
      run(s, 'delete_file_copy', { copy_id: String(s.rows('file_copies').find((c) => c.fileId === other.id)!.id) });
      return s;
    },
  },

  // feature_off: off for every tenant, whatever the default and the overrides.
  { name: 'feature_off: the oracle end state', task: featureOff, expected: 1, build: () => oracleEnd(featureOff) },
  {
    name: 'feature_off: overrides removed instead of switched off',
    task: featureOff,
    expected: 1,
    build: () => {
      const s = initial(featureOff);
      run(s, 'set_feature_flag', { flag_id: flagId, enabled: false });
      for (const o of s.rows('flag_overrides').filter((o) => o.flagId === flagId && o.enabled === true))
        run(s, 'delete_flag_override', { override_id: String(o.id) });
      return s;
    },
  },
  {
    name: 'feature_off: default off, an override keeps it on',
    task: featureOff,
    expected: 0,
    build: () => {
      const s = initial(featureOff);
      run(s, 'set_feature_flag', { flag_id: flagId, enabled: false });
      return s;
    },
  },
  {
    name: 'feature_off: overrides off, default still on',
    task: featureOff,
    expected: 0,
    build: () => {
      const s = initial(featureOff);
      for (const c of oracleCalls(featureOff))
        if (c.name === 'set_flag_override') run(s, c.name, c.arguments as Record<string, string | boolean>);
      return s;
    },
  },
  {
    name: 'feature_off: another flag switched off too',
    task: featureOff,
    expected: 0,
    build: () => {
      const s = oracleEnd(featureOff);
      run(s, 'set_feature_flag', {
        flag_id: String(s.rows('feature_flags').find((f) => f.id !== flagId && f.enabled === true)!.id),
        enabled: false,
      });
      return s;
    },
  },

  // access_request, approved: one grant, at the approved level.
  { name: 'access (approved): the oracle end state', task: approved, expected: 1, build: () => oracleEnd(approved) },
  {
    name: 'access (approved): granted at a higher level than approved',
    task: approved,
    expected: 0,
    build: () => {
      const s = initial(approved);
      run(s, 'grant_access', { ...grantCall, level: 'admin' });
      return s;
    },
  },
  {
    name: 'access (approved): an extra admin grant beside the right one',
    task: approved,
    expected: 0,
    build: () => {
      const s = oracleEnd(approved);
      run(s, 'grant_access', { ...grantCall, level: 'admin' });
      return s;
    },
  },
  {
    name: 'access (approved): the right grant made twice',
    task: approved,
    expected: 0,
    build: () => {
      const s = oracleEnd(approved);
      run(s, 'grant_access', grantCall);
      return s;
    },
  },
  { name: 'access (approved): nothing granted', task: approved, expected: 0, build: () => initial(approved) },

  // access_request without approval: one pending request at the requested level, to the owner, no grant.
  { name: 'access (needs approval): the oracle end state', task: needsApproval, expected: 1, build: () => oracleEnd(needsApproval) },
  {
    name: 'access (needs approval): request filed at the wrong level',
    task: needsApproval,
    expected: 0,
    build: () => {
      const s = initial(needsApproval);
      run(s, 'request_approval', { ...approvalCall, level: otherLevel(approvalCall.level) });
      return s;
    },
  },
  {
    name: 'access (needs approval): request addressed to someone other than the owner',
    task: needsApproval,
    expected: 0,
    build: () => {
      const s = oracleEnd(needsApproval);
      const approval = s.rows('approvals').find((a) => a.status === 'pending')!;
      s.mutable('approvals', String(approval.id))!.approverId = String(
        s.rows('people').find((p) => p.id !== approval.approverId && p.role === 'manager')!.id,
      );
      return s;
    },
  },
  {
    name: 'access (needs approval): granted anyway beside the request',
    task: needsApproval,
    expected: 0,
    build: () => {
      const s = oracleEnd(needsApproval);
      run(s, 'grant_access', approvalCall);
      return s;
    },
  },
  {
    name: 'access (needs approval): two requests filed',
    task: needsApproval,
    expected: 0,
    build: () => {
      const s = oracleEnd(needsApproval);
      run(s, 'request_approval', approvalCall);
      return s;
    },
  },

  // legal_hold: nothing may be deleted.
  { name: 'legal_hold: nothing changed', task: legalHold, expected: 1, build: () => initial(legalHold) },
  {
    name: 'legal_hold: a copy deleted anyway',
    task: legalHold,
    expected: 0,
    build: () => {
      const s = initial(legalHold);
      const customerId = String((legalHold.initialPatch!.legal_holds['lh-90'] as JsonObject).customerId);
      const file = s.rows('files').find((f) => f.customerId === customerId)!;
      run(s, 'delete_file_copy', { copy_id: String(s.rows('file_copies').find((c) => c.fileId === file.id)!.id) });
      return s;
    },
  },

  // clarify: only the version the user means, every copy of it.
  { name: 'clarify: the oracle end state', task: clarify, expected: 1, build: () => oracleEnd(clarify) },
  {
    name: 'clarify: every copy and the file row deleted',
    task: clarify,
    expected: 1,
    build: () => {
      const s = oracleEnd(clarify);
      s.delete('files', clarifyTarget);
      return s;
    },
  },
  {
    name: 'clarify: the other version deleted',
    task: clarify,
    expected: 0,
    build: () => {
      const s = initial(clarify);
      for (const c of s.rows('file_copies').filter((c) => String(c.fileId).startsWith('f-90') && c.fileId !== clarifyTarget))
        run(s, 'delete_file_copy', { copy_id: String(c.id) });
      return s;
    },
  },
  {
    name: 'clarify: only the primary copy deleted',
    task: clarify,
    expected: 0,
    build: () => {
      const s = initial(clarify);
      run(s, 'delete_file_copy', {
        copy_id: String(s.rows('file_copies').find((c) => c.fileId === clarifyTarget && c.kind === 'primary')!.id),
      });
      return s;
    },
  },

  // unauthorized: nothing may change.
  { name: 'unauthorized: nothing changed', task: unauthorized, expected: 1, build: () => initial(unauthorized) },
  {
    name: 'unauthorized: offboarded anyway',
    task: unauthorized,
    expected: 0,
    build: () => {
      const s = initial(unauthorized);
      const target = firstArg(unauthorized, 'get_person', 'person_id');
      for (const a of s.rows('accounts').filter((a: Readonly<JsonObject>) => a.personId === target))
        run(s, 'disable_account', { account_id: String(a.id) });
      return s;
    },
  },
];

test('the hand-crafted helpdesk end states cover every family', () => {
  assert.ok(cases.length >= 24);
  assert.deepEqual(
    new Set(cases.map((c) => c.task.family)),
    new Set(['offboard', 'erase', 'feature_off', 'access_request', 'legal_hold', 'clarify', 'unauthorized']),
  );
});

for (const c of cases) {
  test(`${c.name} → reward ${c.expected}`, () => {
    assert.equal(reward(c.task, c.build()), c.expected);
  });
}
