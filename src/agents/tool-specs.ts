import type { Domain, DomainTool } from '../domains/domain.ts';
import { toolJsonSchema } from '../domains/tools.ts';
import type { AgentToolSpec } from './agent.ts';
import { OUTCOME_REPORT_TOOL } from './outcome-report.ts';

// Built once per domain instance: JSON Schema generation is not free and every episode needs it.
const plainSpecs = new WeakMap<Domain, readonly AgentToolSpec[]>();
const withReportSpecs = new WeakMap<Domain, readonly AgentToolSpec[]>();
const userSpecs = new WeakMap<Domain, readonly AgentToolSpec[]>();

function specOf(tool: Pick<DomainTool, 'name' | 'description' | 'input'>): AgentToolSpec {
  // A JSON round trip: zod's JSON Schema objects carry hidden validator functions; agents get data only.
  const parameters = JSON.parse(JSON.stringify(toolJsonSchema(tool))) as Record<string, unknown>;
  return deepFrozen({ name: tool.name, description: tool.description, parameters });
}

/**
 * The tools an agent is offered in an episode, as plain frozen specs (name, description, JSON
 * Schema): the domain's tools, plus `report_outcome` when the run asks for outcome reports.
 * The same array is returned for every episode of a domain, so agents can cache per array.
 */
export function agentToolSpecs(domain: Domain, withOutcomeReport: boolean): readonly AgentToolSpec[] {
  const cache = withOutcomeReport ? withReportSpecs : plainSpecs;
  let specs = cache.get(domain);
  if (!specs) {
    const tools = domain.tools.map(specOf);
    if (withOutcomeReport) tools.push(specOf(OUTCOME_REPORT_TOOL));
    specs = Object.freeze(tools);
    cache.set(domain, specs);
  }
  return specs;
}

/**
 * The user's own tools of a dual-control domain (τ²'s user tools), as plain frozen specs for the
 * user simulator; empty when the domain has no user side. Cached per domain like the agent's.
 */
export function userToolSpecs(domain: Domain): readonly AgentToolSpec[] {
  let specs = userSpecs.get(domain);
  if (!specs) {
    specs = Object.freeze((domain.user?.tools ?? []).map(specOf));
    userSpecs.set(domain, specs);
  }
  return specs;
}

function deepFrozen<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFrozen(inner);
  }
  return value;
}
