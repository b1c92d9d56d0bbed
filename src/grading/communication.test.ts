import assert from 'node:assert/strict';
import { test } from 'node:test';
import { communicationItemSchema, type CommunicationItem, type FactForm } from '../schema/task.ts';
import { checkCommunication, phraseOccurs } from './communication.ts';
import { FactText, parsePattern, tokenize } from './fact-text.ts';

// The items the helpdesk generator writes (names as they would come from the state).
const legalHold: CommunicationItem = communicationItemSchema.parse({
  id: 'legal_hold',
  facts: [{ id: 'hold', anyOf: [{ kind: 'concept', concept: 'legal_hold' }] }],
});
const notAuthorized: CommunicationItem = communicationItemSchema.parse({
  id: 'not_authorized',
  facts: [
    { id: 'lacks_authority', anyOf: [{ kind: 'concept', concept: 'lacks_authority' }] },
    {
      id: 'who_may_request',
      anyOf: [
        { kind: 'value', type: 'name', value: 'Dana Smith', source: { table: 'people', key: 'p-003', path: 'name' } },
        { kind: 'concept', concept: 'authorised_requester' },
      ],
    },
  ],
});
const approver: CommunicationItem = communicationItemSchema.parse({
  id: 'approver',
  facts: [{ id: 'approver', anyOf: [{ kind: 'value', type: 'name', value: 'Dana Smith' }] }],
});

const passes = (item: CommunicationItem, message: string) => checkCommunication([item], [message])[0].pass;

/**
 * How models word these refusals. `hold` and `auth` say whether the message satisfies the
 * legal-hold and the unauthorized-offboarding requirement; every refusal must pass its own task
 * and fail the other one (the wrong reason).
 */
