import pg from 'pg';
import { GroundworkError } from '../errors.ts';
import { runAuditSchema, type EpisodeAudit, type RunAudit } from '../schema/audit.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Outcome } from '../schema/outcome.ts';
import { taskSchema, type Task } from '../schema/task.ts';
import { taskContentHash } from '../schema/task-hash.ts';
import type { Usage } from '../schema/trajectory.ts';
import { experienceRecordSchema, learningSessionSchema, type ExperienceRecord, type LearningSession } from '../schema/experience.ts';
import { redactStoreLocation } from './open-store.ts';
import { encodeEpisodeAudit, GoalItemsCache, type AuditRowFields } from './audit-codec.ts';
import {
  attemptValues,
  decodeCursor,
  episodeValues,
  encodeCursor,
  leaseOf,
  parseAudit,
  toAttempt,
  toAudit,
  toRecord,
  toRow,
  toRun,
  toRunListing,
  type AttemptRowSql,
  type EpisodeRowSql as LightEpisodeRowSql,
  type RunRowSql,
  type StoredAuditSql,
} from './rows.ts';
import {
  episodeKey,
  leaseIsLive,
  type AuditTotals,
  type EpisodeAttempt,
  type EpisodeFilter,
  type EpisodePage,
  type EpisodeRecord,
  type EpisodeRow,
  type ExperienceFilter,
  type LeaseOwner,
  type LeaseResult,
  type RunListing,
  type RunRecord,
  type RunStatus,
  type Store,
} from './store.ts';

/**
 * Storage, not layout: an episode's trajectory and outcome (kilobytes) are moved out of the row
 * (TOAST) as soon as the row passes 128 bytes, so scans of the light columns (counts, filters,
 * listings) read narrow rows, as SQLite's column order keeps its large columns in overflow pages;
 * lz4 compresses them several times faster than the default. Each is skipped on a server without it
 * (toast_tuple_target: PostgreSQL 11; lz4: 14, built with lz4).
 */
const NARROW_EPISODE_ROWS = `
   DO $$ BEGIN ALTER TABLE episodes SET (toast_tuple_target = 128); EXCEPTION WHEN OTHERS THEN NULL; END $$;
   DO $$ BEGIN
     ALTER TABLE episodes ALTER COLUMN trajectory SET COMPRESSION lz4;
     ALTER TABLE episodes ALTER COLUMN outcome SET COMPRESSION lz4;
   EXCEPTION WHEN OTHERS THEN NULL; END $$;`;

