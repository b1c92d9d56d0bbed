// Test support (no tests here): a database as an earlier layout left it, built with that layout's
// own migrations and filled from a database of the current layout (audits as full JSON, as the
// code of that layout stored them).
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS, SqliteStore } from './sqlite-store.ts';

const TABLES = ['runs', 'run_tasks', 'episodes', 'experience', 'learning_sessions', 'run_audits', 'audit_cache'];

/** Write at `target` a database of layout `version` holding what `source` (current layout) holds. */
export async function copyToLegacyLayout(source: string, target: string, version: number): Promise<void> {
  const legacy = new Database(target);
  legacy.exec(SQLITE_MIGRATIONS.slice(0, version).join(';\n'));
  legacy.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(version));
  const current = new Database(source, { readonly: true });
  const columns = (db: Database.Database, table: string) =>
    (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  legacy.transaction(() => {
    for (const table of TABLES) {
      if (columns(legacy, table).length === 0) continue;
      const shared = columns(legacy, table).filter((c) => columns(current, table).includes(c));
      const insert = legacy.prepare(`INSERT INTO ${table} (${shared.join(', ')}) VALUES (${shared.map(() => '?').join(', ')})`);
      const order = table === 'episodes' ? 'seq' : 'rowid';
      for (const row of current
        .prepare(`SELECT ${shared.join(', ')} FROM ${table} ORDER BY ${order}`)
        .raw()
        .all() as unknown[][])
        insert.run(...row);
    }
  })();
  current.close();
  if (version >= 3) {
    // Episode audits as that code stored them: the whole audit as JSON.
    const store = SqliteStore.openReadOnly(source);
    const insert = legacy.prepare('INSERT INTO episode_audits (episode_id, run_id, audit) VALUES (?, ?, ?)');
    for (const run of await store.listRuns())
      for await (const audit of store.iterateEpisodeAudits(run.id)) insert.run(audit.episodeId, run.id, JSON.stringify(audit));
    await store.close();
  }
  legacy.close();
}
