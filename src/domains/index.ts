export * from './domain.ts';
export * from './tools.ts';
export * from './registry.ts';
export * from './check-domain.ts';
