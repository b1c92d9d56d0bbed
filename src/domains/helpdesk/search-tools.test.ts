// The helpdesk's search tools find the rows whose searched text holds every word of the query,
// whatever the case, order or spacing of the words.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TableState } from '../../state/table-state.ts';
import { executeToolCall } from '../tools.ts';
import { createHelpdeskDomain } from './index.ts';

type Row = Record<string, unknown>;

/** Each search tool, the table it searches and the text it searches in a row. */
const SEARCHES: { tool: string; table: string; text: (row: Row) => string }[] = [
  { tool: 'find_person', table: 'people', text: (p) => `${p.name} ${p.email}` },
  { tool: 'find_resource', table: 'resources', text: (r) => String(r.name) },
  { tool: 'find_customer', table: 'customers', text: (c) => String(c.name) },
  { tool: 'find_feature_flag', table: 'feature_flags', text: (f) => `${f.name} ${f.id}` },
];

/** The ids a search should find: rows whose text holds every word of the query, case-insensitive. */
function expectedIds(rows: Row[], text: (row: Row) => string, query: string): string[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((row) => words.every((word) => text(row).toLowerCase().includes(word))).map((row) => String(row.id));
}

test('search tools match every word of the query, in any case, order and spacing', () => {
  const domain = createHelpdeskDomain();
  const { tables, hash } = domain.base();
  const state = TableState.over(tables, hash);
  for (const { tool, table, text } of SEARCHES) {
    const rows = state.rows(table as never) as unknown as Row[];
    const words = text(rows[0])
      .split(/[\s@.]+/)
      .filter((word) => word.length > 1);
    assert.ok(words.length >= 2, `${tool}: a row with two words to search for`);
    const queries = [
      words[0],
      `${words[1].toUpperCase()}   ${words[0]}`,
      ` ${words[0]}\t${words[1]} `,
      `${words[0]} no-such-word`,
      words[0].slice(0, 2),
    ];
    for (const query of queries) {
      const result = executeToolCall(domain, state, tool, { query });
      assert.equal(result.isError, false, `${tool} ${JSON.stringify(query)}: ${result.content}`);
      const found = (JSON.parse(result.content) as Row[]).map((row) => String(row.id));
      assert.deepEqual(found, expectedIds(rows, text, query), `${tool} ${JSON.stringify(query)}`);
    }
    // The two-word query still finds the row its words came from.
    const both = expectedIds(rows, text, `${words[0]} ${words[1]}`);
    assert.ok(both.includes(String(rows[0].id)));
  }
});

test('a row the episode wrote is searched by its text now, after the same search over the base', () => {
  const domain = createHelpdeskDomain();
  const { tables, hash } = domain.base();
  for (const { tool, table, text } of SEARCHES) {
    const state = TableState.over(tables, hash);
    const ids = () => (JSON.parse(executeToolCall(domain, state, tool, { query: 'zebrafinch' }).content) as Row[]).map((r) => String(r.id));
    const first = state.rows(table as never)[0] as unknown as Row;
    const before = text(first);
    // Searched once over the base: its rows' texts are known.
    assert.deepEqual(ids(), [], `${tool}: nothing named zebrafinch in the base`);
    executeToolCall(domain, state, tool, { query: before.split(/[\s@.]+/)[0] });
    // Renamed by the episode, then renamed again in place (the record the episode owns).
    const written = state.mutable(table as never, String(first.id)) as unknown as Row;
    written.name = 'Zebrafinch One';
    assert.deepEqual(ids(), [String(first.id)], `${tool}: found by its new name`);
    written.name = 'Plain Two';
    assert.deepEqual(ids(), [], `${tool}: not found by the name it no longer has`);
    assert.deepEqual(
      (JSON.parse(executeToolCall(domain, state, tool, { query: 'plain two' }).content) as Row[]).map((r) => String(r.id)),
      [String(first.id)],
      `${tool}: found by the name it has now`,
    );
    // The base is untouched: a fresh state over it finds the old text.
    const fresh = TableState.over(tables, hash);
    const old = (JSON.parse(executeToolCall(domain, fresh, tool, { query: before }).content) as Row[]).map((r) => String(r.id));
    assert.ok(old.includes(String(first.id)), `${tool}: the base row keeps its text`);
  }
});
