export * from './orchestrator.ts';
export * from './branching.ts';
