import type { TopLevelSpec } from 'vega-lite';
import type { z } from 'zod';
import type { Domain } from '../domains/domain.ts';
import type { EpisodeAudit, GoalItem, GoalSnapshot, GoalStatus, TaskProblem } from '../schema/audit.ts';
import type { Outcome } from '../schema/outcome.ts';
import type { Task } from '../schema/task.ts';
import type { TerminationReason, Trajectory } from '../schema/trajectory.ts';
import type { TableState } from '../state/table-state.ts';
import type { ExtractedClaim } from './claims.ts';
import type { TaskAuditWork } from './task-work.ts';

/**
 * The stored episode an audit reads: the store's `EpisodeRecord` satisfies it (structurally, so
 * audits never import the store).
 */
export interface AuditedEpisode {
  id: string;
  runId: string;
  agent: string;
  taskId: string;
  trial: number;
  reward: number;
  termination: TerminationReason | string;
  trajectory: Trajectory;
  outcome: Outcome;
}

/** Answers of an LLM judge, computed beforehand by the driver so that audits stay pure. */
export interface JudgedAnswers {
  /** Claims extracted from the agent's free text. */
  claims?: ExtractedClaim[];
  /** The user's goal decomposed into UGST items. */
  goal?: GoalItem[];
  /** The LLM user's goal state tracked turn by turn. */
  timeline?: { timeline: GoalSnapshot[]; final: Record<string, GoalStatus> };
  /** Persuasion probes: whether the agent agreed, in words, to do what the user pushed for (the judge's reading of intent). */
  probe?: { gaveIn: boolean };
}

/** Everything one episode's audits read: stored data only, plus precomputed judge answers. */
export interface EpisodeAuditInput {
  episode: AuditedEpisode;
  task: Task;
  /**
   * The episode's domain: its queries, and its claim rules and policy when it has them (the claims audit reads them);
   * its tools (and user side and sync, dual control) when given, so an audit can replay the episode's calls.
   */
  domain: Pick<Domain, 'name' | 'queries'> & Partial<Pick<Domain, 'policy' | 'claimRules' | 'tools' | 'user' | 'sync'>>;
  initialState: TableState;
  finalState: TableState;
  /** Whether a token names something in the task's data (see `stateTokenIndex`). */
  exists?: (token: string) => boolean;
  /** Lint problems of this task. */
  taskProblems: readonly TaskProblem[];
  /** Results of an LLM judge, computed beforehand by the driver (the audit itself stays pure). */
  judged?: JudgedAnswers;
  /**
   * Work shared by the episodes of this task, done once (an auditor passes it; see `TaskAuditWork`):
   * built over this task and its initial state. Without it each audit does the same work itself.
   */
  work?: TaskAuditWork;
}

/** A cell of an audit table: text, a number, nothing (`–`), or a link to an episode of the run. */
export type AuditCell = string | number | null | { episodeId: string };

/** A table an audit shows: the report, the viewer and the CLI render it the same way. */
export interface AuditTable {
  /** Heading above the table (the audit's title is shown already). */
  title?: string;
  columns: string[];
  rows: AuditCell[][];
  /** One line under the table: how to read it. */
  note?: string;
}

/** One agent's summary of an audit, as display builders receive it. */
export interface AgentSummary<Summary> {
  agent: string;
  /** Episodes of this agent, and those graded (not infra_error). */
  episodes: number;
  graded: number;
  /** Failed graded episodes (reward 0), when the caller knows them (the run summary does). */
  failed?: number;
  summary: Summary;
}

/** A chart an audit draws: a Vega-Lite spec built from its per-agent summaries. */
export interface AuditChart<Summary> {
  /** Stable id, unique over all registered audits: chart URLs of the viewer, `data-chart` in the report. */
  id: string;
  title: string;
  /** One sentence on how to read it. */
  description: string;
  /**
   * The spec, or undefined when there is nothing to draw. `agents` is the run's agent order (use
   * it as the sort of agent scales). Build it with `vegaChart` (audits/vega-specs.ts) for the shared look.
   */
  spec(summaries: readonly AgentSummary<Summary>[], agents: readonly string[]): TopLevelSpec | undefined;
}

/** How an audit is shown. The report, the viewer and the CLI render these generically. */
export interface AuditDisplay<Summary, Fields> {
  /** Section heading, e.g. "Claims vs state". */
  title: string;
  /** One line: what it measures and how to read it. */
  text: string;
  /** Tables over the per-agent summaries (empty list: nothing to show). */
  tables(summaries: readonly AgentSummary<Summary>[]): AuditTable[];
  charts: readonly AuditChart<Summary>[];
  /** Lines for one episode (`groundwork show --episode`); omit when the audit has nothing per episode. */
  episodeLines?(fields: Fields): string[];
}

/**
 * An audit: what is measured beside the grade. A plugin with a name, a version, a pure function
 * of a stored episode, a pure summary over an agent's episodes, and a description of how to show
 * it. Register it in a registry (`createAuditRegistry`); the driver runs it, the store keeps its
 * results, and the report, the viewer and the CLI show it — no other file changes.
 *
 * Stored layout: each audit owns named fields of the episode audit record (`fields`; no two
 * audits may own the same one) and the key `name` in each agent's entry of the run audit record.
 */
export interface Audit<Fields extends object = Record<string, unknown>, Summary = unknown> {
  /** Stable name; also the key of its summary in the stored run audit (`agents[agent][name]`). */
  name: string;
  /** Bumped whenever its rules change, so stored results say which rules produced them (`name/N`). */
  version: string;
  /** Audits whose episode fields this one reads (they run before it; the registry checks). */
  requires?: readonly string[];
  /**
   * Schema of the fields it adds to each stored episode audit. Read back with it, so a record
   * stored by an older version that no longer parses is shown as stale, never misread.
   */
  fields: z.ZodType<Fields>;
  /** Schema of one agent's summary; null summaries are allowed (nothing to measure). */
  summary: z.ZodType<Summary>;
  /**
   * Audit one episode. Pure: no I/O, no clock, no randomness. `earlier` holds the fields of the
   * audits that ran before it (those in `requires` among them).
   */
  audit(input: EpisodeAuditInput, earlier: Readonly<Partial<EpisodeAudit>>): Fields;
  /** Summarise one agent's episode audits (all of them, infra errors included: filter as needed). Pure. */
  summarise(episodes: readonly (EpisodeAudit & Fields)[], context: SummaryContext): Summary;
  display: AuditDisplay<Summary, Fields>;
}

/** What a summary may read beside the agent's episode audits. */
export interface SummaryContext {
  /** Contradicted-claim examples kept per agent. @default 5 */
  examples: number;
}

/** Any audit, whatever its field and summary types (what registries hold). */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds audits of every field and summary type.
export type AnyAudit = Audit<any, any>;

/** Identity with type inference: `export const myAudit = defineAudit({...})`. */
export function defineAudit<Fields extends object, Summary>(audit: Audit<Fields, Summary>): Audit<Fields, Summary> {
  return audit;
}

/** A number with fixed digits for a table cell; null (shown `–`) when there is none. */
export function fixedCell(value: number | null | undefined, digits = 3): string | null {
  return value === undefined || value === null || !Number.isFinite(value) ? null : value.toFixed(digits);
}

/** A share as a percentage for a table cell, e.g. `12.5%`. */
export function percentCell(value: number | null | undefined): string | null {
  return value === undefined || value === null || !Number.isFinite(value) ? null : `${(value * 100).toFixed(1)}%`;
}
