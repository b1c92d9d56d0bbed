export {
  USER_CONTROL_TOKENS,
  type UserControlToken,
  type UserSimulator,
  type UserSession,
  type UserContext,
  type UserTurn,
} from './user.ts';
export { createScriptedUser, type ScriptedUserOptions } from './scripted.ts';
export { createLlmUser, type LlmUserOptions } from './llm-user.ts';
export { withInjectedDrift, type DriftInjection } from './drift-injection.ts';
