import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEpisodeAuditor, type EpisodeAuditor } from '../audit-runner/episode-auditor.ts';
import { createRun, executeRun } from '../runner/local-runner.ts';
import type { EpisodeAudit } from '../schema/audit.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import type { EpisodeRecord } from '../store/store.ts';
import { ViewerApi } from './api.ts';

describe('episodes.ndjson', () => {
  const store = SqliteStore.open(':memory:');
  let runId = '';
  const episodes: { episode: EpisodeRecord; audit?: EpisodeAudit }[] = [];

  before(async () => {
    // More episodes than one page of the stream (200), audited as `run` audits them.
    ({ runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: 80 }, agents: ['oracle', 'naive', 'noop'], trials: 1 }));
    const tasks = await store.runTasks(runId);
    let auditor: EpisodeAuditor | undefined;
    await executeRun(runId, {
      store,
      auditEpisode: (graded, task, domain) => (auditor ??= createEpisodeAuditor({ domain, tasks })).audit(graded, task),
    });
    for await (const episode of store.iterateEpisodes(runId)) episodes.push({ episode, audit: await store.getEpisodeAudit(episode.id) });
  });
  after(() => store.close());

  const streamed = async (query: string): Promise<EpisodeRecord[]> => {
    const response = await new ViewerApi(store).handle(`/api/runs/${runId}/episodes.ndjson`, new URLSearchParams(query));
    assert.equal(response.kind, 'ndjson');
    const lines: EpisodeRecord[] = [];
    for await (const line of response.body as AsyncIterable<string>) lines.push(JSON.parse(line));
    return lines;
  };

  it('streams every matching episode in full, in the run order, whatever the page size', async () => {
    const cases: [string, (e: (typeof episodes)[number]) => boolean][] = [
      ['', () => true],
      ['agent=naive', (e) => e.episode.agent === 'naive'],
      ['result=fail', (e) => e.episode.reward < 1],
      ['cause=agent', (e) => e.audit?.fault?.cause === 'agent'],
      ['confident=true', (e) => e.audit?.confidentFailure === true],
      [
        'agent=noop&confident=false&result=fail',
        (e) => e.episode.agent === 'noop' && e.audit?.confidentFailure === false && e.episode.reward < 1,
      ],
      ['limit=5&offset=3', () => true],
    ];
    assert.ok(episodes.length > 200);
    for (const [query, matches] of cases) {
      const expected = episodes.filter(matches).map((e) => JSON.parse(JSON.stringify(e.episode)));
      assert.ok(query.startsWith('confident=true') || expected.length > 0, query);
      assert.deepEqual(await streamed(query), expected, query);
    }
  });
});
