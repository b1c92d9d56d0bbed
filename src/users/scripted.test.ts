import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHelpdeskDomain } from '../domains/helpdesk/index.ts';
import type { TrajectoryEvent } from '../schema/trajectory.ts';
import { classifyAgentMessage, createScriptedUser } from './scripted.ts';

const domain = createHelpdeskDomain();
const tasks = domain.tasks({ split: 'test' });
const agent = (content: string): TrajectoryEvent => ({ type: 'message', role: 'agent', content });
const user = (content: string): TrajectoryEvent => ({ type: 'message', role: 'user', content });

async function replies(taskIndex: number, seed: number, agentMessages: string[]): Promise<string[]> {
  const session = createScriptedUser().start({ task: tasks[taskIndex], seed, trial: 0 });
  const events: TrajectoryEvent[] = [];
  const out: string[] = [];
  const first = await session.next(events);
  events.push(user(first.content));
  out.push(first.content);
  for (const message of agentMessages) {
    events.push(agent(message));
    const reply = await session.next(events);
    events.push(user(reply.content));
    out.push(reply.content);
  }
  return out;
}

const script = [
  'Hello! What is your work email address?',
  'What is your employee id?',
  'Which one do you mean?',
  'I will do X. Shall I proceed?',
  'Done: everything has been deleted.',
];

test('same seed, same words; the seed changes the phrasing', async () => {
  assert.deepEqual(await replies(5, 11, script), await replies(5, 11, script));
  const variants = new Set<string>();
  for (let seed = 0; seed < 20; seed++) variants.add((await replies(5, seed, script)).join('|'));
  assert.ok(variants.size > 1);
});

test('answers known facts, refuses to invent unknown ones, answers which-one, confirms, stops when done', async () => {
  const clarify = tasks.findIndex((t) => t.family === 'clarify');
  const task = tasks[clarify];
  const [opening, email, unknown, which, yes, done] = await replies(clarify, 1, script);
  assert.ok(task.user.openings.includes(opening));
  assert.match(email, new RegExp(task.user.known.find((f) => f.id === 'email')!.value.replace('.', '\\.')));
  assert.match(unknown, /don't/i);
  assert.equal(which, task.user.clarification);
  assert.match(yes, /^Yes/);
  assert.match(done, /###STOP###$/);
});

test('a refusal or a legal hold explanation ends the conversation', async () => {
  const [, reply] = await replies(0, 1, ["I can't erase that data: it is under a legal hold."]);
  assert.match(reply, /###STOP###/);
});

test('only questions are searched for what is asked', () => {
  // "email" appears in a statement, the question is a confirmation.
  assert.equal(classifyAgentMessage('I will disable the sso and email accounts. Shall I proceed?', false, ['email'], []), 'confirm');
  assert.equal(classifyAgentMessage('What is your email?', false, ['email'], []), 'ask_fact');
  assert.equal(classifyAgentMessage('Which one should I delete?', true, [], []), 'clarify');
  assert.equal(classifyAgentMessage('Which one should I delete?', false, [], []), 'other');
  assert.equal(classifyAgentMessage('The feature is now off.', false, [], []), 'done');
});

test('gives up after its patience runs out', async () => {
  const out = await replies(0, 1, ['Hmm.', 'Let me see.', 'Interesting.', 'Okay.']);
  assert.doesNotMatch(out[3], /###STOP###/);
  assert.match(out[4], /###STOP###/);
});
