import { syncDirectory } from '../util/sync-directory.ts';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GroundworkError } from '../errors.ts';
import { runAuditSchema, type EpisodeAudit, type RunAudit } from '../schema/audit.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Outcome } from '../schema/outcome.ts';
import { taskSchema, type Task } from '../schema/task.ts';
import { taskContentHash } from '../schema/task-hash.ts';
import type { Usage } from '../schema/trajectory.ts';
import { experienceRecordSchema, learningSessionSchema, type ExperienceRecord, type LearningSession } from '../schema/experience.ts';
import {
  episodeKey,
  type AuditTotals,
  type EpisodeAttempt,
  type EpisodePage,
  type ExperienceFilter,
  type LeaseOwner,
  type LeaseResult,
  type EpisodeFilter,
  type EpisodeRecord,
  type EpisodeRow,
  type RunListing,
  type RunRecord,
  type RunStatus,
  type Store,
} from './store.ts';
import { encodeEpisodeAudit, GoalItemsCache, type AuditRowFields, type EncodedEpisodeAudit } from './audit-codec.ts';
import {
  attemptValues,
  decodeCursor,
  episodeValues,
  encodeCursor,
  parseAudit,
  toAttempt,
  toAudit,
  toRecord,
  toRow,
  toRun,
  toRunListing,
  type AttemptRowSql,
  type EpisodeRowSql,
  type RunRowSql,
  type StoredAuditSql,
} from './rows.ts';

/**
 * Layout migrations, applied in order; never edit one that has shipped, append a new one.
 * Migration N (1-based) brings the layout to version N.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE runs (
     id TEXT PRIMARY KEY, created_at TEXT NOT NULL, status TEXT NOT NULL,
     config TEXT NOT NULL, planned INTEGER NOT NULL);
   CREATE TABLE run_tasks (
     run_id TEXT NOT NULL REFERENCES runs(id), task_id TEXT NOT NULL, position INTEGER NOT NULL, task TEXT NOT NULL,
     PRIMARY KEY (run_id, task_id));
   CREATE TABLE episodes (
     id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(id), agent TEXT NOT NULL, task_id TEXT NOT NULL,
     trial INTEGER NOT NULL, seed INTEGER NOT NULL, family TEXT NOT NULL, split TEXT NOT NULL,
     reward REAL NOT NULL, termination TEXT NOT NULL, trajectory TEXT NOT NULL, outcome TEXT NOT NULL,
     created_at TEXT NOT NULL,
     UNIQUE (run_id, agent, task_id, trial));
   CREATE INDEX episodes_run ON episodes (run_id, agent);`,
  // Experience (reflections, insights, demonstrations, skills) and learning sessions (issue 7).
  `CREATE TABLE experience (
     id TEXT PRIMARY KEY, set_id TEXT NOT NULL, kind TEXT NOT NULL, domain TEXT NOT NULL, family TEXT,
     split TEXT NOT NULL, record TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE INDEX experience_set ON experience (set_id, kind);
   CREATE TABLE learning_sessions (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, record TEXT NOT NULL);`,
  // Audits of runs and episodes, and cached judge answers (issue 6).
  `CREATE TABLE run_audits (run_id TEXT PRIMARY KEY REFERENCES runs(id), created_at TEXT NOT NULL, audit TEXT NOT NULL);
   CREATE TABLE episode_audits (episode_id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(id), audit TEXT NOT NULL);
   CREATE INDEX episode_audits_run ON episode_audits (run_id);
   CREATE TABLE audit_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // Content hash of each planned task (issue 11): runs are compared only on tasks with equal content.
  // NULL for runs stored before it; `runTaskHashes` computes those from the stored task.
  `ALTER TABLE run_tasks ADD COLUMN content_hash TEXT;`,
  // The lease of the process running a run (issue 13): owner id, its pid and host, and when the
  // lease expires (ms since the epoch) unless the owner's heartbeat renews it. NULL when none holds it.
  `ALTER TABLE runs ADD COLUMN lease_owner TEXT;
   ALTER TABLE runs ADD COLUMN lease_pid INTEGER;
   ALTER TABLE runs ADD COLUMN lease_host TEXT;
   ALTER TABLE runs ADD COLUMN lease_expires INTEGER;`,
  // Layout for scale (issue 16). Episodes are rebuilt with their light columns before the large
  // trajectory and outcome (a row's overflow pages are never read to filter or list), an explicit
  // `seq` (the rowid, kept; stable across VACUUM: the keyset of listing order; AUTOINCREMENT so a
  // deleted newest row's seq is never given again, which would put its replacement behind a cursor
  // already served) and the audit's indexed values (NULL when not audited), backfilled from the
  // stored audits (an audit that is not valid JSON is left unindexed rather than failing the upgrade). One index per
  // viewer filter so that each is answered from its index, in `seq` order; (run_id, seq, task_id)
  // lists a run in order and checks a tag filter (task ids from run_task_tags) without reading
  // rows. Task tags as rows.
  // Audits are stored compactly (store/audit-codec.ts): goal items once per content key. Queue
  // workers' attempts.
  `CREATE TABLE episodes_v6 (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, run_id TEXT NOT NULL REFERENCES runs(id), agent TEXT NOT NULL,
     task_id TEXT NOT NULL, trial INTEGER NOT NULL, seed INTEGER NOT NULL, family TEXT NOT NULL, split TEXT NOT NULL,
     reward REAL NOT NULL, termination TEXT NOT NULL, created_at TEXT NOT NULL,
     audit_fault_cause TEXT, audit_confident_failure INTEGER,
     trajectory TEXT NOT NULL, outcome TEXT NOT NULL,
     UNIQUE (run_id, agent, task_id, trial));
   INSERT INTO episodes_v6 (seq, id, run_id, agent, task_id, trial, seed, family, split, reward, termination, created_at,
       audit_fault_cause, audit_confident_failure, trajectory, outcome)
     SELECT e.rowid, e.id, e.run_id, e.agent, e.task_id, e.trial, e.seed, e.family, e.split, e.reward, e.termination, e.created_at,
       CASE WHEN json_valid(a.audit) THEN json_extract(a.audit, '$.fault.cause') END,
       CASE WHEN json_valid(a.audit) THEN json_extract(a.audit, '$.confidentFailure') END, e.trajectory, e.outcome
     FROM episodes e LEFT JOIN episode_audits a ON a.episode_id = e.id ORDER BY e.rowid;
   DROP TABLE episodes;
   ALTER TABLE episodes_v6 RENAME TO episodes;
   CREATE INDEX episodes_run ON episodes (run_id, agent);
   CREATE INDEX episodes_run_seq ON episodes (run_id, seq, task_id);
   CREATE INDEX episodes_agent_result ON episodes (run_id, agent, reward >= 1);
   CREATE INDEX episodes_result ON episodes (run_id, reward >= 1);
   CREATE INDEX episodes_family ON episodes (run_id, family);
   CREATE INDEX episodes_termination ON episodes (run_id, termination);
   CREATE INDEX episodes_task ON episodes (run_id, task_id);
   CREATE INDEX episodes_fault_cause ON episodes (run_id, audit_fault_cause);
   CREATE INDEX episodes_confident_failure ON episodes (run_id, audit_confident_failure);
   ALTER TABLE episode_audits ADD COLUMN goal_key TEXT;
   CREATE TABLE audit_goal_items (key TEXT PRIMARY KEY, items TEXT NOT NULL);
   CREATE TABLE run_task_tags (
     run_id TEXT NOT NULL REFERENCES runs(id), tag TEXT NOT NULL, task_id TEXT NOT NULL,
     PRIMARY KEY (run_id, tag, task_id)) WITHOUT ROWID;
   INSERT OR IGNORE INTO run_task_tags (run_id, tag, task_id)
     SELECT t.run_id, g.value, t.task_id FROM run_tasks t, json_each(t.task, '$.tags') g;
   CREATE TABLE episode_attempts (
     run_id TEXT NOT NULL REFERENCES runs(id), episode_id TEXT NOT NULL, attempt INTEGER NOT NULL, worker TEXT NOT NULL,
     status TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, detail TEXT,
     PRIMARY KEY (run_id, episode_id, attempt));`,
  // Attempts listed in the order the store recorded them, not by the clock of the worker that
  // started them (issue 16): an explicit `seq` (AUTOINCREMENT: stable across VACUUM, never given
  // again), as PostgreSQL's table has. Existing rows keep their rowid, their order of insertion.
  `CREATE TABLE episode_attempts_v7 (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id TEXT NOT NULL REFERENCES runs(id), episode_id TEXT NOT NULL, attempt INTEGER NOT NULL, worker TEXT NOT NULL,
     status TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, detail TEXT,
     UNIQUE (run_id, episode_id, attempt));
   INSERT INTO episode_attempts_v7 (seq, run_id, episode_id, attempt, worker, status, started_at, ended_at, detail)
     SELECT rowid, run_id, episode_id, attempt, worker, status, started_at, ended_at, detail FROM episode_attempts ORDER BY rowid;
   DROP TABLE episode_attempts;
   ALTER TABLE episode_attempts_v7 RENAME TO episode_attempts;`,
];

/** The layout migrations (read-only), for tests that build a database as an earlier version left it. */
export const SQLITE_MIGRATIONS: readonly string[] = MIGRATIONS;

