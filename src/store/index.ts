export * from './store.ts';
export * from './sqlite-store.ts';
