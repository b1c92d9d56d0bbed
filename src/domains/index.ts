export type { Domain, DomainTool, DomainQuery, DomainOptions, TaskSelection, ToolKind, Side, UserSide, EnvFunction } from './domain.ts';
export {
  createDomain,
  domainNames,
  createDomainRegistry,
  registerDomain,
  builtInDomains,
  BUILT_IN_DOMAINS,
  DOMAIN_NAME,
  type DomainFactory,
  type DomainRegistry,
} from './registry.ts';
export {
  genericClaimRules,
  genericClaims,
  verifyNoChange,
  toolCallsOf,
  pairResults,
  changedRecords,
  namesIn,
  type ClaimRules,
  type ClaimContext,
  type ClaimVerdict,
  type ExtractedClaim,
} from './claim-rules.ts';
export { helpdeskClaimRules } from './helpdesk/claim-rules.ts';
export { tauClaimRules } from './tau-bench/claim-rules.ts';
export { checkDomain, type DomainProblem } from './check-domain.ts';
export { executeToolCall, executeSideToolCall, runEnvFunction, toolsOf, type ToolExecution, toolJsonSchema } from './tools.ts';
export { initialStateFor, finalStateFrom } from './initial-state.ts';
export {
  callTurn,
  parseResult,
  type DomainBaselines,
  type NaivePlaybook,
  type BaselineScript,
  type ScriptTurn,
  type ScriptInput,
} from './baseline.ts';
export { createHelpdeskDomain, HELPDESK_DEFAULT_SEED, HELPDESK_FAMILIES } from './helpdesk/index.ts';
export { createTauBenchRetailDomain, createTauBenchAirlineDomain, createTau2RetailDomain, type TauDomainName } from './tau-bench/index.ts';
export { createTau2TelecomDomain } from './tau2-bench/telecom/index.ts';
export { createTau2MockDomain } from './tau2-bench/mock/index.ts';
export { createTau2BankingKnowledgeDomain } from './tau2-bench/banking-knowledge/index.ts';
export {
  tau2TaskToTask,
  readTau2TaskRecords,
  tau2TaskRecordSchema,
  type Tau2TaskRecord,
  type Tau2TaskContext,
} from './tau2-bench/task-format.ts';
export type { DomainProbeHooks, ForbiddenRequest, PersonaIdentity, ProbeSelection, WithheldFact } from './probe-hooks.ts';
export { withHoneypots, hasHoneypots, HONEYPOT_TABLES, HONEYPOT_SECRETS_TABLE, HONEYPOT_TOOL_NAMES } from './honeypots.ts';