/**
 * Layout migrations, the PostgreSQL twin of SQLite's (src/store/sqlite-store.ts): migration N brings
 * the layout to version N with the same tables and columns, so both stores share one layout version
 * and the same refusal of newer databases. Never edit one that has shipped; append a new one.
 * Documents (configs, tasks, trajectories, outcomes, audits) are TEXT holding the JSON exactly as
 * written, so records read back are byte-equal to what was saved. `seq` (BIGSERIAL) is the stable
 * listing order, as SQLite's rowid is, and the key of keyset pages. Text keys are COLLATE "C" so
 * ordering is byte order, as in SQLite, whatever the database's locale.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE runs (
     id TEXT COLLATE "C" PRIMARY KEY, created_at TEXT COLLATE "C" NOT NULL, status TEXT NOT NULL,
     config TEXT NOT NULL, planned INTEGER NOT NULL);
   CREATE TABLE run_tasks (
     run_id TEXT COLLATE "C" NOT NULL REFERENCES runs(id), task_id TEXT COLLATE "C" NOT NULL, position INTEGER NOT NULL,
     task TEXT NOT NULL, PRIMARY KEY (run_id, task_id));
   CREATE TABLE episodes (
     seq BIGSERIAL NOT NULL UNIQUE,
     id TEXT COLLATE "C" PRIMARY KEY, run_id TEXT COLLATE "C" NOT NULL REFERENCES runs(id), agent TEXT COLLATE "C" NOT NULL,
     task_id TEXT COLLATE "C" NOT NULL, trial INTEGER NOT NULL, seed BIGINT NOT NULL, family TEXT COLLATE "C" NOT NULL,
     split TEXT NOT NULL, reward DOUBLE PRECISION NOT NULL, termination TEXT COLLATE "C" NOT NULL,
     trajectory TEXT NOT NULL, outcome TEXT NOT NULL, created_at TEXT NOT NULL,
     UNIQUE (run_id, agent, task_id, trial));
   CREATE INDEX episodes_run ON episodes (run_id, agent);
   CREATE INDEX episodes_run_seq ON episodes (run_id, seq);
   ${NARROW_EPISODE_ROWS}`,
  // Experience (reflections, insights, demonstrations, skills) and learning sessions (issue 7).
  `CREATE TABLE experience (
     seq BIGSERIAL NOT NULL UNIQUE,
     id TEXT COLLATE "C" PRIMARY KEY, set_id TEXT COLLATE "C" NOT NULL, kind TEXT NOT NULL, domain TEXT NOT NULL, family TEXT,
     split TEXT NOT NULL, record TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE INDEX experience_set ON experience (set_id, kind);
   CREATE TABLE learning_sessions (id TEXT COLLATE "C" PRIMARY KEY, created_at TEXT COLLATE "C" NOT NULL, record TEXT NOT NULL);`,
  // Audits of runs and episodes, and cached judge answers (issue 6).
  `CREATE TABLE run_audits (run_id TEXT COLLATE "C" PRIMARY KEY REFERENCES runs(id), created_at TEXT NOT NULL, audit TEXT NOT NULL);
   CREATE TABLE episode_audits (
     seq BIGSERIAL NOT NULL UNIQUE,
     episode_id TEXT COLLATE "C" PRIMARY KEY, run_id TEXT COLLATE "C" NOT NULL REFERENCES runs(id), audit TEXT NOT NULL);
   CREATE INDEX episode_audits_run ON episode_audits (run_id, seq);
   CREATE TABLE audit_cache (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);`,
  // Content hash of each planned task (issue 11).
  `ALTER TABLE run_tasks ADD COLUMN content_hash TEXT;`,
  // The lease of the process running a run (issue 13); NULL when none holds it.
  `ALTER TABLE runs ADD COLUMN lease_owner TEXT;
   ALTER TABLE runs ADD COLUMN lease_pid INTEGER;
   ALTER TABLE runs ADD COLUMN lease_host TEXT;
   ALTER TABLE runs ADD COLUMN lease_expires BIGINT;`,
  // Layout for scale (issue 16), as SQLite's migration 6: the audit's indexed values on the episode
  // (NULL when not audited), backfilled from the stored audits (one that is not valid JSON is left
  // unindexed rather than failing the upgrade); one index per viewer filter, ending
  // in `seq` so each filter is answered from its index in listing order; audits stored compactly
  // (store/audit-codec.ts) with goal items once per content key; task tags as rows; queue workers'
  // attempts. The result indexes INCLUDE reward so that counts of a result filter are index-only
  // scans (PostgreSQL reads an expression's columns from an index only when it holds them): 37 ms
  // to 3 ms for a count over 50k episodes.
  `ALTER TABLE episodes ADD COLUMN audit_fault_cause TEXT COLLATE "C";
   ALTER TABLE episodes ADD COLUMN audit_confident_failure BOOLEAN;
   DO $$ BEGIN
     UPDATE episodes e SET audit_fault_cause = a.audit::json->'fault'->>'cause',
         audit_confident_failure = CASE WHEN json_typeof(a.audit::json->'confidentFailure') = 'boolean'
           THEN (a.audit::json->>'confidentFailure')::boolean END
       FROM episode_audits a WHERE a.episode_id = e.id;
   EXCEPTION WHEN invalid_text_representation THEN
     -- A stored audit is not valid JSON: index the audits one by one, leaving those unindexed (NULL).
     DECLARE stored record; parsed json; BEGIN
       FOR stored IN SELECT episode_id, audit FROM episode_audits LOOP
         BEGIN parsed := stored.audit::json; EXCEPTION WHEN invalid_text_representation THEN CONTINUE; END;
         UPDATE episodes SET audit_fault_cause = parsed->'fault'->>'cause',
             audit_confident_failure = CASE WHEN json_typeof(parsed->'confidentFailure') = 'boolean'
               THEN (parsed->>'confidentFailure')::boolean END
           WHERE id = stored.episode_id;
       END LOOP;
     END;
   END $$;
   CREATE INDEX episodes_agent_seq ON episodes (run_id, agent, seq);
   CREATE INDEX episodes_agent_result ON episodes (run_id, agent, (reward >= 1), seq) INCLUDE (reward);
   CREATE INDEX episodes_result ON episodes (run_id, (reward >= 1), seq) INCLUDE (reward);
   CREATE INDEX episodes_family ON episodes (run_id, family, seq);
   CREATE INDEX episodes_termination ON episodes (run_id, termination, seq);
   CREATE INDEX episodes_task ON episodes (run_id, task_id, seq);
   CREATE INDEX episodes_fault_cause ON episodes (run_id, audit_fault_cause, seq);
   CREATE INDEX episodes_confident_failure ON episodes (run_id, audit_confident_failure, seq);
   ALTER TABLE episode_audits ADD COLUMN goal_key TEXT;
   CREATE TABLE audit_goal_items (key TEXT COLLATE "C" PRIMARY KEY, items TEXT NOT NULL);
   CREATE TABLE run_task_tags (
     run_id TEXT COLLATE "C" NOT NULL REFERENCES runs(id), tag TEXT COLLATE "C" NOT NULL, task_id TEXT COLLATE "C" NOT NULL,
     PRIMARY KEY (run_id, tag, task_id));
   INSERT INTO run_task_tags (run_id, tag, task_id)
     SELECT DISTINCT run_id, json_array_elements_text(task::json->'tags'), task_id FROM run_tasks;
   CREATE TABLE episode_attempts (
     seq BIGSERIAL NOT NULL UNIQUE,
     run_id TEXT COLLATE "C" NOT NULL REFERENCES runs(id), episode_id TEXT COLLATE "C" NOT NULL, attempt INTEGER NOT NULL,
     worker TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT COLLATE "C" NOT NULL, ended_at TEXT, detail TEXT,
     PRIMARY KEY (run_id, episode_id, attempt));`,
  // SQLite's migration 7 gives its attempts the `seq` this table has had since 6 (attempts are
  // listed in the store's order of insertion): nothing to change here, the number keeps both layouts equal.
  `SELECT 1;`,
];

/** The layout migrations (read-only), for tests that build a database as an earlier version left it. */
export const POSTGRES_MIGRATIONS: readonly string[] = MIGRATIONS;

/** Version of the PostgreSQL layout (= number of migrations; equal to SQLITE_STORE_VERSION). */
export const POSTGRES_STORE_VERSION = MIGRATIONS.length;

/** Key of the advisory lock taken while migrating, so two processes opening one database at once cannot race. */
const MIGRATION_LOCK = 0x67_72_6f_75_6e_64; // "ground"

/** First key of the per-run advisory lock that orders episode saves (see `saveEpisode`); the second is the run id's hash. */
const EPISODE_ORDER_LOCK = 0x67_77_65_70; // "gwep"

/** Connections per store: enough for a worker's concurrent saves, small enough for many workers on one server. */
const POOL_SIZE = 10;

/** Rows per keyset page when streaming episodes or audits (memory stays flat on large runs). */
const STREAM_PAGE = 200;

/** BIGINT (seq, counts, lease expiry) as a JS number: every value we store is far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** An episode row as PostgreSQL selects it: with its `seq` (keyset pages). */
interface EpisodeRowSql extends LightEpisodeRowSql {
  seq: number;
}

const EPISODE_ROW_COLUMNS = 'seq, id, run_id, agent, task_id, trial, seed, family, split, reward, termination, created_at';
/** Named columns (never `*`): a prepared statement must not change shape if a later layout adds columns. */
const EPISODE_COLUMNS = `${EPISODE_ROW_COLUMNS}, trajectory, outcome`;
const RUN_COLUMNS = 'id, created_at, status, config, planned, lease_owner, lease_pid, lease_host, lease_expires';

/** Where the server is, for messages: host:port and database, never the user's password. */
interface ServerAddress {
  /** `host:port`. */
  where: string;
  database: string;
  /** The password in the URL, scrubbed from any message that might echo it. */
  password: string;
}

