import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHttp1Pool, Http1Error } from '../../src/gateway/http1.js';

/**
 * A raw TCP server that answers each request (detected by its blank line and Content-Length)
 * with whatever `answer` writes, so the tests control every byte and every split.
 */
async function rawServer(answer: (sock: net.Socket, req: string, n: number) => void): Promise<{ port: number; connections: () => number; requests: string[]; close: () => Promise<void> }> {
  let connections = 0;
  const requests: string[] = [];
  const socks = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    connections++;
    socks.add(sock);
    sock.on('close', () => socks.delete(sock));
    sock.on('error', () => { /* the client may reset */ });
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const req = buf.slice(0, end + 4 + len);
        buf = buf.slice(end + 4 + len);
        requests.push(req);
        answer(sock, req, requests.length);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    requests,
    close: () => new Promise<void>((r) => { for (const s of socks) s.destroy(); server.close(() => r()); }),
  };
}

const target = (port: number) => ({ host: '127.0.0.1', port, tls: false, path: '/v2', extraHeaders: 'Authorization: Basic Zm9vOmJhcg==\r\n' });
const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** Writes `text` one byte at a time, each in its own TCP segment, to exercise every split. */
async function trickle(sock: net.Socket, text: string): Promise<void> {
  for (const ch of Buffer.from(text)) {
    sock.write(Buffer.from([ch]));
    await new Promise((r) => setImmediate(r));
  }
}

