export type { Agent, AgentSession, AgentContext, AgentTurn, AgentToolCall, AgentToolSpec, PrivilegedAccess } from './agent.ts';
export { BUILT_IN_AGENTS, isBuiltInAgent, createBuiltInAgent } from './registry.ts';
export { createOracleAgent, createNoopAgent } from './oracle.ts';
export { createNaiveAgent } from './naive.ts';
export { scriptedSession, type AgentScript } from './scripted-session.ts';
export { createLlmAgent, type LlmAgentOptions } from './llm-agent.ts';
export { OUTCOME_REPORT_TOOL_NAME, type OutcomeReportInput } from './outcome-report.ts';
export { createExperienceAgent, type ExperienceAgentOptions, type ExperienceRequest, type ProvidedExperience } from './experience-agent.ts';