function serverAddress(url: string): ServerAddress {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return {
      where: `${host}:${parsed.port || '5432'}`,
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres',
      password: decodeURIComponent(parsed.password),
    };
  } catch {
    return { where: '(unparseable URL)', database: '', password: '' };
  }
}

/** PostgreSQL error codes (SQLSTATE) and Node socket codes that mean "cannot reach or log in to the server". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isConnectionError(error: unknown): boolean {
  const code = errorCode(error);
  if (code && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return /connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(String((error as Error)?.message));
}

/**
 * The PostgreSQL store: the same contract and layout as the embedded SQLite store, for runs shared
 * by many processes and machines (queue workers). Every episode is committed in one statement (its
 * audit with it); leases are compare-and-set updates; migrations run under an advisory lock.
 */
export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private readonly address: ServerAddress;
  readonly location: string;
  private closed = false;
  /** Set once open or openReadOnly has succeeded (error hints differ before). */
  private opened = false;
  /** The goal items' texts this store made and the keys whose row it has seen committed (see `saveEpisode`). */
  private readonly goalItems = new GoalItemsCache();

  private constructor(pool: pg.Pool, url: string) {
    this.pool = pool;
    this.location = redactStoreLocation(url);
    this.address = serverAddress(url);
  }

  /**
   * Open (creating its tables, and the database itself when allowed) the store at a
   * `postgres://user:password@host:port/db` URL, migrating an older layout. Throws STORE_FAILED
   * with host:port and a hint when the server cannot be reached, SCHEMA_VERSION for a newer layout.
   */
  static async open(url: string): Promise<PostgresStore> {
    const store = new PostgresStore(PostgresStore.pool(url, false), url);
    try {
      await store.createDatabaseIfMissing(url);
      await store.migrate();
      store.opened = true;
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /**
   * Open an existing store for reading only (`runs`, `show`, `report`, …): every session is
   * read-only (`default_transaction_read_only`), so nothing is created, migrated or written. A
   * database without Groundwork tables is NO_DATABASE. An older layout is upgraded once through a
   * writable open (migrations are additive), then reopened read-only, as SQLite does.
   */
  static async openReadOnly(url: string): Promise<PostgresStore> {
    const store = new PostgresStore(PostgresStore.pool(url, true), url);
    let version: number;
    try {
      version = await store.layoutVersion(true);
    } catch (error) {
      await store.close();
      throw error;
    }
    if (version < POSTGRES_STORE_VERSION) {
      await store.close();
      try {
        await (await PostgresStore.open(url)).close();
      } catch (error) {
        if (GroundworkError.isInstance(error) && error.code === 'SCHEMA_VERSION') throw error;
        throw new GroundworkError(
          'STORE_FAILED',
          `the store ${store.location} has layout version ${version}, older than this Groundwork (${POSTGRES_STORE_VERSION}), and cannot be upgraded: ${store.scrub((error as Error).message)}`,
          { cause: error, hint: 'run any groundwork command once with a role that may alter its tables' },
        );
      }
      return PostgresStore.openReadOnly(url);
    }
    store.opened = true;
    return store;
  }

  private static pool(url: string, readOnly: boolean): pg.Pool {
    // Session options of the URL (`?options=-c search_path=…`) would replace ours (pg lets the
    // connection string win), so they are merged into one explicit `options`.
    let connectionString = url;
    const options: string[] = [];
    try {
      const parsed = new URL(url);
      const own = parsed.searchParams.get('options');
      if (own) options.push(own);
      parsed.searchParams.delete('options');
      connectionString = parsed.toString();
    } catch {
      // pg reports the unparseable URL itself.
    }
    if (readOnly) options.push('-c default_transaction_read_only=on');
    const pool = new pg.Pool({
      connectionString,
      max: POOL_SIZE,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: 10_000,
      application_name: 'groundwork',
      // Idle connections never keep a finished command alive (close() still ends the pool at once).
      allowExitOnIdle: true,
      types,
      ...(options.length ? { options: options.join(' ') } : {}),
    });
    // An idle connection dropped by the server (restart, idle timeout) must not crash the process:
    // the next query takes a new connection, and a failing one reports STORE_FAILED.
    pool.on('error', () => undefined);
    return pool;
  }

  /** A message with the URL's password removed, whatever echoed it. */
  private scrub(text: string): string {
    return this.address.password ? text.split(this.address.password).join('***') : text;
  }

  /** STORE_FAILED for a failed query: host:port when the server is unreachable, never the password. */
  private failure(what: string, error: unknown): GroundworkError {
    if (GroundworkError.isInstance(error)) return error;
    const reason = this.scrub((error as Error)?.message ?? String(error));
    const code = errorCode(error);
    // Before anything ran (opening), there is nothing to resume.
    const resume = this.opened ? '; stored episodes are kept: resume with groundwork run --resume RUN_ID' : '';
    if (code === '3D000')
      return new GroundworkError(
        'STORE_FAILED',
        `${what}: the database ${JSON.stringify(this.address.database)} does not exist on PostgreSQL at ${this.address.where}`,
        { cause: error, hint: `create it (createdb ${this.address.database}) or pass another --store URL` },
      );
    if (code === '28P01' || code === '28000')
      return new GroundworkError('STORE_FAILED', `${what}: PostgreSQL at ${this.address.where} refused the login: ${reason}`, {
        cause: error,
        hint: 'check the user and password in the --store URL (postgres://USER:PASSWORD@HOST:PORT/DB)',
      });
    if (isConnectionError(error))
      return new GroundworkError('STORE_FAILED', `${what}: cannot reach PostgreSQL at ${this.address.where}: ${reason}`, {
        cause: error,
        hint: `check that the server is up and the --store URL (postgres://USER:PASSWORD@HOST:PORT/DB) is right${resume}`,
      });
    if (code === '25006')
      return new GroundworkError('STORE_FAILED', `${what}: ${reason}`, {
        cause: error,
        hint: 'this command opened the store read-only; writing commands open it writable',
      });
    return new GroundworkError('STORE_FAILED', `${what} in PostgreSQL at ${this.address.where}: ${reason}`, {
      cause: error,
      hint: `check the server (disk space, permissions of the role)${resume}`,
    });
  }

  /**
   * One parameterised statement (named ones are prepared once per connection); any failure becomes
   * STORE_FAILED naming what was being done. Every statement is atomic on its own, so one that lost a
   * deadlock (rolled back by the server) is simply run again.
   */
  private async query<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[] = [],
    name?: string,
  ): Promise<pg.QueryResult<R>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pool.query<R>(name ? { name, text, values } : { text, values });
      } catch (error) {
        if (errorCode(error) === '40P01' && attempt < 5) continue;
        throw this.failure(what, error);
      }
    }
  }

  /** Run `fn` in one transaction on one connection. */
  private async transaction<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.failure(what, error);
    }
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.failure(what, error);
    } finally {
      client.release();
    }
  }

  /** Writable opens create a missing database (as SQLite creates a missing file) when the role may. */
  private async createDatabaseIfMissing(url: string): Promise<void> {
    try {
      const client = await this.pool.connect();
      client.release();
      return;
    } catch (error) {
      if (errorCode(error) !== '3D000') throw this.failure('cannot open the store', error);
    }
    const maintenance = new URL(url);
    maintenance.pathname = '/postgres';
    const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(this.address.database)}`);
    } catch (error) {
      // 42P04: another process created it first.
      if (errorCode(error) !== '42P04') throw this.failure('cannot create the database', error);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Layout version of the database: 0 when it has no Groundwork tables yet. Refuses newer layouts
   * and databases holding other tables but no Groundwork `meta` (never touched).
   */
  private async layoutVersion(readOnly: boolean, client?: pg.PoolClient): Promise<number> {
    const run = async <R extends pg.QueryResultRow>(text: string): Promise<R[]> => {
      try {
        return (await (client ?? this.pool).query<R>(text)).rows;
      } catch (error) {
        if (readOnly && errorCode(error) === '3D000')
          throw new GroundworkError(
            'NO_DATABASE',
            `no database ${JSON.stringify(this.address.database)} on PostgreSQL at ${this.address.where}`,
            {
              cause: error,
              hint: 'run `groundwork run --store URL` first or pass another --store',
            },
          );
        throw this.failure('cannot open the store', error);
      }
    };
    const [meta] = await run<{ present: boolean; tables: number }>(
      "SELECT to_regclass('meta') IS NOT NULL AS present, (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())::int AS tables",
    );
    const version = meta.present
      ? Number((await run<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'"))[0]?.value ?? 0)
      : 0;
    if (version > POSTGRES_STORE_VERSION)
      throw new GroundworkError(
        'SCHEMA_VERSION',
        `the store ${this.location} has layout version ${version}, newer than this Groundwork (${POSTGRES_STORE_VERSION})`,
        { hint: 'upgrade Groundwork or use another --store' },
      );
    if (!meta.present && meta.tables > 0)
      throw new GroundworkError('STORE_FAILED', `${this.location} is a PostgreSQL database but not a Groundwork one`, {
        hint: 'use another database (or a schema of its own: ?options=-c%20search_path%3DNAME) in --store',
      });
    if (readOnly && !meta.present)
      throw new GroundworkError('NO_DATABASE', `no Groundwork store in ${this.location}`, {
        hint: 'run `groundwork run --store URL` first or pass another --store',
      });
    return version;
  }

  /** Brings the layout up to date in one transaction, under an advisory lock held until commit. */
  private async migrate(): Promise<void> {
    if ((await this.layoutVersion(false)) === POSTGRES_STORE_VERSION) return;
    await this.transaction('cannot migrate the store', async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      // Read again under the lock: another process may have migrated meanwhile.
      const version = await this.layoutVersion(false, client);
      for (let v = version; v < POSTGRES_STORE_VERSION; v++) await client.query(MIGRATIONS[v]);
      await client.query(
        "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [String(POSTGRES_STORE_VERSION)],
      );
    });
  }

  async createRun(run: {
    id: string;
    config: RunRecord['config'];
    tasks: Task[];
    planned: number;
    createdAt: string;
    taskHashes?: Record<string, string>;
  }): Promise<void> {
    const tags = run.tasks.flatMap((task) => [...new Set(task.tags)].map((tag) => [task.id, tag] as const));
    await this.transaction('cannot store the run', async (client) => {
      await client.query('INSERT INTO runs (id, created_at, status, config, planned) VALUES ($1, $2, $3, $4, $5)', [
        run.id,
        run.createdAt,
        'running',
        JSON.stringify(run.config),
        run.planned,
      ]);
      await client.query(
        `INSERT INTO run_tasks (run_id, task_id, position, task, content_hash)
         SELECT $1::text, t.task_id, t.position, t.task, t.content_hash FROM unnest($2::text[], $3::int[], $4::text[], $5::text[]) AS t(task_id, position, task, content_hash)`,
        [
          run.id,
          run.tasks.map((task) => task.id),
          run.tasks.map((_, position) => position),
          run.tasks.map((task) => JSON.stringify(task)),
          run.tasks.map((task) => run.taskHashes?.[task.id] ?? null),
        ],
      );
      if (tags.length > 0)
        await client.query(
          'INSERT INTO run_task_tags (run_id, tag, task_id) SELECT $1::text, t.tag, t.task_id FROM unnest($2::text[], $3::text[]) AS t(task_id, tag) ON CONFLICT DO NOTHING',
          [run.id, tags.map(([taskId]) => taskId), tags.map(([, tag]) => tag)],
        );
    });
  }

  async runTaskHashes(runId: string): Promise<Map<string, string>> {
    const { rows } = await this.query<{ task_id: string; task: string; content_hash: string | null }>(
      'cannot read the run tasks',
      'SELECT task_id, task, content_hash FROM run_tasks WHERE run_id = $1 ORDER BY position',
      [runId],
    );
    const out = new Map<string, string>();
    for (const row of rows) {
      if (row.content_hash) {
        out.set(row.task_id, row.content_hash);
        continue;
      }
      // Runs stored before hashes: the world is read from an episode's recorded initial state.
      const { rows: initial } = await this.query<{ h: string | null }>(
        'cannot read the run tasks',
        "SELECT trajectory::json->>'initialStateHash' AS h FROM episodes WHERE run_id = $1 AND task_id = $2 AND trajectory::json->>'initialStateHash' <> 'unknown' LIMIT 1",
        [runId, row.task_id],
      );
      out.set(row.task_id, taskContentHash(taskSchema.parse(JSON.parse(row.task)), initial[0]?.h ?? null));
    }
    return out;
  }

  async acquireLease(runId: string, owner: LeaseOwner, ttlMs: number): Promise<LeaseResult> {
    // Compare-and-set: read the lease, decide (liveness needs this host's process table), then
    // update only if the lease is still the one we read; a concurrent taker makes us read again.
    for (;;) {
      const { rows } = await this.query<RunRowSql>(
        'cannot take the run lease',
        'SELECT lease_owner, lease_pid, lease_host, lease_expires FROM runs WHERE id = $1',
        [runId],
        'gw_lease_read',
      );
      if (rows.length === 0) throw new GroundworkError('UNKNOWN_RUN', `no run ${JSON.stringify(runId)} in this database`);
      const held = leaseOf(rows[0]);
      if (held && held.owner !== owner.owner && leaseIsLive(held)) return { acquired: false, holder: held };
      const { rowCount } = await this.query(
        'cannot take the run lease',
        `UPDATE runs SET lease_owner = $2, lease_pid = $3, lease_host = $4, lease_expires = $5
         WHERE id = $1 AND lease_owner IS NOT DISTINCT FROM $6 AND lease_expires IS NOT DISTINCT FROM $7`,
        [runId, owner.owner, owner.pid, owner.host, Date.now() + ttlMs, rows[0].lease_owner, rows[0].lease_expires],
        'gw_lease_take',
      );
      if (rowCount === 1) return { acquired: true };
    }
  }

  async renewLease(runId: string, owner: string, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.query(
      'cannot renew the run lease',
      'UPDATE runs SET lease_expires = $1 WHERE id = $2 AND lease_owner = $3',
      [Date.now() + ttlMs, runId, owner],
      'gw_lease_renew',
    );
    return rowCount === 1;
  }

  async releaseLease(runId: string, owner: string): Promise<void> {
    await this.query(
      'cannot release the run lease',
      'UPDATE runs SET lease_owner = NULL, lease_pid = NULL, lease_host = NULL, lease_expires = NULL WHERE id = $1 AND lease_owner = $2',
      [runId, owner],
    );
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const { rows } = await this.query<RunRowSql>(
      'cannot read the run',
      `SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1`,
      [id],
      'gw_run_get',
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async listRuns(): Promise<RunListing[]> {
    const { rows } = await this.query<RunRowSql>('cannot list runs', `SELECT ${RUN_COLUMNS} FROM runs ORDER BY created_at DESC, id DESC`);
    const { rows: stats } = await this.query<{ run_id: string; agent: string; n: number; graded: number; mean: number | null }>(
      'cannot list runs',
      `SELECT run_id, agent, count(*)::int AS n, count(*) FILTER (WHERE termination <> 'infra_error')::int AS graded,
         avg(reward) FILTER (WHERE termination <> 'infra_error') AS mean
       FROM episodes GROUP BY run_id, agent ORDER BY run_id, agent`,
    );
    const byRun = new Map<string, typeof stats>();
    for (const stat of stats) byRun.set(stat.run_id, [...(byRun.get(stat.run_id) ?? []), stat]);
    return rows.map((row) => {
      const perAgent = byRun.get(row.id) ?? [];
      return toRunListing(row, perAgent);
    });
  }

  async setRunStatus(id: string, status: RunStatus): Promise<void> {
    await this.query('cannot update the run', 'UPDATE runs SET status = $1 WHERE id = $2', [status, id]);
    if (status === 'finished') await this.refreshStatistics();
  }

  /**
   * A run just finished: vacuum and analyze the episodes now rather than when autovacuum comes by
   * (up to a minute or more later), so the viewer's first queries on the run use the filter indexes
   * with fresh statistics and counts and audit totals are index-only scans (measured at 50k
   * episodes: audit totals 155 ms before, 28 ms after). VACUUM skips pages already all-visible, so
   * its cost follows what changed. Best effort: skipped when the role does not own the tables or
   * another VACUUM holds them.
   */
  private async refreshStatistics(): Promise<void> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await client.query("SET lock_timeout = '200ms'");
      await client.query('VACUUM (ANALYZE) episodes, run_task_tags');
    } catch {
      // Statistics are an optimisation: autovacuum refreshes them anyway.
    } finally {
      await client?.query('RESET lock_timeout').catch(() => undefined);
      client?.release();
    }
  }

  async runTasks(runId: string): Promise<Task[]> {
    const { rows } = await this.query<{ task: string }>(
      'cannot read the run tasks',
      'SELECT task FROM run_tasks WHERE run_id = $1 ORDER BY position',
      [runId],
    );
    return rows.map((row) => taskSchema.parse(JSON.parse(row.task)));
  }

  async saveEpisode(episode: EpisodeRecord, audit?: EpisodeAudit): Promise<boolean> {
    // (The body never holds the audit's episodeId: it is filed under this episode without a copy.)
    const encoded = audit ? encodeEpisodeAudit(audit, episodeFields(episode), this.goalItems) : undefined;
    const values: unknown[] = [...episodeValues(episode), encoded?.faultCause ?? null, encoded ? encoded.confidentFailure : null];
    // Keyset pages (seq > cursor) need seq order to be commit order within a run: a row taking its
    // seq (nextval, evaluated as the row is formed) before another but committing after it would be
    // behind a cursor already served, and never listed. So the row is formed only under the run's
    // advisory lock, held until this statement's transaction commits: saves of one run take their
    // seq one after the other, each after the previous one committed. The lock is in a subquery that
    // `OFFSET 0` keeps apart (never merged into the row's projection), so it is taken first. No
    // extra round trip; other runs are not held up (a hash collision of two runs only serialises them).
    const insert = `INSERT INTO episodes (id, run_id, agent, task_id, trial, seed, family, split, reward, termination, created_at,
        trajectory, outcome, audit_fault_cause, audit_confident_failure)
      SELECT $1::text, $2::text, $3::text, $4::text, $5::int, $6::bigint, $7::text, $8::text, $9::float8, $10::text, $11::text,
        $12::text, $13::text, $14::text, $15::boolean
      FROM (SELECT pg_advisory_xact_lock(${EPISODE_ORDER_LOCK}, hashtext($2::text)) OFFSET 0) AS run_order
      ON CONFLICT DO NOTHING RETURNING id`;
    if (!encoded) {
      const { rowCount } = await this.query('cannot store the episode', insert, values, 'gw_episode_save');
      return rowCount === 1;
    }
    // One statement: one round trip and one transaction. The audit is stored only with a new episode.
    // Its goal items are sent only while this store has not seen their row committed (rows of
    // audit_goal_items are never deleted): the same ~2 KB for every episode of a task otherwise.
    const goalStored = this.goalItems.has(encoded.goalKey);
    const { rows } = await this.query<{ n: number }>(
      'cannot store the episode',
      `WITH saved AS (${insert}),
       ${goalStored ? '' : 'goal AS (INSERT INTO audit_goal_items (key, items) SELECT $16::text, $18::text FROM saved ON CONFLICT DO NOTHING),'}
       audited AS (
         INSERT INTO episode_audits (episode_id, run_id, audit, goal_key) SELECT id, $2, $17::text, $16::text FROM saved
         ON CONFLICT (episode_id) DO UPDATE SET run_id = excluded.run_id, audit = excluded.audit, goal_key = excluded.goal_key)
       SELECT count(*)::int AS n FROM saved`,
      [...values, encoded.goalKey, encoded.body, ...(goalStored ? [] : [encoded.goalItems])],
      goalStored ? 'gw_episode_save_audited_goal_stored' : 'gw_episode_save_audited',
    );
    const saved = rows[0].n === 1;
    // Committed with the episode (or already there); nothing was inserted when the episode was not.
    if (saved) this.goalItems.committed(encoded.goalKey);
    return saved;
  }

  async updateOutcome(episodeId: string, outcome: Outcome): Promise<void> {
    await this.query('cannot update the outcome', 'UPDATE episodes SET outcome = $1, reward = $2 WHERE id = $3', [
      JSON.stringify(outcome),
      outcome.reward,
      episodeId,
    ]);
  }

  async episodeKeys(runId: string): Promise<Set<string>> {
    const { rows } = await this.query<{ agent: string; task_id: string; trial: number }>(
      'cannot read the episodes',
      'SELECT agent, task_id, trial FROM episodes WHERE run_id = $1',
      [runId],
      'gw_episode_keys',
    );
    return new Set(rows.map((r) => episodeKey(r.agent, r.task_id, r.trial)));
  }

  /** WHERE clause and parameters of an episode filter (parameters numbered from $1). */
  private episodeWhere(runId: string, filter: EpisodeFilter): { where: string[]; params: unknown[] } {
    const params: unknown[] = [runId];
    const param = (value: unknown): string => `$${params.push(value)}`;
    // Every filter is an equality on an indexed column (layout 6), answered from its index in `seq` order.
    const where = ['run_id = $1'];
    if (filter.agent) where.push(`agent = ${param(filter.agent)}`);
    if (filter.family) where.push(`family = ${param(filter.family)}`);
    if (filter.termination) where.push(`termination = ${param(filter.termination)}`);
    // IS TRUE / IS FALSE keep the indexed expression `(reward >= 1)` intact (the planner would turn
    // `= false` into `reward < 1`, which no index answers in `seq` order).
    if (filter.result) where.push(`(reward >= 1) IS ${filter.result === 'pass' ? 'TRUE' : 'FALSE'}`);
    // Audit filters read the audit's indexed values (episodes without an audit never match).
    if (filter.faultCause) where.push(`audit_fault_cause = ${param(filter.faultCause)}`);
    if (filter.confidentFailure !== undefined) where.push(`audit_confident_failure = ${param(filter.confidentFailure)}`);
    // Tags of the run's tasks, as planned.
    for (const tag of filter.tags ?? [])
      where.push(`task_id IN (SELECT task_id FROM run_task_tags WHERE run_id = $1 AND tag = ${param(tag)})`);
    return { where, params };
  }

  async countEpisodes(runId: string, filter: EpisodeFilter = {}): Promise<number> {
    const { where, params } = this.episodeWhere(runId, filter);
    const { rows } = await this.query<{ n: number }>(
      'cannot count the episodes',
      `SELECT count(*)::int AS n FROM episodes WHERE ${where.join(' AND ')}`,
      params,
    );
    return rows[0].n;
  }

  async listEpisodes(runId: string, filter: EpisodeFilter = {}): Promise<EpisodeRow[]> {
    const { where, params } = this.episodeWhere(runId, filter);
    if (filter.after !== undefined) where.push(`seq > $${params.push(decodeCursor(filter.after))}`);
    const limit = `$${params.push(filter.limit ?? null)}`;
    const offset = `$${params.push(filter.offset ?? 0)}`;
    const { rows } = await this.query<EpisodeRowSql>(
      'cannot list the episodes',
      `SELECT ${EPISODE_ROW_COLUMNS} FROM episodes WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
    return rows.map(toRow);
  }

  async listEpisodesPage(runId: string, filter: EpisodeFilter & { limit: number }): Promise<EpisodePage> {
    if (!Number.isInteger(filter.limit) || filter.limit < 1)
      throw new GroundworkError('INVALID_ARGUMENT', `a page of episodes needs a positive integer limit, not ${filter.limit}`, {
        hint: 'pass limit ≥ 1',
      });
    const { where, params } = this.episodeWhere(runId, filter);
    if (filter.after !== undefined) where.push(`seq > $${params.push(decodeCursor(filter.after))}`);
    // One row more than asked tells whether a next page exists.
    const limit = `$${params.push(filter.limit + 1)}`;
    const { rows } = await this.query<EpisodeRowSql>(
      'cannot list the episodes',
      `SELECT ${EPISODE_ROW_COLUMNS} FROM episodes WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${limit}`,
      params,
    );
    const page = rows.slice(0, filter.limit);
    return { rows: page.map(toRow), next: rows.length > filter.limit ? encodeCursor(page[page.length - 1].seq) : null };
  }

  async getEpisode(runId: string, episodeId: string): Promise<EpisodeRecord | undefined> {
    const { rows } = await this.query<EpisodeRowSql>(
      'cannot read the episode',
      `SELECT ${EPISODE_COLUMNS} FROM episodes WHERE run_id = $1 AND id = $2`,
      [runId, episodeId],
      'gw_episode_get',
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async *iterateEpisodes(runId: string): AsyncIterable<EpisodeRecord> {
    // Keyset pages by seq so memory stays flat on very large runs.
    let after = 0;
    while (true) {
      const { rows } = await this.query<EpisodeRowSql>(
        'cannot read the episodes',
        `SELECT ${EPISODE_COLUMNS} FROM episodes WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [runId, after, STREAM_PAGE],
        'gw_episode_stream',
      );
      if (rows.length === 0) return;
      for (const row of rows) yield toRecord(row);
      after = rows[rows.length - 1].seq;
    }
  }

  async listUsage(runId: string): Promise<{ agent: string; usage: Record<string, Usage> }[]> {
    const { rows } = await this.query<{ agent: string; usage: string | null }>(
      'cannot read the usage',
      "SELECT agent, (trajectory::json->'usage')::text AS usage FROM episodes WHERE run_id = $1 ORDER BY agent, seq",
      [runId],
    );
    return rows.map((row) => ({ agent: row.agent, usage: row.usage ? (JSON.parse(row.usage) as Record<string, Usage>) : {} }));
  }

  async deleteInfraErrors(runId: string): Promise<number> {
    // Their audits go with them: a re-run stores its own.
    const { rows } = await this.query<{ n: number }>(
      'cannot delete infra errors',
      `WITH gone AS (DELETE FROM episodes WHERE run_id = $1 AND termination = 'infra_error' RETURNING id),
       audits AS (DELETE FROM episode_audits WHERE episode_id IN (SELECT id FROM gone))
       SELECT count(*)::int AS n FROM gone`,
      [runId],
    );
    return rows[0].n;
  }

  async saveExperience(records: readonly ExperienceRecord[]): Promise<void> {
    const valid = records.map((record) => experienceRecordSchema.parse(record));
    if (valid.length === 0) return;
    await this.transaction('cannot store experience', async (client) => {
      for (const record of valid)
        await client.query({
          name: 'gw_experience_save',
          text: `INSERT INTO experience (id, set_id, kind, domain, family, split, record, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (id) DO UPDATE SET record = excluded.record, family = excluded.family`,
          values: [
            record.id,
            record.setId,
            record.kind,
            record.domain,
            record.family ?? null,
            record.provenance.split,
            JSON.stringify(record),
            record.createdAt,
          ],
        });
    });
  }

  async deleteExperience(ids: readonly string[]): Promise<number> {
    const { rowCount } = await this.query('cannot delete experience', 'DELETE FROM experience WHERE id = ANY($1::text[])', [[...ids]]);
    return rowCount ?? 0;
  }

  async listExperience(filter: ExperienceFilter = {}): Promise<ExperienceRecord[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (filter.setId) where.push(`set_id = $${params.push(filter.setId)}`);
    if (filter.kind) where.push(`kind = $${params.push(filter.kind)}`);
    if (filter.domain) where.push(`domain = $${params.push(filter.domain)}`);
    if (filter.family) where.push(`family = $${params.push(filter.family)}`);
    const { rows } = await this.query<{ record: string }>(
      'cannot read experience',
      `SELECT record FROM experience ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`,
      params,
    );
    return rows.map((row) => experienceRecordSchema.parse(JSON.parse(row.record)));
  }

  async saveLearningSession(session: LearningSession): Promise<void> {
    const valid = learningSessionSchema.parse(session);
    await this.query(
      'cannot store the learning session',
      'INSERT INTO learning_sessions (id, created_at, record) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET record = excluded.record',
      [valid.id, valid.createdAt, JSON.stringify(valid)],
    );
  }

  async getLearningSession(id: string): Promise<LearningSession | undefined> {
    const { rows } = await this.query<{ record: string }>(
      'cannot read the learning session',
      'SELECT record FROM learning_sessions WHERE id = $1',
      [id],
    );
    return rows[0] ? learningSessionSchema.parse(JSON.parse(rows[0].record)) : undefined;
  }

  async listLearningSessions(): Promise<LearningSession[]> {
    const { rows } = await this.query<{ record: string }>(
      'cannot list learning sessions',
      'SELECT record FROM learning_sessions ORDER BY created_at DESC, id DESC',
    );
    return rows.map((row) => learningSessionSchema.parse(JSON.parse(row.record)));
  }

  async saveRunAudit(runId: string, audit: RunAudit): Promise<void> {
    await this.query(
      'cannot store the run audit',
      'INSERT INTO run_audits (run_id, created_at, audit) VALUES ($1, $2, $3) ON CONFLICT (run_id) DO UPDATE SET created_at = excluded.created_at, audit = excluded.audit',
      [runId, audit.createdAt, JSON.stringify(audit)],
    );
  }

  async getRunAudit(runId: string): Promise<RunAudit | undefined> {
    const { rows } = await this.query<{ audit: string }>('cannot read the run audit', 'SELECT audit FROM run_audits WHERE run_id = $1', [
      runId,
    ]);
    return rows[0] ? parseAudit(runAuditSchema, rows[0].audit, `run ${runId}`) : undefined;
  }

  async saveEpisodeAudit(episodeId: string, runId: string, audit: EpisodeAudit): Promise<void> {
    await this.writeAudits('cannot store the episode audit', runId, [{ ...audit, episodeId }]);
  }

  async saveEpisodeAudits(runId: string, audits: readonly EpisodeAudit[]): Promise<void> {
    await this.writeAudits('cannot store the episode audits', runId, audits);
  }

  /**
   * Store (or replace) audits compactly, with their indexed values on the episodes: one read of the
   * episodes' fields (what the compact body leaves out), one statement to write, in the given order
   * (the streaming order, as SQLite's); an episode audited twice in a batch keeps its first place and
   * its last audit.
   */
  private async writeAudits(what: string, runId: string, audits: readonly EpisodeAudit[]): Promise<void> {
    if (audits.length === 0) return;
    const last = [...new Map(audits.map((audit) => [audit.episodeId, audit])).values()];
    const { rows } = await this.query<Pick<EpisodeRowSql, 'id' | 'agent' | 'task_id' | 'trial' | 'reward' | 'termination'>>(
      what,
      'SELECT id, agent, task_id, trial, reward, termination FROM episodes WHERE id = ANY($1::text[])',
      [last.map((audit) => audit.episodeId)],
    );
    const fields = new Map(rows.map((row) => [row.id, episodeFields({ ...row, taskId: row.task_id })]));
    const encoded = last.map((audit) => encodeEpisodeAudit(audit, fields.get(audit.episodeId), this.goalItems));
    // Goal items whose row this store has seen committed are not sent again.
    const goals = [...new Map(encoded.filter((e) => !this.goalItems.has(e.goalKey)).map((e) => [e.goalKey, e.goalItems])).entries()].sort(
      ([x], [y]) => (x < y ? -1 : x > y ? 1 : 0),
    );
    await this.query(
      what,
      `WITH goals AS (
         INSERT INTO audit_goal_items (key, items) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING),
       audits AS (
         INSERT INTO episode_audits (episode_id, run_id, audit, goal_key)
         SELECT a.episode_id, $3::text, a.body, a.goal_key
         FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS a(episode_id, body, goal_key, n) ORDER BY a.n
         ON CONFLICT (episode_id) DO UPDATE SET run_id = excluded.run_id, audit = excluded.audit, goal_key = excluded.goal_key),
       marked AS (
         UPDATE episodes e SET audit_fault_cause = m.cause, audit_confident_failure = m.confident
         FROM unnest($4::text[], $7::text[], $8::boolean[]) AS m(id, cause, confident) WHERE e.id = m.id)
       SELECT 1`,
      [
        goals.map(([key]) => key),
        goals.map(([, items]) => items),
        runId,
        last.map((audit) => audit.episodeId),
        encoded.map((e) => e.body),
        encoded.map((e) => e.goalKey),
        encoded.map((e) => e.faultCause),
        encoded.map((e) => e.confidentFailure),
      ],
    );
    for (const [key] of goals) this.goalItems.committed(key);
  }

  async getEpisodeAudit(episodeId: string): Promise<EpisodeAudit | undefined> {
    const { rows } = await this.query<PostgresStoredAuditSql>(
      'cannot read the episode audit',
      `${AUDIT_SELECT} WHERE a.episode_id = $1`,
      [episodeId],
      'gw_audit_get',
    );
    return rows[0] ? toAudit(rows[0]) : undefined;
  }

  async *iterateEpisodeAudits(runId: string): AsyncIterable<EpisodeAudit> {
    // Keyset pages by the audit's seq so memory stays flat on very large runs.
    let after = 0;
    while (true) {
      const { rows } = await this.query<PostgresStoredAuditSql>(
        'cannot read the episode audits',
        `${AUDIT_SELECT} WHERE a.run_id = $1 AND a.seq > $2 ORDER BY a.seq LIMIT $3`,
        [runId, after, STREAM_PAGE],
        'gw_audit_stream',
      );
      if (rows.length === 0) return;
      for (const row of rows) yield toAudit(row);
      after = rows[rows.length - 1].seq;
    }
  }

  async auditTotals(runId: string): Promise<AuditTotals> {
    // From the indexed values on the episodes, each part answered from its own index (a fault is
    // attributed to failed episodes only). The first row (cause NULL) holds the audited counts.
    const { rows } = await this.query<{ cause: string | null; n: number; confident: number }>(
      'cannot read the audit totals',
      `SELECT NULL AS cause, count(*)::int AS n, count(*) FILTER (WHERE audit_confident_failure)::int AS confident
         FROM episodes WHERE run_id = $1 AND audit_confident_failure IS NOT NULL
       UNION ALL
       SELECT audit_fault_cause, count(*)::int, 0 FROM episodes WHERE run_id = $1 AND audit_fault_cause IS NOT NULL
         GROUP BY audit_fault_cause
       ORDER BY cause NULLS FIRST`,
      [runId],
      'gw_audit_totals',
    );
    const totals: AuditTotals = { audited: 0, confidentFailures: 0, faultCauses: {} };
    for (const row of rows) {
      if (row.cause === null) {
        totals.audited = row.n;
        totals.confidentFailures = row.confident;
      } else totals.faultCauses[row.cause] = row.n;
    }
    return totals;
  }

  async saveAttempt(attempt: EpisodeAttempt): Promise<void> {
    await this.query(
      'cannot store the attempt',
      `INSERT INTO episode_attempts (run_id, episode_id, attempt, worker, status, started_at, ended_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (run_id, episode_id, attempt) DO UPDATE SET worker = excluded.worker, status = excluded.status,
         started_at = excluded.started_at, ended_at = excluded.ended_at, detail = excluded.detail`,
      attemptValues(attempt),
      'gw_attempt_save',
    );
  }

  async listAttempts(runId: string, episodeId?: string): Promise<EpisodeAttempt[]> {
    // `seq`: the order the store recorded them (an upsert keeps its row's); workers' clocks may disagree.
    const { rows } = await this.query<AttemptRowSql>(
      'cannot read the attempts',
      `SELECT run_id, episode_id, attempt, worker, status, started_at, ended_at, detail FROM episode_attempts WHERE run_id = $1 ${episodeId === undefined ? '' : 'AND episode_id = $2'} ORDER BY seq`,
      episodeId === undefined ? [runId] : [runId, episodeId],
    );
    return rows.map(toAttempt);
  }

  async getAuditCache(key: string): Promise<JsonValue | undefined> {
    const { rows } = await this.query<{ value: string }>('cannot read the audit cache', 'SELECT value FROM audit_cache WHERE key = $1', [
      key,
    ]);
    return rows[0] ? (JSON.parse(rows[0].value) as JsonValue) : undefined;
  }

  async putAuditCache(key: string, value: JsonValue): Promise<void> {
    await this.query(
      'cannot store the audit cache',
      'INSERT INTO audit_cache (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, JSON.stringify(value)],
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** What an audit repeats of its stored episode (the compact body leaves it out when equal). */
function episodeFields(row: {
  agent: string;
  taskId: string;
  trial: number;
  reward: number;
  termination: string;
}): Partial<AuditRowFields> {
  return { agent: row.agent, taskId: row.taskId, trial: row.trial, reward: row.reward, termination: row.termination };
}

/** A stored audit as PostgreSQL selects it (its seq pages the stream). */
interface PostgresStoredAuditSql extends StoredAuditSql {
  seq: number;
}

const AUDIT_SELECT = `SELECT a.seq, a.episode_id, a.run_id, a.audit, g.items, e.agent, e.task_id, e.trial, e.reward, e.termination
  FROM episode_audits a LEFT JOIN episodes e ON e.id = a.episode_id LEFT JOIN audit_goal_items g ON g.key = a.goal_key`;
