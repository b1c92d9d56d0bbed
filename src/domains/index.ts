export * from './domain.ts';
export * from './tools.ts';
export * from './registry.ts';
