export * from './grade.ts';
export * from './communication.ts';
export * from './pass-k.ts';
export * from './metrics.ts';
export * from './regrade.ts';
