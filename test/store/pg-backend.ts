// A throw-away PostgreSQL server for store tests: one server per test file, a new database per location.
import pg from 'pg';
import { startPostgresServer, type LocalServer } from '../../src/testing/local-servers.ts';
import type { StoreBackend } from './conformance.ts';

/** The server's admin URL and a way to make new databases on it. */
export interface PostgresFixture {
  server(): LocalServer;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** URL of a new, empty database on the server (never used before). */
  freshDatabase(): Promise<string>;
  /** Run SQL on the database at `url`, bypassing the store. */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<R[]>;
}

export function postgresFixture(): PostgresFixture {
  let server: LocalServer | undefined;
  let next = 0;
  const fixture: PostgresFixture = {
    server: () => {
      if (!server) throw new Error('the PostgreSQL server is not started');
      return server;
    },
    start: async () => {
      server = await startPostgresServer();
    },
    stop: async () => {
      await server?.stop();
      server = undefined;
    },
    freshDatabase: async () => {
      const name = `gw_${process.pid}_${next++}`;
      await fixture.sql(fixture.server().url, `CREATE DATABASE ${name}`);
      return fixture.server().url.replace(/\/groundwork$/, `/${name}`);
    },
    sql: async <R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<R>(text, values)).rows;
      } finally {
        await client.end();
      }
    },
  };
  return fixture;
}

/** The conformance backend on a fixture's server. */
export function postgresBackend(fixture: PostgresFixture, skip: string | false): StoreBackend {
  return {
    name: 'PostgreSQL',
    skip,
    setup: fixture.start,
    teardown: fixture.stop,
    freshLocation: fixture.freshDatabase,
    setLayoutVersion: async (location, version) => {
      await fixture.sql(location, "UPDATE meta SET value = $1 WHERE key = 'schema_version'", [String(version)]);
    },
    countRows: async (location, table) => Number((await fixture.sql<{ n: string }>(location, `SELECT count(*) AS n FROM ${table}`))[0].n),
  };
}
