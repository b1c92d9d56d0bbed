/** Serving Groundwork episodes to external agents and trainers: OpenEnv's protocol, MCP, offline grading. */
export {
  DEFAULT_IDLE_MS,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SERVE_PORT,
  type EnvServer,
  type EnvServerOptions,
  packageVersion,
  startEnvServer,
} from './server.ts';
export { SESSION_ID_HEADER, SESSION_TOKEN_HEADER } from './openenv-http.ts';
export {
  actionSchema,
  observationSchema,
  stateSchema,
  stepResultSchema,
  resetRequestSchema,
  WIRE_ERROR_CODES,
  type WireAction,
  type WireErrorCode,
  type WireObservation,
  type WireState,
  type WireStepResult,
  wireJsonSchemas,
  openApiDocument,
} from './wire-schemas.ts';
export { EpisodeSession, SessionError, CapacityError, type ServeAction } from './episode-session.ts';
export { SessionPool } from './session-pool.ts';
export { ServedRun, servedAgentName } from './served-run.ts';
export { gradeTrajectory, handleGradeRequest } from './grade-trajectory.ts';
export { handleMcpMessage, handleMcpRequest } from './mcp.ts';
