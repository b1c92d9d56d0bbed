export * from './peer-server.ts';
export * from './openai-peer.ts';
export * from './anthropic-peer.ts';
export * from './tiny-domain.ts';