describe('gateway upstream HTTP/1.1 client', () => {
  const closers: (() => unknown)[] = [];
  after(async () => { for (const c of closers.reverse()) await c(); });

  it('sends the request line, headers and body, and reuses one kept-alive connection', async () => {
    // The raw server reads bytes as latin1; turn the body back into UTF-8 to compare.
    const srv = await rawServer((sock, req) => sock.write(ok(`{"echo":${JSON.stringify(Buffer.from(req.slice(req.indexOf('\r\n\r\n') + 4), 'latin1').toString('utf8'))}}`)));
    closers.push(srv.close);
    const pool = createHttp1Pool(target(srv.port), { maxSockets: 4, idleTimeoutMs: 5000 });
    closers.push(() => pool.close());
    for (let i = 0; i < 3; i++) {
      const r = await pool.request(`{"n":${i},"s":"é"}`, 2000, 1 << 20, true);
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body.toString()), { echo: `{"n":${i},"s":"é"}` });
    }
    assert.equal(srv.connections(), 1);
    const head = srv.requests[0]!;
    assert.match(head, /^POST \/v2 HTTP\/1\.1\r\n/);
    assert.match(head, new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${srv.port}\r\n`));
    assert.match(head, /\r\nAuthorization: Basic Zm9vOmJhcg==\r\n/);
    assert.match(head, /\r\nContent-Length: 16\r\n/); // 15 characters, "é" is two bytes
  });

  it('decodes chunked bodies split at every byte, with extensions and trailers', async () => {
    const body = '{"result":{"leaderheight":1234,"pad":"' + 'x'.repeat(300) + '"}}';
    const chunks = [body.slice(0, 7), body.slice(7, 200), body.slice(200)];
    const wire = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunks.map((c, i) => `${c.length.toString(16)}${i === 1 ? ';ext=1' : ''}\r\n${c}\r\n`).join('')}0\r\nX-Trailer: t\r\n\r\n`;
    const srv = await rawServer((sock, _req, n) => { if (n === 1) void trickle(sock, wire); else sock.write(wire); });
    closers.push(srv.close);
    const pool = createHttp1Pool(target(srv.port), { maxSockets: 2, idleTimeoutMs: 5000 });
    closers.push(() => pool.close());
    const a = await pool.request('{}', 5000, 1 << 20, true);
    assert.equal(a.body.toString(), body);
    const b = await pool.request('{}', 5000, 1 << 20, true);
    assert.equal(b.body.toString(), body);
    assert.equal(srv.connections(), 1, 'connection reused after a chunked answer');
  });

  it('reads a body without framing up to the close, and skips a 100 Continue', async () => {
    const srv = await rawServer((sock, _req, n) => {
      if (n === 1) sock.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"a":1}');
      else sock.write(`HTTP/1.1 100 Continue\r\n\r\n${ok('{"b":2}')}`);
    });
    closers.push(srv.close);
    const pool = createHttp1Pool(target(srv.port), { maxSockets: 2, idleTimeoutMs: 5000 });
    closers.push(() => pool.close());
    assert.equal((await pool.request('{}', 2000, 1024, true)).body.toString(), '{"a":1}');
    const r = await pool.request('{}', 2000, 1024, true);
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), '{"b":2}');
  });

  it('refuses oversized, ambiguous or malformed answers', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n',
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n${'y'.repeat(1024)}\r\n400\r\n${'y'.repeat(1024)}\r\n0\r\n\r\n`,
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n{}',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      'SMTP ready\r\n\r\n',
      `HTTP/1.1 200 OK\r\nX-Big: ${'h'.repeat(70 * 1024)}\r\n\r\n`,
    ];
    const srv = await rawServer((sock, _req, n) => sock.write(answers[n - 1]!));
    closers.push(srv.close);
    const pool = createHttp1Pool(target(srv.port), { maxSockets: 1, idleTimeoutMs: 5000 });
    closers.push(() => pool.close());
    const messages: string[] = [];
    for (let i = 0; i < answers.length; i++) {
      await assert.rejects(pool.request('{}', 2000, 1500, true), (e: unknown) => { messages.push((e as Error).message); return e instanceof Http1Error; }, `answer ${i}`);
    }
    assert.match(messages[0]!, /larger than 1500/);
    assert.match(messages[1]!, /larger than 1500/);
    assert.match(messages[2]!, /both content-length and chunked/);
    assert.match(messages[3]!, /content-length/);
    assert.match(messages[4]!, /transfer-encoding/);
    assert.match(messages[5]!, /chunk size/);
    assert.match(messages[6]!, /status line/);
    assert.match(messages[7]!, /head too large/);
    assert.equal(srv.connections(), answers.length, 'a connection that carried a bad answer is never reused');
  });

  it('retries a read once when a kept-alive connection turns out closed, never a write', async () => {
    // The server answers the first request on each connection, then drops the connection when the
    // next request arrives, without a byte: what a server's idle timeout racing a reuse looks like.
    const perConn = new WeakMap<net.Socket, number>();
    const srv = await rawServer((sock) => {
      const n = (perConn.get(sock) ?? 0) + 1;
      perConn.set(sock, n);
      if (n === 1) sock.write(ok('{"ok":true}')); else sock.destroy();
    });
    closers.push(srv.close);
    const pool = createHttp1Pool(target(srv.port), { maxSockets: 2, idleTimeoutMs: 5000 });
    closers.push(() => pool.close());
    assert.equal((await pool.request('{}', 2000, 1024, true)).status, 200);
    assert.equal((await pool.request('{}', 2000, 1024, true)).status, 200, 'read retried on a new connection');
    await assert.rejects(pool.request('{"write":1}', 2000, 1024, false), Http1Error);
  });

  it('times out a silent upstream and frees the connection', async () => {
    const srv = await rawServer(() => { /* never answers */ });
    closers.push(srv.close);
    const pool = createHttp1Pool(target(srv.port), { maxSockets: 1, idleTimeoutMs: 5000 });
    closers.push(() => pool.close());
    const t0 = Date.now();
    await assert.rejects(pool.request('{}', 300, 1024, true), /timeout after 300 ms/);
    assert.ok(Date.now() - t0 < 2000);
    // The single slot is free again: the next request is sent (and times out too) rather than queued forever.
    await assert.rejects(pool.request('{}', 300, 1024, true), /timeout/);
    assert.equal(srv.requests.length, 2);
  });

  it('queues requests beyond maxSockets and serves them in turn', async () => {
    const srv = await rawServer((sock, req) => setTimeout(() => sock.write(ok(req.slice(req.indexOf('\r\n\r\n') + 4))), 20));
    closers.push(srv.close);
    const pool = createHttp1Pool(target(srv.port), { maxSockets: 2, idleTimeoutMs: 5000 });
    closers.push(() => pool.close());
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.request(`{"i":${i}}`, 5000, 1024, true)));
    assert.deepEqual(replies.map((r) => JSON.parse(r.body.toString()) as unknown), Array.from({ length: 10 }, (_, i) => ({ i })));
    assert.ok(srv.connections() <= 2, `${srv.connections()} connections`);
    assert.ok(pool.openConnections() <= 2);
  });

  it('close() fails calls in flight and queued at once instead of waiting for their timeout', async () => {
    const srv = await rawServer(() => { /* never answers */ });
    closers.push(srv.close);
    const pool = createHttp1Pool(target(srv.port), { maxSockets: 1, idleTimeoutMs: 5000 });
    const t0 = Date.now();
    const inFlight = pool.request('{}', 10_000, 1024, true);
    const queued = pool.request('{}', 10_000, 1024, true);
    setTimeout(() => pool.close(), 100);
    await Promise.all([assert.rejects(inFlight, Http1Error), assert.rejects(queued, /client closed/)]);
    assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
  });

  it('fails a connection refused as an error, not a hang', async () => {
    const srv = await rawServer(() => undefined);
    const port = srv.port;
    await srv.close();
    const pool = createHttp1Pool(target(port), { maxSockets: 1, idleTimeoutMs: 5000 });
    closers.push(() => pool.close());
    await assert.rejects(pool.request('{}', 2000, 1024, true), Http1Error);
  });
});
