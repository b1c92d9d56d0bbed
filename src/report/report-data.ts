import type { Outcome } from '../schema/outcome.ts';
import type { Trajectory } from '../schema/trajectory.ts';
import type { LearningSession } from '../schema/experience.ts';
import { type EpisodeRecord, type EpisodeRow, type Store, requireRun } from '../store/store.ts';
import type { AuditRegistry } from '../audits/registry.ts';
import { recordedUserTables } from '../episode/orchestrator.ts';
import { episodeAuditView, runAuditView, type AuditView, type EpisodeAuditView } from './audit-view.ts';
import { summariseRun, type RunSummary } from './run-summary.ts';

/** One point of a learning curve (a learner's metric after `step` units of experience). */
export interface LearningCurvePoint {
  agent: string;
  metric: string;
  step: number;
  value: number;
}

/**
 * Optional store capability for learning curves. A store that records them (see the learners'
 * issue) implements this method; the report and viewer draw them when it exists.
 */
export interface LearningCurveSource {
  getLearningCurves(runId: string): Promise<LearningCurvePoint[]>;
}

/** A failed episode with everything the report shows about it. */
export interface ReportEpisode {
  row: EpisodeRow;
  trajectory: Trajectory;
  outcome: Outcome;
  /** Short reasons it failed, from the grade (never from the agent's words). */
  why: string[];
  audit?: EpisodeAuditView;
  /** Dual control: the tables of the user's side, whose changes are shown apart as the user's. */
  userTables?: string[];
}

/** Everything the HTML report and the viewer's run page show, JSON-ready. */
export interface RunReportData {
  summary: RunSummary;
  /** Agents in configured order. */
  agents: string[];
  /** Task families present, sorted. */
  families: string[];
  failed: {
    /** All failed (reward 0) episodes of the run, infra errors included. */
    total: number;
    /** The failed episodes included in full (spread over agents). */
    episodes: ReportEpisode[];
  };
  /** Run-level audit results, when the store has them. */
  audit?: AuditView;
  /** Learning curves, when the store records them. */
  learningCurves?: LearningCurvePoint[];
}

/** Options of `collectReportData`. */
export interface CollectReportOptions {
  /** Failed episodes included in full, spread evenly over agents. @default 200 */
  maxFailed?: number;
  /** Skip loading failed episodes (the viewer loads them page by page). @default false */
  summaryOnly?: boolean;
  /** The audits whose stored results are shown. @default the built-in audits */
  audits?: AuditRegistry;
}

/** Why an episode failed, in a few words each, from its grade and termination. */
export function failureReasons(outcome: Outcome, termination: string): string[] {
  const reasons: string[] = [];
  if (termination !== 'user_stop' && termination !== 'agent_stop') reasons.push(`ended by ${termination}`);
  // τ² tasks: the reward is τ²'s; its failed components come first, then Groundwork's own checks.
  const tau2 = outcome.tau2;
  if (tau2 && !tau2.premature) {
    const failed = Object.entries(tau2.breakdown)
      .filter(([, value]) => value === 0)
      .map(([component]) => component);
    if (failed.length) reasons.push(`τ² reward 0: ${failed.join(', ')} failed`);
    if (tau2.reward === null) reasons.push(`τ² reward pending: ${tau2.pending.join(', ')} needs a judge`);
  }
  // Beside τ²'s reward, Groundwork's own checks are labelled as Groundwork's.
  const own = tau2 ? (reason: string) => `Groundwork: ${reason}` : (reason: string) => reason;
  const failedPredicates = outcome.state.predicates.filter((p) => !p.pass).length;
  if (!outcome.state.pass)
    reasons.push(
      own(failedPredicates > 0 ? `${failedPredicates} required check${failedPredicates === 1 ? '' : 's'} failed` : 'final state wrong'),
    );
  if (!outcome.collateral.pass)
    reasons.push(own(`${outcome.collateral.changes.length} collateral change${outcome.collateral.changes.length === 1 ? '' : 's'}`));
  const untold = outcome.communication.items.filter((i) => !i.pass).length;
  if (!outcome.communication.pass)
    reasons.push(own(untold > 0 ? `${untold} required fact${untold === 1 ? '' : 's'} not told` : 'communication failed'));
  if (outcome.note) reasons.push(outcome.note);
  return reasons;
}

/**
 * Split `budget` over groups of the given sizes as evenly as possible (water-filling): small
 * groups are included whole and what they leave goes to the larger ones.
 */
export function fairShares(sizes: readonly number[], budget: number): number[] {
  const shares = sizes.map(() => 0);
  let left = Math.min(
    budget,
    sizes.reduce((a, b) => a + b, 0),
  );
  while (left > 0) {
    const open = sizes.map((_size, i) => i).filter((i) => shares[i] < sizes[i]);
    const each = Math.max(1, Math.floor(left / open.length));
    for (const i of open) {
      if (left === 0) break;
      const add = Math.min(each, sizes[i] - shares[i], left);
      shares[i] += add;
      left -= add;
    }
  }
  return shares;
}

/** Store capabilities added by later issues, detected at run time. */
type MaybeAuditStore = Omit<Store, 'getRunAudit' | 'getEpisodeAudit' | 'listLearningSessions'> & {
  getRunAudit?: (runId: string) => Promise<unknown>;
  getEpisodeAudit?: (episodeId: string) => Promise<unknown>;
  getLearningCurves?: (runId: string) => Promise<LearningCurvePoint[]>;
  listLearningSessions?: () => Promise<LearningSession[]>;
};

