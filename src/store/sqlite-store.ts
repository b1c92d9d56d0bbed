import { syncDirectory } from '../util/sync-directory.ts';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GroundworkError } from '../errors.ts';
import { AUDIT_SCHEMA_VERSION, episodeAuditSchema, runAuditSchema, type EpisodeAudit, type RunAudit } from '../schema/audit.ts';
import type { JsonValue } from '../schema/json.ts';
import { outcomeSchema, type Outcome } from '../schema/outcome.ts';
import { taskSchema, type Task } from '../schema/task.ts';
import { taskContentHash } from '../schema/task-hash.ts';
import { trajectorySchema, type Usage } from '../schema/trajectory.ts';
import { runConfigSchema } from '../schema/run-config.ts';
import { experienceRecordSchema, learningSessionSchema, type ExperienceRecord, type LearningSession } from '../schema/experience.ts';
import {
  episodeKey,
  leaseIsLive,
  type AuditTotals,
  type EpisodeAttempt,
  type EpisodePage,
  type ExperienceFilter,
  type LeaseOwner,
  type LeaseResult,
  type RunLease,
  type EpisodeFilter,
  type EpisodeRecord,
  type EpisodeRow,
  type RunListing,
  type RunRecord,
  type RunStatus,
  type Store,
} from './store.ts';

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
];

/** Version of the SQLite layout (= number of migrations). Readers refuse newer databases instead of damaging them. */
export const SQLITE_STORE_VERSION = MIGRATIONS.length;

interface RunRowSql {
  id: string;
  created_at: string;
  status: string;
  config: string;
  planned: number;
  lease_owner: string | null;
  lease_pid: number | null;
  lease_host: string | null;
  lease_expires: number | null;
}

interface EpisodeRowSql {
  id: string;
  run_id: string;
  agent: string;
  task_id: string;
  trial: number;
  seed: number;
  family: string;
  split: string;
  reward: number;
  termination: string;
  created_at: string;
  trajectory?: string;
  outcome?: string;
}

