import { z } from 'zod';
import { jsonValueSchema } from './json.ts';
import { tablePatchSchema } from './task.ts';

export const TRAJECTORY_SCHEMA_VERSION = 1;

/** Why an episode ended. A closed set: every episode ends with exactly one. */
export const terminationReasonSchema = z.enum(['user_stop', 'agent_stop', 'max_steps', 'agent_error', 'user_error', 'infra_error']);
export type TerminationReason = z.infer<typeof terminationReasonSchema>;
export const TERMINATION_REASONS = terminationReasonSchema.options;

/** Token counts and cost of model calls, split by role. */
export const usageSchema = z.object({
  calls: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** US dollars, from the configured price table (0 when unpriced). */
  costUsd: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
});
export type Usage = z.infer<typeof usageSchema>;

export const trajectoryEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message'),
    /** `user`: the simulated user; `agent`: the agent under test, speaking to the user. */
    role: z.enum(['user', 'agent']),
    content: z.string(),
    /** Control token the speaker ended with (e.g. `###STOP###`), stripped from content. */
    control: z.string().optional(),
  }),
  z.object({
    type: z.literal('tool_call'),
    id: z.string(),
    /** Dual control: `user` when the simulated user called one of its own tools; absent for the agent. */
    actor: z.literal('user').optional(),
    name: z.string(),
    /** Arguments as the agent sent them (parsed JSON when possible, else the raw string). */
    arguments: jsonValueSchema,
  }),
  z.object({
    type: z.literal('tool_result'),
    callId: z.string(),
    /** Dual control: `user` for the result of a user's tool call (only the user sees it). */
    actor: z.literal('user').optional(),
    name: z.string(),
    /** The text the agent sees. */
    content: z.string(),
    isError: z.boolean(),
    /** Hash of the whole state after this call, present when the call wrote. */
    stateHash: z.string().optional(),
  }),
  z.object({
    type: z.literal('note'),
    /** Orchestrator remarks: invalid calls, limits, errors. */
    content: z.string(),
  }),
  z.object({
    type: z.literal('outcome_request'),
    /** The orchestrator asks the agent for its outcome report (run option); shown to model agents. */
    content: z.string(),
  }),
  z.object({
    type: z.literal('outcome_report'),
    /** The intercepted `report_outcome` call this came from. */
    callId: z.string(),
    /** The agent says it accomplished the user's request. */
    success: z.boolean(),
    /** The agent's probability of success, in [0, 1]. */
    confidence: z.number().min(0).max(1),
    summary: z.string(),
  }),
]);
export type TrajectoryEvent = z.infer<typeof trajectoryEventSchema>;

/** The full record of one episode: enough to re-grade and re-audit it without re-running. */
export const trajectorySchema = z.object({
  schemaVersion: z.literal(TRAJECTORY_SCHEMA_VERSION),
  episodeId: z.string(),
  taskId: z.string(),
  domain: z.string(),
  agent: z.string(),
  user: z.string(),
  trial: z.number().int().nonnegative(),
  seed: z.number().int(),
  events: z.array(trajectoryEventSchema),
  termination: z.object({ reason: terminationReasonSchema, detail: z.string().optional() }),
  /** Records whose final value differs from the initial state (null: deleted). */
  finalChanges: tablePatchSchema,
  initialStateHash: z.string(),
  finalStateHash: z.string(),
  steps: z.number().int().nonnegative(),
  usage: z.record(z.string(), usageSchema),
  /** Facts about the participants stored with the episode (user model, prompt hash...). */
  participants: z.record(z.string(), jsonValueSchema),
  startedAt: z.string(),
  durationMs: z.number().nonnegative(),
});
export type Trajectory = z.infer<typeof trajectorySchema>;
