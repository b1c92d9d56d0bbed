export type {
  Store,
  RunRecord,
  RunListing,
  RunStatus,
  EpisodeRecord,
  EpisodeRow,
  EpisodeFilter,
  EpisodePage,
  EpisodeAttempt,
  AttemptStatus,
  AuditTotals,
  ExperienceFilter,
} from './store.ts';
export { requireRun } from './store.ts';
export { SqliteStore, SQLITE_STORE_VERSION } from './sqlite-store.ts';
export { openStore, isPostgresLocation, redactStoreLocation, type OpenStoreOptions } from './open-store.ts';
