export * from './schemas.ts';
export * from './chat-format.ts';
export * from './sft.ts';
export * from './preference.ts';
export * from './rl.ts';
export * from './early-experience.ts';
export * from './export-run.ts';
