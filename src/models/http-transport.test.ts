import assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { createHttpTransport, readTransportBody } from './http-transport.ts';
import { ModelHub } from './model-hub.ts';
import { fetchFailure } from '../testing/fetch-failure.ts';

/** A server whose routes cover what fetch does for us: echo, codings, redirects, statuses, slow replies. */
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const payload = JSON.stringify({ greeting: 'héllo', n: [1, 2, 3], long: 'x'.repeat(5000) });
    const path = url.pathname;
    if (path === '/echo') {
      // Request headers as received, minus what differs per connection (host port is the same server).
      const headers = Object.entries(req.headers)
        .filter(([name]) => name !== 'connection')
        .sort(([a], [b]) => a.localeCompare(b));
      res.writeHead(201, 'Made It', { 'content-type': 'application/json', 'x-multi': ['a', 'b'], 'set-cookie': ['c=1', 'd=2'] });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers, body }));
    } else if (path === '/gzip') {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      res.end(zlib.gzipSync(payload));
    } else if (path === '/gzip-then-br') {
      // Two codings in two header lines: read as one list, as Headers.get joins them.
      res.setHeader('content-encoding', ['gzip', 'br']);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(zlib.brotliCompressSync(zlib.gzipSync(payload)));
    } else if (path === '/deflate') {
      res.writeHead(200, { 'content-encoding': 'deflate' });
      res.end(zlib.deflateSync(payload));
    } else if (path === '/deflate-raw') {
      res.writeHead(200, { 'content-encoding': 'deflate' });
      res.end(zlib.deflateRawSync(payload));
    } else if (path === '/br') {
      res.writeHead(200, { 'content-encoding': 'br' });
      res.end(zlib.brotliCompressSync(payload));
    } else if (path === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part one, ');
      setTimeout(() => res.end('part two'), 5);
    } else if (path.startsWith('/redirect/')) {
      const [, , status, hops] = path.split('/');
      const left = Number(hops ?? 1) - 1;
      res.writeHead(Number(status), { location: left > 0 ? `/redirect/${status}/${left}` : '/echo?after=redirect' });
      res.end();
    } else if (path === '/status/429') {
      res.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' });
      res.end('{"error":{"message":"slow down"}}');
    } else if (path === '/status/204') {
      res.writeHead(204);
      res.end();
    } else if (path === '/slow') {
      setTimeout(() => res.end('late'), 5000).unref();
    } else if (path === '/slow-body') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first');
      setTimeout(() => res.end('rest'), 5000).unref();
    } else if (path === '/v1/chat/completions') {
      // A model reply far over the cap, compressed and chunked (no content-length to refuse early).
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(
        zlib.gzipSync(JSON.stringify({ id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'z'.repeat(300_000) } }] })),
      );
    } else if (path === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('y'.repeat(200_000));
    } else {
      res.writeHead(404);
      res.end('no');
    }
  });
}

/** What a caller can see of a response, comparable between fetch and the transport. */
async function seen(response: Response) {
  const headers = [...response.headers].filter(([name]) => name !== 'date' && name !== 'keep-alive' && name !== 'connection');
  return { status: response.status, statusText: response.statusText, ok: response.ok, headers, body: await response.text() };
}

