// The store conformance suite on the embedded SQLite store (the reference the PostgreSQL store matches).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { storeConformance } from './conformance.ts';

storeConformance({
  name: 'SQLite',
  skip: false,
  freshLocation: async () => join(mkdtempSync(join(tmpdir(), 'gw-conformance-')), 'g.db'),
  setLayoutVersion: async (location, version) => {
    const db = new Database(location);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(version));
    db.close();
  },
  countRows: async (location, table) => {
    const db = new Database(location, { readonly: true });
    const { n } = db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
    db.close();
    return n;
  },
});
