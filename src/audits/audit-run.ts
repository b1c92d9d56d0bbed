import type { Domain } from '../domains/domain.ts';
import { createDomain } from '../domains/registry.ts';
import { finalStateFrom, initialStateFor } from '../domains/initial-state.ts';
import { describeError } from '../errors.ts';
import { passHatK, type TaskTally } from '../grading/pass-k.ts';
import type { ModelHub } from '../models/model-hub.ts';
import {
  AUDIT_SCHEMA_VERSION,
  FAULT_CAUSES,
  GOAL_CATEGORIES,
  goalItemSchema,
  SIMULATOR_FAULT_KINDS,
  type AgentAudit,
  type EpisodeAudit,
  type GoalItem,
  type GoalSnapshot,
  type GoalStatus,
  type RunAudit,
  type TaskProblem,
} from '../schema/audit.ts';
import { shortHash } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import { type EpisodeRecord, type Store, requireRun } from '../store/store.ts';
import type { TableState } from '../state/table-state.ts';
import { seedFrom } from '../util/seeded-random.ts';
import { calibrationSummary, rlcrReward, type CalibrationPoint } from './calibration.ts';
import { auditClaims, type ClaimRules, type ExtractedClaim } from './claims.ts';
import { helpdeskClaimRules } from './claims-helpdesk.ts';
import { tauClaimRules } from './claims-tau.ts';
import { attributeFault } from './fault-attribution.ts';
import { goalItemsFor, goalSuccessByCategory } from './goal-state.ts';
import { decomposeGoalWithJudge, extractClaimsWithJudge, JUDGE_PROMPT_VERSION, trackGoalWithJudge } from './judge.ts';
import { auditSimulator, scenarioText, stateTokenIndex } from './simulator-fidelity.ts';
import { lintTaskStatic } from './task-lint.ts';

/** Bumped whenever audit rules change, so stored audits say which rules produced them. */
export const AUDITOR_VERSION = 'groundwork-auditor/1';

/** Agents whose messages the rule extractor is written for; others get the LLM extractor when a judge is given. */
export const RULE_EXTRACTED_AGENTS = new Set(['oracle', 'naive', 'noop']);

/** The claim rules of a domain, by name (undefined: only generic claims). */
export function claimRulesFor(domainName: string): ClaimRules | undefined {
  if (domainName === 'helpdesk') return helpdeskClaimRules;
  if (domainName.startsWith('tau-bench/') || domainName.startsWith('tau2-bench/')) return tauClaimRules;
  return undefined;
}

/** Everything one episode's audit reads. */
export interface EpisodeAuditInput {
  episode: Pick<EpisodeRecord, 'id' | 'runId' | 'agent' | 'taskId' | 'trial' | 'reward' | 'termination' | 'trajectory' | 'outcome'>;
  task: Task;
  domain: Pick<Domain, 'name' | 'queries'>;
  initialState: TableState;
  finalState: TableState;
  /** Whether a token names something in the task's data (see `stateTokenIndex`). */
  exists?: (token: string) => boolean;
  /** Lint problems of this task. */
  taskProblems: readonly TaskProblem[];
  /** Results of an LLM judge, computed beforehand by the driver (the audit itself stays pure). */
  judged?: {
    claims?: ExtractedClaim[];
    goal?: GoalItem[];
    timeline?: { timeline: GoalSnapshot[]; final: Record<string, GoalStatus> };
  };
}

