export * from './run-summary.ts';
