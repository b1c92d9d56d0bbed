export * from './user.ts';
export * from './scripted.ts';
