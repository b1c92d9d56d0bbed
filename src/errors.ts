/**
 * Every error Groundwork raises on purpose is a GroundworkError with a stable `code`.
 * The CLI maps codes to one-line messages and exit statuses; the runner maps infra codes
 * to the `infra_error` termination instead of crashing a run.
 */
export type GroundworkErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_DOMAIN'
  | 'UNKNOWN_AGENT'
  | 'UNKNOWN_USER'
  | 'UNKNOWN_TASK'
  | 'UNKNOWN_RUN'
  | 'UNKNOWN_EPISODE'
  | 'UNKNOWN_TOOL'
  /** An audit name no registry holds (or an audit requiring one registered after it). */
  | 'UNKNOWN_AUDIT'
  /** A probe pack name that is not one of PROBE_PACK_NAMES. */
  | 'UNKNOWN_PROBE_PACK'
  /** A chart id that no built-in chart or registered audit draws. */
  | 'UNKNOWN_CHART'
  | 'INVALID_TOOL_ARGUMENTS'
  | 'TOOL_FAILED'
  | 'STORE_FAILED'
  | 'SCHEMA_VERSION'
  | 'INVALID_CONFIG'
  /** A task names something its domain lacks (an initialisation function, an assertion, a tool). */
  | 'INVALID_TASK'
  | 'PROVIDER_FAILED'
  | 'REPLAY_MISS'
  | 'AGENT_FAILED'
  | 'USER_FAILED'
  /** A run (or one of its agents) where every episode ended in infra_error: there is no result. */
  | 'NOTHING_GRADED'
  /** `learn` stopped: a phase was mostly infra errors, so it had nothing honest to learn from. */
  | 'TOO_MANY_INFRA_ERRORS'
  /** A command that only reads was pointed at a database that does not exist (it never creates one). */
  | 'NO_DATABASE'
  /** Another live process holds the run's lease (it is running that run now). */
  | 'RUN_BUSY';

/** Codes that mean "the episode could not run", not "the agent did badly". */
export const INFRA_ERROR_CODES: ReadonlySet<GroundworkErrorCode> = new Set(['PROVIDER_FAILED', 'REPLAY_MISS', 'STORE_FAILED']);

const marker = Symbol.for('groundwork.error');

/** Base class of all deliberate Groundwork errors. */
export class GroundworkError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'GroundworkError';
  /** Stable machine-readable code. */
  readonly code: GroundworkErrorCode;
  /** A short hint on how to fix it, shown after the message by the CLI. */
  readonly hint?: string;

  constructor(code: GroundworkErrorCode, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }

  /** True for any GroundworkError, even across duplicated module copies. */
  static isInstance(error: unknown): error is GroundworkError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}

/** A tool refused or failed; its message is what the agent sees as the tool result. */
export class ToolError extends GroundworkError {
  override readonly name = 'ToolError';
  constructor(message: string) {
    super('TOOL_FAILED', message);
  }
}

/** True when the error means the episode could not run (provider down, replay miss...). */
export function isInfraError(error: unknown): boolean {
  return GroundworkError.isInstance(error) && INFRA_ERROR_CODES.has(error.code);
}

/** One line for humans: message plus hint. */
export function describeError(error: unknown): string {
  if (GroundworkError.isInstance(error)) {
    return error.hint ? `${error.message} (${error.hint})` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