/** Audit one episode: claims, goal state, simulator faults, outcome report, fault cause. Pure. */
export function auditEpisode(input: EpisodeAuditInput): EpisodeAudit {
  const { episode, task } = input;
  const trajectory = episode.trajectory;
  const claims = auditClaims(claimRulesFor(input.domain.name), { domain: input.domain, task, trajectory, initialState: input.initialState, finalState: input.finalState }, input.judged?.claims);
  const successClaimed = claims.some((c) => c.assertsGoal);
  const graded = episode.termination !== 'infra_error';
  const goal = input.judged?.goal ? { items: input.judged.goal, source: 'llm' as const } : goalItemsFor(task);
  const simulator = auditSimulator({ items: goal.items, events: trajectory.events, scenario: scenarioText(task, goal.items), exists: input.exists, timeline: input.judged?.timeline });
  const reports = trajectory.events.filter((e) => e.type === 'outcome_report');
  const last = reports.at(-1);
  const outcomeReport = last && last.type === 'outcome_report' ? { success: last.success, confidence: last.confidence, summary: last.summary } : undefined;
  const y = episode.reward >= 1 ? 1 : 0;
  const fault = attributeFault({
    reward: episode.reward,
    termination: episode.termination,
    terminationDetail: trajectory.termination.detail,
    outcome: episode.outcome,
    claims,
    simulatorFaults: simulator.faults,
    taskProblems: input.taskProblems,
  });
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    episodeId: episode.id,
    runId: episode.runId,
    agent: episode.agent,
    taskId: episode.taskId,
    trial: episode.trial,
    reward: episode.reward,
    termination: episode.termination,
    claims,
    successClaimed,
    confidentFailure: graded && episode.reward < 1 && successClaimed,
    goal: { items: goal.items, source: goal.source, timeline: simulator.timeline, final: simulator.final, tracker: input.judged?.timeline ? 'llm' : 'rules' },
    simulatorFaults: simulator.faults,
    ...(outcomeReport && graded ? { outcomeReport, rlcrReward: rlcrReward({ q: outcomeReport.confidence, y }) } : outcomeReport ? { outcomeReport } : {}),
    ...(fault ? { fault } : {}),
    auditorVersion: AUDITOR_VERSION,
  };
}

/** Options of `summariseAudits`. */
export interface SummariseAuditsOptions {
  /** Agent order of the run (others follow, sorted). */
  agents?: readonly string[];
  taskProblems?: readonly TaskProblem[];
  /** Stamp of the audit (from the driver's clock). */
  createdAt: string;
  judge?: string;
  notes?: string[];
  /** Contradicted-claim examples kept per agent. @default 5 */
  examples?: number;
}

const mean = (values: readonly number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

function passHat(audits: readonly EpisodeAudit[]): Record<string, number> {
  const tallies = new Map<string, TaskTally>();
  for (const audit of audits) {
    const tally = tallies.get(audit.taskId) ?? { successes: 0, trials: 0 };
    tally.trials++;
    if (audit.reward >= 1) tally.successes++;
    tallies.set(audit.taskId, tally);
  }
  const list = [...tallies.values()];
  const out: Record<string, number> = {};
  const max = Math.max(0, ...list.map((t) => t.trials));
  for (let k = 1; k <= max; k++) {
    const value = passHatK(list, k);
    if (value !== undefined) out[String(k)] = value;
  }
  return out;
}

/** Per-agent audit metrics of a run from its episode audits. Pure. */
export function summariseAudits(runId: string, audits: readonly EpisodeAudit[], options: SummariseAuditsOptions): RunAudit {
  const names = [...new Set([...(options.agents ?? []).filter((a) => audits.some((e) => e.agent === a)), ...[...new Set(audits.map((a) => a.agent))].sort()])];
  const agents: Record<string, AgentAudit> = {};
  for (const agent of names) {
    const all = audits.filter((a) => a.agent === agent);
    const graded = all.filter((a) => a.termination !== 'infra_error');
    const claims = graded.flatMap((a) => a.claims);
    const claimed = graded.filter((a) => a.successClaimed);
    const confident = graded.filter((a) => a.confidentFailure);
    const examples = confident
      .flatMap((a) => {
        const claim = a.claims.find((c) => c.verdict === 'contradicted') ?? a.claims.find((c) => c.assertsGoal);
        return claim ? [{ episodeId: a.episodeId, taskId: a.taskId, claim: claim.text, evidence: claim.verdict === 'contradicted' ? claim.evidence : `claimed done; reward 0 (${a.fault?.evidence ?? 'expected outcome not met'})` }] : [];
      })
      .slice(0, options.examples ?? 5);
    const points: CalibrationPoint[] = graded.flatMap((a) => (a.outcomeReport ? [{ q: a.outcomeReport.confidence, y: a.reward >= 1 ? (1 as const) : (0 as const) }] : []));
    const goalSuccess: Record<string, number | null> = {};
    for (const category of GOAL_CATEGORIES) {
      const values = graded.map((a) => goalSuccessByCategory(a.goal.items, a.goal.final)[category]).filter((v): v is number => v !== null);
      goalSuccess[category] = values.length ? mean(values) : null;
    }
    const faulted = graded.filter((a) => a.simulatorFaults.length > 0);
    const faultRateByKind: Record<string, number> = {};
    for (const kind of SIMULATOR_FAULT_KINDS) faultRateByKind[kind] = graded.length ? graded.filter((a) => a.simulatorFaults.some((f) => f.kind === kind)).length / graded.length : 0;
    const faultCauses: Record<string, number> = Object.fromEntries(FAULT_CAUSES.map((c) => [c, 0]));
    for (const a of all) if (a.fault) faultCauses[a.fault.cause]++;
    agents[agent] = {
      episodes: all.length,
      graded: graded.length,
      claims: {
        successClaimed: claimed.length,
        confidentFailures: confident.length,
        confidentFailureRate: claimed.length ? confident.length / claimed.length : 0,
        total: claims.length,
        verified: claims.filter((c) => c.verdict === 'verified').length,
        contradicted: claims.filter((c) => c.verdict === 'contradicted').length,
        unverifiable: claims.filter((c) => c.verdict === 'unverifiable').length,
        examples,
      },
      calibration: points.length ? calibrationSummary(points, graded.length - points.length) : null,
      fidelity: {
        goalSuccess,
        faultedEpisodes: faulted.length,
        faultRate: graded.length ? faulted.length / graded.length : 0,
        faultRateByKind,
        passHatK: passHat(graded),
        passHatKClean: passHat(graded.filter((a) => a.simulatorFaults.length === 0)),
      },
      faultCauses,
    };
  }
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    runId,
    createdAt: options.createdAt,
    auditorVersion: AUDITOR_VERSION,
    ...(options.judge ? { judge: options.judge } : {}),
    episodes: audits.length,
    agents,
    taskProblems: [...(options.taskProblems ?? [])],
    notes: options.notes ?? [],
  };
}

