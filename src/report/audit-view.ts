/**
 * Audit results shaped for display. The report, the viewer and the CLI render these view types
 * only: `runAuditView` turns a stored run audit into one section per registered audit (its tables
 * and charts, from the audit's own display description), `episodeAuditView` adapts a stored
 * episode audit for the built-in per-episode panels.
 */
import { episodeAuditSchema, runAuditSchema, type EpisodeAudit, type RunAudit } from '../schema/audit.ts';
import type { AgentSummary, AuditTable } from '../audits/audit.ts';
import { builtInAudits, type AuditRegistry } from '../audits/registry.ts';
import type { ChartDefinition } from './charts.ts';
export { FIDELITY_TEXT, GOAL_OUTCOME_TEXT } from '../audits/audit-texts.ts';

/** One registered audit of a run, ready to show. */
export interface AuditSectionView {
  /** The audit's name (`data-audit` in the report and the viewer). */
  name: string;
  title: string;
  /** One line: what it measures. */
  text: string;
  /** The audit's version that produced the stored results. */
  version?: string;
  /** Set when the stored audit has no readable results of this audit (older run): why, and what to do. */
  stale?: string;
  tables: AuditTable[];
  /** Charts with data (specs built by the audit from its summaries). */
  charts: ChartDefinition[];
}

/** A run's audit, for display. */
export interface AuditView {
  createdAt?: string;
  judge?: string;
  auditorVersion?: string;
  /** One section per registered audit, in registry order. */
  sections: AuditSectionView[];
  taskProblems?: { taskId: string; kind: string; detail: string }[];
  notes?: string[];
}

/** Options of `runAuditView`. */
export interface RunAuditViewOptions {
  /** Each agent's failed graded episodes (from the run summary), which the audit itself does not keep. */
  failed?: Record<string, number>;
  /** The audits to show. @default the built-in audits */
  registry?: AuditRegistry;
  /** Agent order. @default the stored order */
  agents?: readonly string[];
}

const AGENT_HEADER = new Set(['episodes', 'graded']);

/**
 * Shape a stored run audit for display: per registered audit, its per-agent summaries read back
 * with its own schema, then its tables and charts. Undefined for records it cannot read.
 */
export function runAuditView(raw: unknown, options: RunAuditViewOptions = {}): AuditView | undefined {
  const parsed = runAuditSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const audit: RunAudit = parsed.data;
  const registry = options.registry ?? builtInAudits;
  const agents = (options.agents ?? Object.keys(audit.agents)).filter((agent) => audit.agents[agent]);
  const notes = [...audit.notes];
  const sections = registry.audits.map((plugin): AuditSectionView => {
    const version = audit.versions?.[plugin.name] ?? audit.auditorVersion;
    const base = { name: plugin.name, title: plugin.display.title, text: plugin.display.text, version, tables: [], charts: [] };
    const rows: AgentSummary<unknown>[] = [];
    for (const agent of agents) {
      const entry = audit.agents[agent] as Record<string, unknown>;
      const summary = plugin.summary.safeParse(entry[plugin.name]);
      // Not stored (an audit added after this run was audited) or stored in a shape this version cannot read.
      if (!(plugin.name in entry) || !summary.success)
        return { ...base, stale: `not in the stored audit (${audit.auditorVersion}): run groundwork audit ${audit.runId} again` };
      rows.push({
        agent,
        episodes: audit.agents[agent].episodes,
        graded: audit.agents[agent].graded,
        ...(options.failed?.[agent] !== undefined ? { failed: options.failed[agent] } : {}),
        summary: summary.data,
      });
    }
    const charts = plugin.display.charts.flatMap((chart) => {
      const spec = chart.spec(rows, agents);
      return spec ? [{ id: chart.id, title: chart.title, description: chart.description, spec }] : [];
    });
    return { ...base, tables: plugin.display.tables(rows), charts };
  });
  const unknown = [
    ...new Set(
      Object.values(audit.agents).flatMap((entry) => Object.keys(entry).filter((key) => !AGENT_HEADER.has(key) && !registry.has(key))),
    ),
  ];
  if (unknown.length > 0) notes.push(`stored results of ${unknown.join(', ')} are not shown: no registered audit has that name`);
  return {
    createdAt: audit.createdAt,
    judge: audit.judge,
    auditorVersion: audit.auditorVersion,
    sections,
    taskProblems: audit.taskProblems,
    notes,
  };
}

/** A claim the agent made, checked against the final state. */
export interface ClaimView {
  text: string;
  verdict: 'verified' | 'contradicted' | 'unverifiable';
  /** What the state shows. */
  evidence?: string;
  /** Action and target, e.g. `erase_customer Iris Textiles → unreachable`. */
  what?: string;
  /** Index of the agent message in the trajectory's events. */
  eventIndex?: number;
}

/** One goal-state item of the simulated user at one turn. */
export interface GoalItemView {
  id: string;
  category: string;
  status: string;
  description?: string;
  /** Final item only: whether the simulated user kept it (`kept`, `not_kept`, `no_chance`). */
  kept?: string;
  /** Final objectives and requirements only: `completed`, `blocked`, `open` or `unknown` (from the state). */
  outcome?: string;
}

/** An episode's audit, for display. */
export interface EpisodeAuditView {
  claims?: ClaimView[];
  successClaimed?: boolean;
  confidentFailure?: boolean;
  /** Stated probability of success, when the agent gave one. */
  confidence?: number;
  /** The user's goal state after each user turn. */
  goalStates?: { turn: number; eventIndex?: number; items: GoalItemView[] }[];
  /** The goal items at the end of the episode: status with completion read from the state, fidelity verdict, outcome. */
  goalFinal?: GoalItemView[];
  simulatorFaults?: { kind: string; turn?: number; item?: string; text?: string; detail?: string }[];
  faultCause?: string;
  faultDetail?: string;
}

const label = (target: { kind: string; id?: string; name?: string }) => target.name ?? target.id ?? target.kind;

/** Adapt a stored episode audit to the view. Undefined for records it cannot read. */
export function episodeAuditView(raw: unknown): EpisodeAuditView | undefined {
  const parsed = episodeAuditSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const audit: EpisodeAudit = parsed.data;
  return {
    claims: audit.claims.map((c) => ({
      text: c.text,
      verdict: c.verdict,
      evidence: c.evidence,
      what: `${c.action} ${label(c.target)} → ${c.asserted}`,
      eventIndex: c.eventIndex,
    })),
    successClaimed: audit.successClaimed,
    confidentFailure: audit.confidentFailure,
    confidence: audit.outcomeReport?.confidence,
    goalStates: audit.goal.timeline.map((snapshot) => ({
      turn: snapshot.turn,
      eventIndex: snapshot.eventIndex,
      items: audit.goal.items.map((item) => ({
        id: item.id,
        category: item.category,
        description: item.description,
        status: snapshot.statuses[item.id] ?? '',
      })),
    })),
    goalFinal: audit.goal.items.map((item) => ({
      id: item.id,
      category: item.category,
      description: item.description,
      status: audit.goal.final[item.id] ?? '',
      ...(audit.goal.kept?.[item.id] ? { kept: audit.goal.kept[item.id] } : {}),
      ...(audit.goal.outcome?.[item.id] ? { outcome: audit.goal.outcome[item.id] } : {}),
    })),
    simulatorFaults: audit.simulatorFaults.map((f) => ({ kind: f.kind, turn: f.turn, item: f.item, text: f.text, detail: f.evidence })),
    faultCause: audit.fault?.cause,
    faultDetail: audit.fault?.evidence,
  };
}
