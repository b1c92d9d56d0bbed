export * from './user.ts';
export * from './scripted.ts';
export * from './llm-user.ts';
export * from './drift-injection.ts';
