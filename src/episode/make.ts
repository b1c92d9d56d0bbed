import { z } from 'zod';
import type { Domain } from '../domains/domain.ts';
import { GroundworkError } from '../errors.ts';
import { jsonValueSchema } from '../schema/json.ts';
import type { Trajectory } from '../schema/trajectory.ts';
import type { EpisodeEnv, WrapperSpec } from './env.ts';
import { InvalidCallBudget } from './wrappers/invalid-call-budget.ts';
import { InterceptOutcomeReport, RequestOutcomeReport } from './wrappers/outcome-report.ts';
import { SingleToolCallPerTurn } from './wrappers/single-tool-call.ts';
import { StepLimit } from './wrappers/step-limit.ts';
import { ToolErrorLimit } from './wrappers/tool-error-limit.ts';

/** The episode options the standard wrappers are made from. */
export interface EpisodeWrapperOptions {
  /** Only `options` is read: its `maxSteps` and `maxInvalidToolCalls` defaults, `maxToolErrors` and `singleToolCallPerTurn`. */
  domain: Pick<Domain, 'options'>;
  /** @default domain.options.maxSteps ?? 40 */
  maxSteps?: number;
  /** @default domain.options.maxInvalidToolCalls ?? 5 */
  maxInvalidToolCalls?: number;
  /** @default false */
  outcomeReport?: boolean;
}

/** Builds a wrapper around `env` from its recorded arguments. */
export type WrapperFactory = (env: EpisodeEnv, args: WrapperSpec['args']) => EpisodeEnv;

// Built once: every episode rebuilds its stack from specs, and zod schemas are not free to build.
const stepLimitArgs = z.object({ maxSteps: z.number().int().nonnegative() });
const invalidCallBudgetArgs = z.object({ maxInvalidToolCalls: z.number().int().nonnegative() });
const toolErrorLimitArgs = z.object({ maxToolErrors: z.number().int().positive() });

/** Every wrapper by name, with how to rebuild it from its recorded arguments. */
export const EPISODE_WRAPPERS: ReadonlyMap<string, WrapperFactory> = new Map<string, WrapperFactory>([
  [StepLimit.wrapperName, (env, args) => new StepLimit(env, stepLimitArgs.parse(args).maxSteps)],
  [InvalidCallBudget.wrapperName, (env, args) => new InvalidCallBudget(env, invalidCallBudgetArgs.parse(args).maxInvalidToolCalls)],
  [ToolErrorLimit.wrapperName, (env, args) => new ToolErrorLimit(env, toolErrorLimitArgs.parse(args).maxToolErrors)],
  [SingleToolCallPerTurn.wrapperName, (env) => new SingleToolCallPerTurn(env)],
  [InterceptOutcomeReport.wrapperName, (env) => new InterceptOutcomeReport(env)],
  [RequestOutcomeReport.wrapperName, (env) => new RequestOutcomeReport(env)],
]);

/**
 * The standard wrapper stack for these options, outermost first. The order matters: the outcome
 * request must see `max_steps`, so it sits above the step limit; an invalid call ends the episode
 * before the step limit would, so the budget sits below it; τ²'s error limit wins over the step
 * limit when both are reached at once, so it sits below it too; the budget counts invalid outcome
 * reports and the single-call rule drops calls before they are intercepted, so interception is
 * innermost.
 */
export function episodeWrapperSpecs(options: EpisodeWrapperOptions): WrapperSpec[] {
  const report = options.outcomeReport === true;
  return [
    ...(report ? [{ name: RequestOutcomeReport.wrapperName, args: {} }] : []),
    { name: StepLimit.wrapperName, args: { maxSteps: options.maxSteps ?? options.domain.options.maxSteps ?? 40 } },
    {
      name: InvalidCallBudget.wrapperName,
      args: { maxInvalidToolCalls: options.maxInvalidToolCalls ?? options.domain.options.maxInvalidToolCalls ?? 5 },
    },
    ...(options.domain.options.maxToolErrors !== undefined
      ? [{ name: ToolErrorLimit.wrapperName, args: { maxToolErrors: options.domain.options.maxToolErrors } }]
      : []),
    ...(options.domain.options.singleToolCallPerTurn ? [{ name: SingleToolCallPerTurn.wrapperName, args: {} }] : []),
    ...(report ? [{ name: InterceptOutcomeReport.wrapperName, args: {} }] : []),
  ];
}

const recordedStackSchema = z.object({ wrappers: z.array(z.object({ name: z.string(), args: z.record(z.string(), jsonValueSchema) })) });

/**
 * The wrapper stack a trajectory recorded (`participants.episode.wrappers`, outermost first), for
 * `wrapEpisodeEnv`; undefined for trajectories recorded before episodes named their wrappers.
 */
export function recordedWrapperSpecs(trajectory: Pick<Trajectory, 'participants'>): WrapperSpec[] | undefined {
  const parsed = recordedStackSchema.safeParse(trajectory.participants.episode);
  return parsed.success ? parsed.data.wrappers : undefined;
}

/**
 * Wraps `env` in the given wrappers (outermost first, as `EpisodeEnv.wrappers` and stored
 * trajectories list them). Throws INVALID_ARGUMENT for an unknown name or bad arguments.
 */
export function wrapEpisodeEnv(env: EpisodeEnv, specs: readonly WrapperSpec[]): EpisodeEnv {
  let wrapped = env;
  for (const spec of [...specs].reverse()) {
    const make = EPISODE_WRAPPERS.get(spec.name);
    if (!make)
      throw new GroundworkError('INVALID_ARGUMENT', `unknown episode wrapper ${JSON.stringify(spec.name)}`, {
        hint: `known wrappers: ${[...EPISODE_WRAPPERS.keys()].join(', ')}`,
      });
    try {
      wrapped = make(wrapped, spec.args);
    } catch (error) {
      throw new GroundworkError('INVALID_ARGUMENT', `invalid arguments for episode wrapper ${spec.name}: ${JSON.stringify(spec.args)}`, {
        cause: error,
      });
    }
  }
  return wrapped;
}

/**
 * Gymnasium's `make`: the core environment in the standard wrappers for these options — the step
 * limit, the invalid-call budget, τ²'s tool-error limit and one tool call per turn where the domain
 * says so, outcome reports when asked for.
 */
export function makeEpisodeEnv(core: EpisodeEnv, options: EpisodeWrapperOptions): EpisodeEnv {
  return wrapEpisodeEnv(core, episodeWrapperSpecs(options));
}
