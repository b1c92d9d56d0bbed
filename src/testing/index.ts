// Test doubles (package entry `groundwork/testing`): real local servers and a tiny domain.
export {
  startPeer,
  type ModelPeer,
  type PeerOptions,
  type PeerReply,
  type PeerRequest,
  type PeerScript,
  type PeerToolCall,
  type PeerUsage,
  type WireFormat,
  defaultPeerEmbedding,
  embeddingInputs,
  maxConcurrent,
  maxArrivalsInWindow,
} from './peer-server.ts';
export { startOpenAIPeer, embeddingsOnly, openAIMessages } from './openai-peer.ts';
export { startAnthropicPeer } from './anthropic-peer.ts';
export { createTinyDomain } from './tiny-domain.ts';
export { startCountingPeer } from './counting-peer.ts';
export { startRedisServer, startPostgresServer, skipWithoutServer, missingServer, type LocalServer } from './local-servers.ts';
