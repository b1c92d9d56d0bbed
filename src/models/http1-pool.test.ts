import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHttpTransport, type HttpTransport } from './http-transport.ts';
import { fetchFailure } from '../testing/fetch-failure.ts';

/**
 * The HTTP/1.1 pool held against two other HTTP clients on the same bytes: node:http (the
 * transport with `http1Pool: false`, what the pool replaced) and Node's fetch (undici, a parser
 * of its own); and against real servers other than Node's (uvicorn, which vLLM serves with, and
 * Python's http.server).
 */

/** What a server script answers to one request: the writes, in order (numbers: a pause in ms), and whether to close (or reset) after. */
type Answer = { writes: (string | Buffer | number)[]; close?: boolean; reset?: boolean };

/** A TCP server that reads requests (head and content-length body) and answers each with raw bytes; counts connections. */
async function rawServer(answer: (request: { method: string; path: string; head: string }, index: number) => Answer) {
  let connections = 0;
  let closed = 0;
  let index = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => {
      closed++;
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let busy = false;
    const next = async () => {
      if (busy) return;
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.byteLength < end + 4 + length) return;
      buffer = buffer.subarray(end + 4 + length);
      const [method = '', path = ''] = head.split(' ');
      const reply = answer({ method, path, head }, index++);
      busy = true;
      for (const write of reply.writes) {
        if (typeof write === 'number') await sleep(write);
        else if (!socket.destroyed) socket.write(write);
      }
      busy = false;
      if (reply.reset) socket.resetAndDestroy();
      else if (reply.close) socket.end();
      else void next();
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      void next();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    get closed() {
      return closed;
    },
    /** Bytes the server's sockets still hold to send (what backpressure leaves unsent). */
    get unsent() {
      return [...sockets].reduce((sum, socket) => sum + socket.writableLength, 0);
    },
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** Every byte of a string as its own write, with a turn of the event loop between. */
function byteByByte(text: string): (string | number)[] {
  return [...Buffer.from(text, 'latin1')].flatMap((byte) => [String.fromCharCode(byte), 0]);
}

/** A response as the transport's exchange gives it, comparable between clients. */
async function exchanged(transport: HttpTransport, url: string, init?: RequestInit) {
  const reply = await (transport.exchange(url, init) as Promise<import('./http-transport.ts').TransportReply>);
  const names = [...new Set(reply.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase()))];
  const read = await reply.read(10_000_000);
  return {
    status: reply.status,
    statusText: reply.statusText,
    headers: names.filter((name) => name !== 'date').map((name) => [name, reply.header(name)]),
    body: 'body' in read ? read.body.toString('latin1') : 'too large',
  };
}

/** A failure of the exchange, or of the body read after it. */
async function exchangeFailure(transport: HttpTransport, url: string) {
  // A client waiting for bytes that never come fails by the timeout, with a reason unlike any expected.
  const signal = AbortSignal.timeout(3000);
  return fetchFailure(
    (async () => (await (transport.exchange(url, { signal }) as Promise<import('./http-transport.ts').TransportReply>)).read(10_000_000))(),
  );
}

const json = '{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assistant","content":"héllo"}}]}';
const jsonBytes = Buffer.from(json, 'utf8').toString('latin1');

describe('HTTP/1.1 pool, byte for byte against node:http and Node fetch', () => {
  const pooled = createHttpTransport();
  const nodeHttp = createHttpTransport({ http1Pool: false });
  after(() => {
    pooled.close();
    nodeHttp.close();
  });

  const responses: Record<string, Answer> = {
    'content-length, one byte at a time': {
      writes: byteByByte(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${jsonBytes}`,
      ),
    },
    'chunked with extensions and trailers, one byte at a time': {
      writes: byteByByte(
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\n{"a":\r\nA\r\n"0123456"}\r\n0\r\nX-Trailer: t\r\n\r\n`,
      ),
    },
    'chunked in one write': { writes: ['HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'] },
    'no length: the body ends with the connection': {
      writes: ['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ', 5, 'the end'],
      close: true,
    },
    'HTTP/1.0 with keep-alive and a length': { writes: ['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nok10'] },
    'HTTP/1.0 without a length': { writes: ['HTTP/1.0 200 OK\r\n\r\nold server'], close: true },
    'an informational response first (103)': {
      writes: ['HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n', 5, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'],
    },
    'an unasked 100 Continue first': { writes: ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'] },
    'an HTTP/2.0 status line': { writes: ['HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nv2'] },
    'an HTTP/0.9 status line': { writes: ['HTTP/0.9 200 OK\r\nContent-Length: 2\r\n\r\nv0'] },
    'repeated, padded, empty and latin-1 header values': {
      writes: [
        'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Pad:   spaced \t \r\nX-Empty:\r\nX-Latin: caf\xe9\r\nX-Multi: one\r\nx-multi: two\r\nContent-Length: 0\r\n\r\n',
      ],
    },
    'a status line without a reason': { writes: ['HTTP/1.1 404\r\nContent-Length: 3\r\n\r\nnop'] },
    'an empty reason': { writes: ['HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n'] },
    '429 with Retry-After': {
      writes: ['HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 31\r\n\r\n{"error":{"message":"slow dn"}}'],
    },
    '204 without a body': { writes: ['HTTP/1.1 204 No Content\r\n\r\n'] },
    'chunk extensions: several, quoted, on the last chunk': {
      writes: [
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b;c="q v";d\r\nabc\r\nA;x=y\r\n0123456789\r\n0;z=1\r\nX-T: 1\r\nX-U: 2\r\n\r\n',
      ],
    },
    'transfer-encoding chunked twice': {
      writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'],
    },
    'a transfer coding other than chunked: the body ends with the connection': {
      writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nnot really gzip'],
      close: true,
    },
    'a value with no space after the colon': { writes: ['HTTP/1.1 200 OK\r\nX-A:tight\r\nContent-Length: 0\r\n\r\n'] },
    'empty lines before the status line': { writes: ['\r\n\n', 5, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'] },
    'a body ended by the connection, reset': { writes: ['HTTP/1.1 200 OK\r\n\r\nabc', 5], reset: true },
  };

  /** Responses undici's fetch refuses and node:http (so the pool) reads: a 100 nobody asked for (no `Expect`), versions other than 1.x, ... */
  const UNDICI_REFUSES = new Set([
    'an unasked 100 Continue first',
    'an HTTP/2.0 status line',
    'an HTTP/0.9 status line',
    'a transfer coding other than chunked: the body ends with the connection', // undici decodes or refuses it
    'chunk extensions: several, quoted, on the last chunk', // undici's own llhttp build refuses the quoted value
  ]);

  let server: Awaited<ReturnType<typeof rawServer>>;
  before(async () => {
    const names = Object.keys(responses);
    server = await rawServer(
      ({ path }) => responses[decodeURIComponent(path.slice(1))] ?? { writes: ['HTTP/1.1 400 x\r\n\r\n'], close: true },
    );
    assert.ok(names.length > 0);
  });
  after(() => server.close());

  it('reads every framing and head as node:http does, and as fetch does', async () => {
    for (const name of Object.keys(responses)) {
      const url = `${server.url}/${encodeURIComponent(name)}`;
      const expected = await exchanged(nodeHttp, url);
      assert.deepEqual(await exchanged(pooled, url), expected, name);
      // The same through the transport's fetch, and against undici's own parser.
      if (UNDICI_REFUSES.has(name)) continue;
      const viaFetch = await fetch(url).catch((error) => {
        throw new Error(`${name}: ${error.cause?.message}`);
      });
      const viaPoolFetch = await pooled.fetch(url);
      assert.equal(viaPoolFetch.status, viaFetch.status, name);
      const text = await viaFetch.text().catch((error) => {
        throw new Error(`${name}: ${error.message} ${error.cause?.message}`);
      });
      assert.equal(await viaPoolFetch.text(), text, name);
      // undici keeps trailing whitespace of a value that node:http (and so the transport, before the pool too) drops.
      const trimmed = (headers: Headers) => [...headers].filter(([key]) => key !== 'date').map(([key, value]) => [key, value.trim()]);
      assert.deepEqual(trimmed(viaPoolFetch.headers), trimmed(viaFetch.headers), name);
    }
  });

  it('reads a HEAD answer with a length as bodiless, and the next request on the connection as its own', async () => {
    const local = createHttpTransport();
    const head = await rawServer(({ method }, index) => ({
      writes: [
        method === 'HEAD' ? 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n' : `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nreq ${index}`,
      ],
    }));
    try {
      const first = await exchanged(local, head.url, { method: 'HEAD' });
      assert.deepEqual([first.status, first.body], [200, '']);
      assert.equal((await exchanged(local, head.url)).body, 'req 1');
      assert.equal(head.connections, 1);
    } finally {
      local.close();
      head.close();
    }
  });

  it('fails as node:http does on malformed responses and closed connections', async () => {
    const malformed: Record<string, Answer> = {
      'a length, then chunked': { writes: ['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'] },
      'a transfer coding, then a length': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc'] },
      'two different lengths': { writes: ['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'] },
      'the same length twice': { writes: ['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc'] },
      'a length list': { writes: ['HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc'] },
      'lines ended by LF alone': { writes: ['HTTP/1.1 200 OK\nContent-Length: 2\n\nok'] },
      'a header line ended by LF alone': { writes: ['HTTP/1.1 200 OK\r\nX-A: a\nContent-Length: 2\r\n\r\nok'] },
      'a lone CR in a value': { writes: ['HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n'] },
      'a lone CR in the status line': { writes: ['HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n'] },
      'a folded header line': { writes: ['HTTP/1.1 200 OK\r\nX-A: a\r\n  folded\r\nContent-Length: 0\r\n\r\n'] },
      'a header line without a colon': { writes: ['HTTP/1.1 200 OK\r\nNoColon\r\nContent-Length: 0\r\n\r\n'] },
      'a space after the chunk size': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n'] },
      'a space in a chunk extension': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3; a=b\r\nabc\r\n0\r\n\r\n'] },
      'a control character in a chunk extension': {
        writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a\x01\r\nabc\r\n0\r\n\r\n'],
      },
      'a malformed trailer': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nBad Trailer\r\n\r\n'] },
      'two spaces before the status': { writes: ['HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n'] },
      // The rest never comes (the connection stays open): refused at the first wrong byte, not after a wait.
      'no HTTP server (a Redis error line)': { writes: ["-ERR unknown command 'POST'\r\n"] },
      'a bad status, the rest of the head not sent': { writes: ['HTTP/1.1 abc\r\n'] },
      'a bad header name, the rest of the head not sent': { writes: ['HTTP/1.1 200 OK\r\nBad Header: x\r\n'] },
      'an empty Content-Length': { writes: ['HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n'] },
      'a tab after the Content-Length': { writes: ['HTTP/1.1 200 OK\r\nContent-Length: 2\t\r\n\r\nok'] },
      'a bad chunk size, its line not ended': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz'] },
      'a wrong byte after chunk data': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX'] },
      'trailers ended by LF alone': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n'] },
      'an empty chunk extension': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\nok\r\n0\r\n\r\n'] },
      'a length that is no number': { writes: ['HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\nabc'] },
      'a space before the colon': { writes: ['HTTP/1.1 200 OK\r\nContent-Type : x\r\nContent-Length: 0\r\n\r\n'] },
      'a control character in a value': { writes: ['HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n'] },
      'a chunk size that is no number': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'] },
      'chunk data without its CRLF': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n'] },
      'a head over 16 KiB': { writes: [`HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\nContent-Length: 0\r\n\r\n`] },
      'not an HTTP status line': { writes: ['HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'] },
      'an HTTP version llhttp does not take': { writes: ['HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n'] },
      'a status of two digits': { writes: ['HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n'] },
      'a status outside 200-599': { writes: ['HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n'] },
      'a control character in the reason': { writes: ['HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n'] },
      'a tab for the space after the status': { writes: ['HTTP/1.1 200\tOK\r\nContent-Length: 0\r\n\r\n'] },
      'closed before any answer': { writes: [], close: true },
      'closed inside the head': { writes: ['HTTP/1.1 200 OK\r\nContent-Le'], close: true },
      'closed inside a length body': { writes: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], close: true },
      'closed inside a chunked body': { writes: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'], close: true },
    };
    const bad = await rawServer(({ path }) => malformed[decodeURIComponent(path.slice(1))] as Answer);
    try {
      for (const name of Object.keys(malformed)) {
        const url = `${bad.url}/${encodeURIComponent(name)}`;
        const expected = await exchangeFailure(nodeHttp, url);
        assert.notEqual(expected, 'resolved', name);
        assert.deepEqual(await exchangeFailure(pooled, url), expected, name);
      }
    } finally {
      bad.close();
    }
  });
});

describe('HTTP/1.1 pool connections', () => {
  const ok = (index: number): Answer => ({ writes: [`HTTP/1.1 200 OK\r\nContent-Length: ${String(index).length}\r\n\r\n${index}`] });

  it('keeps one connection for sequential requests and several for concurrent ones', async () => {
    const transport = createHttpTransport();
    const server = await rawServer((_, index) => ({ writes: [10, ...ok(index).writes] }));
    try {
      for (let i = 0; i < 10; i++) assert.equal((await exchanged(transport, server.url)).body, String(i));
      assert.equal(server.connections, 1);
      const bodies = await Promise.all(Array.from({ length: 8 }, () => exchanged(transport, server.url).then((r) => r.body)));
      assert.equal(new Set(bodies).size, 8);
      assert.equal(server.connections, 8); // the kept one, and 7 more
    } finally {
      transport.close();
      server.close();
    }
  });

  it('does not reuse a connection the server closes or means to close (connection: close, HTTP/1.0, keep-alive timeout=1 or 0)', async () => {
    for (const head of [
      'HTTP/1.1 200 OK\r\nConnection: close',
      'HTTP/1.0 200 OK',
      'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1',
      'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=0',
    ]) {
      const transport = createHttpTransport();
      const server = await rawServer(() => ({ writes: [`${head}\r\nContent-Length: 2\r\n\r\nok`] }));
      try {
        for (let i = 0; i < 3; i++) assert.equal((await exchanged(transport, server.url)).body, 'ok');
        assert.equal(server.connections, 3, head);
      } finally {
        transport.close();
        server.close();
      }
    }
  });

  it('forgets an idle connection the server closed, and closes its own after idleTimeoutMs', async () => {
    const transport = createHttpTransport({ idleTimeoutMs: 100 });
    const closing = await rawServer((_, index) => ({ writes: ok(index).writes, close: true }));
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal((await exchanged(transport, closing.url)).body, String(i));
        await sleep(20); // the server's FIN arrives while the connection is idle
      }
      assert.equal(closing.connections, 3);
    } finally {
      closing.close();
    }
    const server = await rawServer((_, index) => ok(index));
    try {
      await exchanged(transport, server.url);
      await sleep(30);
      assert.equal((await exchanged(transport, server.url)).body, '1');
      assert.equal(server.connections, 1);
      const deadline = Date.now() + 2000;
      while (server.closed < 1 && Date.now() < deadline) await sleep(20);
      assert.equal(server.closed, 1, 'the idle connection was closed by the pool');
      assert.equal((await exchanged(transport, server.url)).body, '2');
      assert.equal(server.connections, 2);
    } finally {
      transport.close();
      server.close();
    }
  });

  it('refuses a reply over the cap without reading the rest (the connection closes), and reads a large one read late whole', async () => {
    const transport = createHttpTransport();
    const big = 'y'.repeat(32 * 1024 * 1024);
    const server = await rawServer(({ path }) =>
      path === '/chunked'
        ? {
            writes: [
              'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
              ...Array.from({ length: 50 }, () => `1000\r\n${'z'.repeat(4096)}\r\n`),
              '0\r\n\r\n',
            ],
          }
        : path === '/edge'
          ? {
              writes: [
                Buffer.concat([
                  Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${1024 * 1024 + 10}\r\n\r\n`),
                  Buffer.alloc(1024 * 1024 + 10, 120),
                ]),
              ],
            }
          : path === '/small'
            ? { writes: ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsmall'] }
            : { writes: [`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`, big] },
    );
    try {
      const reply = await (transport.exchange(`${server.url}/chunked`) as Promise<import('./http-transport.ts').TransportReply>);
      assert.deepEqual(await reply.read(10_000), { tooLarge: true });
      const deadline = Date.now() + 2000;
      while (server.closed < 1 && Date.now() < deadline) await sleep(10);
      assert.equal(server.closed, 1);
      const late = await (transport.exchange(`${server.url}/big`) as Promise<import('./http-transport.ts').TransportReply>);
      await sleep(300); // a body nobody reads yet: the pool stops reading past 1 MiB, so the server holds the rest
      assert.ok(server.unsent > 16 * 1024 * 1024, `${server.unsent} bytes left unsent`);
      const read = await late.read(64 * 1024 * 1024);
      assert.ok('body' in read);
      assert.equal(read.body.toString('latin1'), big);
      // The same through fetch (the body as a stream): nothing pulled past what the reader asked for.
      const viaFetch = await transport.fetch(`${server.url}/big`);
      await sleep(300);
      assert.ok(server.unsent > 16 * 1024 * 1024, `${server.unsent} bytes left unsent (fetch)`);
      assert.equal((await viaFetch.text()).length, big.length);
      // A body that ends in the segment that crossed the high-water mark, read late: its connection,
      // paused meanwhile, serves the next request.
      const edge = await (transport.exchange(`${server.url}/edge`) as Promise<import('./http-transport.ts').TransportReply>);
      await sleep(200);
      const edgeRead = await edge.read(64 * 1024 * 1024);
      assert.equal('body' in edgeRead && edgeRead.body.byteLength, 1024 * 1024 + 10);
      const before = server.connections;
      const next = await (transport.exchange(`${server.url}/small`, { signal: AbortSignal.timeout(3000) }) as Promise<
        import('./http-transport.ts').TransportReply
      >);
      assert.deepEqual(await next.read(100), { body: Buffer.from('small') });
      assert.equal(server.connections, before);
    } finally {
      transport.close();
      server.close();
    }
  });

  it("writes requests as node:http does: a caller's Host and Connection replace its own, a body-less PATCH says Content-Length: 0", async () => {
    const heads: string[] = [];
    const server = await rawServer(({ head }) => {
      heads.push(head);
      return { writes: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'] };
    });
    const requests: RequestInit[] = [
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: '{"text":"héllo \ud83d"}' },
      { method: 'POST', headers: { host: 'api.example.com', 'x-latin': 'caf\xe9' }, body: new TextEncoder().encode('bytes') },
      { method: 'GET', headers: { connection: 'close' } },
      { method: 'PATCH' },
      { method: 'DELETE' },
    ];
    const transports = { pool: createHttpTransport(), nodeHttp: createHttpTransport({ http1Pool: false }) };
    try {
      const seen: Record<string, string[]> = {};
      for (const [name, transport] of Object.entries(transports)) {
        heads.length = 0;
        for (const init of requests) assert.equal((await exchanged(transport, `${server.url}/v1/x?y=1`, init)).body, 'ok');
        seen[name] = [...heads];
      }
      assert.deepEqual(seen.pool, seen.nodeHttp);
      assert.equal(seen.pool?.length, requests.length);
    } finally {
      transports.pool.close();
      transports.nodeHttp.close();
      server.close();
    }
  });

  it('never keeps a process alive with an idle connection', async () => {
    const server = await rawServer((_, index) => ok(index));
    try {
      const script = `import { createHttpTransport } from ${JSON.stringify(join(import.meta.dirname, 'http-transport.ts'))};
const t = createHttpTransport({ idleTimeoutMs: 60000 });
const r = await t.exchange(${JSON.stringify(server.url)});
console.log((await r.read(100)).body.toString());`;
      const started = Date.now();
      // Asynchronously: the server answering is in this process.
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { encoding: 'utf8', timeout: 20_000 },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        ),
      );
      assert.equal(out.trim(), '0');
      assert.ok(Date.now() - started < 15_000);
      assert.equal(server.connections, 1);
    } finally {
      server.close();
    }
  });
});

/** The virtual environment .ci/run makes (uvicorn comes with the MCP SDK and OpenEnv). */
const venvPython = join(import.meta.dirname, '..', '..', 'python', '.venv', 'bin', 'python');
const hasUvicorn =
  existsSync(venvPython) &&
  (() => {
    try {
      execFileSync(venvPython, ['-c', 'import uvicorn'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

/** Starts a Python server script that prints its port on the first line. */
async function pythonServer(python: string, script: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(python, ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(Number(line));
    });
    child.once('exit', (code) => reject(new Error(`python server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

const UVICORN_APP = `
import asyncio, json, socket, uvicorn
async def app(scope, receive, send):
    if scope['type'] != 'http':
        return
    body = b''
    while True:
        message = await receive()
        body += message.get('body', b'')
        if not message.get('more_body'):
            break
    path = scope['path']
    if path == '/v1/chat/completions':
        reply = json.dumps({'id': 'chatcmpl-1', 'object': 'chat.completion', 'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': 'h\\u00e9llo ' + str(len(body))}, 'finish_reason': 'stop'}]}).encode()
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'application/json'), (b'content-length', str(len(reply)).encode())]})
        await send({'type': 'http.response.body', 'body': reply})
    elif path == '/stream':
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})
        for part in (b'one ', b'two ', b'three'):
            await send({'type': 'http.response.body', 'body': part, 'more_body': True})
            await asyncio.sleep(0.005)
        await send({'type': 'http.response.body', 'body': b''})
    else:
        await send({'type': 'http.response.start', 'status': 429, 'headers': [(b'retry-after', b'1'), (b'connection', b'close')]})
        await send({'type': 'http.response.body', 'body': b'{"error":"slow down"}'})
sock = socket.socket()
sock.bind(('127.0.0.1', 0))
sock.listen(128)
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, http='h11', log_level='error')).run(sockets=[sock])
`;

const STDLIB_SERVER = `
from http.server import BaseHTTPRequestHandler, HTTPServer
class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('content-length', 0)))
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        self.wfile.write(b'{"choices":[{"index":0,"message":{"role":"assistant","content":"old"}}]}')
    def log_message(self, *args):
        pass
server = HTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
`;

describe('HTTP/1.1 pool against real servers', () => {
  it('reads uvicorn (h11, as vLLM serves) as node:http does: lengths, chunked streaming, connection: close', {
    skip: hasUvicorn ? false : 'no python/.venv with uvicorn (.ci/run makes it)',
  }, async () => {
    const { url, child } = await pythonServer(venvPython, UVICORN_APP);
    const pooled = createHttpTransport();
    const nodeHttp = createHttpTransport({ http1Pool: false });
    try {
      const post = {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'é'.repeat(5000) }] }),
      };
      for (const [path, init] of [
        ['/v1/chat/completions', post],
        ['/stream', undefined],
        ['/limited', undefined],
        ['/v1/chat/completions', post],
      ] as [string, RequestInit | undefined][]) {
        const expected = await exchanged(nodeHttp, `${url}${path}`, init);
        assert.deepEqual(await exchanged(pooled, `${url}${path}`, init), expected, path);
      }
      // Kept alive across many requests, concurrent ones included.
      const bodies = await Promise.all(Array.from({ length: 40 }, () => exchanged(pooled, `${url}/v1/chat/completions`, post)));
      assert.ok(
        bodies.every(
          (reply) => reply.status === 200 && JSON.parse(reply.body).choices[0].message.content === `héllo ${Buffer.byteLength(post.body)}`,
        ),
      );
    } finally {
      pooled.close();
      nodeHttp.close();
      child.kill();
    }
  });

  it("reads Python's http.server (HTTP/1.0, the body ended by the connection's close) as node:http does", async () => {
    const { url, child } = await pythonServer('python3', STDLIB_SERVER);
    const pooled = createHttpTransport();
    const nodeHttp = createHttpTransport({ http1Pool: false });
    try {
      for (let i = 0; i < 3; i++) {
        const init = { method: 'POST', body: '{"n":1}' };
        const expected = await exchanged(nodeHttp, `${url}/v1/chat/completions`, init);
        assert.deepEqual(await exchanged(pooled, `${url}/v1/chat/completions`, init), expected);
        assert.equal(expected.body.includes('old'), true);
      }
    } finally {
      pooled.close();
      nodeHttp.close();
      child.kill();
    }
  });
});
