import { GroundworkError } from '../errors.ts';
import type { AnyAudit, AuditChart } from './audit.ts';
import { calibrationAudit } from './calibration-audit.ts';
import { claimsAudit } from './claims-audit.ts';
import { faultCauseAudit } from './fault-cause-audit.ts';
import { fidelityAudit } from './fidelity-audit.ts';
import { goalOutcomeAudit } from './goal-outcome-audit.ts';
import { probeAudit } from './probe-audit.ts';
import { toolErrorAudit } from './tool-error-audit.ts';

/**
 * The built-in audits, in the order they run and are shown. A new built-in audit is one file and
 * one line here. Library users add theirs with `createAuditRegistry([...BUILT_IN_AUDITS, mine])`.
 */
export const BUILT_IN_AUDITS: readonly AnyAudit[] = [
  calibrationAudit,
  claimsAudit,
  fidelityAudit,
  goalOutcomeAudit,
  faultCauseAudit,
  toolErrorAudit,
  probeAudit,
];

/** Fields of an episode audit record that belong to the record, not to any audit. */
const HEADER_FIELDS = new Set([
  'schemaVersion',
  'episodeId',
  'runId',
  'agent',
  'taskId',
  'trial',
  'reward',
  'termination',
  'auditorVersion',
  'versions',
]);
/** Keys of a run audit's agent entry that belong to the record. */
const AGENT_HEADER_FIELDS = new Set(['episodes', 'graded']);

/** An immutable, checked set of audits: what the driver runs and what report, viewer and CLI show. */
export interface AuditRegistry {
  /** In run (and display) order: every audit after those it requires. */
  readonly audits: readonly AnyAudit[];
  /** Version of each audit, by name (stored with every audit record). */
  readonly versions: Readonly<Record<string, string>>;
  /** The audit of that name; an unknown name is an UNKNOWN_AUDIT error, never silence. */
  get(name: string): AnyAudit;
  has(name: string): boolean;
  /** The audit chart of that id and its audit; an unknown id is an UNKNOWN_CHART error. */
  chart(id: string): { audit: AnyAudit; chart: AuditChart<unknown> };
}

/** Field names an audit declares (its `fields` schema must be a zod object). */
function fieldNames(audit: AnyAudit): string[] {
  const shape = (audit.fields as { shape?: Record<string, unknown> }).shape;
  if (!shape) throw new GroundworkError('INVALID_ARGUMENT', `audit ${audit.name}: fields must be a zod object`);
  return Object.keys(shape);
}

/**
 * Build a registry. Checked here, once: unique names, chart ids and episode fields (no two audits
 * write the same field), and every required audit registered before the audit that reads it.
 * A value, not global state: pass it to the driver, the report and the viewer.
 */
export function createAuditRegistry(audits: readonly AnyAudit[]): AuditRegistry {
  const byName = new Map<string, AnyAudit>();
  const fieldOwner = new Map<string, string>();
  const charts = new Map<string, { audit: AnyAudit; chart: AuditChart<unknown> }>();
  for (const audit of audits) {
    if (!/^[a-zA-Z][a-zA-Z0-9-]*$/.test(audit.name))
      throw new GroundworkError('INVALID_ARGUMENT', `audit name ${JSON.stringify(audit.name)}: use letters, digits and dashes`);
    if (byName.has(audit.name) || AGENT_HEADER_FIELDS.has(audit.name))
      throw new GroundworkError('INVALID_ARGUMENT', `audit ${audit.name} is registered twice (or takes a reserved name)`);
    for (const required of audit.requires ?? []) {
      if (!byName.has(required))
        throw new GroundworkError('UNKNOWN_AUDIT', `audit ${audit.name} requires ${required}, which is not registered before it`);
    }
    for (const field of fieldNames(audit)) {
      const owner = HEADER_FIELDS.has(field) ? 'the record header' : fieldOwner.get(field);
      if (owner)
        throw new GroundworkError('INVALID_ARGUMENT', `audit ${audit.name} writes the episode field ${field}, which belongs to ${owner}`);
      fieldOwner.set(field, audit.name);
    }
    for (const chart of audit.display.charts) {
      if (charts.has(chart.id))
        throw new GroundworkError(
          'INVALID_ARGUMENT',
          `audit ${audit.name}: chart id ${chart.id} is already used by audit ${charts.get(chart.id)!.audit.name}`,
        );
      charts.set(chart.id, { audit, chart });
    }
    byName.set(audit.name, audit);
  }
  const names = () => [...byName.keys()].join(', ');
  return {
    audits: [...audits],
    versions: Object.fromEntries(audits.map((a) => [a.name, a.version])),
    has: (name) => byName.has(name),
    get(name) {
      const audit = byName.get(name);
      if (!audit)
        throw new GroundworkError('UNKNOWN_AUDIT', `no audit named ${JSON.stringify(name)}`, { hint: `registered audits: ${names()}` });
      return audit;
    },
    chart(id) {
      const found = charts.get(id);
      if (!found)
        throw new GroundworkError('UNKNOWN_CHART', `no audit chart ${JSON.stringify(id)}`, {
          hint: `audit charts: ${[...charts.keys()].join(', ')}`,
        });
      return found;
    },
  };
}

/** The registry of the built-in audits (what the CLI runs and shows). */
export const builtInAudits: AuditRegistry = createAuditRegistry(BUILT_IN_AUDITS);
