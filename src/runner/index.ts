export * from './config.ts';
export * from './plan.ts';
export * from './build.ts';
export * from './local-runner.ts';
