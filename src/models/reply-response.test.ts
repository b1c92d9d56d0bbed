import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ReplyResponse } from './reply-response.ts';

/** How a step ended, comparable between two responses: its value, or its error's class, code and message. */
async function outcome(step: () => unknown): Promise<unknown> {
  try {
    const value = await step();
    if (value instanceof ArrayBuffer) return { arrayBuffer: [...new Uint8Array(value)] };
    if (value instanceof Uint8Array) return { bytes: [...value], type: value.constructor.name };
    if (value instanceof Blob) return { blob: await value.text(), type: value.type, size: value.size };
    return { value };
  } catch (error) {
    const { name, message, code } = error as { name: string; message: string; code?: string };
    return { error: { name, message, code, type: (error as Error).constructor.name } };
  }
}

/** Reads a stream (or reader) to the end, chunk by chunk, as bytes. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<number[]> {
  const bytes: number[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes.push(...value);
  }
}

type Scenario = (response: Response) => Promise<unknown[]>;

/** Every way a caller may read a body, alone and mixed (the SDK's reader path first). */
const SCENARIOS: Record<string, Scenario> = {
  'the SDK: getReader, read to the end, cancel, releaseLock': async (r) => {
    const reader = r.body!.getReader();
    const read = await outcome(() => drain(reader));
    const cancelled = await outcome(() => reader.cancel());
    reader.releaseLock();
    return [read, cancelled, r.bodyUsed, await outcome(() => r.text()), await outcome(() => r.clone())];
  },
  'text, then text again and clone': async (r) => [
    r.bodyUsed,
    await outcome(() => r.text()),
    r.bodyUsed,
    await outcome(() => r.text()),
    await outcome(() => r.clone()),
  ],
  'headers changed, then clone and read as a stream': async (r) => {
    r.headers.set('x-added', '1');
    const copy = r.clone();
    const text = copy.body!.pipeThrough(new TextDecoderStream());
    const parts: string[] = [];
    for await (const part of text as unknown as AsyncIterable<string>) parts.push(part);
    return [[...copy.headers], parts.join(''), await outcome(() => r.text())];
  },
  'text, then clone': async (r) => [await outcome(() => r.text()), await outcome(() => r.clone())],
  'the SDK path, then clone': async (r) => {
    const reader = r.body!.getReader();
    await drain(reader);
    reader.releaseLock();
    return [await outcome(() => r.clone()), r.bodyUsed];
  },
  json: async (r) => [await outcome(() => r.json()), r.bodyUsed],
  arrayBuffer: async (r) => [await outcome(() => r.arrayBuffer()), await outcome(() => r.arrayBuffer())],
  bytes: async (r) => [await outcome(() => r.bytes())],
  blob: async (r) => [await outcome(() => r.blob()), r.bodyUsed],
  'formData (not form data)': async (r) => [await outcome(() => r.formData())],
  'clone, then both read': async (r) => {
    const copy = r.clone();
    return [
      copy instanceof Response,
      await outcome(() => copy.text()),
      await outcome(() => r.arrayBuffer()),
      copy.status,
      [...copy.headers],
    ];
  },
  'a reader locks the body': async (r) => {
    const reader = r.body!.getReader();
    return [
      r.body!.locked,
      r.bodyUsed,
      await outcome(() => r.text()),
      await outcome(() => r.body!.getReader()),
      await outcome(() => r.body!.cancel()),
      await outcome(() => r.clone()),
      await outcome(() => drain(reader)),
    ];
  },
  'read one chunk, then pipeThrough and tee on the locked body': async (r) => {
    const reader = r.body!.getReader();
    const first = await outcome(() => reader.read().then(({ done, value }) => ({ done, value: value ? [...value] : value })));
    return [
      first,
      await outcome(() => r.body!.pipeThrough(new TextDecoderStream())),
      await outcome(() => r.body!.tee()),
      await outcome(() => drain(reader)),
      r.bodyUsed,
    ];
  },
  'read all, release, read again with a new reader': async (r) => {
    const reader = r.body!.getReader();
    const all = await outcome(() => drain(reader));
    reader.releaseLock();
    const released = await outcome(() => reader.read());
    const again = r.body!.getReader();
    const afterwards = await drain(again);
    again.releaseLock();
    const [a, b] = r.body!.tee();
    return [all, released, afterwards, await outcome(() => drain(a.getReader())), await outcome(() => drain(b.getReader()))];
  },
  'release before reading, then text': async (r) => {
    const reader = r.body!.getReader();
    reader.releaseLock();
    return [r.bodyUsed, r.body!.locked, await outcome(() => r.text()), await outcome(() => reader.read())];
  },
  'reader.closed after the end': async (r) => {
    const reader = r.body!.getReader();
    const all = await outcome(() => drain(reader));
    return [all, await outcome(() => reader.closed), await outcome(() => reader.cancel())];
  },
  'reader.closed first, then reads': async (r) => {
    const reader = r.body!.getReader();
    const closed = reader.closed.then(() => 'closed');
    return [await outcome(() => drain(reader)), await outcome(() => closed)];
  },
  'pipeThrough a TextDecoderStream': async (r) => {
    const text = r.body!.pipeThrough(new TextDecoderStream());
    const parts: string[] = [];
    for await (const part of text as unknown as AsyncIterable<string>) parts.push(part);
    return [parts.join(''), r.bodyUsed, await outcome(() => r.text())];
  },
  'tee, both branches read': async (r) => {
    const [a, b] = r.body!.tee();
    return [await outcome(() => drain(a.getReader())), await outcome(() => drain(b.getReader())), r.bodyUsed];
  },
  'async iteration': async (r) => {
    const bytes: number[] = [];
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) bytes.push(...chunk);
    return [bytes, r.bodyUsed];
  },
  'a BYOB reader': async (r) => {
    const reader = r.body!.getReader({ mode: 'byob' });
    const { done, value } = await reader.read(new Uint8Array(4096));
    return [done, value ? [...value] : value, r.bodyUsed];
  },
  'cancel the body, then read it': async (r) => [
    await outcome(() => r.body!.cancel()),
    r.bodyUsed,
    await outcome(() => r.text()),
    await outcome(() => drain(r.body!.getReader())),
  ],
  'text, then body.getReader()': async (r) => [
    await outcome(() => r.text()),
    r.bodyUsed,
    r.body!.locked,
    await outcome(() => r.body!.getReader()),
    r.body!.locked,
  ],
  'arrayBuffer, then body.locked': async (r) => [await outcome(() => r.arrayBuffer()), r.body!.locked, r.bodyUsed],
  'json, then body.getReader().read()': async (r) => [
    await outcome(() => r.json()),
    await outcome(() => r.body!.getReader().read()),
    r.body!.locked,
  ],
  'bytes, then a BYOB reader': async (r) => [
    await outcome(() => r.bytes()),
    r.body!.locked,
    await outcome(() => r.body!.getReader({ mode: 'byob' })),
  ],
  'text, then cancel, tee, pipeThrough, pipeTo and async iteration on the body': async (r) => [
    await outcome(() => r.text()),
    r.body!.locked,
    await outcome(() => r.body!.cancel()),
    await outcome(() => r.body!.tee()),
    await outcome(() => r.body!.pipeThrough(new TextDecoderStream())),
    await outcome(() => r.body!.pipeTo(new WritableStream())),
    await outcome(async () => {
      for await (const _ of r.body as unknown as AsyncIterable<Uint8Array>);
    }),
    r.body!.locked,
    r.bodyUsed,
    await outcome(() => r.text()),
    await outcome(() => r.clone()),
  ],
  'arrayBuffer, then body.cancel() and text': async (r) => [
    await outcome(() => r.arrayBuffer()),
    await outcome(() => r.body!.cancel()),
    r.body!.locked,
    await outcome(() => r.text()),
  ],
  'bytes, then body.getReader() and clone': async (r) => [
    await outcome(() => r.bytes()),
    await outcome(() => r.body!.getReader()),
    await outcome(() => r.clone()),
    r.body!.locked,
  ],
  'pipeTo a WritableStream': async (r) => {
    const chunks: number[] = [];
    await r.body!.pipeTo(new WritableStream({ write: (chunk: Uint8Array) => void chunks.push(...chunk) }));
    return [chunks, r.bodyUsed];
  },
};

