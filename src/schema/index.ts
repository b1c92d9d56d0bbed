export * from './json.ts';
export * from './task.ts';
export * from './trajectory.ts';
export * from './outcome.ts';
export * from './audit.ts';
export * from './experience.ts';
