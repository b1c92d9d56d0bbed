import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelsConfig } from '../../models/model-config.ts';
import { chooseThreads, type ThreadChoice } from './thread-count.ts';

const big: ThreadChoice = { todo: 10_000, concurrency: 256, recording: false, models: {}, cores: 8 };

describe('how many threads run a local run', () => {
  it('automatically: one for small or lightly concurrent runs and below 4 cores, more for big concurrent ones', () => {
    assert.equal(chooseThreads({ ...big, todo: 255 }), 1);
    assert.equal(chooseThreads({ ...big, concurrency: 127 }), 1);
    assert.equal(chooseThreads({ ...big, concurrency: 128 }), 2);
    assert.equal(chooseThreads(big), 4);
    assert.equal(chooseThreads({ ...big, cores: 4 }), 4);
    assert.equal(chooseThreads({ ...big, cores: 3 }), 1);
    assert.equal(chooseThreads({ ...big, cores: 2 }), 1);
    assert.equal(chooseThreads({ ...big, cores: 2, requested: 2 }), 2);
  });

  it('--threads first, then GROUNDWORK_THREADS; never more than the episodes left or the concurrency', () => {
    assert.equal(chooseThreads({ ...big, todo: 10, concurrency: 4, requested: 3 }), 3);
    assert.equal(chooseThreads({ ...big, todo: 10, concurrency: 4, env: '2' }), 2);
    assert.equal(chooseThreads({ ...big, env: '1' }), 1);
    assert.equal(chooseThreads({ ...big, requested: 3, env: '1' }), 3);
    assert.equal(chooseThreads({ ...big, todo: 2, requested: 8 }), 2);
    assert.equal(chooseThreads({ ...big, concurrency: 3, requested: 8 }), 3);
    assert.equal(chooseThreads({ ...big, todo: 0, requested: 8 }), 1);
    assert.equal(chooseThreads({ ...big, env: 'auto' }), 4);
    assert.throws(() => chooseThreads({ ...big, env: 'many' }), /GROUNDWORK_THREADS must be a number from 1 to 256 or auto/);
  });

  it('one thread while recording cassettes (more is refused), and for a rate window too large to share', () => {
    assert.equal(chooseThreads({ ...big, recording: true }), 1);
    assert.equal(chooseThreads({ ...big, recording: true, env: '4' }), 1);
    assert.throws(() => chooseThreads({ ...big, recording: true, requested: 2 }), /--threads above 1 with --record/);
    const huge = { m: { provider: 'openai', model: 'x', limits: { requestsPerMinute: 5_000_000 } } } as ModelsConfig;
    assert.equal(chooseThreads({ ...big, models: huge, requested: 4 }), 1);
    const fine = { m: { provider: 'openai', model: 'x', limits: { requestsPerMinute: 5_000 } } } as ModelsConfig;
    assert.equal(chooseThreads({ ...big, models: fine, requested: 4 }), 4);
  });
});
