export * from './table-state.ts';
export * from './diff.ts';
