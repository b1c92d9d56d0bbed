/**
 * Before/after check for changes on the path of an LLM episode (LLM agent and user prompts, the
 * episode loop, tools and state, grading, the per-episode audit): runs LLM episodes (an LLM agent
 * and an LLM user, both against a local OpenAI-compatible peer answering from a deterministic,
 * seeded script) through the runner's own `runGradedEpisode`, grades and audits each as `run`
 * does, and prints a digest of every record (trajectory, outcome) and audit, with a fixed clock
 * and model latencies left out. Run it in two trees and compare the digests (or `--dump FILE` and
 * diff the files): equal digests mean identical trajectories, outcomes and audits.
 *
 * The peer's script is a function of the request alone (a hash of its messages): user openings,
 * user stops after a few turns, empty user replies, user tool calls (dual control), agent tool
 * calls with arguments filled from each tool's JSON schema (valid and invalid ones, several per
 * reply, malformed JSON), agent text replies. Domains: helpdesk, τ-bench retail, τ² telecom (dual
 * control), with and without the goal-state-steered user (`steerUser`) and outcome reports.
 *
 * Run: node --import tsx bench/llm-episode-equivalence.ts [--episodes 40] [--dump FILE]
 */
import { writeFileSync } from 'node:fs';
import { createEpisodeAuditor } from '../src/audit-runner/episode-auditor.ts';
import { modelParticipants } from '../src/cli/participants.ts';
import { createDomain } from '../src/domains/registry.ts';
import type { ModelsConfig } from '../src/models/model-config.ts';
import { buildAgent, buildUser } from '../src/runner/build.ts';
import { runGradedEpisode } from '../src/runner/local-runner.ts';
import { planEpisodes } from '../src/runner/plan.ts';
import { canonicalJson, shortHash, type JsonValue } from '../src/schema/json.ts';
import { startOpenAIPeer } from '../src/testing/openai-peer.ts';
import type { PeerReply, PeerRequest, PeerToolCall } from '../src/testing/peer-server.ts';
import { SeededRandom } from '../src/util/seeded-random.ts';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}
const perScenario = Number(argument('episodes', '40'));
const dumpPath = argument('dump', '');

/** The parts of a tool's JSON schema the script reads. */
interface ToolSchema {
  properties?: Record<string, { type?: string | string[]; enum?: JsonValue[] }>;
}
/** The parts of an OpenAI chat request the script reads. */
interface WireMessage {
  role: string;
  content?: unknown;
}
interface WireTool {
  function: { name: string; parameters?: ToolSchema };
}

/** Fills arguments from a JSON schema: mostly valid shapes, sometimes wrong types or missing fields. */
function argumentsFor(schema: ToolSchema | undefined, random: SeededRandom): JsonValue {
  const properties = schema?.properties ?? {};
  const out: Record<string, JsonValue> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (random.next() < 0.1) continue;
    const type = Array.isArray(property?.type) ? property.type[0] : property?.type;
    if (Array.isArray(property?.enum)) out[name] = random.pick(property.enum);
    else if (type === 'number' || type === 'integer') out[name] = random.int(0, 3);
    else if (type === 'boolean') out[name] = random.next() < 0.5;
    else if (type === 'array') out[name] = [];
    else if (type === 'object') out[name] = {};
    else out[name] = random.pick(['alex', 'A-1', 'finance', 'x', '1', 'shared finance folder', 'W-1001', 'Alex Kim']);
  }
  if (random.next() < 0.05) out.unexpected = 1;
  return out;
}

