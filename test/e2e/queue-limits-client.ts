// A worker-like process for queue-limits tests: N model calls through a real ModelHub whose
// admission is the Redis-backed one, against a local peer. Prints one JSON line when done.
// Usage: node --import tsx queue-limits-client.ts '<json settings>'
import { Redis } from 'ioredis';
import { ModelHub } from '../../src/models/model-hub.ts';
import { distributedModelLimits } from '../../src/queue/rate-limit.ts';

interface Settings {
  redisUrl: string;
  peerUrl: string;
  /** Calls per model made by this process (interleaved across models). */
  calls: Record<string, number>;
  /** Limits per model (every model of `calls` needs one). */
  limits: Record<string, { concurrency: number; requestsPerMinute?: number }>;
  maxRetries?: number;
  /** Calls started at once by this process (more than the limit, so the limit is what holds them). */
  parallel: number;
  windowMs?: number;
  slotTtlMs?: number;
  maxPauseWaitMs?: number;
}

const settings = JSON.parse(process.argv[2]!) as Settings;
const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
const limits = distributedModelLimits(redis, {
  prefix: 'gwtest',
  ...(settings.windowMs ? { windowMs: settings.windowMs } : {}),
  ...(settings.slotTtlMs ? { slotTtlMs: settings.slotTtlMs } : {}),
  ...(settings.maxPauseWaitMs !== undefined ? { maxPauseWaitMs: settings.maxPauseWaitMs } : {}),
});
const names = Object.keys(settings.calls);
const models = Object.fromEntries(
  names.map((name) => [
    name,
    {
      provider: 'openai-compatible' as const,
      model: name,
      baseURL: settings.peerUrl,
      limits: { ...settings.limits[name]!, maxRetries: settings.maxRetries ?? 0 },
    },
  ]),
);
// The calls, interleaved: one of each model in turn while it has calls left.
const plan: string[] = [];
for (let round = 0; plan.length < Object.values(settings.calls).reduce((a, b) => a + b, 0); round++)
  for (const name of names) if (round < settings.calls[name]!) plan.push(name);
const hub = new ModelHub({
  models,
  env: {},
  admission: limits.admission,
  onEvent: limits.onEvent,
  retry: { initialDelayMs: 20, maxDelayMs: 200 },
});

let next = 0;
let ok = 0;
const errors: string[] = [];
let rateLimited = 0;
process.stdout.write(`${JSON.stringify({ type: 'started', pid: process.pid })}\n`);
await Promise.all(
  Array.from({ length: settings.parallel }, async () => {
    while (next < plan.length) {
      const i = next++;
      const model = plan[i]!;
      const { value, rateLimit } = await limits.track(async () => {
        try {
          await hub
            .session(model, { role: 'agent', trial: 0, seed: i })
            .generate({ messages: [{ role: 'user', content: `request ${i}` }] });
          return true;
        } catch (error) {
          errors.push((error as Error).message);
          return false;
        }
      });
      if (value) ok++;
      if (rateLimit) rateLimited++;
    }
  }),
);
const stats = Object.fromEntries(names.map((name) => [name, hub.admission(hub.resolve(name)).stats()]));
process.stdout.write(`${JSON.stringify({ type: 'done', ok, errors, rateLimited, stats })}\n`);
await limits.close();
redis.disconnect();