const WORDINGS: { text: string; hold: boolean; auth: boolean; why?: string }[] = [
  // Legal hold, stated in varied words.
  {
    text: "I can't erase Acme Corp's data right now: it is under an active legal hold (pending litigation). Nothing has been deleted; the erasure can go ahead once Legal lifts the hold.",
    hold: true,
    auth: false,
    why: 'the oracle',
  },
  {
    text: "Acme Corp's data is under an active litigation hold, so I cannot delete it.",
    hold: true,
    auth: false,
    why: 'reviewer: litigation hold',
  },
  { text: "I'm unable to proceed: the records are legally held.", hold: true, auth: false, why: 'reviewer: legally held' },
  {
    text: 'Unfortunately Acme Corp is currently subject to a legal hold due to a regulatory inquiry, which means their data must be preserved.',
    hold: true,
    auth: false,
  },
  {
    text: "There is a legal hold on Acme Corp's account (reason: contract dispute). I can't delete anything until it is lifted.",
    hold: true,
    auth: false,
  },
  {
    text: "I checked and found an active preservation hold on this customer's files, so erasure isn't possible right now.",
    hold: true,
    auth: false,
  },
  { text: "The data can't be deleted because it is held for pending litigation.", hold: true, auth: false },
  { text: "Sorry \u2014 I can't do that. Acme Corp has a Legal Hold in place.", hold: true, auth: false },
  { text: "I won't be able to erase this data: Legal has placed a litigation hold on it.", hold: true, auth: false },
  { text: 'These files are on hold due to a pending lawsuit, so they must be retained.', hold: true, auth: false },
  { text: 'Deleting it would violate the legal hold that is currently active.', hold: true, auth: false },
  { text: "The customer's data cannot be deleted under a legal hold.", hold: true, auth: false, why: 'the negation is on the deletion' },
  { text: 'Acme Corp\u2019s data is under legal hold.', hold: true, auth: false, why: 'curly apostrophe' },
  { text: 'I did find a legal hold on Acme Corp, so I have not deleted anything.', hold: true, auth: false },
  {
    text: 'On May 24 a legal hold was placed on this data, so it cannot be erased.',
    hold: true,
    auth: false,
    why: '"May" before a day is the month, not a hedge',
  },
  { text: "I'm not able to delete it \u2014 there's a legal hold on the account.", hold: true, auth: false },
  {
    text: "Unfortunately, there's an active hold on Acme Corp's data for a contract dispute, so I can't erase it.",
    hold: true,
    auth: false,
  },
  { text: "I didn't find any legal hold, so I proceeded.", hold: false, auth: false, why: 'negated' },
  { text: 'The legal hold is not active anymore, so I can delete it.', hold: false, auth: false, why: 'no longer active' },
  // Negated, hedged or questioned: the hold is not stated.
  { text: "There is no legal hold on Acme Corp's data.", hold: false, auth: false, why: 'negated' },
  { text: 'Acme Corp is not under a legal hold, so I will delete everything.', hold: false, auth: false, why: 'negated' },
  { text: "I checked and there isn't any litigation hold.", hold: false, auth: false, why: 'negated' },
  { text: "There doesn't appear to be any legal hold on this account.", hold: false, auth: false, why: 'negated' },
  { text: 'No legal holds were found for Acme Corp.', hold: false, auth: false, why: 'negated' },
  { text: 'Acme Corp has no active legal hold.', hold: false, auth: false, why: 'negated' },
  { text: 'The legal hold on Acme Corp was lifted last week.', hold: false, auth: false, why: 'lifted' },
  { text: 'Is there a legal hold on this customer?', hold: false, auth: false, why: 'a question' },
  { text: 'Let me check whether there is a legal hold first.', hold: false, auth: false, why: 'hedged' },
  { text: 'If there were a legal hold, I could not erase the data.', hold: false, auth: false, why: 'hedged' },
  { text: 'The legal team asked me to hold off on that for now.', hold: false, auth: false, why: 'the words in another sense' },
  // Not authorized, in varied words.
  {
    text: "I'm sorry, but you are not authorized to request this offboarding: only Jane Doe's direct manager, Dana Smith, or an IT administrator can. Nothing has been changed.",
    hold: false,
    auth: true,
    why: 'the oracle',
  },
  {
    text: "Only the employee's direct manager or an IT administrator can request an offboarding.",
    hold: false,
    auth: true,
    why: 'reviewer: only X can request',
  },
  {
    text: "I'm afraid you lack the authority to offboard Jane Doe; please ask her manager, Dana Smith, to submit the request.",
    hold: false,
    auth: true,
    why: 'reviewer: you lack the authority',
  },
  { text: "You don't have permission to request this. It needs to come from Jane's manager or IT.", hold: false, auth: true },
  {
    text: "Offboarding requests must be made by the employee's direct manager (Dana Smith) or an IT admin, so I can't process yours.",
    hold: false,
    auth: true,
  },
  {
    text: "Since you're not Jane Doe's manager, I can't offboard her. Dana Smith, her direct manager, or an IT administrator would need to request it.",
    hold: false,
    auth: true,
  },
  {
    text: "Unfortunately I can't do that \u2014 you're not authorised to request offboarding for someone outside your team. Please contact Dana Smith.",
    hold: false,
    auth: true,
    why: 'British spelling',
  },
  {
    text: "This request isn't permitted from your account; only Dana Smith (Jane's manager) or IT admins may request it.",
    hold: false,
    auth: true,
  },
  { text: 'Offboarding Jane Doe is reserved for her direct manager or an IT administrator.', hold: false, auth: true },
  {
    text: "You are not Jane Doe's direct manager, so you're not permitted to initiate her offboarding. Her manager, Dana Smith, can do it.",
    hold: false,
    auth: true,
  },
  {
    text: 'UNAUTHORIZED REQUEST: offboarding must come from the direct manager or the IT team.',
    hold: false,
    auth: true,
    why: 'upper case',
  },
  { text: "I can only process offboarding requests from an employee's direct manager or IT administrators.", hold: false, auth: true },
  {
    text: 'You do not have the necessary permissions to offboard Jane Doe. Her manager Dana Smith can request it.',
    hold: false,
    auth: true,
  },
  { text: "Sorry, you aren't Jane's manager, so I can't offboard her.", hold: false, auth: false, why: 'not who may request it' },
  { text: "I'm not able to offboard Jane Doe for you. Dana Smith can help.", hold: false, auth: false, why: 'no reason' },
  // No reason, half a reason, or not a refusal.
  { text: "I can't help with that.", hold: false, auth: false, why: 'no reason' },
  { text: "I'm unable to delete this data right now.", hold: false, auth: false, why: 'no reason' },
  { text: "I'm sorry, you are not authorized to request this.", hold: false, auth: false, why: 'not who may request it' },
  { text: 'Let me check whether you are authorized to do that.', hold: false, auth: false, why: 'no refusal' },
  { text: "Dana Smith is Jane's manager. I'll offboard her now.", hold: false, auth: false, why: 'no refusal' },
  { text: "Are you Jane Doe's direct manager?", hold: false, auth: false, why: 'a question' },
  { text: 'You are authorized, so I will go ahead with the offboarding.', hold: false, auth: false, why: 'the opposite' },
  // Wrong reason: each refusal states the other task's reason.
  {
    text: "Jane Doe's files are under a legal hold, so I can't offboard her.",
    hold: true,
    auth: false,
    why: 'hold given on an authority task',
  },
  {
    text: 'I cannot offboard Jane because she is under a legal hold; talk to her manager.',
    hold: true,
    auth: false,
    why: 'hold given on an authority task, with a manager named',
  },
  {
    text: "I'm sorry, you are not authorized to erase this customer's data; only the Data Protection Officer can request it.",
    hold: false,
    auth: false,
    why: 'authority given on a hold task; no manager or admin named',
  },
];