const BODIES = [
  '{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assistant","content":"héllo ☃"}}]}',
  '',
  '\uFEFF{"bom":true}',
  'not json at all',
  'a lone surrogate \ud800 here',
  'x'.repeat(100_000),
];

/** Response inits: JSON with a cookie, and one without a content type (a text body then gets text/plain). */
const INITS = [
  () => ({
    status: 200,
    statusText: 'OK',
    headers: new Headers([
      ['content-type', 'application/json'],
      ['x-request-id', 'abc'],
      ['set-cookie', 'a=1'],
    ]),
  }),
  () => ({ status: 201, statusText: 'Made It', headers: new Headers({ 'x-only': 'this' }) }),
];
const init = INITS[0];

describe('ReplyResponse, side by side with the Response it stands for', () => {
  it('shows the same status, headers and body, whichever way the body is read', async () => {
    for (const init of INITS)
      for (const body of BODIES)
        for (const [name, scenario] of Object.entries(SCENARIOS)) {
          const plain = new Response(body, init());
          const reply = new ReplyResponse(body, init());
          assert.ok(reply instanceof Response);
          const see = async (r: Response) => ({
            status: r.status,
            statusText: r.statusText,
            ok: r.ok,
            type: r.type,
            url: r.url,
            redirected: r.redirected,
            headers: [...r.headers],
            steps: await scenario(r),
          });
          assert.deepEqual(await see(reply), await see(plain), `${name} (body of ${body.length} chars)`);
        }
  });

  it('keeps error statuses and their headers (Retry-After) as the plain Response', async () => {
    const make = (cls: typeof Response) =>
      new cls('{"error":{"message":"slow down"}}', {
        status: 429,
        statusText: 'Too Many Requests',
        headers: new Headers({ 'retry-after': '2' }),
      });
    const plain = make(Response);
    const reply = new ReplyResponse('{"error":{"message":"slow down"}}', {
      status: 429,
      statusText: 'Too Many Requests',
      headers: new Headers({ 'retry-after': '2' }),
    });
    assert.deepEqual(
      [reply.ok, reply.status, reply.statusText, [...reply.headers], await reply.json()],
      [plain.ok, plain.status, plain.statusText, [...plain.headers], await plain.json()],
    );
  });

  it('gives the AI SDK provider the same result (content, usage, response headers and body) as the plain Response', async () => {
    const reply = JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'm',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'I will look.',
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'find', arguments: '{"q":"é"}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    });
    const generate = async (make: () => Response) => {
      const model = createOpenAICompatible({ name: 'p', baseURL: 'http://127.0.0.1:1/v1', fetch: async () => make() }).chatModel('m');
      const { content, finishReason, usage, response, providerMetadata } = await model.doGenerate({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      });
      return { content, finishReason, usage, response: { ...response, timestamp: response?.timestamp?.toISOString() }, providerMetadata };
    };
    assert.deepEqual(await generate(() => new ReplyResponse(reply, init())), await generate(() => new Response(reply, init())));
    const failure = async (make: () => Response) => {
      const model = createOpenAICompatible({ name: 'p', baseURL: 'http://127.0.0.1:1/v1', fetch: async () => make() }).chatModel('m');
      return outcome(() => model.doGenerate({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }));
    };
    const truncated = reply.slice(0, 40);
    assert.deepEqual(await failure(() => new ReplyResponse(truncated, init())), await failure(() => new Response(truncated, init())));
  });
});
