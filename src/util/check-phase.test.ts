import assert from 'node:assert/strict';
import { executionAsyncResource } from 'node:async_hooks';
import { test } from 'node:test';
import { deferredToCheckPhase } from './check-phase.ts';

test('calls run at the next check phase, back to back in call order, each settling its own promise', async () => {
  const ran: { value: number; resource: object }[] = [];
  const square = deferredToCheckPhase((value: number) => {
    if (value < 0) throw new Error(`negative: ${value}`);
    ran.push({ value, resource: executionAsyncResource() });
    return value * value;
  });
  const order: string[] = [];
  const results = [square(1), square(-2), square(3)];
  process.nextTick(() => order.push('tick'));
  void Promise.resolve().then(() => order.push('microtask'));
  setImmediate(() => order.push('immediate queued after the calls'));
  assert.equal(ran.length, 0, 'nothing runs in the caller’s turn');
  const settled = await Promise.allSettled(results);
  assert.deepEqual(
    settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
    [1, 'negative: -2', 9],
  );
  assert.deepEqual(
    ran.map((r) => r.value),
    [1, 3],
  );
  // One Immediate ran them all, after the turn's ticks and microtasks and before later immediates.
  assert.equal(ran[0].resource, ran[1].resource);
  assert.equal(ran[0].resource.constructor.name, 'Immediate');
  assert.deepEqual(order.toSorted(), ['microtask', 'tick']);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(order.at(-1), 'immediate queued after the calls');
});

test('calls made while a batch runs, or later, go to the next check phase; promise results are adopted', async () => {
  const resources: object[] = [];
  let inner: Promise<string> | undefined;
  const echo = deferredToCheckPhase(async (text: string): Promise<string> => {
    resources.push(executionAsyncResource());
    if (text === 'first') inner = echo('from inside');
    return text.toUpperCase();
  });
  assert.equal(await echo('first'), 'FIRST');
  assert.equal(await inner, 'FROM INSIDE');
  assert.equal(await echo('later'), 'LATER');
  assert.equal(resources.length, 3);
  assert.equal(new Set(resources).size, 3, 'three separate check phases');
});
