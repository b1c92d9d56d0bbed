export type { Store, RunRecord, RunListing, RunStatus, EpisodeRecord, EpisodeRow, EpisodeFilter, ExperienceFilter } from './store.ts';
export { requireRun } from './store.ts';
export { SqliteStore, SQLITE_STORE_VERSION } from './sqlite-store.ts';
