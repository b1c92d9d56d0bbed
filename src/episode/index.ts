export * from './orchestrator.ts';
export * from './initial-state.ts';
export * from './branching.ts';