describe('http transport, side by side with Node fetch', () => {
  const transport = createHttpTransport();
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer(handle);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    transport.close();
    server.closeAllConnections();
    server.close();
  });

  const both = async (path: string, init?: RequestInit) => ({
    fetch: await seen(await fetch(`${base}${path}`, init)),
    transport: await seen(await transport.fetch(`${base}${path}`, init)),
  });

  it('sends the same request (headers fetch adds included) and reads the same response', async () => {
    for (const init of [
      undefined,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k', 'user-agent': 'ai-sdk/x' },
        body: '{"a":"é"}',
      },
      { method: 'POST', headers: new Headers({ 'X-Custom': 'v', accept: 'application/json' }), body: 'plain text' },
      { method: 'PUT', headers: [['x-list', 'one']] as [string, string][], body: new TextEncoder().encode('bytes') },
      { method: 'POST', body: new URLSearchParams({ q: 'a b' }) },
    ] as (RequestInit | undefined)[]) {
      const { fetch: expected, transport: got } = await both('/echo?x=1', init);
      assert.deepEqual(got, expected);
    }
  });

  it('decodes gzip, deflate (zlib and raw) and br as fetch does, and keeps chunked bodies whole', async () => {
    for (const path of ['/gzip', '/gzip-then-br', '/deflate', '/deflate-raw', '/br', '/chunked']) {
      const { fetch: expected, transport: got } = await both(path);
      assert.deepEqual(got, expected, path);
      assert.ok(!got.body.includes('\uFFFD'), path);
    }
  });

  it('follows redirects like redirect: follow (303 and 301/302 after POST become GET; 307 keeps the body) and stops after 20', async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"keep":1}' };
      const { fetch: expected, transport: got } = await both(`/redirect/${status}/3`, init);
      assert.deepEqual(got, expected, String(status));
    }
    const url = `${base}/redirect/302/1`;
    const [viaFetch, viaTransport] = [await fetch(url), await transport.fetch(url)];
    assert.deepEqual([viaTransport.redirected, viaTransport.url], [viaFetch.redirected, viaFetch.url]);
    assert.deepEqual(await fetchFailure(transport.fetch(`${base}/redirect/302/21`)), await fetchFailure(fetch(`${base}/redirect/302/21`)));
  });

  it('gives the same statuses, Retry-After and empty bodies', async () => {
    for (const path of ['/status/429', '/status/204', '/missing']) {
      const { fetch: expected, transport: got } = await both(path);
      assert.deepEqual(got, expected, path);
    }
    const head = await both('/echo', { method: 'HEAD' });
    assert.deepEqual(head.transport, head.fetch);
  });

  it('fails as fetch: refused connection, unknown host, bad port, invalid URL, GET with a body', async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    for (const url of [
      `http://127.0.0.1:${port}/v1`,
      'http://127.0.0.1:9/v1',
      'http://127.0.0.1:6000/v1',
      'http://nonexistent.invalid/v1',
      'http://[::1/',
    ]) {
      const expected = await fetchFailure(fetch(url, { method: 'POST', body: '{}' }));
      const got = await fetchFailure(transport.fetch(url, { method: 'POST', body: '{}' }));
      assert.deepEqual(got, expected, url);
    }
    assert.deepEqual(
      await fetchFailure(transport.fetch(`${base}/echo`, { body: 'x' })),
      await fetchFailure(fetch(`${base}/echo`, { body: 'x' })),
    );
  });

  it('aborts as fetch: before sending, while waiting for the head, and while reading the body (the signal reason)', async () => {
    const aborted = new AbortController();
    aborted.abort(new Error('mine'));
    assert.deepEqual(
      await fetchFailure(transport.fetch(`${base}/echo`, { signal: aborted.signal })),
      await fetchFailure(fetch(`${base}/echo`, { signal: aborted.signal })),
    );
    assert.deepEqual(
      await fetchFailure(transport.fetch(`${base}/slow`, { signal: AbortSignal.timeout(50) })),
      await fetchFailure(fetch(`${base}/slow`, { signal: AbortSignal.timeout(50) })),
    );
    const bodyRead = async (call: typeof fetch) => {
      const controller = new AbortController();
      const response = await call(`${base}/slow-body`, { signal: controller.signal });
      setTimeout(() => controller.abort(), 30);
      return fetchFailure(response.text());
    };
    assert.deepEqual(await bodyRead(transport.fetch), await bodyRead(fetch));
  });

  it('lets the hub read a body directly with a cap, and only bodies nobody read yet', async () => {
    const direct = await transport.fetch(`${base}/big`);
    assert.deepEqual(await readTransportBody(direct, 1000), { tooLarge: true });
    const whole = await readTransportBody(await transport.fetch(`${base}/gzip`), 1_000_000);
    assert.ok(whole && 'body' in whole);
    assert.equal(whole.body.toString('utf8'), await (await fetch(`${base}/gzip`)).text());
    const read = await transport.fetch(`${base}/echo`);
    await read.text();
    assert.equal(readTransportBody(read, 1000), undefined);
    assert.equal(readTransportBody(await fetch(`${base}/echo`), 1000), undefined);
  });

  it('refuses a URL with credentials as fetch does', async () => {
    const url = base.replace('http://', 'http://me:pw@');
    assert.deepEqual(await fetchFailure(transport.fetch(url)), await fetchFailure(fetch(url)));
  });

  it('keeps the reply cap of a model: a compressed reply over maxReplyBytes fails as with fetch', async () => {
    const outcome = async (fetchOption: typeof fetch | undefined) => {
      const hub = new ModelHub({
        env: {},
        models: {
          m: { provider: 'openai-compatible', model: 'm', baseURL: `${base}/v1`, limits: { maxReplyBytes: 100_000, maxRetries: 0 } },
        },
        ...(fetchOption ? { fetch: fetchOption } : {}),
      });
      return fetchFailure(hub.session('m', { role: 'agent', trial: 0, seed: 1 }).generate({ messages: [{ role: 'user', content: 'hi' }] }));
    };
    const viaTransport = await outcome(undefined);
    assert.deepEqual(viaTransport, await outcome(fetch));
    assert.match((viaTransport as { message: string }).message, /reply too large: more than the limit of 100000 bytes/);
  });

  it("gives the SDK the same Response over the hub's transport (its bare exchange) as over Node fetch", async () => {
    // The session's fetch is what the provider calls: status, headers and body as the SDK reads them.
    const sessionFetch = (fetchOption: typeof fetch | undefined) => {
      const hub = new ModelHub({
        env: {},
        models: { m: { provider: 'openai-compatible', model: 'm', baseURL: `${base}/v1` } },
        ...(fetchOption ? { fetch: fetchOption } : {}),
      });
      const session = hub.session('m', { role: 'agent', trial: 0, seed: 1 });
      return (session as unknown as { fetch: typeof fetch }).fetch;
    };
    const [viaExchange, viaFetch] = [sessionFetch(undefined), sessionFetch(fetch)];
    for (const [path, init] of [
      ['/echo?x=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"é"}' }],
      ['/gzip', undefined],
      ['/gzip-then-br', undefined],
      ['/deflate', undefined],
      ['/br', undefined],
      ['/chunked', undefined],
      ['/redirect/303/2', { method: 'POST', body: '{}' }],
      ['/status/429', undefined],
      ['/status/204', undefined],
      ['/missing', undefined],
      ['/echo', { method: 'HEAD' }],
    ] as [string, RequestInit | undefined][]) {
      const expected = await seen(await viaFetch(`${base}${path}`, init));
      const got = await viaExchange(`${base}${path}`, init);
      // A null body for the null-body statuses (here 204), a body (maybe empty) everywhere else, HEAD included.
      assert.equal(got.body === null, path === '/status/204', path);
      assert.deepEqual(await seen(got), expected, path);
    }
    for (const [url, timeoutMs] of [
      [`${base}/slow`, 50],
      [`${base}/slow-body`, 50],
      ['http://127.0.0.1:9/v1', undefined],
      [`${base}/redirect/302/21`, undefined],
    ] as [string, number | undefined][]) {
      const init = () => (timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {});
      assert.deepEqual(await fetchFailure(viaExchange(url, init())), await fetchFailure(viaFetch(url, init())), url);
    }
  });

  it('checks https certificates against the default CAs as fetch does (a self-signed one is refused)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-days',
          '1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        {
          stdio: 'ignore',
        },
      );
      const tls = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, handle);
      tls.listen(0, '127.0.0.1');
      await once(tls, 'listening');
      const url = `https://localhost:${(tls.address() as AddressInfo).port}/echo`;
      const expected = await fetchFailure(fetch(url));
      assert.deepEqual(await fetchFailure(transport.fetch(url)), expected);
      assert.equal((expected as { cause: { code: string } }).cause.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      tls.closeAllConnections();
      tls.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reuses connections (keep-alive) under concurrency', async () => {
    const sockets = new Set<unknown>();
    const onConnection = (socket: unknown) => sockets.add(socket);
    server.on('connection', onConnection);
    for (let round = 0; round < 3; round++)
      await Promise.all(Array.from({ length: 8 }, () => transport.fetch(`${base}/echo`).then((r) => r.text())));
    server.off('connection', onConnection);
    assert.ok(sockets.size <= 8, `${sockets.size} connections for 24 requests, 8 at a time`);
  });
});
