import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDomain } from '../registry.ts';
import { executeToolCall } from '../tools.ts';
import { initialStateFor } from '../initial-state.ts';
import { TableState } from '../../state/table-state.ts';
import { taskSchema } from '../../schema/task.ts';
import { openTauBench, type TauDomainName } from './index.ts';
import { formatChanged } from './replay.ts';
import { pyDumps } from './py-format.ts';
import { benchmarksDir } from './data.ts';

// Data comes from ../shared/benchmarks next to the repository (or $GROUNDWORK_BENCHMARKS_DIR), as the domains read it.
const fixture = JSON.parse(readFileSync(new URL('./parity-fixture.json', import.meta.url), 'utf8')) as {
  tasks: Record<string, Record<string, [string, string]>>;
};
const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

for (const [domainName, split] of [
  ['tau-bench/retail', 'test'],
  ['tau-bench/retail', 'train'],
  ['tau-bench/retail', 'dev'],
  ['tau-bench/airline', 'test'],
] as const) {
  test(`gold replay matches τ-bench's Python tools on every task of ${domainName} ${split}`, () => {
    const bench = openTauBench(domainName as TauDomainName);
    const expected = fixture.tasks[`${domainName}/${split}`];
    const mismatched: string[] = [];
    const sources = bench.sources(split);
    assert.equal(sources.length, Object.keys(expected).length);
    for (const source of sources) {
      const replay = bench.replay(source);
      const got = [sha(pyDumps(replay.outputs)), sha(formatChanged(replay.changed, bench.format))];
      if (got[0] !== expected[source.id][0] || got[1] !== expected[source.id][1]) mismatched.push(source.id);
    }
    assert.deepEqual(mismatched, [], `tasks differing from τ-bench: ${mismatched.join(', ')}`);
  });
}

test('task mapping counts and schema', () => {
  const counts: [string, string, number][] = [
    ['tau-bench/retail', 'test', 115],
    ['tau-bench/retail', 'train', 500],
    ['tau-bench/retail', 'dev', 20],
    ['tau-bench/airline', 'test', 50],
    ['tau2-bench/retail', 'base', 114],
    ['tau2-bench/retail', 'train', 74],
    ['tau2-bench/retail', 'test', 40],
  ];
  for (const [name, split, count] of counts) {
    const tasks = createDomain(name).tasks({ split });
    assert.equal(tasks.length, count, `${name} ${split}`);
    for (const task of tasks) taskSchema.parse(task);
  }
  const retail = createDomain('tau-bench/retail');
  const [first] = retail.tasks({ ids: ['0'] });
  assert.equal(first.id, '0');
  assert.equal(first.expected.kind, 'gold-replay');
  const withOutputs = retail.tasks({ split: 'test' }).filter((t) => t.expected.communicate.length > 0);
  assert.equal(withOutputs.length, 37);
  assert.ok(withOutputs.every((t) => t.expected.communicate.every((c) => c.match === 'tau-substring')));
  // A transfer ends the episode, so the oracle speaks before it.
  const transfer = retail.tasks({ split: 'test' }).find((t) => t.tags.includes('transfer'))!;
  assert.equal(transfer.oracle.at(-1)!.kind, 'call');
  assert.ok(retail.tasks({ split: 'test' }).some((t) => t.noChange));
  assert.throws(() => retail.tasks({ split: 'nope' }), /no split/);
  assert.throws(() => retail.tasks({ ids: ['9999'] }), /no task/);
  const tau2 = createDomain('tau2-bench/retail').tasks({ split: 'test' })[0];
  assert.match(tau2.user.instructions, /Reason for call: /);
  assert.equal(createDomain('tau-bench/airline').options.singleToolCallPerTurn, true);
});

