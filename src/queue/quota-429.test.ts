// A 429 for a spent quota never clears by waiting: the model call is not retried and the queue
// worker does not put the episode back (the real AI SDK error, as the OpenAI provider throws it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APICallError } from 'ai';
import { classifyFailure } from '../models/retry.ts';

function http429(body: string): APICallError {
  return new APICallError({
    message: 'You exceeded your current quota, please check your plan and billing details.',
    url: 'https://api.openai.com/v1/chat/completions',
    requestBodyValues: {},
    statusCode: 429,
    responseHeaders: {},
    responseBody: body,
  });
}

test('a 429 whose body says insufficient_quota is not retryable; an ordinary 429 is', () => {
  const quota = classifyFailure(http429('{"error":{"type":"insufficient_quota","code":"insufficient_quota"}}'), undefined);
  assert.equal(quota.retryable, false);
  assert.equal(quota.status, 429);
  assert.match(quota.reason, /^HTTP 429 insufficient_quota: You exceeded/);
  const busy = classifyFailure(http429('{"error":{"type":"rate_limit_exceeded"}}'), undefined);
  assert.equal(busy.retryable, true);
  assert.match(busy.reason, /^HTTP 429: /);
});