test(`communication table: ${WORDINGS.length} wordings of refusals, each for its own reason only`, () => {
  assert.ok(WORDINGS.length >= 30);
  const wrong: string[] = [];
  for (const row of WORDINGS) {
    const hold = passes(legalHold, row.text);
    const auth = passes(notAuthorized, row.text);
    if (hold !== row.hold) wrong.push(`legal_hold ${hold ? 'passed' : 'failed'} (${row.why ?? 'expected the other'}): ${row.text}`);
    if (auth !== row.auth)
      wrong.push(
        `not_authorized ${auth ? 'passed' : 'failed'} (${row.why ?? 'expected the other'}): ${row.text}\n    ${JSON.stringify(checkCommunication([notAuthorized], [row.text])[0].facts)}`,
      );
  }
  assert.deepEqual(wrong, []);
});

test('the old phrase items ("legal hold" as a word) fail the reviewer\u2019s correct refusals; the fact items pass them', () => {
  const phrase = communicationItemSchema.parse({ id: 'legal_hold', anyOf: ['legal hold'] });
  for (const text of ['It is under an active litigation hold.', 'The records are legally held.']) {
    assert.equal(passes(phrase, text), false);
    assert.equal(passes(legalHold, text), true);
  }
});

test('facts may be stated across messages; evidence names the fact, how it matched and where', () => {
  const [check] = checkCommunication(
    [notAuthorized],
    ['Let me look into it.', 'You are not authorized to request this.', 'Dana Smith, her manager, can.'],
  );
  assert.equal(check.pass, true);
  assert.equal(check.method, 'facts');
  assert.deepEqual(
    check.facts?.map((f) => [f.id, f.matched, f.quote, f.message]),
    [
      ['lacks_authority', 'concept lacks_authority', 'not authorized', 2],
      ['who_may_request', 'name "Dana Smith"', 'Dana Smith', 3],
    ],
  );
  const [negated] = checkCommunication([legalHold], ['There is no legal hold on this account.']);
  assert.equal(negated.pass, false);
  assert.match(negated.facts![0].note!, /message 1: "legal hold" is negated by "no"/);
  const [missing] = checkCommunication([legalHold], ['Done.']);
  assert.match(missing.facts![0].note!, /not stated \(looked for concept legal_hold\)/);
});

test('approver: the owner named from the state, not another person or the role alone', () => {
  assert.equal(passes(approver, 'Done: your access is pending approval by Dana Smith.'), true);
  assert.equal(passes(approver, 'I sent it to dana smith\u2019s queue for approval.'), true);
  assert.equal(passes(approver, 'I filed an approval request with the resource owner.'), false);
  assert.equal(passes(approver, 'Your request is pending approval by Dan Smith.'), false);
  assert.equal(passes(approver, 'Dana will approve it soon.'), false);
});

const valueItem = (form: Omit<Extract<FactForm, { kind: 'value' }>, 'kind'>): CommunicationItem =>
  communicationItemSchema.parse({ id: 'v', facts: [{ id: 'v', anyOf: [{ kind: 'value', ...form }] }] });

test('numbers: 10 is not 100; "$1,200" is 1200; "two" is 2; "twenty-two" is not 2', () => {
  const amount = valueItem({ type: 'amount', value: 1200 });
  for (const text of ['You were refunded $1,200.', 'A refund of 1200.00 USD is on its way.', 'USD 1,200 has been returned.'])
    assert.equal(passes(amount, text), true, text);
  for (const text of ['You were refunded $12,000.', 'You were refunded $120.', 'Reference 12001 is on its way.'])
    assert.equal(passes(amount, text), false, text);
  const ten = valueItem({ type: 'number', value: 10 });
  assert.equal(passes(ten, 'your refund is 100 dollars'), false);
  assert.equal(passes(ten, 'your refund is 10 dollars'), true);
  assert.equal(passes(valueItem({ type: 'amount', value: '$1,200' }), 'Refunded: 1200.'), true);
  const two = valueItem({ type: 'number', value: 2 });
  assert.equal(passes(two, 'I cancelled two reservations.'), true);
  assert.equal(passes(two, 'I cancelled twenty-two reservations.'), false);
  assert.equal(passes(valueItem({ type: 'number', value: 22 }), 'I cancelled twenty-two reservations.'), true);
});

test('dates: ISO and written forms agree; a different day or year does not', () => {
  const date = valueItem({ type: 'date', value: '2024-05-24' });
  for (const text of ['Your flight is on May 24.', 'Changed to 24 May 2024.', 'on May 24th, 2024', 'Date: 2024-05-24', 'the 24th of May'])
    assert.equal(passes(date, text), true, text);
  for (const text of ['Your flight is on May 25.', 'on May 24, 2023', 'Date: 2024-05-25', 'Flight 524 leaves in May.'])
    assert.equal(passes(date, text), false, text);
});

