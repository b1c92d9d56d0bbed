import type { Agent, AgentContext } from '../agents/agent.ts';
import { agentToolSpecs, userToolSpecs } from '../agents/tool-specs.ts';
import type { Domain } from '../domains/domain.ts';
import { initialStateFor } from '../domains/initial-state.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Task } from '../schema/task.ts';
import { TRAJECTORY_SCHEMA_VERSION, type Trajectory } from '../schema/trajectory.ts';
import { changesBetween } from '../state/diff.ts';
import type { TableState } from '../state/table-state.ts';
import type { UserContext, UserSimulator } from '../users/user.ts';
import { ConversationEnv } from './conversation-env.ts';
import { playEpisode } from './loop.ts';
import { makeEpisodeEnv } from './make.ts';

/** Everything one episode needs. */
export interface EpisodeOptions {
  domain: Domain;
  task: Task;
  agent: Agent;
  user: UserSimulator;
  episodeId: string;
  trial: number;
  /** Seed for the agent and user of this episode. */
  seed: number;
  /**
   * Maximum agent + user turns before `max_steps`.
   * @default domain.options.maxSteps ?? 40
   */
  maxSteps?: number;
  /**
   * Invalid tool calls (unknown tool, bad JSON, failed schema, empty reply) tolerated per episode;
   * one more ends the episode with `agent_error`.
   * @default 5
   */
  maxInvalidToolCalls?: number;
  /** Start from this state instead of the task's initial state (forked, not modified). */
  startState?: TableState;
  /** Clock, injectable for deterministic tests. @default () => new Date() */
  now?: () => Date;
  /**
   * Ask the agent for a structured outcome report: `report_outcome` is offered beside the domain's
   * tools and intercepted (stored as an `outcome_report` event); when the episode ends normally
   * without one, the agent gets one more turn to report. @default false
   */
  outcomeReport?: boolean;
}

/**
 * What the user simulator is given: the task (its scenario), seed and trial, and, in a
 * dual-control domain, the user's own tools and the domain's guide for them.
 */
export function userContextFor(domain: Domain, task: Task, seed: number, trial: number): UserContext {
  const tools = userToolSpecs(domain);
  return {
    task,
    seed,
    trial,
    ...(tools.length ? { tools } : {}),
    ...(domain.user?.guide !== undefined ? { guide: domain.user.guide } : {}),
  };
}

/**
 * The user-side tables a trajectory recorded (`participants.episode.userTables`, dual-control
 * domains); empty when the domain had no user side or the trajectory predates the field.
 */
export function recordedUserTables(trajectory: Pick<Trajectory, 'participants'>): string[] {
  const episode = trajectory.participants.episode;
  if (episode === null || typeof episode !== 'object' || Array.isArray(episode)) return [];
  const tables = (episode as Record<string, JsonValue>).userTables;
  return Array.isArray(tables) ? tables.filter((t): t is string => typeof t === 'string') : [];
}

/**
 * The policy as this episode's agent gets it: the domain's policy, then the task's agent notes (an
 * operator notice, a memory record of an earlier session) as a section of bullets. Without notes
 * it is the policy itself, byte for byte (recorded cassettes replay unchanged).
 */
export function policyWithNotes(policy: string, notes: readonly string[] | undefined): string {
  if (!notes?.length) return policy;
  return `${policy.trimEnd()}\n\n## Notes for this session\n\n${notes.map((note) => `- ${note.trim().replace(/\n/g, '\n  ')}`).join('\n')}\n`;
}

/** A finished episode: its trajectory and the states the grader compares. */
export interface EpisodeResult {
  trajectory: Trajectory;
  initialState: TableState;
  finalState: TableState;
}

/**
 * Runs one episode: the user opens, then agent turns (with tool calls executed in order against
 * the episode's own copy of the state) alternate with user turns until a termination reason.
 * The loop is `playEpisode` over a `ConversationEnv` in the standard wrappers (`makeEpisodeEnv`:
 * step limit, invalid-call budget, one call per turn where the domain says so, outcome reports),
 * recorded in `participants.episode.wrappers`.
 * Never throws for participant failures: they become `agent_error`, `user_error` or `infra_error`.
 */
export async function runEpisode(options: EpisodeOptions): Promise<EpisodeResult> {
  const { domain, task, agent, user, trial, seed } = options;
  const now = options.now ?? (() => new Date());
  const started = now();

  const initialState = options.startState ?? initialStateFor(domain, task);
  const initialStateHash = initialState.hash();
  const core = new ConversationEnv(domain, initialState);
  const env = makeEpisodeEnv(core, options);

  // The agent sees what a deployed agent would: policy (with the task's agent notes, which are
  // written for it), tool schemas, seed and trial. The rest of the task (expected outcome,
  // reference solution) goes only to agents that opt in explicitly.
  const context: AgentContext = Object.freeze({
    policy: policyWithNotes(domain.policy, task.agentNotes),
    tools: agentToolSpecs(domain, options.outcomeReport === true),
    seed,
    trial,
  });
  const agentSession = agent.privileged === true ? agent.start(context, Object.freeze({ task, domain })) : agent.start(context);
  const userSession = user.start(userContextFor(domain, task, seed, trial));

  let termination: Awaited<ReturnType<typeof playEpisode>>['termination'];
  try {
    ({ termination } = await playEpisode(env, agentSession, userSession));
  } finally {
    // However the episode ended (even by a bug), an external agent's process is told to stop.
    agentSession.close?.();
  }

  const participants: Record<string, JsonValue> = {
    agent: { name: agent.name, ...(agentSession.describe?.() ?? {}) },
    user: { name: user.name, ...(userSession.describe?.() ?? {}) },
    episode: {
      // Name and arguments of each wrapper, outermost first: `wrapEpisodeEnv` rebuilds the stack.
      wrappers: env.wrappers.map((spec) => ({ name: spec.name, args: { ...spec.args } })),
      // Dual control: which tables are the user's side, so reports show both sides' diffs apart.
      ...(domain.user?.tables.length ? { userTables: [...domain.user.tables] } : {}),
    },
  };
  const { record, state } = core;
  const trajectory: Trajectory = {
    schemaVersion: TRAJECTORY_SCHEMA_VERSION,
    episodeId: options.episodeId,
    taskId: task.id,
    domain: domain.name,
    agent: agent.name,
    user: user.name,
    trial,
    seed,
    events: record.events,
    termination:
      termination.detail === undefined ? { reason: termination.reason } : { reason: termination.reason, detail: termination.detail },
    finalChanges: changesBetween(initialState, state),
    initialStateHash,
    finalStateHash: state.hash(),
    steps: record.steps,
    usage: record.usage,
    participants,
    startedAt: started.toISOString(),
    durationMs: Math.max(0, now().getTime() - started.getTime()),
  };
  return { trajectory, initialState, finalState: state };
}
