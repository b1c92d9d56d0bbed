export * from './api.ts';
export * from './bundle.ts';
export * from './server.ts';
