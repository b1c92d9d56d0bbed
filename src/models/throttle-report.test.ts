import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import type { ModelsConfig } from './model-config.ts';
import { ModelHub } from './model-hub.ts';
import type { AdmissionStats, ModelAdmission } from './model-limiter.ts';

const ENV = { OPENAI_API_KEY: 'sk-test-key-for-throttle' };
const models = (baseURL: string): ModelsConfig => ({ m: { provider: 'openai-compatible', model: 'm', baseURL } }) as ModelsConfig;

describe('throttle report', () => {
  it("reports the provider's 429 pauses as such, not as the run's limits throttling it", async () => {
    let answered = 0;
    const peer = await startOpenAIPeer(() =>
      answered++ < 3 ? { kind: 'error', status: 429, headers: { 'retry-after': '0.2' } } : { kind: 'message', text: 'ok' },
    );
    try {
      const hub = new ModelHub({
        env: ENV,
        models: models(peer.url),
        defaultConcurrency: 64,
        retry: { initialDelayMs: 5, maxDelayMs: 10 },
      });
      await Promise.all(
        Array.from({ length: 20 }, (_, trial) =>
          hub.session('m', { role: 'agent', trial, seed: trial }).generate({ messages: [{ role: 'user', content: `hi ${trial}` }] }),
        ),
      );
      const report = hub.throttleReport();
      const [m] = report.models;
      assert.equal(m.requests, 23, JSON.stringify(m));
      assert.equal(m.pauses, 3);
      assert.ok((m.pausedMs ?? 0) >= 200, JSON.stringify(m));
      assert.equal(m.throttled, false, JSON.stringify(m));
      assert.match(
        report.text ?? '',
        /^model m: the provider answered 429 \(rate limited, with Retry-After\) 3 times; requests to it paused [\d.]+ s in all/,
      );
      assert.doesNotMatch(report.text ?? '', /raise limits/);
    } finally {
      await peer.close();
    }
  });

  it('calls a limit throttling only when requests waited a meaningful time', () => {
    const hubWith = (stats: AdmissionStats) => {
      const admission: ModelAdmission = { acquire: async () => () => undefined, pause: () => undefined, stats: () => stats };
      const hub = new ModelHub({ env: ENV, models: models('http://127.0.0.1:9/v1'), admission: () => admission });
      hub.admission(hub.resolve('m'));
      return hub.throttleReport();
    };
    const base = { concurrency: 8, requests: 100, maxInFlight: 8 };
    // A tenth of the requests waited, 30 ms in all over a minute: nothing to say.
    const brief = hubWith({ ...base, waited: 10, waitMs: 30, spanMs: 60_000 });
    assert.equal(brief.models[0].throttled, false);
    assert.equal(brief.text, undefined);
    // 2 s in all: the limit held the run back.
    const long = hubWith({ ...base, waited: 10, waitMs: 2000, spanMs: 60_000 });
    assert.equal(long.models[0].throttled, true);
    assert.match(
      long.text ?? '',
      /^model m: 10 of 100 requests \(10%\) waited 2\.0 s in all for its limits \(concurrency 8\); raise limits\.concurrency/,
    );
    // Under a second, but a tenth of a short run's time.
    assert.equal(hubWith({ ...base, waited: 10, waitMs: 400, spanMs: 2000 }).models[0].throttled, true);
    // Few requests waited, however long: not the limit's doing.
    assert.equal(hubWith({ ...base, waited: 2, waitMs: 5000, spanMs: 60_000 }).models[0].throttled, false);
  });
});