/** The peer's answer: a function of the request only (so concurrency and timing cannot change it). */
function reply(request: PeerRequest): PeerReply {
  const messages: WireMessage[] = request.body?.messages ?? [];
  const tools: WireTool[] = request.body?.tools ?? [];
  const random = SeededRandom.from('llm-equivalence', canonicalJson(messages as unknown as JsonValue));
  const system = String(messages[0]?.content ?? '');
  const assistantTurns = messages.filter((m) => m.role === 'assistant').length;
  const call = (): PeerToolCall => {
    const roll = random.next();
    if (roll < 0.05) return { name: 'no_such_tool', arguments: {} };
    const tool = random.pick(tools);
    if (roll < 0.1) return { name: tool.function.name, arguments: '{"broken": ' };
    return { name: tool.function.name, arguments: argumentsFor(tool.function.parameters, random) };
  };
  if (system.startsWith('You are playing a user')) {
    const roll = random.next();
    if (roll < 0.05) return { kind: 'message', text: '' };
    if (tools.length && roll < 0.3) return { kind: 'message', text: random.pick(['', 'Let me check.']), toolCalls: [call()] };
    if (assistantTurns >= random.int(1, 4))
      return { kind: 'message', text: random.pick(['Thanks, bye. ###STOP###', '###TRANSFER###', 'ok ###STOP###']) };
    return { kind: 'message', text: random.pick(['I need help with my account.', 'My name is Alex Kim.', 'Yes, please go ahead.', 'No.']) };
  }
  const results = messages.filter((m) => m.role === 'tool').length;
  const roll = random.next();
  if (tools.length && results < random.int(0, 5) && roll < 0.8) {
    const calls = Array.from({ length: random.pick([1, 1, 1, 2, 3]) }, call);
    return { kind: 'message', text: random.pick([undefined, undefined, 'Let me look that up.']), toolCalls: calls };
  }
  if (roll < 0.85) return { kind: 'message', text: '' };
  return {
    kind: 'message',
    text: random.pick(['Done: your request is handled.', 'Could you give me your user id?', 'I cannot help with that.']),
  };
}

/** A value with every `latencyMs` (measured time) set to 0. */
function withoutLatency(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLatency);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, key === 'latencyMs' ? 0 : withoutLatency(inner)]));
}

const peer = await startOpenAIPeer(reply);
const models = { peer: { provider: 'openai-compatible', model: 'peer', baseURL: peer.url } } as ModelsConfig;
const clock = () => new Date('2025-01-01T00:00:00.000Z');
const lines: string[] = [];
let digest = '';
const scenarios: { domain: string; steerUser: boolean; outcomeReport: boolean }[] = [
  { domain: 'helpdesk', steerUser: false, outcomeReport: false },
  { domain: 'helpdesk', steerUser: true, outcomeReport: true },
  { domain: 'tau-bench/retail', steerUser: false, outcomeReport: false },
  { domain: 'tau2-bench/telecom', steerUser: true, outcomeReport: false },
];
try {
  for (const scenario of scenarios) {
    const domain = createDomain(scenario.domain);
    const tasks = domain.tasks({ split: domain.defaultSplit }).slice(0, Math.ceil(perScenario / 2));
    const { factory } = modelParticipants({ models, steerUser: scenario.steerUser, concurrency: 4 });
    const agents = ['peer', 'oracle'];
    const auditor = createEpisodeAuditor({ domain, tasks });
    const byId = new Map(tasks.map((task) => [task.id, task]));
    let count = 0;
    let scenarioDigest = '';
    const terminations: Record<string, number> = {};
    for (const spec of planEpisodes(`equivalence-${scenario.domain}`, 1, tasks, agents, 2)) {
      if (count >= perScenario) break;
      const task = byId.get(spec.taskId)!;
      const graded = await runGradedEpisode(
        spec,
        task,
        domain,
        buildAgent(spec.agent, domain, factory),
        buildUser('peer', factory),
        { maxSteps: 30, maxInvalidToolCalls: 4, outcomeReport: scenario.outcomeReport },
        clock,
      );
      const audit = auditor.audit(graded, task);
      // The peer's port differs between runs: its URL is left out too.
      const line = canonicalJson(withoutLatency({ record: graded.record, audit }) as JsonValue).replaceAll(peer.url, 'PEER_URL');
      lines.push(line);
      scenarioDigest = shortHash(scenarioDigest + line);
      terminations[graded.record.termination] = (terminations[graded.record.termination] ?? 0) + 1;
      count++;
    }
    digest = shortHash(digest + scenarioDigest);
    console.log(
      `${scenario.domain} steerUser=${scenario.steerUser} outcomeReport=${scenario.outcomeReport}: ${count} episodes, digest ${scenarioDigest.slice(0, 16)}, terminations ${JSON.stringify(terminations)}`,
    );
  }
  console.log(`all: ${lines.length} episodes, ${peer.requests.length} model calls, digest ${digest.slice(0, 16)}`);
  if (dumpPath) writeFileSync(dumpPath, `${lines.join('\n')}\n`);
} finally {
  await peer.close();
}
