// Audits run over stored runs: the driver that reads the store, calls judges and stores results.
export { auditStoredRun, type AuditStoredRunOptions } from './audit-stored-run.ts';
export {
  createEpisodeAuditor,
  problemKey,
  type EpisodeAuditor,
  type EpisodeAuditorOptions,
  type GradedForAudit,
  type ProblemRow,
} from './episode-auditor.ts';
export {
  summariseStoredRun,
  AUDIT_BATCH,
  MAX_AUDITS_IN_MEMORY,
  type SummariseStoredRunOptions,
} from './summarise-stored-run.ts';
