import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLlmAgent } from '../agents/llm-agent.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import type { PeerRequest } from '../testing/peer-server.ts';
import { createTinyDomain } from '../testing/tiny-domain.ts';
import { createLlmUser } from '../users/llm-user.ts';
import { ModelHub } from './model-hub.ts';
import type { ModelEvent } from './model-session.ts';
import { PATTERN_ANCHORS, SECRET_PATTERNS, SecretRedactor } from './secrets.ts';

const OPENAI_KEY = 'sk-test-SECRET-4f9a8b7c6d5e';
const ROUTER_KEY = 'or-v1-SECRET-0a1b2c3d4e5f';
const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else out.push(path);
  }
  return out;
}

describe('secrets', () => {
  it('keys reach the server and nothing else: cassettes, trajectories, errors, events, console', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-secrets-'));
    dirs.push(dir);
    const domain = createTinyDomain();
    const [setColor, readSize] = domain.tasks({});
    // A hostile server that echoes the credentials it got in errors and in a reply.
    const echo = (request: PeerRequest) => `${request.headers.authorization} / ${JSON.stringify(request.headers)}`;
    let agentCalls = 0;
    const agentPeer = await startOpenAIPeer((request) => {
      agentCalls++;
      if (request.body.messages.some((m: { content?: string }) => m.content === 'What is the size?')) {
        return { kind: 'error', status: 401, message: `Incorrect API key provided: ${echo(request)}` };
      }
      if (agentCalls === 1) return { kind: 'error', status: 500, message: `upstream failed for ${echo(request)}` };
      if (request.body.messages.at(-1).role === 'tool') return { kind: 'message', text: 'Done.' };
      return { kind: 'message', toolCalls: [{ name: 'set', arguments: { key: 'color', value: 'blue' } }] };
    });
    const userPeer = await startOpenAIPeer((request) =>
      request.body.messages.length === 2
        ? { kind: 'message', text: request.body.messages[0].content.includes('"size"') ? 'What is the size?' : 'Set color to blue.' }
        : { kind: 'message', text: '###STOP###' },
    );
    const events: ModelEvent[] = [];
    const consoleOutput: string[] = [];
    const originalOut = process.stdout.write.bind(process.stdout);
    const originalErr = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => (
      consoleOutput.push(String(chunk)), originalOut(chunk, ...(rest as []))
    )) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => (
      consoleOutput.push(String(chunk)), originalErr(chunk, ...(rest as []))
    )) as typeof process.stderr.write;
    const outputs: unknown[] = [];
    try {
      const hub = new ModelHub({
        env: { OPENAI_API_KEY: OPENAI_KEY, OPENROUTER_API_KEY: ROUTER_KEY },
        models: {
          agent: { provider: 'openai', model: 'gpt-secret', baseURL: agentPeer.url },
          user: { provider: 'openai-compatible', model: 'router-user', baseURL: userPeer.url, apiKeyEnv: 'OPENROUTER_API_KEY' },
        },
        record: dir,
        retry: { initialDelayMs: 5 },
        onEvent: (event) => events.push(event),
      });
      for (const task of [setColor, readSize]) {
        const result = await runEpisode({
          domain,
          task,
          agent: createLlmAgent('agent', hub),
          user: createLlmUser('user', hub),
          episodeId: task.id,
          trial: 0,
          seed: 1,
        });
        outputs.push(result.trajectory);
      }
      const [ok, failed] = outputs as { termination: { reason: string; detail?: string } }[];
      assert.equal(ok.termination.reason, 'user_stop');
      assert.equal(failed.termination.reason, 'infra_error');
      assert.match(failed.termination.detail ?? '', /HTTP 401: Incorrect API key provided: Bearer \[REDACTED\]/);
    } finally {
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
      await agentPeer.close();
      await userPeer.close();
    }
    // The keys did reach the servers, in the usual headers.
    assert.equal(agentPeer.requests[0].headers.authorization, `Bearer ${OPENAI_KEY}`);
    assert.equal(userPeer.requests[0].headers.authorization, `Bearer ${ROUTER_KEY}`);
    // ...and nowhere else.
    const files = await allFiles(dir);
    assert.ok(files.length >= 4);
    const written = await Promise.all(files.map((file) => readFile(file, 'utf8')));
    const everything = [...written, JSON.stringify(outputs), JSON.stringify(events), ...consoleOutput].join('\n');
    for (const secret of [OPENAI_KEY, ROUTER_KEY, 'SECRET']) assert.ok(!everything.includes(secret), `found ${secret}`);
    assert.ok(!/authorization/i.test(written.join('\n')), 'no header in cassettes');
    assert.ok(events.some((event) => event.type === 'retry' && event.reason.includes('[REDACTED]')));
  });

  it('redacts known values, bearer tokens, sk- keys and credential query parameters', () => {
    const redactor = new SecretRedactor();
    redactor.add('my-own-token-value');
    redactor.add('abc'); // too short to be a key: ignored
    assert.equal(redactor.redact('x my-own-token-value y abc'), 'x [REDACTED] y abc');
    assert.equal(redactor.redact('Authorization: Bearer eyJhbGciOi.xyz'), 'Authorization: Bearer [REDACTED]');
    assert.equal(redactor.redact('key sk-proj-AAAAAAAAAAAAAAAAAAAA end'), 'key [REDACTED] end');
    assert.equal(redactor.redactUrl('https://user:pw@h.example/v1?key=abc&model=x'), 'https://h.example/v1?key=[REDACTED]&model=x');
  });

  it('redacts credential shapes in free text, as a fixed point, and leaves prose alone', () => {
    const redactor = new SecretRedactor();
    const cases: [string, string][] = [
      ['Authorization: Bearer abcdefghijkl', 'Authorization: Bearer [REDACTED]'],
      ['authorization: Basic dXNlcjpwYXNz', 'authorization: Basic [REDACTED]'],
      ['go to http://user:pass@host.example/v1?api_key=XYZ123456&x=1', 'go to http://[REDACTED]@host.example/v1?api_key=[REDACTED]&x=1'],
      ['x-api-key: abcdefgh12345', 'x-api-key: [REDACTED]'],
      ['{"apiKey": "abcdefghijkl"}', '{"apiKey": "[REDACTED]"}'],
      ['token ghp_abcdefghijklmnopqrstuvwxyz0123 and AKIAABCDEFGHIJKLMNOP', 'token [REDACTED] and [REDACTED]'],
      ['Basic Economy. basic economy; the bearer receives it', 'Basic Economy. basic economy; the bearer receives it'],
    ];
    for (const [text, expected] of cases) {
      assert.equal(redactor.redact(text), expected);
      assert.equal(redactor.redact(expected), expected, 'redacting twice changes nothing');
    }
    assert.deepEqual(redactor.redactJson({ args: ['Bearer abcdefghijkl', 3, null], 'sk-abcdefghijklmnopqrstu': true }), {
      args: ['Bearer [REDACTED]', 3, null],
      '[REDACTED]': true,
    });
  });

  it('finds a key hidden by JSON escapes inside tool-call arguments, and leaves clean arguments byte for byte', () => {
    const redactor = new SecretRedactor();
    redactor.add('gw-test-KEY-0123456789');
    // "g" escaped inside the arguments string: JSON text \\u0067 is \u0067 after the body is parsed.
    const escaped = '\\\\u0067w-test-KEY-0123456789';
    const body = `{"choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":"{\\"k\\": \\"${escaped}\\"}"}}]}}]}`;
    const redacted = redactor.redactBody(body);
    assert.ok(!redacted.includes('KEY-0123456789'), redacted);
    const args = JSON.parse(redacted).choices[0].message.tool_calls[0].function.arguments;
    assert.deepEqual(JSON.parse(args), { k: '[REDACTED]' });
    assert.equal(redactor.redactBody(redacted), redacted, 'a fixed point');
    const clean = '{"a":{"arguments":"{ \\"x\\" : 1 }"}}';
    assert.equal(JSON.parse(redactor.redactBody(clean)).a.arguments, '{ "x" : 1 }');
    // What the raw-text shortcut must not let through: a URL's password behind escaped slashes, a known
    // key whose characters JSON escapes, and a known key with no credential shape at all.
    assert.equal(JSON.parse(redactor.redactBody('{"u":"https:\\/\\/alice:hunter2@db.example"}')).u, 'https://[REDACTED]@db.example');
    const quoting = new SecretRedactor();
    quoting.add('pa"ss-word-99');
    assert.doesNotMatch(quoting.redactBody('{"p":"pa\\"ss-word-99"}'), /ss-word-99/);
    assert.equal(JSON.parse(redactor.redactBody('{"c":"gw-test-KEY-0123456789"}')).c, '[REDACTED]');
    // A clean reply comes back as it came, layout and all (it is neither parsed nor written again).
    const reply = '{\n  "id": "c1",\n  "choices": [ { "message": { "content": "Done, 2 grants revoked." } } ],\n  "n": 1.50\n}';
    assert.equal(redactor.redactBody(reply), reply);
    assert.equal(redactor.redactBody('not json, nothing secret'), 'not json, nothing secret');
  });

  it('stays linear on megabytes of hostile text', () => {
    const redactor = new SecretRedactor();
    redactor.add('sk-test-SECRET-0123456789abcdef');
    for (const unit of ['a.', 'http://', 'Bearer ', '?key=', 'x://a:', 'Authorization: ', 'sk-', 'a-']) {
      const started = performance.now();
      redactor.redact(unit.repeat(Math.ceil(2_000_000 / unit.length)));
      assert.ok(performance.now() - started < 2000, `${unit} took ${performance.now() - started} ms`);
    }
  });
  it('skips the patterns only for text none of them can match (anchors checked against every pattern)', () => {
    // Fragments around every pattern, glued at random: whenever a pattern matches, an anchor does.
    const fragments = [
      'Authorization: ',
      'proxy-authorization=',
      'Bearer ',
      'bearer ',
      'https://',
      'u:p@',
      '?key=',
      '&api_key=',
      ';token=',
      'x-api-key: ',
      'apiKey": "',
      'sk-',
      'ghp_',
      'AKIA',
      'xoxb-',
      'AIza',
      'abcdefgh12345678',
      'ABCDEFGHIJKLMNOP',
      '0123456789_-',
      ' ',
      '"',
      '\\u0073',
      '\\/',
      ':',
      '/',
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 3000; i++) {
      let text = '';
      for (let n = 0; n < 1 + Math.floor(random() * 6); n++) text += fragments[Math.floor(random() * fragments.length)];
      const matches = SECRET_PATTERNS.some(([pattern]) => new RegExp(pattern.source, pattern.flags).test(text));
      if (matches) assert.ok(PATTERN_ANCHORS.test(text), text);
      const redactor = new SecretRedactor();
      redactor.add('plain-KEY-0123456789');
      const value = { a: text, [text]: [text, 1, { t: `{"k":${JSON.stringify(text)}}` }] };
      // The raw-text shortcut gives what redacting string by string gives, whatever the body's layout.
      for (const body of [JSON.stringify(value), JSON.stringify(value, null, 2)]) {
        const redacted = redactor.redactBody(body);
        assert.deepEqual(JSON.parse(redacted), redactor.redactJson(JSON.parse(body)), body);
        assert.equal(redactor.redactBody(redacted), redacted, `a fixed point: ${body}`);
      }
    }
  });
});
