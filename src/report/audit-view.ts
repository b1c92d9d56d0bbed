/**
 * Audit results shaped for display. The report and the viewer render these view types only;
 * `runAuditView` / `episodeAuditView` adapt the stored audit records (src/schema/audit.ts), so a
 * change of the stored format touches this file alone.
 */
import { episodeAuditSchema, runAuditSchema, type EpisodeAudit, type RunAudit } from '../schema/audit.ts';

/** Calibration of one agent: stated probability of success against the grounded outcome. */
export interface CalibrationView {
  agent: string;
  /** Episodes with an outcome report (stated confidence). */
  episodes: number;
  /** Graded episodes without one. */
  missing: number;
  brier: number;
  ece: number;
  auroc?: number;
  meanConfidence: number;
  successRate: number;
  /** Equal-width confidence bins that hold episodes. */
  bins: { lower: number; upper: number; count: number; meanConfidence: number; observed: number }[];
}

/** Claims and confident failures of one agent. */
export interface ConfidentFailureView {
  agent: string;
  /** Failed episodes (reward 0, infra errors excluded). */
  failures: number;
  /** Failed episodes in which the agent asserted the goal was done. */
  confident: number;
  /** Episodes in which the agent asserted success. */
  successClaimed: number;
  claims: number;
  verified: number;
  contradicted: number;
  unverifiable: number;
}

/** A confident failure, for the examples table. */
export interface ConfidentFailureExample {
  agent: string;
  episodeId: string;
  taskId: string;
  claim: string;
  evidence: string;
}

/** Simulator fidelity of one agent's episodes (the user simulator is the same for all agents). */
export interface FidelityView {
  agent: string;
  /** Mean share of goal items at their success status, per UGST category (null: no item). */
  goalSuccess: Record<string, number | null>;
  faultedEpisodes: number;
  faultRate: number;
  /** Share of graded episodes flagged with each fault kind. */
  faultRateByKind: Record<string, number>;
  /** pass^k raw and without simulator-faulted episodes. */
  passHatK: Record<string, number>;
  passHatKClean: Record<string, number>;
}

/** Failed episodes attributed to a cause, per agent. */
export interface FaultCauseView {
  agent: string;
  cause: string;
  count: number;
}

/** A run's audit, for display. Every part is optional: show what exists. */
export interface AuditView {
  createdAt?: string;
  judge?: string;
  calibration?: CalibrationView[];
  confidentFailures?: ConfidentFailureView[];
  examples?: ConfidentFailureExample[];
  fidelity?: FidelityView[];
  faultCauses?: FaultCauseView[];
  taskProblems?: { taskId: string; kind: string; detail: string }[];
  notes?: string[];
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
  simulatorFaults?: { kind: string; turn?: number; item?: string; text?: string; detail?: string }[];
  faultCause?: string;
  faultDetail?: string;
}

const label = (target: { kind: string; id?: string; name?: string }) => target.name ?? target.id ?? target.kind;

/**
 * Adapt a stored run audit to the view. `failures` gives each agent's failed-episode count (from
 * the run summary), which the audit itself does not keep. Undefined for records it cannot read.
 */
export function runAuditView(raw: unknown, failures: Record<string, number> = {}): AuditView | undefined {
  const parsed = runAuditSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const audit: RunAudit = parsed.data;
  const agents = Object.entries(audit.agents);
  const view: AuditView = { createdAt: audit.createdAt, judge: audit.judge, notes: audit.notes, taskProblems: audit.taskProblems };
  const calibration = agents.filter(([, a]) => a.calibration !== null && a.calibration.reports > 0);
  if (calibration.length > 0) {
    view.calibration = calibration.map(([agent, a]) => {
      const c = a.calibration!;
      return {
        agent,
        episodes: c.reports,
        missing: c.missing,
        brier: c.brier,
        ece: c.ece,
        auroc: c.auroc ?? undefined,
        meanConfidence: c.meanConfidence,
        successRate: c.successRate,
        bins: c.reliability.filter((b) => b.count > 0).map((b) => ({ lower: b.lower, upper: b.upper, count: b.count, meanConfidence: b.meanConfidence ?? (b.lower + b.upper) / 2, observed: b.meanOutcome ?? 0 })),
      };
    });
  }
  view.confidentFailures = agents.map(([agent, a]) => ({
    agent,
    failures: failures[agent] ?? a.claims.confidentFailures,
    confident: a.claims.confidentFailures,
    successClaimed: a.claims.successClaimed,
    claims: a.claims.total,
    verified: a.claims.verified,
    contradicted: a.claims.contradicted,
    unverifiable: a.claims.unverifiable,
  }));
  view.examples = agents.flatMap(([agent, a]) => a.claims.examples.map((e) => ({ agent, ...e })));
  view.fidelity = agents.map(([agent, a]) => ({ agent, ...a.fidelity }));
  view.faultCauses = agents.flatMap(([agent, a]) => Object.entries(a.faultCauses).map(([cause, count]) => ({ agent, cause, count })));
  return view;
}

/** Adapt a stored episode audit to the view. Undefined for records it cannot read. */
export function episodeAuditView(raw: unknown): EpisodeAuditView | undefined {
  const parsed = episodeAuditSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const audit: EpisodeAudit = parsed.data;
  return {
    claims: audit.claims.map((c) => ({ text: c.text, verdict: c.verdict, evidence: c.evidence, what: `${c.action} ${label(c.target)} → ${c.asserted}`, eventIndex: c.eventIndex })),
    successClaimed: audit.successClaimed,
    confidentFailure: audit.confidentFailure,
    confidence: audit.outcomeReport?.confidence,
    goalStates: audit.goal.timeline.map((snapshot) => ({
      turn: snapshot.turn,
      eventIndex: snapshot.eventIndex,
      items: audit.goal.items.map((item) => ({ id: item.id, category: item.category, description: item.description, status: snapshot.statuses[item.id] ?? '' })),
    })),
    simulatorFaults: audit.simulatorFaults.map((f) => ({ kind: f.kind, turn: f.turn, item: f.item, text: f.text, detail: f.evidence })),
    faultCause: audit.fault?.cause,
    faultDetail: audit.fault?.evidence,
  };
}