test('tool error strings match τ-bench', () => {
  const retail = createDomain('tau-bench/retail');
  const state = TableState.over(retail.base().tables, retail.base().hash);
  const call = (name: string, args: object) => executeToolCall(retail, state, name, JSON.stringify(args));
  assert.equal(call('get_order_details', { order_id: 'W000' }).content, 'Error: order not found');
  assert.equal(call('get_user_details', { user_id: 'nobody' }).content, 'Error: user not found');
  const pending = Object.keys(retail.base().tables.orders).find((id) => retail.base().tables.orders[id].status === 'pending')!;
  const delivered = Object.keys(retail.base().tables.orders).find((id) => retail.base().tables.orders[id].status === 'delivered')!;
  assert.equal(call('cancel_pending_order', { order_id: pending, reason: 'changed my mind' }).content, 'Error: invalid reason');
  assert.equal(
    call('cancel_pending_order', { order_id: delivered, reason: 'no longer needed' }).content,
    'Error: non-pending order cannot be cancelled',
  );
  assert.equal(
    call('return_delivered_order_items', { order_id: delivered, item_ids: ['0'], payment_method_id: 'nope' }).content,
    'Error: payment method not found',
  );
  assert.equal(call('calculate', { expression: '2 ^ 3' }).content, 'Error: invalid characters in expression');
  assert.equal(call('calculate', { expression: '1/0' }).content, 'Error: division by zero');
  assert.equal(call('calculate', { expression: '(1' }).content, "Error: '(' was never closed (<string>, line 1)");
  assert.equal(call('calculate', { expression: '2.675 * 1' }).content, '2.67');
  assert.equal(call('calculate', { expression: '100 / 3' }).content, '33.33');
  assert.equal(call('find_user_id_by_email', { email: 'nobody@example.com' }).content, 'Error: user not found');
  assert.equal(call('think', { thought: 'hmm' }).content, '');
  const transfer = call('transfer_to_human_agents', { summary: 'help' });
  assert.equal(transfer.content, 'Transfer successful');
  assert.equal(transfer.terminal, true);
  assert.deepEqual(state.changesFromBase(), {});

  const airline = createDomain('tau-bench/airline');
  const air = TableState.over(airline.base().tables, airline.base().hash);
  const fly = (name: string, args: object) => executeToolCall(airline, air, name, JSON.stringify(args)).content;
  assert.equal(fly('get_reservation_details', { reservation_id: 'NOPE00' }), 'Error: user not found');
  assert.equal(fly('cancel_reservation', { reservation_id: 'NOPE00' }), 'Error: reservation not found');
  assert.equal(
    fly('update_reservation_flights', { reservation_id: 'NOPE00', cabin: 'economy', flights: [], payment_id: 'x' }),
    'Error: reservation not found',
  );

  const tau2 = createDomain('tau2-bench/retail');
  const t2 = TableState.over(tau2.base().tables, tau2.base().hash);
  assert.equal(executeToolCall(tau2, t2, 'get_order_details', { order_id: 'W000' }).content, 'Error: Order not found');
});

test('copy-on-write: episodes do not see each other and the base stays frozen', () => {
  const retail = createDomain('tau-bench/retail');
  const actionsOf = (t: (typeof tasks)[number]) => (t.expected.kind === 'gold-replay' ? t.expected.actions : []);
  const tasks = retail.tasks({ split: 'test' });
  const task = tasks.find((t) => actionsOf(t).some((a) => a.name === 'cancel_pending_order'))!;
  const cancel = actionsOf(task).find((a) => a.name === 'cancel_pending_order')!;
  const orderId = String(cancel.arguments.order_id);
  const baseStatus = retail.base().tables.orders[orderId].status;
  const a = initialStateFor(retail, task);
  const b = initialStateFor(retail, task);
  const result = executeToolCall(retail, a, 'cancel_pending_order', cancel.arguments);
  assert.equal(result.isError, false);
  assert.equal(a.get('orders', orderId)!.status, 'cancelled');
  assert.equal(b.get('orders', orderId)!.status, baseStatus);
  assert.equal(retail.base().tables.orders[orderId].status, baseStatus);
  assert.ok(Object.isFrozen(retail.base().tables.orders[orderId]));
  assert.deepEqual(Object.keys(b.changesFromBase()), []);
  assert.deepEqual(Object.keys(a.changesFromBase()), ['orders']);
  assert.equal(retail.queries.record(b, { table: 'orders', key: orderId }) !== null, true);
  assert.equal(retail.queries.record(b, { table: 'orders', key: 'nope' }), null);
});

test('py formatting: floats keep .0 and product variants keep file order', () => {
  const bench = openTauBench('tau-bench/retail');
  const products = bench.world().base.products;
  const productId = Object.keys(products).find((id) =>
    Object.keys(products[id].variants as object).some((k) => /^\d+$/.test(k) && Number(k) < 4294967295),
  )!;
  const state = TableState.over(bench.world().base);
  const out = executeToolCall(bench.domain, state, 'get_product_details', { product_id: productId }).content;
  const raw = readFileSync(`${benchmarksDir()}/tau-bench/retail/products.json`, 'utf8');
  const fileOrder = Object.keys(JSON.parse(raw)[productId].variants);
  const printed = [...out.matchAll(/"item_id": "(\d+)"/g)].map((m) => m[1]);
  // JSON.parse loses the order (integer-like keys first); our tools keep Python's.
  assert.equal(printed.length, fileOrder.length);
  assert.match(out, /"price": \d+\.\d+/);
  assert.equal(
    pyDumps({ a: 1.5, b: [1, 'é'], price: 12 }, { floatKeys: new Set(['price']) }),
    '{"a": 1.5, "b": [1, "\\u00e9"], "price": 12.0}',
  );
});
