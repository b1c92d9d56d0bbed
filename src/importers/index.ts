export * from './tau-bench-results.ts';
export * from './store-import.ts';
