import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { createLeanServer, parseHead, type LeanServer } from '../../src/gateway/http-server.js';

/** Sends raw bytes on a fresh connection; resolves with everything received until the server closes or `ms` pass. */
function exchange(port: number, chunks: (string | Buffer)[], opts: { gapMs?: number; ms?: number; end?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const finish = () => { clearTimeout(t); s.destroy(); resolve(out); };
    const t = setTimeout(finish, opts.ms ?? 2000);
    s.on('data', (d: Buffer) => { out += d.toString('latin1'); });
    s.on('close', finish);
    s.on('error', () => undefined);
    s.on('connect', () => {
      void (async () => {
        for (const c of chunks) {
          if (s.destroyed) break;
          s.write(c);
          if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        }
        if (opts.end && !s.destroyed) s.end();
      })();
    });
  });
}

const statuses = (raw: string): number[] => [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

function req(body: string, extra = '', target = '/v2'): string {
  return `POST ${target} HTTP/1.1\r\nHost: gw\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

describe('gateway HTTP/1.1 server', () => {
  let lean: LeanServer;
  let port: number;
  const seen: { method: string; target: string; body: string; headers: Record<string, string> }[] = [];
  let maxQueued = 0;
  before(async () => {
    lean = createLeanServer({ maxHeaderBytes: 2048, maxHeaders: 16, maxBodyBytes: 1024, headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 400 }, (r, res) => {
      if (r.target === '/fast') {
        maxQueued = Math.max(maxQueued, r.socket.writableLength);
        res.send(200, '{"ok":true}');
        return;
      }
      seen.push({ method: r.method, target: r.target, body: r.body.toString('utf8'), headers: { ...r.headers } });
      // Answers out of step with arrival, so ordering is the server's doing, not luck.
      const delay = r.body.toString().includes('slow') ? 50 : 0;
      setTimeout(() => res.send(200, JSON.stringify({ echo: r.body.toString('utf8') }), r.target === '/extra' ? 'retry-after: 3\r\n' : ''), delay);
    });
    await new Promise<void>((r) => lean.server.listen(0, '127.0.0.1', r));
    port = (lean.server.address() as AddressInfo).port;
  });
  after(async () => {
    lean.closeAllConnections();
    lean.stop();
    await new Promise<void>((r) => lean.server.close(() => r()));
  });

  it('answers pipelined requests in order on one connection, with framing and headers', async () => {
    const raw = await exchange(port, [req('{"a":"slow"}') + req('{"b":2}') + req('', '', '/extra')], { ms: 600 });
    assert.deepEqual(statuses(raw), [200, 200, 200]);
    const bodies = raw.split('HTTP/1.1 200 OK\r\n').slice(1).map((part) => part.slice(part.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(bodies, ['{"echo":"{\\"a\\":\\"slow\\"}"}', '{"echo":"{\\"b\\":2}"}', '{"echo":""}']);
    assert.ok(raw.includes(`content-length: ${Buffer.byteLength(JSON.stringify({ echo: '{"a":"slow"}' }))}\r\n`));
    assert.match(raw, /\r\nretry-after: 3\r\n/);
    assert.match(raw, /\r\ndate: \w{3}, \d\d \w{3} \d{4} /);
  });

  it('reads a body split across packets and one sent after 100 Continue', async () => {
    const head = 'POST /v2 HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\ncontent-length: 7\r\n\r\n';
    const raw = await exchange(port, [head, '{"x"', ':1}'], { gapMs: 30, ms: 500 });
    assert.ok(raw.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK'), raw);
    assert.ok(seen.some((s) => s.body === '{"x":1}'));
  });

  it('closes after the answer for HTTP/1.0 and Connection: close, keeps HTTP/1.1 open', async () => {
    const t0 = Date.now();
    const r10 = await exchange(port, ['POST /v2 HTTP/1.0\r\ncontent-length: 2\r\n\r\n{}'], { ms: 2000 });
    assert.ok(Date.now() - t0 < 1000, 'HTTP/1.0 connection left open');
    assert.match(r10, /connection: close\r\n/);
    const rc = await exchange(port, [req('{}', 'Connection: close\r\n')], { ms: 2000 });
    assert.match(rc, /connection: close\r\n/);
    // Keep-alive: a second request 100 ms later on the same socket is answered.
    const rk = await exchange(port, [req('{}'), req('{}')], { gapMs: 100, ms: 350 });
    assert.deepEqual(statuses(rk), [200, 200]);
  });

  it('answers a request whose sender half-closes right after it', async () => {
    const raw = await exchange(port, [req('{"half":1}')], { end: true, ms: 1000 });
    assert.deepEqual(statuses(raw), [200]);
  });

  it('stops reading a client that pipelines requests but never reads the answers', async () => {
    const total = 60_000;
    const one = req('{}', '', '/fast');
    const s = net.connect(port, '127.0.0.1');
    s.pause(); // never read
    await new Promise<void>((r) => s.once('connect', () => r()));
    const batch = one.repeat(1000);
    for (let i = 0; i < total / 1000; i++) s.write(batch);
    await new Promise((r) => setTimeout(r, 1500));
    s.destroy();
    // The kernel's socket buffers take some answers; past them, answers would pile up in the
    // server's memory (about 9 MB for these) unless it stops reading requests.
    assert.ok(maxQueued < 256 * 1024, `${maxQueued} bytes of answers queued in the server for a client that reads nothing`);
  });

  it('refuses smuggling-prone and malformed framing with the right status and closes', async () => {
    const cases: [string, number][] = [
      ['POST /v2 HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n', 411],
      ['POST /v2 HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip\r\ncontent-length: 2\r\n\r\n{}', 501],
      ['POST /v2 HTTP/1.1\r\nHost: gw\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\n{}', 400],
      ['POST /v2 HTTP/1.1\r\nHost: gw\r\ncontent-length: +2\r\n\r\n{}', 400],
      ['POST /v2 HTTP/1.1\r\nHost: gw\r\nHost: other\r\n\r\n', 400],
      ['POST /v2 HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}', 400],
      ['POST /v2 HTTP/1.1\nHost: gw\r\n\r\n', 400],
      ['POST /v2 HTTP/1.1\r\nHost: gw\r\nX-A: 1\r\n  folded\r\n\r\n', 400],
      ['POST /v2 HTTP/1.1\r\nHost : gw\r\n\r\n', 400],
      ['POST /v2 HTTP/1.1\r\nHost: g\x00w\r\n\r\n', 400],
      ['POST http://evil/v2 HTTP/1.1\r\nHost: gw\r\n\r\n', 400],
      ['POST /v2 HTTP/2.0\r\nHost: gw\r\n\r\n', 505],
      ['POSTPOST /v2 HTTP/1.1\r\nHost: gw\r\n\r\n', 400],
      ['POST /v2 HTTP/1.1\r\nHost: gw\r\nExpect: tea\r\n\r\n', 417],
      [`POST /v2 HTTP/1.1\r\nHost: gw\r\ncontent-length: 5000\r\n\r\n`, 413],
      [`POST /v2 HTTP/1.1\r\nHost: gw\r\n${'X-Pad: y\r\n'.repeat(20)}\r\n`, 431],
      [`POST /v2 HTTP/1.1\r\nHost: gw\r\nX-Big: ${'y'.repeat(3000)}\r\n\r\n`, 431],
    ];
    for (const [bytes, status] of cases) {
      const t0 = Date.now();
      const raw = await exchange(port, [bytes, req('{"after":1}')], { gapMs: 20, ms: 1500 });
      assert.deepEqual(statuses(raw), [status], JSON.stringify(bytes.slice(0, 80)));
      assert.match(raw, /connection: close\r\n/);
      assert.ok(Date.now() - t0 < 1400, `connection not closed after ${status}`);
    }
    assert.ok(!seen.some((s) => s.body === '{"after":1}'), 'a request after a refused one was handled');
  });

  it('cuts off a slow head with 408, a slow body with 408, and an idle connection silently', async () => {
    const slowHead = await exchange(port, ['POST /v2 HTTP/1.1\r\n', 'Host: gw\r\n', 'X-1: a\r\n', 'X-2: b\r\n', 'X-3: c\r\n', 'X-4: d\r\n'], { gapMs: 100, ms: 3000 });
    assert.deepEqual(statuses(slowHead), [408]);
    const slowBody = await exchange(port, ['POST /v2 HTTP/1.1\r\nHost: gw\r\ncontent-length: 100\r\n\r\n', ...Array.from({ length: 20 }, () => 'x')], { gapMs: 100, ms: 4000 });
    assert.deepEqual(statuses(slowBody), [408]);
    const t0 = Date.now();
    const idle = await exchange(port, [], { ms: 3000 });
    assert.equal(idle, '');
    assert.ok(Date.now() - t0 < 2000, 'idle connection not closed');
  });

  it('never accepts what Node\'s own parser (llhttp) refuses, and agrees with it on what both accept', async () => {
    // The reference: a node:http server fed the same bytes records what llhttp made of them.
    const ref: { method: string; url: string; headers: Record<string, string>; body: string }[] = [];
    const nodeServer = http.createServer((r, res) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        const headers: Record<string, string> = {};
        for (let i = 0; i < r.rawHeaders.length; i += 2) {
          const k = r.rawHeaders[i]!.toLowerCase();
          headers[k] = headers[k] === undefined ? r.rawHeaders[i + 1]! : `${headers[k]}, ${r.rawHeaders[i + 1]!}`;
        }
        ref.push({ method: r.method!, url: r.url!, headers, body: Buffer.concat(chunks).toString('latin1') });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => nodeServer.listen(0, '127.0.0.1', r));
    const nodePort = (nodeServer.address() as AddressInfo).port;
    const piece = fc.constantFrom('POST', 'GET', ' ', '/v2', '/v2?x=1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/1.2', '\r\n', '\n', '\r', ':', ': ', 'Host', 'host: a', 'Content-Length', 'content-length: 2', 'content-length: 02',
      'content-length: -1', 'Transfer-Encoding: chunked', 'X-A', ' x', '\t', '\x00', '\x7f', 'é', '{}', 'Connection: close', 'Expect: 100-continue', 'a b');
    const valid = fc.record({
      method: fc.constantFrom('POST', 'GET', 'PUT'),
      target: fc.constantFrom('/v2', '/v2?a=b', '/health', '/%41'),
      headers: fc.array(fc.tuple(fc.constantFrom('X-Api-Key', 'Authorization', 'X-Forwarded-For', 'Accept', 'X-Custom', 'content-type'), fc.stringMatching(/^[!-~]([ !-~]{0,20}[!-~])?$/)), { maxLength: 6 }),
      body: fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')),
    }).map((r) => `${r.method} ${r.target} HTTP/1.1\r\nHost: gw\r\n${r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}content-length: ${r.body.length}\r\n\r\n${r.body}`);
    const mutated = fc.tuple(valid, fc.nat(200), fc.array(piece, { minLength: 1, maxLength: 3 })).map(([v, at, ins]) => v.slice(0, at % v.length) + ins.join('') + v.slice(at % v.length));
    const noise = fc.array(piece, { minLength: 3, maxLength: 14 }).map((a) => `${a.join('')}\r\n\r\n`);
    try {
      await fc.assert(fc.asyncProperty(fc.oneof(valid, mutated, noise), async (bytes) => {
        const buf = Buffer.from(bytes, 'latin1');
        let mine: ReturnType<typeof parseHead> | undefined;
        const end = buf.indexOf('\r\n\r\n');
        try { if (end >= 0) mine = parseHead(buf.subarray(0, end), 64); } catch { mine = undefined; }
        // Only whole requests as anoguard frames them are compared; what follows is another request.
        if (mine === undefined || buf.length < end + 4 + mine.contentLength) return;
        ref.length = 0;
        const raw = await exchange(nodePort, [buf.subarray(0, end + 4 + mine.contentLength)], { ms: 300, end: true });
        const theirs = ref[0];
        assert.ok(theirs !== undefined && raw.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '').startsWith('HTTP/1.1 200'), `accepted by anoguard, refused by llhttp: ${JSON.stringify(bytes)} → ${raw.slice(0, 40)}`);
        assert.equal(theirs.method, mine.method);
        assert.equal(theirs.url, mine.target);
        for (const [k, v] of Object.entries(mine.headers)) assert.equal(theirs.headers[k], v, `header ${k} of ${JSON.stringify(bytes)}`);
        assert.equal(theirs.body.length, mine.contentLength);
      }), { numRuns: 400 });
    } finally {
      nodeServer.closeAllConnections();
      await new Promise<void>((r) => nodeServer.close(() => r()));
    }
  });
});
