export * from './agent.ts';
export * from './registry.ts';
export * from './oracle.ts';
export * from './naive.ts';
export * from './scripted-session.ts';
export * from './llm-agent.ts';
export * from './outcome-report.ts';
export * from './experience-agent.ts';
