/**
 * Groundwork's public API: re-exports only. Whatever a folder's index omits is internal.
 */
export * from './errors.ts';
export * from './schema/index.ts';
export * from './state/index.ts';
export * from './domains/index.ts';
export * from './models/index.ts';
export * from './agents/index.ts';
export * from './users/index.ts';
export * from './episode/index.ts';
export * from './grading/index.ts';
export * from './audits/index.ts';
export * from './experience/index.ts';
export * from './store/index.ts';
export * from './runner/index.ts';
export * from './report/index.ts';