/**
 * The embedded default store: one SQLite file in WAL mode. Every episode is committed in its own
 * transaction when it finishes, so a killed run loses at most the episodes in flight.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  readonly location: string;

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
   * once through a writable open (migrations are additive), then reopened read-only.
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

  private migrate(path: string): void {
    const version = this.layoutVersion(path);
    const apply = this.db.transaction(() => {
      for (let v = version; v < SQLITE_STORE_VERSION; v++) this.db.exec(MIGRATIONS[v]);
      this.db
        .prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .run(String(SQLITE_STORE_VERSION));
    });
    if (version < SQLITE_STORE_VERSION) {
      try {
        apply();
      } catch (error) {
        throw new GroundworkError('STORE_FAILED', `cannot write the database ${path}: ${(error as Error).message}`, {
          cause: error,
          hint: 'choose a writable path with --db PATH',
        });
      }
    }
  }

  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (GroundworkError.isInstance(error)) throw error;
      // Every commit is durable (synchronous = FULL), so what was stored before the failure is kept.
      throw new GroundworkError('STORE_FAILED', `${what}: ${(error as Error).message}`, {
        cause: error,
        hint: 'check the disk holding the database (space, permissions, I/O errors); stored episodes are kept: resume with groundwork run --resume RUN_ID',
      });
    }
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
        for (const [position, task] of run.tasks.entries()) {
          insert.run(run.id, task.id, position, JSON.stringify(task), run.taskHashes?.[task.id] ?? null);
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

  private toRun(row: RunRowSql): RunRecord {
    const lease: RunLease | undefined =
      row.lease_owner != null && row.lease_pid != null && row.lease_host != null && row.lease_expires != null
        ? { owner: row.lease_owner, pid: row.lease_pid, host: row.lease_host, expiresAt: row.lease_expires }
        : undefined;
    const live = lease !== undefined && leaseIsLive(lease);
    return {
      id: row.id,
      createdAt: row.created_at,
      // A run marked running whose lease is gone (expired, released without a final status, or its
      // process dead on this host) has no process running it: it was interrupted.
      status: row.status === 'running' && !live ? 'interrupted' : (row.status as RunStatus),
      config: runConfigSchema.parse(JSON.parse(row.config)),
      planned: row.planned,
      ...(live ? { lease } : {}),
    };
  }

  async acquireLease(runId: string, owner: LeaseOwner, ttlMs: number): Promise<LeaseResult> {
    return this.guard('cannot take the run lease', () =>
      // IMMEDIATE takes the write lock before reading, so two processes cannot both see it free.
      this.db
        .transaction((): LeaseResult => {
          const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRowSql | undefined;
          if (!row) throw new GroundworkError('UNKNOWN_RUN', `no run ${JSON.stringify(runId)} in this database`);
          const holder = this.toRun(row).lease;
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
    return row ? this.toRun(row) : undefined;
  }

  async listRuns(): Promise<RunListing[]> {
    const rows = this.db.prepare('SELECT * FROM runs ORDER BY created_at DESC, id DESC').all() as RunRowSql[];
    const stats = this.db.prepare(
      "SELECT agent, count(*) AS n, count(CASE WHEN termination = 'infra_error' THEN NULL ELSE 1 END) AS graded, avg(CASE WHEN termination = 'infra_error' THEN NULL ELSE reward END) AS mean FROM episodes WHERE run_id = ? GROUP BY agent",
    );
    return rows.map((row) => {
      const perAgent = stats.all(row.id) as { agent: string; n: number; graded: number; mean: number | null }[];
      // An agent with nothing graded has no mean (null), not a mean of 0.
      return {
        ...this.toRun(row),
        episodes: perAgent.reduce((a, b) => a + b.n, 0),
        graded: perAgent.reduce((a, b) => a + b.graded, 0),
        meanReward: Object.fromEntries(perAgent.map((s) => [s.agent, s.mean])),
      };
    });
  }

  async setRunStatus(id: string, status: RunStatus): Promise<void> {
    this.guard('cannot update the run', () => this.db.prepare('UPDATE runs SET status = ? WHERE id = ?').run(status, id));
  }

  async runTasks(runId: string): Promise<Task[]> {
    const rows = this.db.prepare('SELECT task FROM run_tasks WHERE run_id = ? ORDER BY position').all(runId) as { task: string }[];
    return rows.map((row) => taskSchema.parse(JSON.parse(row.task)));
  }

  async saveEpisode(episode: EpisodeRecord, audit?: EpisodeAudit): Promise<boolean> {
    // CONTRACT STUB (issue 16, H3 replaces): episode and audit in one transaction.
    if (audit) {
      const saved = await this.saveEpisode(episode);
      if (saved) await this.saveEpisodeAudit(episode.id, episode.runId, audit);
      return saved;
    }
    return this.guard('cannot store the episode', () => {
      const result = this.db
        .prepare(
          `INSERT INTO episodes (id, run_id, agent, task_id, trial, seed, family, split, reward, termination, trajectory, outcome, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(
          episode.id,
          episode.runId,
          episode.agent,
          episode.taskId,
          episode.trial,
          episode.seed,
          episode.family,
          episode.split,
          episode.reward,
          episode.termination,
          JSON.stringify(episode.trajectory),
          JSON.stringify(episode.outcome),
          episode.createdAt,
        );
      return result.changes === 1;
    });
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

  private toRow(row: EpisodeRowSql): EpisodeRow {
    return {
      id: row.id,
      runId: row.run_id,
      agent: row.agent,
      taskId: row.task_id,
      trial: row.trial,
      seed: row.seed,
      family: row.family,
      split: row.split,
      reward: row.reward,
      termination: row.termination as EpisodeRow['termination'],
      createdAt: row.created_at,
    };
  }

  private toRecord(row: EpisodeRowSql): EpisodeRecord {
    return {
      ...this.toRow(row),
      trajectory: trajectorySchema.parse(JSON.parse(row.trajectory!)),
      outcome: outcomeSchema.parse(JSON.parse(row.outcome!)),
    };
  }

  private episodeWhere(runId: string, filter: EpisodeFilter): { where: string[]; params: (string | number)[] } {
    const where = ['run_id = ?'];
    const params: (string | number)[] = [runId];
    if (filter.agent) where.push('agent = ?'), params.push(filter.agent);
    if (filter.family) where.push('family = ?'), params.push(filter.family);
    if (filter.termination) where.push('termination = ?'), params.push(filter.termination);
    if (filter.result) where.push(filter.result === 'pass' ? 'reward >= 1' : 'reward < 1');
    // Audit filters read the stored episode audits (episodes without one never match).
    if (filter.faultCause)
      where.push("EXISTS (SELECT 1 FROM episode_audits a WHERE a.episode_id = episodes.id AND json_extract(a.audit, '$.fault.cause') = ?)"),
        params.push(filter.faultCause);
    if (filter.confidentFailure !== undefined)
      where.push(
        "EXISTS (SELECT 1 FROM episode_audits a WHERE a.episode_id = episodes.id AND json_extract(a.audit, '$.confidentFailure') = ?)",
      ),
        params.push(filter.confidentFailure ? 1 : 0);
    // Tags live in the stored task of the run (run_tasks), as planned.
    for (const tag of filter.tags ?? [])
      where.push(
        "EXISTS (SELECT 1 FROM run_tasks t, json_each(t.task, '$.tags') g WHERE t.run_id = episodes.run_id AND t.task_id = episodes.task_id AND g.value = ?)",
      ),
        params.push(tag);
    return { where, params };
  }

  async countEpisodes(runId: string, filter: EpisodeFilter = {}): Promise<number> {
    const { where, params } = this.episodeWhere(runId, filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM episodes WHERE ${where.join(' AND ')}`).get(...params) as { n: number }).n;
  }

  async listEpisodes(runId: string, filter: EpisodeFilter = {}): Promise<EpisodeRow[]> {
    const { where, params } = this.episodeWhere(runId, filter);
    const sql = `SELECT id, run_id, agent, task_id, trial, seed, family, split, reward, termination, created_at FROM episodes WHERE ${where.join(' AND ')} ORDER BY rowid LIMIT ? OFFSET ?`;
    params.push(filter.limit ?? -1, filter.offset ?? 0);
    return (this.db.prepare(sql).all(...params) as EpisodeRowSql[]).map((row) => this.toRow(row));
  }

  async listEpisodesPage(runId: string, filter: EpisodeFilter & { limit: number }): Promise<EpisodePage> {
    // CONTRACT STUB (issue 16, H3 replaces with keyset paging).
    const offset = filter.after ? Number(filter.after) : 0;
    const rows = await this.listEpisodes(runId, { ...filter, offset, limit: filter.limit });
    return { rows, next: rows.length === filter.limit ? String(offset + rows.length) : null };
  }

  async getEpisode(runId: string, episodeId: string): Promise<EpisodeRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM episodes WHERE run_id = ? AND id = ?').get(runId, episodeId) as EpisodeRowSql | undefined;
    return row ? this.toRecord(row) : undefined;
  }

  async *iterateEpisodes(runId: string): AsyncIterable<EpisodeRecord> {
    // Page by rowid so memory stays flat on very large runs.
    let after = 0;
    const page = this.db.prepare('SELECT rowid AS rid, * FROM episodes WHERE run_id = ? AND rowid > ? ORDER BY rowid LIMIT 200');
    while (true) {
      const rows = page.all(runId, after) as (EpisodeRowSql & { rid: number })[];
      if (rows.length === 0) return;
      for (const row of rows) yield this.toRecord(row);
      after = rows[rows.length - 1].rid;
    }
  }

  async listUsage(runId: string): Promise<{ agent: string; usage: Record<string, Usage> }[]> {
    const rows = this.db
      .prepare("SELECT agent, json_extract(trajectory, '$.usage') AS usage FROM episodes WHERE run_id = ?")
      .all(runId) as { agent: string; usage: string | null }[];
    return rows.map((row) => ({ agent: row.agent, usage: row.usage ? (JSON.parse(row.usage) as Record<string, Usage>) : {} }));
  }

  async deleteInfraErrors(runId: string): Promise<number> {
    return this.guard(
      'cannot delete infra errors',
      () => this.db.prepare("DELETE FROM episodes WHERE run_id = ? AND termination = 'infra_error'").run(runId).changes,
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
      this.db
        .prepare(
          'INSERT INTO episode_audits (episode_id, run_id, audit) VALUES (?, ?, ?) ON CONFLICT (episode_id) DO UPDATE SET run_id = excluded.run_id, audit = excluded.audit',
        )
        .run(episodeId, runId, JSON.stringify(audit)),
    );
  }

  async saveEpisodeAudits(runId: string, audits: readonly EpisodeAudit[]): Promise<void> {
    // CONTRACT STUB (issue 16, H3 replaces: one transaction, compact).
    for (const audit of audits) await this.saveEpisodeAudit(audit.episodeId, runId, audit);
  }

  async *iterateEpisodeAudits(runId: string): AsyncIterable<EpisodeAudit> {
    // CONTRACT STUB (issue 16, H3 replaces: paged).
    const rows = this.db.prepare('SELECT episode_id, audit FROM episode_audits WHERE run_id = ? ORDER BY rowid').all(runId) as {
      episode_id: string;
      audit: string;
    }[];
    for (const row of rows) yield parseAudit(episodeAuditSchema, row.audit, `episode ${row.episode_id}`);
  }

  async auditTotals(runId: string): Promise<AuditTotals> {
    // CONTRACT STUB (issue 16, H3 replaces: from indexed columns).
    const totals: AuditTotals = { audited: 0, confidentFailures: 0, faultCauses: {} };
    for await (const audit of this.iterateEpisodeAudits(runId)) {
      totals.audited++;
      if (audit.confidentFailure) totals.confidentFailures++;
      const cause = audit.fault?.cause;
      if (cause && audit.reward < 1) totals.faultCauses[cause] = (totals.faultCauses[cause] ?? 0) + 1;
    }
    return totals;
  }

  async saveAttempt(_attempt: EpisodeAttempt): Promise<void> {
    throw new GroundworkError('STORE_FAILED', 'CONTRACT STUB (issue 16, H3): attempts are not stored yet');
  }

  async listAttempts(_runId: string, _episodeId?: string): Promise<EpisodeAttempt[]> {
    return [];
  }

  async getEpisodeAudit(episodeId: string): Promise<EpisodeAudit | undefined> {
    const row = this.db.prepare('SELECT audit FROM episode_audits WHERE episode_id = ?').get(episodeId) as { audit: string } | undefined;
    return row ? parseAudit(episodeAuditSchema, row.audit, `episode ${episodeId}`) : undefined;
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
    if (this.db.open) this.db.close();
  }
}

/** Parse a stored audit; a newer schemaVersion is refused, not misread. */
function parseAudit<T>(schema: { parse(value: unknown): T }, text: string, what: string): T {
  const value = JSON.parse(text) as { schemaVersion?: number };
  if (typeof value.schemaVersion === 'number' && value.schemaVersion > AUDIT_SCHEMA_VERSION) {
    throw new GroundworkError(
      'SCHEMA_VERSION',
      `the audit of ${what} has schema version ${value.schemaVersion}, newer than this Groundwork (${AUDIT_SCHEMA_VERSION})`,
      { hint: 'upgrade Groundwork, or run groundwork audit again' },
    );
  }
  return schema.parse(value);
}
