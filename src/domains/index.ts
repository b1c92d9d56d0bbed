export * from './domain.ts';
export * from './tools.ts';
export * from './registry.ts';
export * from './check-domain.ts';
export * from './initial-state.ts';
