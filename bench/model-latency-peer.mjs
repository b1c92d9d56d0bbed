// A fixed-latency OpenAI-compatible peer for bench/model-latency.ts, run in its own process so its
// CPU is not the harness's. Plain JS and node:http: cheap enough to share two cores with the harness.
// Every answer comes LATENCY_MS after the request arrived, from precomputed bodies; the script
// (5 calls per helpdesk episode) is read from the request: role from the system prompt, step
// from the messages. Reports { calls, maxInFlight } to the parent on 'stats'.
import { createServer } from 'node:http';

const latencyMs = Number(process.env.PEER_LATENCY_MS ?? 100);
const usage = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };
const body = (message, finish) =>
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1700000000,
    model: 'bench',
    choices: [{ index: 0, message, finish_reason: finish }],
    usage,
  });
const toolCall = (id) => ({
  role: 'assistant',
  content: null,
  tool_calls: [{ id, type: 'function', function: { name: 'find_person', arguments: '{"query":"alex"}' } }],
});
const REPLIES = {
  userOpen: body({ role: 'assistant', content: 'Hi, I cannot open the shared finance folder. Can you check my access?' }, 'stop'),
  userStop: body({ role: 'assistant', content: 'Thanks, that is all. ###STOP###' }, 'stop'),
  agentTool1: body(toolCall('call_bench_1'), 'tool_calls'),
  agentTool2: body(toolCall('call_bench_2'), 'tool_calls'),
  agentAnswer: body({ role: 'assistant', content: 'I looked you up: your access is in place now.' }, 'stop'),
};
for (const key of Object.keys(REPLIES)) REPLIES[key] = Buffer.from(REPLIES[key]);

/** Which reply: the user opens then stops; the agent calls two tools then answers. */
function pick(text) {
  // Cheap probes instead of a full parse: the harness's system prompts differ in their first words.
  const isUser = text.includes('"You are playing a user');
  if (isUser) return text.includes('"role":"assistant"') ? REPLIES.userStop : REPLIES.userOpen;
  const tools = text.split('"role":"tool"').length - 1;
  return tools === 0 ? REPLIES.agentTool1 : tools === 1 ? REPLIES.agentTool2 : REPLIES.agentAnswer;
}

let calls = 0;
let inFlight = 0;
let maxInFlight = 0;
const server = createServer((request, response) => {
  const arrived = performance.now();
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    calls++;
    const reply = pick(Buffer.concat(chunks).toString('utf8'));
    setTimeout(
      () => {
        inFlight--;
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': reply.length });
        response.end(reply);
      },
      Math.max(0, latencyMs - (performance.now() - arrived)),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'stats') {
    process.send({ calls, maxInFlight, cpu: process.cpuUsage() });
    calls = 0;
    maxInFlight = 0;
  }
  if (message === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
