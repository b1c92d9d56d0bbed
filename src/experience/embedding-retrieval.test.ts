import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ModelHub } from '../models/model-hub.ts';
import { EXPERIENCE_SCHEMA_VERSION, type DemonstrationRecord } from '../schema/experience.ts';
import { embeddingsOnly, startOpenAIPeer } from '../testing/openai-peer.ts';
import { embeddingInputs, type ModelPeer } from '../testing/peer-server.ts';
import { bm25Scores, retrieveDemonstrations } from './demonstrations.ts';

/** A toy semantic model for the peer: synonyms share a dimension, so meaning beats wording. */
const CONCEPTS: Record<string, number> = {
  wipe: 0,
  delete: 0,
  purge: 0,
  erase: 0,
  records: 1,
  data: 1,
  turn: 2,
  off: 2,
  disable: 2,
  sync: 3,
};
const conceptEmbedding = (text: string): number[] => {
  const vector = [0, 0, 0, 0];
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) if (word in CONCEPTS) vector[CONCEPTS[word]] += 1;
  return vector;
};

const demo = (id: string, request: string): DemonstrationRecord => ({
  schemaVersion: EXPERIENCE_SCHEMA_VERSION,
  id,
  setId: 'set',
  kind: 'demonstration',
  domain: 'helpdesk',
  family: 'any',
  taskId: `hd-train-${id}`,
  request,
  turns: [{ role: 'user', content: request }],
  provenance: { runId: 'run', episodeIds: [`ep-${id}`], taskIds: [`hd-train-${id}`], split: 'train', producedBy: 'rule' },
  createdAt: '2026-01-01T00:00:00.000Z',
});

const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((peer) => peer.close())));

describe('demonstration retrieval by an embedding model', () => {
  it('picks the demonstration that means the same but shares no word, where BM25 picks the one sharing a word', async () => {
    const peer = await startOpenAIPeer(embeddingsOnly, { embed: conceptEmbedding });
    peers.push(peer);
    const demos = [demo('sync-off', 'Can you turn off our records sync?'), demo('erase', 'Delete all data we hold')];
    const query = { request: 'Please wipe our records' };
    // The premise: lexically, only the wrong demonstration matches.
    assert.deepEqual(
      bm25Scores(
        demos.map((d) => d.request),
        query.request,
      ).map((s) => s > 0),
      [true, false],
    );

    const lexical = await retrieveDemonstrations(demos, query, 1);
    assert.deepEqual(
      lexical.map((d) => d.id),
      ['sync-off'],
    );

    const hub = new ModelHub({ env: {} });
    const embedder = hub.embedder(`openai-compatible:concepts@${peer.url}`, { role: 'embed', trial: 0, seed: 1 });
    const semantic = await retrieveDemonstrations(demos, query, 1, embedder.embed);
    assert.deepEqual(
      semantic.map((d) => d.id),
      ['erase'],
    );
    // One request: the query and every candidate embedded together.
    assert.equal(peer.requests.length, 1);
    assert.deepEqual(embeddingInputs(peer.requests[0].body), [query.request, ...demos.map((d) => d.request)]);
    assert.equal(embedder.usage().calls, 1);
  });
});