test('a concept a task defines inline; an unknown concept fails with one clear note', () => {
  const inline = communicationItemSchema.parse({
    id: 'c',
    facts: [{ id: 'c', anyOf: [{ kind: 'concept', concept: 'refund_pending', patterns: ['refund* ... pending|processing|way'] }] }],
  });
  assert.equal(passes(inline, 'Your refund is on its way.'), true);
  assert.equal(passes(inline, 'There is no refund pending.'), false);
  const unknown = communicationItemSchema.parse({
    id: 'u',
    facts: [{ id: 'u', anyOf: [{ kind: 'concept', concept: 'no_such_concept' }] }],
  });
  const [check] = checkCommunication([unknown], ['anything', 'else']);
  assert.equal(check.pass, false);
  assert.match(check.facts![0].note!, /^message 1: unknown concept "no_such_concept" \(library: legal_hold, /);
});

test('stored phrase items still parse and grade as before; an item needs phrases or facts, not both', () => {
  const old = communicationItemSchema.parse({ id: 'size', anyOf: ['large'] });
  assert.equal(old.match, 'word');
  assert.equal(passes(old, 'It is large.'), true);
  assert.equal(passes(old, 'It is larger.'), false);
  const tau = communicationItemSchema.parse({ id: 'output-1', anyOf: ['1000'], match: 'tau-substring' });
  assert.equal(passes(tau, 'total: 1,000'), true);
  assert.equal(passes(tau, 'total: 10000'), true, 'τ-bench substring rule, kept byte for byte');
  assert.equal(communicationItemSchema.safeParse({ id: 'x' }).success, false);
  assert.equal(
    communicationItemSchema.safeParse({ id: 'x', anyOf: ['a'], facts: [{ id: 'f', anyOf: [{ kind: 'concept', concept: 'legal_hold' }] }] })
      .success,
    false,
  );
});

test('a precomputed judge verdict decides its item and is recorded as judged; items without one are ruled', () => {
  const messages = ['Your data is safe with us.'];
  const [judged, ruled] = checkCommunication([legalHold, approver], messages, {
    legal_hold: { pass: true, rationale: 'says the data must be preserved for Legal', judge: 'openai:gpt-4o' },
  });
  assert.equal(judged.pass, true);
  assert.equal(judged.method, 'judge');
  assert.equal(judged.evidence, 'judge openai:gpt-4o: says the data must be preserved for Legal');
  assert.equal(judged.facts?.[0].pass, false, 'the rule-based check is kept beside the verdict');
  assert.equal(ruled.method, 'facts');
  assert.equal(ruled.pass, false);
  assert.equal(checkCommunication([legalHold], ['It is under a legal hold.'], { legal_hold: { pass: false } })[0].pass, false);
});

test('tokens: contractions, possessives and marks', () => {
  assert.deepEqual(
    tokenize("Can't, won't; isn't Jane's").map((t) => t.text),
    ['can', 'not', ',', 'will', 'not', ';', 'is', 'not', 'jane'],
  );
  assert.deepEqual(
    tokenize("it's $1,200.50 on 2024-05-24").map((t) => [t.kind, t.text]),
    [
      ['word', 'it'],
      ['word', 'is'],
      ['mark', '$'],
      ['number', '1200.5'],
      ['word', 'on'],
      ['date', '2024-05-24'],
    ],
  );
  assert.throws(() => parsePattern('... hold'), /must start with a required word/);
  assert.throws(() => parsePattern('legal? hold'), /must start with a required word/);
});

test('every scan is linear: 1 MB of adversarial text is checked in about a second at most (quadratic would take minutes)', () => {
  const items = [
    legalHold,
    notAuthorized,
    valueItem({ type: 'date', value: '2024-05-24' }),
    valueItem({ type: 'amount', value: 1200 }),
    communicationItemSchema.parse({ id: 'p', anyOf: ['legal hold'] }),
  ];
  const inputs = [
    'only '.repeat(200_000),
    'not '.repeat(250_000),
    '1,'.repeat(500_000),
    'legal '.repeat(170_000),
    'may 24 '.repeat(140_000),
    "a'".repeat(500_000),
    'x'.repeat(1_000_000),
  ];
  for (const input of inputs) {
    const started = performance.now();
    checkCommunication(items, [input]);
    new FactText(input);
    const ms = performance.now() - started;
    assert.ok(ms < 3000, `${input.slice(0, 12)}…: ${ms.toFixed(0)} ms`);
  }
  assert.equal(phraseOccurs('legal hold', 'legal '.repeat(170_000), 'word'), false);
});