/** How long an open waits for another process upgrading the same database (migration 6 takes seconds on large files). */
const MIGRATION_BUSY_TIMEOUT_MS = 120_000;

/** Version of the SQLite layout (= number of migrations). Readers refuse newer databases instead of damaging them. */
export const SQLITE_STORE_VERSION = MIGRATIONS.length;

/**
 * The embedded default store: one SQLite file in WAL mode. Every episode is committed in its own
 * transaction when it finishes, so a killed run loses at most the episodes in flight.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  readonly location: string;
  /** Episodes waiting for the next group commit (see `saveEpisode`). */
  private pending: PendingEpisode[] = [];
  /** Statements of the per-episode write path, prepared once (preparing costs more than running them). */
  private readonly statements = new Map<string, Database.Statement>();
  /** The savepoint of one queued episode (see `commitPending`), built once. */
  private saveOneEpisode?: (item: PendingEpisode) => boolean;
  /** The goal items' texts this store made, and their keys known stored or written by the transaction in progress (see `writeEncodedAudit`). */
  private readonly goalItems = new GoalItemsCache();

  private constructor(db: Database.Database, location = '') {
    this.db = db;
    this.location = location;
  }

  /** Open (creating if needed) the database at `path`. Throws STORE_FAILED with the reason. */
  static open(path: string): SqliteStore {
    let db: Database.Database;
    const created = path !== ':memory:' && !existsSync(path);
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      // Durability (issue 13): in WAL mode NORMAL syncs the WAL only at checkpoints, so commits since
      // the last one are lost on an I/O error, a kernel crash or power loss (SQLite, "PRAGMA
      // synchronous"). FULL fsyncs the WAL at every commit, so a committed episode is on disk when
      // saveEpisode returns; EXTRA adds nothing in WAL mode (it syncs a rollback journal's
      // directory). Cost measured by bench/store-durability.ts.
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    } catch (error) {
      throw new GroundworkError('STORE_FAILED', `cannot open the database ${path}: ${(error as Error).message}`, {
        cause: error,
        hint: 'choose a writable path with --db PATH',
      });
    }
    // SQLite syncs the directory entry of its -wal file, not of the database file: sync it once
    // when the file is new, so a crash right after creation cannot orphan the WAL.
    if (created) syncDirectory(dirname(path));
    const store = new SqliteStore(db, path);
    store.migrate(path);
    return store;
  }

  /**
   * Open an existing database for reading only (`runs`, `show`, `report`, …): nothing is created,
   * migrated or written, so a database the user may only read (file or directory without write
   * permission) opens too. A missing file is NO_DATABASE. A WAL database whose `-shm` cannot be
   * created (read-only directory) is read from a snapshot of the file when its `-wal` holds no
   * changes; otherwise the error says what is needed. A database with an older layout is upgraded
   * once through a writable open, then reopened read-only: so a read-only command DOES write an older
   * database, once. The upgrade is one-way: migrations 6 and 7 rebuild the episodes and attempts tables and
   * set layout 7, which an older Groundwork refuses (SCHEMA_VERSION); keep a copy of the file to go back.
   */
  static openReadOnly(path: string): SqliteStore {
    if (path === ':memory:' || !existsSync(path)) {
      throw new GroundworkError('NO_DATABASE', `no database at ${path}`, { hint: 'run `groundwork run` first or pass --db PATH' });
    }
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (error) {
      db = SqliteStore.readOnlySnapshot(path, error);
    }
    const store = new SqliteStore(db, path);
    const version = store.layoutVersion(path);
    if (version < SQLITE_STORE_VERSION) {
      db.close();
      try {
        SqliteStore.open(path).db.close();
      } catch (error) {
        throw new GroundworkError(
          'STORE_FAILED',
          `the database ${path} has layout version ${version}, older than this Groundwork (${SQLITE_STORE_VERSION}), and cannot be upgraded: ${(error as Error).message}`,
          { cause: error, hint: 'run any groundwork command once with write access to it' },
        );
      }
      return SqliteStore.openReadOnly(path);
    }
    return store;
  }

  /** A read-only in-memory copy of a WAL database whose `-shm` cannot be created (the directory is read-only). */
  private static readOnlySnapshot(path: string, cause: unknown): Database.Database {
    const reason = (cause as Error).message;
    const wal = `${path}-wal`;
    if (existsSync(wal) && statSync(wal).size > 0) {
      throw new GroundworkError(
        'STORE_FAILED',
        `cannot read the database ${path}: ${reason}; its write-ahead log ${wal} holds changes that only a connection able to create ${path}-shm can read`,
        {
          cause,
          hint: 'open it once with write access to its directory, or copy the database with its -wal file to a writable place',
        },
      );
    }
    try {
      const bytes = readFileSync(path);
      // Header bytes 18–19 are 2 in WAL mode; an in-memory copy reads as a rollback-journal database.
      if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
      const db = new Database(bytes, { readonly: true });
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return db;
    } catch (error) {
      throw new GroundworkError('STORE_FAILED', `cannot read the database ${path}: ${reason}`, {
        cause: error,
        hint: 'check that the file is a readable Groundwork database, or pass another --db',
      });
    }
  }

  /** Layout version of an opened database; refuses newer layouts and non-Groundwork databases. */
  private layoutVersion(path: string): number {
    const hasMeta = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    const version = hasMeta
      ? Number((this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)?.value ?? 0)
      : 0;
    if (version > SQLITE_STORE_VERSION) {
      this.db.close();
      throw new GroundworkError(
        'SCHEMA_VERSION',
        `the database ${path} has layout version ${version}, newer than this Groundwork (${SQLITE_STORE_VERSION})`,
        { hint: 'upgrade Groundwork or use another --db' },
      );
    }
    if (version === 0 && !hasMeta) {
      const tables = this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      if (tables.n > 0) {
        this.db.close();
        throw new GroundworkError('STORE_FAILED', `${path} is an SQLite database but not a Groundwork one`, {
          hint: 'use another --db path',
        });
      }
    }
    return version;
  }

  /**
   * Bring the layout up to date. Another process may be upgrading the same file at once (migration
   * 6 rebuilds the episodes table: seconds on a large database), so the migrations run in an
   * IMMEDIATE transaction (the write lock is taken before anything is read), the version is read
   * again under that lock and only what is still missing is applied; meanwhile this process waits,
   * up to MIGRATION_BUSY_TIMEOUT_MS, instead of failing at the usual 5 s.
   */
  private migrate(path: string): void {
    if (this.layoutVersion(path) === SQLITE_STORE_VERSION) return;
    this.db.pragma(`busy_timeout = ${MIGRATION_BUSY_TIMEOUT_MS}`);
    try {
      this.db
        .transaction(() => {
          const version = this.storedVersion();
          if (version > SQLITE_STORE_VERSION)
            throw new GroundworkError(
              'SCHEMA_VERSION',
              `the database ${path} has layout version ${version}, newer than this Groundwork (${SQLITE_STORE_VERSION})`,
              { hint: 'upgrade Groundwork or use another --db' },
            );
          for (let v = version; v < SQLITE_STORE_VERSION; v++) this.db.exec(MIGRATIONS[v]);
          this.db
            .prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .run(String(SQLITE_STORE_VERSION));
        })
        .immediate();
    } catch (error) {
      this.db.close();
      if (GroundworkError.isInstance(error)) throw error;
      if (/^SQLITE_BUSY/.test(String((error as { code?: unknown }).code)))
        throw new GroundworkError(
          'STORE_FAILED',
          `cannot upgrade the database ${path}: another process is upgrading the database (or writing to it) and did not finish within ${MIGRATION_BUSY_TIMEOUT_MS / 1000} s`,
          { cause: error, hint: 'wait until that process is done (a large database takes a while), then run the command again' },
        );
      throw new GroundworkError('STORE_FAILED', `cannot write the database ${path}: ${(error as Error).message}`, {
        cause: error,
        hint: 'choose a writable path with --db PATH',
      });
    }
    this.db.pragma('busy_timeout = 5000');
  }

  /** The layout version stored in `meta` (0 when there is none yet). */
  private storedVersion(): number {
    const hasMeta = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (!hasMeta) return 0;
    return Number(
      (this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)?.value ?? 0,
    );
  }

  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.storeError(what, error);
    }
  }

  private storeError(what: string, error: unknown): GroundworkError {
    if (GroundworkError.isInstance(error)) return error;
    // Every commit is durable (synchronous = FULL), so what was stored before the failure is kept.
    return new GroundworkError('STORE_FAILED', `${what}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check the disk holding the database (space, permissions, I/O errors); stored episodes are kept: resume with groundwork run --resume RUN_ID',
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
    this.guard('cannot store the run', () =>
      this.db.transaction(() => {
        this.db
          .prepare('INSERT INTO runs (id, created_at, status, config, planned) VALUES (?, ?, ?, ?, ?)')
          .run(run.id, run.createdAt, 'running', JSON.stringify(run.config), run.planned);
        const insert = this.db.prepare('INSERT INTO run_tasks (run_id, task_id, position, task, content_hash) VALUES (?, ?, ?, ?, ?)');
        const tag = this.db.prepare('INSERT OR IGNORE INTO run_task_tags (run_id, tag, task_id) VALUES (?, ?, ?)');
        for (const [position, task] of run.tasks.entries()) {
          insert.run(run.id, task.id, position, JSON.stringify(task), run.taskHashes?.[task.id] ?? null);
          for (const name of task.tags) tag.run(run.id, name, task.id);
        }
      })(),
    );
  }

  async runTaskHashes(runId: string): Promise<Map<string, string>> {
    const rows = this.db.prepare('SELECT task_id, task, content_hash FROM run_tasks WHERE run_id = ? ORDER BY position').all(runId) as {
      task_id: string;
      task: string;
      content_hash: string | null;
    }[];
    // Runs stored before hashes: the world is read from an episode's recorded initial state
    // (world + patch); read-only, so the viewer can compare old runs too.
    const initial = this.db.prepare(
      "SELECT json_extract(trajectory, '$.initialStateHash') AS h FROM episodes WHERE run_id = ? AND task_id = ? AND json_extract(trajectory, '$.initialStateHash') <> 'unknown' LIMIT 1",
    );
    const out = new Map<string, string>();
    for (const row of rows) {
      if (row.content_hash) out.set(row.task_id, row.content_hash);
      else
        out.set(
          row.task_id,
          taskContentHash(
            taskSchema.parse(JSON.parse(row.task)),
            (initial.get(runId, row.task_id) as { h: string | null } | undefined)?.h ?? null,
          ),
        );
    }
    return out;
  }

  async acquireLease(runId: string, owner: LeaseOwner, ttlMs: number): Promise<LeaseResult> {
    return this.guard('cannot take the run lease', () =>
      // IMMEDIATE takes the write lock before reading, so two processes cannot both see it free.
      this.db
        .transaction((): LeaseResult => {
          const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRowSql | undefined;
          if (!row) throw new GroundworkError('UNKNOWN_RUN', `no run ${JSON.stringify(runId)} in this database`);
          const holder = toRun(row).lease;
          if (holder && holder.owner !== owner.owner) return { acquired: false, holder };
          this.db
            .prepare('UPDATE runs SET lease_owner = ?, lease_pid = ?, lease_host = ?, lease_expires = ? WHERE id = ?')
            .run(owner.owner, owner.pid, owner.host, Date.now() + ttlMs, runId);
          return { acquired: true };
        })
        .immediate(),
    );
  }

  async renewLease(runId: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.guard(
      'cannot renew the run lease',
      () =>
        this.db.prepare('UPDATE runs SET lease_expires = ? WHERE id = ? AND lease_owner = ?').run(Date.now() + ttlMs, runId, owner)
          .changes === 1,
    );
  }

  async releaseLease(runId: string, owner: string): Promise<void> {
    this.guard('cannot release the run lease', () =>
      this.db
        .prepare(
          'UPDATE runs SET lease_owner = NULL, lease_pid = NULL, lease_host = NULL, lease_expires = NULL WHERE id = ? AND lease_owner = ?',
        )
        .run(runId, owner),
    );
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRowSql | undefined;
    return row ? toRun(row) : undefined;
  }

  async listRuns(): Promise<RunListing[]> {
    const rows = this.db.prepare('SELECT * FROM runs ORDER BY created_at DESC, id DESC').all() as RunRowSql[];
    const stats = this.db.prepare(
      "SELECT agent, count(*) AS n, count(CASE WHEN termination = 'infra_error' THEN NULL ELSE 1 END) AS graded, avg(CASE WHEN termination = 'infra_error' THEN NULL ELSE reward END) AS mean FROM episodes WHERE run_id = ? GROUP BY agent ORDER BY agent",
    );
    return rows.map((row) => {
      const perAgent = stats.all(row.id) as { agent: string; n: number; graded: number; mean: number | null }[];
      return toRunListing(row, perAgent);
    });
  }

  async setRunStatus(id: string, status: RunStatus): Promise<void> {
    this.guard('cannot update the run', () => this.db.prepare('UPDATE runs SET status = ? WHERE id = ?').run(status, id));
  }

  async runTasks(runId: string): Promise<Task[]> {
    const rows = this.db.prepare('SELECT task FROM run_tasks WHERE run_id = ? ORDER BY position').all(runId) as { task: string }[];
    return rows.map((row) => taskSchema.parse(JSON.parse(row.task)));
  }

  /**
   * Group commit (issue 16): the episodes saved within one turn of the event loop are committed in
   * ONE transaction, so one fsync of the WAL serves them all instead of one per episode (the wall at
   * high concurrency). Each promise resolves only after that COMMIT, so a resolved save is on disk
   * as before (synchronous = FULL). An episode (with its audit) that fails rejects alone (the group
   * is then written again with a savepoint per episode); a failed COMMIT rejects the whole group.
   * Rows are inserted in call order.
   */
  async saveEpisode(episode: EpisodeRecord, audit?: EpisodeAudit): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.pending.push({ episode, audit, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.commitPending());
    });
  }

  /** Commit every episode queued since the last group commit. */
  private commitPending(): void {
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    // First the whole group in one transaction without savepoints: a savepoint per episode makes
    // SQLite copy every page the episode touches into a statement journal first (about 20 pages,
    // 40 system calls per episode once it spills to a file). Only when an episode's own insert fails
    // is the group written again, each episode in its savepoint, so that it rejects alone.
    let episodeFailed = false;
    try {
      const inserted = this.committed(() =>
        group.map((item) => {
          try {
            return this.insertEpisode(item.episode, item.audit);
          } catch (error) {
            episodeFailed = true;
            throw error;
          }
        }),
      );
      for (const [i, item] of group.entries()) item.resolve(inserted[i]);
      return;
    } catch (error) {
      if (!episodeFailed) {
        const failure = this.storeError('cannot store the episodes', error);
        for (const item of group) item.reject(failure);
        return;
      }
    }
    const saveOne = (this.saveOneEpisode ??= this.db.transaction((item: PendingEpisode): boolean =>
      this.insertEpisode(item.episode, item.audit),
    ));
    const outcomes: (boolean | GroundworkError)[] = [];
    try {
      this.committed(() => {
        for (const item of group) {
          const mark = this.goalItems.mark();
          try {
            outcomes.push(saveOne(item));
          } catch (error) {
            // SQLite ended the whole transaction (a full disk, an I/O error): nothing of the group is
            // stored, and what follows would commit on its own. The group fails as one.
            if (!this.db.inTransaction) throw error;
            // Its savepoint was rolled back, with any goal items it wrote.
            this.goalItems.rollBack(mark);
            outcomes.push(this.storeError('cannot store the episode', error));
          }
        }
      });
    } catch (error) {
      const failure = this.storeError('cannot store the episodes', error);
      for (const item of group) item.reject(failure);
      return;
    }
    group.forEach((item, i) => {
      const outcome = outcomes[i];
      if (typeof outcome === 'boolean') item.resolve(outcome);
      else item.reject(outcome);
    });
  }

  /**
   * Run `write` in a transaction; once it has committed, the goal-items keys it wrote are known to
   * be stored. A transaction that rolls back forgets them (its rows are gone).
   */
  private committed<T>(write: () => T): T {
    const mark = this.goalItems.mark();
    let result: T;
    try {
      // IMMEDIATE: the write lock is waited for at BEGIN. A transaction begun as a read (an audit reads
      // its episode first) cannot become a write once another connection has committed meanwhile,
      // and fails with "database is locked" at once instead of waiting its turn.
      result = this.db.transaction(write).immediate();
    } catch (error) {
      this.goalItems.rollBack(mark);
      throw error;
    }
    // Nested in an outer transaction it is only a savepoint: the outer one commits (or not) later.
    if (!this.db.inTransaction) this.goalItems.commit();
    return result;
  }

  /** A statement of the hot write path, prepared on first use and kept. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /**
   * Insert one episode (and its audit) unless its slot exists; inside a transaction. The audit's
   * indexed values go in the episode row's own INSERT (one write of the row, not an insert and an update).
   */
  private insertEpisode(episode: EpisodeRecord, audit: EpisodeAudit | undefined): boolean {
    // The audit is filed under the episode it is saved with (as PostgreSQL does), whatever its episodeId says.
    // (The body never holds the audit's episodeId: no copy of the audit under this episode's id is needed.)
    const encoded = audit ? encodeEpisodeAudit(audit, episode, this.goalItems) : undefined;
    const result = this.statement(
      `INSERT INTO episodes (id, run_id, agent, task_id, trial, seed, family, split, reward, termination, created_at, trajectory, outcome,
         audit_fault_cause, audit_confident_failure)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(...episodeValues(episode), encoded ? encoded.faultCause : null, encoded ? (encoded.confidentFailure ? 1 : 0) : null);
    if (result.changes !== 1) return false;
    if (encoded) this.writeEncodedAudit(episode.runId, episode.id, encoded, false);
    return true;
  }

  async updateOutcome(episodeId: string, outcome: Outcome): Promise<void> {
    this.guard('cannot update the outcome', () =>
      this.db.prepare('UPDATE episodes SET outcome = ?, reward = ? WHERE id = ?').run(JSON.stringify(outcome), outcome.reward, episodeId),
    );
  }

  async episodeKeys(runId: string): Promise<Set<string>> {
    const rows = this.db.prepare('SELECT agent, task_id, trial FROM episodes WHERE run_id = ?').all(runId) as {
      agent: string;
      task_id: string;
      trial: number;
    }[];
    return new Set(rows.map((r) => episodeKey(r.agent, r.task_id, r.trial)));
  }

  private episodeWhere(runId: string, filter: EpisodeFilter): { where: string[]; params: (string | number)[] } {
    const where = ['run_id = ?'];
    const params: (string | number)[] = [runId];
    if (filter.agent) where.push('agent = ?'), params.push(filter.agent);
    if (filter.family) where.push('family = ?'), params.push(filter.family);
    if (filter.termination) where.push('termination = ?'), params.push(filter.termination);
    // Every filter is an equality on an indexed column (migration 6), so it is answered from its
    // index in `seq` order; the result is the indexed expression `reward >= 1`.
    if (filter.result) where.push(`(reward >= 1) = ${filter.result === 'pass' ? 1 : 0}`);
    // Audit filters read the audit's indexed values (episodes without an audit never match).
    if (filter.faultCause) where.push('audit_fault_cause = ?'), params.push(filter.faultCause);
    if (filter.confidentFailure !== undefined) where.push('audit_confident_failure = ?'), params.push(filter.confidentFailure ? 1 : 0);
    // Tags of the run's tasks, as planned (run_task_tags).
    for (const tag of filter.tags ?? [])
      where.push('task_id IN (SELECT task_id FROM run_task_tags WHERE run_id = ? AND tag = ?)'), params.push(runId, tag);
    return { where, params };
  }

  async countEpisodes(runId: string, filter: EpisodeFilter = {}): Promise<number> {
    const { where, params } = this.episodeWhere(runId, filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM episodes WHERE ${where.join(' AND ')}`).get(...params) as { n: number }).n;
  }

  async listEpisodes(runId: string, filter: EpisodeFilter = {}): Promise<EpisodeRow[]> {
    const { where, params } = this.episodeWhere(runId, filter);
    if (filter.after !== undefined) where.push('seq > ?'), params.push(decodeCursor(filter.after));
    const sql = `SELECT ${LIGHT_COLUMNS} FROM episodes WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ? OFFSET ?`;
    params.push(filter.limit ?? -1, filter.offset ?? 0);
    return (this.db.prepare(sql).all(...params) as EpisodeRowSql[]).map((row) => toRow(row));
  }

  async listEpisodesPage(runId: string, filter: EpisodeFilter & { limit: number }): Promise<EpisodePage> {
    if (!Number.isInteger(filter.limit) || filter.limit < 1)
      throw new GroundworkError('INVALID_ARGUMENT', `a page of episodes needs a positive integer limit, not ${filter.limit}`, {
        hint: 'pass limit ≥ 1',
      });
    // Keyset paging: rows after the cursor's `seq`, one more than asked to know whether a next page exists.
    const { where, params } = this.episodeWhere(runId, filter);
    if (filter.after !== undefined) where.push('seq > ?'), params.push(decodeCursor(filter.after));
    // An offset (deep links) still works, reading through the rows it skips.
    const sql = `SELECT seq, ${LIGHT_COLUMNS} FROM episodes WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ? OFFSET ?`;
    const rows = this.db.prepare(sql).all(...params, filter.limit + 1, filter.offset ?? 0) as (EpisodeRowSql & { seq: number })[];
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return { rows: page.map((row) => toRow(row)), next: more ? encodeCursor(page[page.length - 1].seq) : null };
  }

  async getEpisode(runId: string, episodeId: string): Promise<EpisodeRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM episodes WHERE run_id = ? AND id = ?').get(runId, episodeId) as EpisodeRowSql | undefined;
    return row ? toRecord(row) : undefined;
  }

  async *iterateEpisodes(runId: string): AsyncIterable<EpisodeRecord> {
    // Page by rowid so memory stays flat on very large runs.
    let after = 0;
    const page = this.db.prepare('SELECT rowid AS rid, * FROM episodes WHERE run_id = ? AND rowid > ? ORDER BY rowid LIMIT 200');
    while (true) {
      const rows = page.all(runId, after) as (EpisodeRowSql & { rid: number })[];
      if (rows.length === 0) return;
      for (const row of rows) yield toRecord(row);
      after = rows[rows.length - 1].rid;
    }
  }

  async listUsage(runId: string): Promise<{ agent: string; usage: Record<string, Usage> }[]> {
    const rows = this.db
      // Agent, then saving order, as PostgreSQL answers (sums of floating-point costs depend on the order).
      .prepare("SELECT agent, json_extract(trajectory, '$.usage') AS usage FROM episodes WHERE run_id = ? ORDER BY agent, seq")
      .all(runId) as { agent: string; usage: string | null }[];
    return rows.map((row) => ({ agent: row.agent, usage: row.usage ? (JSON.parse(row.usage) as Record<string, Usage>) : {} }));
  }

  async deleteInfraErrors(runId: string): Promise<number> {
    // Their audits go with them: a re-run stores its own.
    return this.guard('cannot delete infra errors', () =>
      this.db.transaction(() => {
        this.db
          .prepare(
            "DELETE FROM episode_audits WHERE episode_id IN (SELECT id FROM episodes WHERE run_id = ? AND termination = 'infra_error')",
          )
          .run(runId);
        return this.db.prepare("DELETE FROM episodes WHERE run_id = ? AND termination = 'infra_error'").run(runId).changes;
      })(),
    );
  }

  async saveExperience(records: readonly ExperienceRecord[]): Promise<void> {
    this.guard('cannot store experience', () =>
      this.db.transaction(() => {
        const upsert = this.db.prepare(
          `INSERT INTO experience (id, set_id, kind, domain, family, split, record, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET record = excluded.record, family = excluded.family`,
        );
        for (const record of records) {
          const valid = experienceRecordSchema.parse(record);
          upsert.run(
            valid.id,
            valid.setId,
            valid.kind,
            valid.domain,
            valid.family ?? null,
            valid.provenance.split,
            JSON.stringify(valid),
            valid.createdAt,
          );
        }
      })(),
    );
  }

  async deleteExperience(ids: readonly string[]): Promise<number> {
    return this.guard('cannot delete experience', () => {
      const remove = this.db.prepare('DELETE FROM experience WHERE id = ?');
      return this.db.transaction(() => ids.reduce((n, id) => n + remove.run(id).changes, 0))();
    });
  }

  async listExperience(filter: ExperienceFilter = {}): Promise<ExperienceRecord[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.setId) where.push('set_id = ?'), params.push(filter.setId);
    if (filter.kind) where.push('kind = ?'), params.push(filter.kind);
    if (filter.domain) where.push('domain = ?'), params.push(filter.domain);
    if (filter.family) where.push('family = ?'), params.push(filter.family);
    const rows = this.db
      .prepare(`SELECT record FROM experience ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY rowid`)
      .all(...params) as { record: string }[];
    return rows.map((row) => experienceRecordSchema.parse(JSON.parse(row.record)));
  }

  async saveLearningSession(session: LearningSession): Promise<void> {
    const valid = learningSessionSchema.parse(session);
    this.guard('cannot store the learning session', () =>
      this.db
        .prepare(
          'INSERT INTO learning_sessions (id, created_at, record) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record',
        )
        .run(valid.id, valid.createdAt, JSON.stringify(valid)),
    );
  }

  async getLearningSession(id: string): Promise<LearningSession | undefined> {
    const row = this.db.prepare('SELECT record FROM learning_sessions WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? learningSessionSchema.parse(JSON.parse(row.record)) : undefined;
  }

  async listLearningSessions(): Promise<LearningSession[]> {
    const rows = this.db.prepare('SELECT record FROM learning_sessions ORDER BY created_at DESC, id DESC').all() as { record: string }[];
    return rows.map((row) => learningSessionSchema.parse(JSON.parse(row.record)));
  }

  async saveRunAudit(runId: string, audit: RunAudit): Promise<void> {
    this.guard('cannot store the run audit', () =>
      this.db
        .prepare(
          'INSERT INTO run_audits (run_id, created_at, audit) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET created_at = excluded.created_at, audit = excluded.audit',
        )
        .run(runId, audit.createdAt, JSON.stringify(audit)),
    );
  }

  async getRunAudit(runId: string): Promise<RunAudit | undefined> {
    const row = this.db.prepare('SELECT audit FROM run_audits WHERE run_id = ?').get(runId) as { audit: string } | undefined;
    return row ? parseAudit(runAuditSchema, row.audit, `run ${runId}`) : undefined;
  }

  async saveEpisodeAudit(episodeId: string, runId: string, audit: EpisodeAudit): Promise<void> {
    this.guard('cannot store the episode audit', () =>
      this.committed(() => this.writeAudit(runId, { ...audit, episodeId }, this.episodeFields(episodeId))),
    );
  }

  async saveEpisodeAudits(runId: string, audits: readonly EpisodeAudit[]): Promise<void> {
    this.guard('cannot store the episode audits', () =>
      this.committed(() => {
        for (const audit of audits) this.writeAudit(runId, audit, this.episodeFields(audit.episodeId));
      }),
    );
  }

  /** The stored episode's fields an audit repeats (undefined when the episode is not stored). */
  private episodeFields(episodeId: string): Partial<AuditRowFields> | undefined {
    const row = this.statement('SELECT agent, task_id, trial, reward, termination FROM episodes WHERE id = ?').get(episodeId) as
      | Pick<EpisodeRowSql, 'agent' | 'task_id' | 'trial' | 'reward' | 'termination'>
      | undefined;
    return row && { agent: row.agent, taskId: row.task_id, trial: row.trial, reward: row.reward, termination: row.termination };
  }

  /** Store (or replace) one audit, compactly, and its indexed values on the episode (inside a transaction). */
  private writeAudit(runId: string, audit: EpisodeAudit, episode: Partial<AuditRowFields> | undefined): void {
    this.writeEncodedAudit(runId, audit.episodeId, encodeEpisodeAudit(audit, episode, this.goalItems), true);
  }

  /**
   * Store an encoded audit; `indexEpisode`: also set its indexed values on the episode row. The goal
   * items are inserted unless this connection has committed their key already (rows of
   * audit_goal_items are never deleted): the same ~2 KB for every episode of a task otherwise.
   * Inside a transaction (`committed`, or `commitPending`'s).
   */
  private writeEncodedAudit(runId: string, episodeId: string, encoded: EncodedEpisodeAudit, indexEpisode: boolean): void {
    if (!this.goalItems.has(encoded.goalKey)) {
      this.statement('INSERT OR IGNORE INTO audit_goal_items (key, items) VALUES (?, ?)').run(encoded.goalKey, encoded.goalItems);
      this.goalItems.written(encoded.goalKey);
    }
    this.statement(
      `INSERT INTO episode_audits (episode_id, run_id, audit, goal_key) VALUES (?, ?, ?, ?)
         ON CONFLICT (episode_id) DO UPDATE SET run_id = excluded.run_id, audit = excluded.audit, goal_key = excluded.goal_key`,
    ).run(episodeId, runId, encoded.body, encoded.goalKey);
    if (indexEpisode)
      this.statement('UPDATE episodes SET audit_fault_cause = ?, audit_confident_failure = ? WHERE id = ?').run(
        encoded.faultCause,
        encoded.confidentFailure ? 1 : 0,
        episodeId,
      );
  }

  async getEpisodeAudit(episodeId: string): Promise<EpisodeAudit | undefined> {
    const row = this.db.prepare(`${AUDIT_SELECT} WHERE a.episode_id = ?`).get(episodeId) as SqliteStoredAuditSql | undefined;
    return row ? toAudit(row) : undefined;
  }

  async *iterateEpisodeAudits(runId: string): AsyncIterable<EpisodeAudit> {
    // Paged by the audit's rowid so memory stays flat on very large runs.
    const page = this.db.prepare(`${AUDIT_SELECT} WHERE a.run_id = ? AND a.rowid > ? ORDER BY a.rowid LIMIT 500`);
    let after = 0;
    while (true) {
      const rows = page.all(runId, after) as SqliteStoredAuditSql[];
      if (rows.length === 0) return;
      for (const row of rows) yield toAudit(row);
      after = rows[rows.length - 1].rid;
    }
  }

  async auditTotals(runId: string): Promise<AuditTotals> {
    // From the indexed values on the episodes (a fault is attributed to failed episodes only).
    const totals = this.db
      .prepare(
        'SELECT count(audit_confident_failure) AS audited, coalesce(sum(audit_confident_failure), 0) AS confident FROM episodes WHERE run_id = ?',
      )
      .get(runId) as { audited: number; confident: number };
    const causes = this.db
      .prepare(
        'SELECT audit_fault_cause AS cause, count(*) AS n FROM episodes WHERE run_id = ? AND audit_fault_cause IS NOT NULL GROUP BY audit_fault_cause ORDER BY audit_fault_cause',
      )
      .all(runId) as { cause: string; n: number }[];
    return {
      audited: totals.audited,
      confidentFailures: totals.confident,
      faultCauses: Object.fromEntries(causes.map((row) => [row.cause, row.n])),
    };
  }

  async saveAttempt(attempt: EpisodeAttempt): Promise<void> {
    this.guard('cannot store the attempt', () =>
      this.db
        .prepare(
          `INSERT INTO episode_attempts (run_id, episode_id, attempt, worker, status, started_at, ended_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (run_id, episode_id, attempt) DO UPDATE SET worker = excluded.worker, status = excluded.status,
             started_at = excluded.started_at, ended_at = excluded.ended_at, detail = excluded.detail`,
        )
        .run(...attemptValues(attempt)),
    );
  }

  async listAttempts(runId: string, episodeId?: string): Promise<EpisodeAttempt[]> {
    const rows = this.db
      .prepare(
        // `seq`: the order the store recorded them (an update keeps its row's); workers' clocks may disagree.
        `SELECT run_id, episode_id, attempt, worker, status, started_at, ended_at, detail FROM episode_attempts WHERE run_id = ? ${episodeId === undefined ? '' : 'AND episode_id = ?'} ORDER BY seq`,
      )
      .all(...(episodeId === undefined ? [runId] : [runId, episodeId])) as AttemptRowSql[];
    return rows.map(toAttempt);
  }

  async getAuditCache(key: string): Promise<JsonValue | undefined> {
    const row = this.db.prepare('SELECT value FROM audit_cache WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as JsonValue) : undefined;
  }

  async putAuditCache(key: string, value: JsonValue): Promise<void> {
    this.guard('cannot store the audit cache', () =>
      this.db
        .prepare('INSERT INTO audit_cache (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
        .run(key, JSON.stringify(value)),
    );
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.commitPending();
    this.db.close();
  }
}

/** An episode waiting for the next group commit, and its caller's promise. */
interface PendingEpisode {
  episode: EpisodeRecord;
  audit: EpisodeAudit | undefined;
  resolve: (saved: boolean) => void;
  reject: (error: GroundworkError) => void;
}

/** The light columns of an episode (no trajectory, no outcome). */
const LIGHT_COLUMNS = 'id, run_id, agent, task_id, trial, seed, family, split, reward, termination, created_at';

/** A stored audit as SQLite selects it (its rowid pages the stream). */
interface SqliteStoredAuditSql extends StoredAuditSql {
  rid: number;
}

const AUDIT_SELECT = `SELECT a.rowid AS rid, a.episode_id, a.run_id, a.audit, g.items, e.agent, e.task_id, e.trial, e.reward, e.termination
  FROM episode_audits a LEFT JOIN episodes e ON e.id = a.episode_id LEFT JOIN audit_goal_items g ON g.key = a.goal_key`;