/**
 * The learning curves a run belongs to: a store's own `getLearningCurves` when it has one, else
 * the `groundwork learn` sessions that made this run (a training round or a test evaluation):
 * train success per round, and test success before and after learning.
 */
export async function loadLearningCurves(store: Store, runId: string): Promise<LearningCurvePoint[] | undefined> {
  const s = store as unknown as MaybeAuditStore;
  if (typeof s.getLearningCurves === 'function') return s.getLearningCurves(runId);
  if (typeof s.listLearningSessions !== 'function') return undefined;
  const sessions = (await s.listLearningSessions()).filter(
    (session) =>
      session.rounds.some((r) => r.runId === runId) || session.test.before?.runId === runId || session.test.after?.runId === runId,
  );
  if (sessions.length === 0) return undefined;
  return sessions.flatMap((session) => {
    const agent = sessions.length > 1 ? `${session.agent} (${session.id})` : session.agent;
    const last = session.rounds.at(-1)?.round ?? 0;
    return [
      ...session.rounds.map((r) => ({ agent, metric: 'train success', step: r.round, value: r.successRate })),
      ...(session.test.before ? [{ agent, metric: 'test success', step: 0, value: session.test.before.successRate }] : []),
      ...(session.test.after ? [{ agent, metric: 'test success', step: last, value: session.test.after.successRate }] : []),
    ];
  });
}

/** The run's stored audit, shaped for display (undefined when audits are not stored). */
export async function loadRunAudit(
  store: Store,
  runId: string,
  summary?: RunSummary,
  registry?: AuditRegistry,
): Promise<AuditView | undefined> {
  const s = store as unknown as MaybeAuditStore;
  if (typeof s.getRunAudit !== 'function') return undefined;
  const raw = await s.getRunAudit(runId);
  // The audit does not keep failure counts; the summary has them (graded × (1 − mean reward)).
  const failures = Object.fromEntries(
    Object.entries(summary?.agents ?? {}).map(([agent, m]) => [agent, Math.round(m.graded * (1 - (m.meanReward ?? 0)))]),
  );
  return raw === undefined || raw === null
    ? undefined
    : runAuditView(raw, {
        failed: failures,
        ...(summary ? { agents: Object.keys(summary.agents) } : {}),
        ...(registry ? { registry } : {}),
      });
}

/** One episode's stored audit, shaped for display. */
export async function loadEpisodeAudit(store: Store, episodeId: string): Promise<EpisodeAuditView | undefined> {
  const s = store as unknown as MaybeAuditStore;
  if (typeof s.getEpisodeAudit !== 'function') return undefined;
  const raw = await s.getEpisodeAudit(episodeId);
  return raw === undefined || raw === null ? undefined : episodeAuditView(raw);
}

/** For an episode imported from τ² results: how the recomputed reward stands against the recorded one. */
export function importedTau2Reasons(trajectory: Pick<Trajectory, 'participants'>): string[] {
  const info = trajectory.participants.import;
  if (!info || typeof info !== 'object' || Array.isArray(info) || info.format !== 'tau2') return [];
  const reasons: string[] = [];
  const comparison = info.comparison;
  const agrees = comparison && typeof comparison === 'object' && !Array.isArray(comparison) ? comparison.reward : null;
  if (agrees === false) reasons.push(`τ² recorded reward ${String(info.recordedReward)}; recomputed here it differs`);
  if (info.judgedBy === 'tau2-recorded') reasons.push('NL assertions judged by τ² (its recorded verdicts, not judged here)');
  return reasons;
}

/** A stored episode as the report shows it. */
export async function reportEpisode(store: Store, episode: EpisodeRecord): Promise<ReportEpisode> {
  const { trajectory, outcome, ...row } = episode;
  const userTables = recordedUserTables(trajectory);
  return {
    row,
    trajectory,
    outcome,
    why: [...failureReasons(outcome, row.termination), ...importedTau2Reasons(trajectory)],
    audit: await loadEpisodeAudit(store, episode.id),
    ...(userTables.length ? { userTables } : {}),
  };
}

/** Read a run's report data from the store. Throws UNKNOWN_RUN for an unknown id. */
export async function collectReportData(store: Store, runId: string, options: CollectReportOptions = {}): Promise<RunReportData> {
  const run = await requireRun(store, runId);
  const summary = await summariseRun(store, run);
  const agents = Object.keys(summary.agents);
  const families = [...new Set(Object.values(summary.agents).flatMap((m) => Object.keys(m.families)))].sort();
  const total = await store.countEpisodes(runId, { result: 'fail' });
  const episodes: ReportEpisode[] = [];
  if (!options.summaryOnly) {
    const max = options.maxFailed ?? 200;
    const counts = await Promise.all(agents.map((agent) => store.countEpisodes(runId, { agent, result: 'fail' })));
    // Spread the budget over agents so one weak agent does not crowd out the others.
    const shares = fairShares(counts, max);
    for (const [i, agent] of agents.entries()) {
      if (shares[i] === 0) continue;
      for (const row of await store.listEpisodes(runId, { agent, result: 'fail', limit: shares[i] })) {
        const record = await store.getEpisode(runId, row.id);
        if (record) episodes.push(await reportEpisode(store, record));
      }
    }
  }
  const learningCurves = await loadLearningCurves(store, runId);
  return {
    summary,
    agents,
    families,
    failed: { total, episodes },
    audit: await loadRunAudit(store, runId, summary, options.audits),
    learningCurves,
  };
}
