import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroundworkError } from '../errors.ts';
import { episodeIdFor } from '../runner/plan.ts';
import { checkQueueLocation, episodeJobId, episodeQueueName, queueTiming, redactQueueLocation } from './queue-settings.ts';

test('job ids are the same every time a slot is planned, never integers, never with ":"', () => {
  const episode = episodeIdFor('run-20261202-120000-abcd', 'oracle', 'hd-test-000', 1);
  const id = episodeJobId('run-20261202-120000-abcd', episode);
  assert.equal(id, episodeJobId('run-20261202-120000-abcd', episodeIdFor('run-20261202-120000-abcd', 'oracle', 'hd-test-000', 1)));
  assert.notEqual(id, episodeJobId('run-20261202-120000-abcd', episodeIdFor('run-20261202-120000-abcd', 'oracle', 'hd-test-000', 2)));
  assert.ok(!id.includes(':') && !/^\d+$/.test(id));
  assert.throws(
    () => episodeJobId('run:1', episode),
    (error: unknown) => GroundworkError.isInstance(error) && error.code === 'INVALID_ARGUMENT',
  );
});

test('queue URLs: the password never shows; only redis:// and rediss:// are taken', () => {
  assert.equal(redactQueueLocation('redis://:hunter2@cache.internal:6380/2?password=x'), 'redis://:***@cache.internal:6380/2');
  assert.equal(redactQueueLocation('rediss://app:hunter2@cache.internal:6380'), 'rediss://app:***@cache.internal:6380');
  assert.equal(checkQueueLocation('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  assert.throws(
    () => checkQueueLocation('postgres://u:hunter2@db/x'),
    (error: unknown) => !String((error as Error).message).includes('hunter2'),
  );
  assert.throws(() => checkQueueLocation('127.0.0.1:6379'), /redis:\/\/ URL/);
});

test('queue timing from the environment, checked', () => {
  assert.deepEqual(queueTiming({}), {
    lockMs: 30_000,
    stalledIntervalMs: 15_000,
    maxStalledCount: 5,
    attempts: 3,
    backoffMs: 5_000,
    maxRateLimited: 20,
  });
  assert.deepEqual(
    queueTiming({ GROUNDWORK_QUEUE_LOCK_MS: '2000', GROUNDWORK_QUEUE_ATTEMPTS: '1', GROUNDWORK_QUEUE_MAX_RATE_LIMITED: '3' }),
    {
      lockMs: 2_000,
      stalledIntervalMs: 1_000,
      maxStalledCount: 5,
      attempts: 1,
      backoffMs: 5_000,
      maxRateLimited: 3,
    },
  );
  assert.throws(() => queueTiming({ GROUNDWORK_QUEUE_MAX_RATE_LIMITED: '-1' }), /GROUNDWORK_QUEUE_MAX_RATE_LIMITED/);
  assert.throws(() => queueTiming({ GROUNDWORK_QUEUE_LOCK_MS: '10' }), /GROUNDWORK_QUEUE_LOCK_MS must be an integer from 500/);
  assert.throws(() => queueTiming({ GROUNDWORK_QUEUE_ATTEMPTS: '0' }), /GROUNDWORK_QUEUE_ATTEMPTS/);
});

test('one queue per model group: episodes of different models never share a queue; built-in and cmd: agents share the empty group', () => {
  const builtIn = episodeQueueName('oracle', 'scripted');
  assert.equal(episodeQueueName('naive', 'scripted'), builtIn);
  assert.equal(episodeQueueName('cmd:python3 agent.py', 'scripted'), builtIn);
  const a = episodeQueueName('openai:gpt-a', 'scripted');
  assert.notEqual(a, builtIn);
  assert.notEqual(a, episodeQueueName('openai:gpt-b', 'scripted'));
  assert.equal(episodeQueueName('openai:gpt-a', 'openai:gpt-a'), a);
  assert.notEqual(episodeQueueName('oracle', 'openai:gpt-a'), builtIn);
  for (const name of [builtIn, a]) assert.match(name, /^episodes-g[0-9a-f]+$/);
});
