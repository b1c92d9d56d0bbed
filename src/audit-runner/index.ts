// Audits run over stored runs: the driver that reads the store, calls judges and stores results.
export { auditStoredRun, type AuditStoredRunOptions } from './audit-stored-run.ts';
