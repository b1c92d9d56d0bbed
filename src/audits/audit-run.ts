/**
 * Running registered audits over stored episodes: pure functions only. The driver that reads the
 * store and calls judges lives above, in `audit-runner/`.
 */
import { AUDIT_SCHEMA_VERSION, type AgentAudit, type EpisodeAudit, type RunAudit, type TaskProblem } from '../schema/audit.ts';
import type { Task } from '../schema/task.ts';
import type { EpisodeAuditInput } from './audit.ts';
import { builtInAudits, type AuditRegistry } from './registry.ts';

export type { EpisodeAuditInput } from './audit.ts';

/**
 * Version of the audit record as a whole, kept beside each audit's own version (`versions`).
 * 3: sentence-level claims with message index and quote, verdicts read from the state diff and tool
 * results; fault attribution cites only failed checks and blames the simulator only for what it explains.
 * 4: hypotheticals are not claims; list fields and payment lines belong to the reservation the message
 * names, as it was when told; 24-hour read-outs in reason clauses; "rebooked" beside a standing first
 * booking is contradicted; tool results paired with their call when call ids repeat; a failed
 * predicate the initial state also fails is a change never made, whatever its kind.
 */
export const AUDITOR_VERSION = 'groundwork-auditor/4';

/** Agents whose messages the rule extractor is written for; others get the LLM extractor when a judge is given. */
export const RULE_EXTRACTED_AGENTS = new Set(['oracle', 'naive', 'noop']);

/**
 * Audit one episode with every registered audit, in registry order (each sees the fields of those
 * before it). Pure: judge answers are computed before and passed in.
 */
export function auditEpisode(input: EpisodeAuditInput, registry: AuditRegistry = builtInAudits): EpisodeAudit {
  const { episode } = input;
  let record: Record<string, unknown> = {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    episodeId: episode.id,
    runId: episode.runId,
    agent: episode.agent,
    taskId: episode.taskId,
    trial: episode.trial,
    reward: episode.reward,
    termination: episode.termination,
  };
  // A new record per audit: an audit (a plugin too) may keep the record it was given.
  for (const audit of registry.audits) record = { ...record, ...audit.audit(input, record as Partial<EpisodeAudit>) };
  return { ...record, auditorVersion: AUDITOR_VERSION, versions: { ...registry.versions } } as EpisodeAudit;
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
  /** The audits to summarise. @default the built-in audits */
  registry?: AuditRegistry;
}

/** Per-agent summaries of every registered audit, from a run's episode audits. Pure. */
export function summariseAudits(runId: string, audits: readonly EpisodeAudit[], options: SummariseAuditsOptions): RunAudit {
  const agents: Record<string, AgentAudit> = {};
  for (const agent of auditedAgentOrder(options.agents, new Set(audits.map((a) => a.agent))))
    agents[agent] = summariseAgentAudits(
      audits.filter((a) => a.agent === agent),
      options,
    );
  return runAuditRecord(runId, agents, audits.length, options);
}

/** The agents of a run audit, in order: the run's agents that have audits, then any others, sorted. */
export function auditedAgentOrder(runAgents: readonly string[] | undefined, audited: ReadonlySet<string>): string[] {
  return [...new Set([...(runAgents ?? []).filter((a) => audited.has(a)), ...[...audited].sort()])];
}

/**
 * One agent's entry of a run audit: every registered audit's summary of the agent's episode audits
 * (in the run's episode order). Pure; lets a driver summarise a run one agent at a time.
 */
export function summariseAgentAudits(
  audits: readonly EpisodeAudit[],
  options: Pick<SummariseAuditsOptions, 'examples' | 'registry'> = {},
): AgentAudit {
  const registry = options.registry ?? builtInAudits;
  const entry: Record<string, unknown> = { episodes: audits.length, graded: audits.filter((a) => a.termination !== 'infra_error').length };
  for (const audit of registry.audits) entry[audit.name] = audit.summarise(audits, { examples: options.examples ?? 5 });
  return entry as AgentAudit;
}

/** The run audit record around per-agent entries (see `summariseAgentAudits`). Pure. */
export function runAuditRecord(
  runId: string,
  agents: Record<string, AgentAudit>,
  episodes: number,
  options: Omit<SummariseAuditsOptions, 'agents' | 'examples'>,
): RunAudit {
  const registry = options.registry ?? builtInAudits;
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    runId,
    createdAt: options.createdAt,
    auditorVersion: AUDITOR_VERSION,
    versions: { ...registry.versions },
    ...(options.judge ? { judge: options.judge } : {}),
    episodes,
    agents,
    taskProblems: [...(options.taskProblems ?? [])],
    notes: options.notes ?? [],
  };
}

/** Kinds of task problem seen in a run's own episodes (`problemsFromEpisodes`), not in the task itself. */
export const EPISODE_PROBLEM_KINDS: ReadonlySet<string> = new Set(['oracle_fails', 'noop_succeeds']);

/** Lint problems visible in a run's own episodes: the oracle failing a task, noop passing one that needs a change. */
export function problemsFromEpisodes(
  rows: readonly { agent: string; taskId: string; reward: number; termination: string }[],
  tasks: ReadonlyMap<string, Task>,
): TaskProblem[] {
  const problems = new Map<string, TaskProblem>();
  for (const row of rows) {
    if (row.termination === 'infra_error') continue;
    if (row.agent === 'oracle' && row.reward < 1)
      problems.set(`oracle|${row.taskId}`, {
        taskId: row.taskId,
        kind: 'oracle_fails',
        detail: 'the oracle (reference solution) fails this task in this run',
      });
    if (row.agent === 'noop' && row.reward >= 1 && tasks.get(row.taskId)?.noChange === false)
      problems.set(`noop|${row.taskId}`, {
        taskId: row.taskId,
        kind: 'noop_succeeds',
        detail: 'a do-nothing agent passes a task that requires a change',
      });
  }
  return [...problems.values()];
}