/** Lint problems visible in a run's own episodes: the oracle failing a task, noop passing one that needs a change. */
export function problemsFromEpisodes(rows: readonly { agent: string; taskId: string; reward: number; termination: string }[], tasks: ReadonlyMap<string, Task>): TaskProblem[] {
  const problems = new Map<string, TaskProblem>();
  for (const row of rows) {
    if (row.termination === 'infra_error') continue;
    if (row.agent === 'oracle' && row.reward < 1) problems.set(`oracle|${row.taskId}`, { taskId: row.taskId, kind: 'oracle_fails', detail: 'the oracle (reference solution) fails this task in this run' });
    if (row.agent === 'noop' && row.reward >= 1 && tasks.get(row.taskId)?.noChange === false) problems.set(`noop|${row.taskId}`, { taskId: row.taskId, kind: 'noop_succeeds', detail: 'a do-nothing agent passes a task that requires a change' });
  }
  return [...problems.values()];
}

/** Options of `auditStoredRun`. */
export interface AuditStoredRunOptions {
  /** An LLM judge: extracts claims from free text (non-built-in agents), decomposes free-text goals, tracks LLM users' goal state. */
  judge?: { hub: ModelHub; model: string };
  /** Clock for the audit's stamp. @default () => new Date() */
  now?: () => Date;
  /** Build the domain (default: from the registry with the run's domain options). */
  domainFactory?: (name: string, options: Record<string, unknown>) => Domain;
  /** Progress: episodes audited so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The driver: reads a stored (or imported) run, audits every episode, stores each episode audit
 * and the run audit, and returns the run audit. Deterministic without a judge; with one, judge
 * answers are cached (goal decompositions per task in the store).
 */
export async function auditStoredRun(store: Store, runId: string, options: AuditStoredRunOptions = {}): Promise<RunAudit> {
  const run = await requireRun(store, runId);
  const now = options.now ?? (() => new Date());
  const domain = (options.domainFactory ?? ((name, opts) => createDomain(name, opts)))(run.config.domain, run.config.domainOptions);
  const tasks = new Map((await store.runTasks(runId)).map((t) => [t.id, t]));
  const rows = await store.listEpisodes(runId);
  const notes: string[] = [];

  const initials = new Map<string, TableState>();
  const indexes = new Map<string, (token: string) => boolean>();
  const initialOf = (task: Task) => {
    let state = initials.get(task.id);
    if (!state) initials.set(task.id, (state = initialStateFor(domain, task)));
    return state;
  };
  const existsOf = (state: TableState) => {
    const hash = state.hash();
    let index = indexes.get(hash);
    if (!index) {
      const entries = state.tables().flatMap((table) => state.keys(table).map((key) => ({ key, record: state.get(table, key) })));
      indexes.set(hash, (index = stateTokenIndex(entries)));
    }
    return index;
  };

  const used = new Set(rows.map((r) => r.taskId));
  const taskProblems: TaskProblem[] = [];
  for (const task of tasks.values()) {
    if (!used.has(task.id)) continue;
    try {
      const initial = initialOf(task);
      taskProblems.push(...lintTaskStatic(domain, task, initial, existsOf(initial)));
    } catch (error) {
      taskProblems.push({ taskId: task.id, kind: 'lint_failed', detail: describeError(error) });
    }
  }
  taskProblems.push(...problemsFromEpisodes(rows, tasks));
  const problemsByTask = new Map<string, TaskProblem[]>();
  for (const p of taskProblems) problemsByTask.set(p.taskId, [...(problemsByTask.get(p.taskId) ?? []), p]);

  const judge = options.judge;
  const rules = claimRulesFor(domain.name);
  const goalCache = new Map<string, GoalItem[] | undefined>();
  const judgedGoal = async (task: Task): Promise<GoalItem[] | undefined> => {
    if (!judge || task.user.goal?.length || task.user.known.length > 0) return undefined;
    if (goalCache.has(task.id)) return goalCache.get(task.id);
    const key = `goal|${JUDGE_PROMPT_VERSION}|${judge.model}|${domain.name}|${task.id}|${shortHash(`${task.user.persona}\n${task.user.instructions}`)}`;
    let items: GoalItem[] | undefined;
    const cached = await store.getAuditCache(key);
    const parsed = cached === undefined ? undefined : goalItemSchema.array().safeParse(cached);
    if (parsed?.success) items = parsed.data;
    else {
      try {
        const session = judge.hub.session(judge.model, { role: 'judge', trial: 0, seed: seedFrom('goal', task.id) });
        items = (await decomposeGoalWithJudge(session, task)).items;
        await store.putAuditCache(key, items);
      } catch (error) {
        notes.push(`goal decomposition of task ${task.id} failed, rules used: ${describeError(error)}`);
      }
    }
    goalCache.set(task.id, items);
    return items;
  };

  const audits: EpisodeAudit[] = [];
  let done = 0;
  for await (const episode of store.iterateEpisodes(runId)) {
    const task = tasks.get(episode.taskId);
    if (!task) {
      notes.push(`episode ${episode.id}: task ${episode.taskId} is not stored with the run; skipped`);
      continue;
    }
    let initialState: TableState;
    try {
      initialState = initialOf(task);
    } catch (error) {
      notes.push(`episode ${episode.id}: cannot rebuild the initial state (${describeError(error)}); skipped`);
      continue;
    }
    const finalState = finalStateFrom(initialState, episode.trajectory.finalChanges);
    const judged: EpisodeAuditInput['judged'] = {};
    if (judge) {
      const seed = seedFrom('judge', episode.id);
      const goal = await judgedGoal(task);
      if (goal) judged.goal = goal;
      try {
        if (!RULE_EXTRACTED_AGENTS.has(episode.agent)) {
          judged.claims = (await extractClaimsWithJudge(judge.hub.session(judge.model, { role: 'judge', trial: episode.trial, seed }), rules?.vocabulary ?? { no_change: 'nothing was changed', done: 'the request is done' }, episode.trajectory.events)).claims;
        }
        if (episode.trajectory.user !== 'scripted') {
          const items = goal ?? goalItemsFor(task).items;
          const { usage: _usage, ...timeline } = await trackGoalWithJudge(judge.hub.session(judge.model, { role: 'judge', trial: episode.trial, seed: seed + 1 }), items, episode.trajectory.events);
          judged.timeline = timeline;
        }
      } catch (error) {
        notes.push(`judge failed on episode ${episode.id}, rules used: ${describeError(error)}`);
      }
    }
    const audit = auditEpisode({ episode, task, domain, initialState, finalState, exists: existsOf(initialState), taskProblems: problemsByTask.get(task.id) ?? [], judged });
    await store.saveEpisodeAudit(episode.id, runId, audit);
    audits.push(audit);
    options.onProgress?.(++done, rows.length);
  }
  const runAudit = summariseAudits(runId, audits, { agents: run.config.agents, taskProblems, createdAt: now().toISOString(), ...(judge ? { judge: judge.model } : {}), notes });
  await store.saveRunAudit(runId, runAudit);
  return runAudit;
}
