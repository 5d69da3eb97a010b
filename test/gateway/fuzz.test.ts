import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { pino } from 'pino';
import { startGateway, parseGatewayConfig, newApiKey, type Gateway } from '../../src/gateway/index.js';
import { startFakeFactomd, type FakeFactomd } from '../helpers/fake-factomd.js';
import { selfSignedCert } from '../helpers/tls.js';

const cert = selfSignedCert();
const key = newApiKey();
const agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: cert.cert });

function post(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL('/v2', url), { method: 'POST', agent, headers: { 'x-api-key': key.key, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const jsonRpcish = fc.record({
  jsonrpc: fc.oneof(fc.constant('2.0'), fc.string(), fc.integer()),
  id: fc.oneof(fc.string({ maxLength: 300 }), fc.double(), fc.integer(), fc.constant(null), fc.object()),
  method: fc.oneof(fc.constantFrom('heights', 'properties', 'send-raw-message', 'commit-entry', 'entry'), fc.string({ maxLength: 80 })),
  params: fc.oneof(fc.object({ maxDepth: 12 }), fc.string(), fc.integer(), fc.constant(undefined)),
}, { requiredKeys: [] });

const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 6000 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 2000 }).map((s) => Buffer.from(s)),
  fc.json({ maxDepth: 20 }).map((s) => Buffer.from(s)),
  jsonRpcish.map((o) => Buffer.from(JSON.stringify(o))),
  fc.array(jsonRpcish, { maxLength: 20 }).map((a) => Buffer.from(JSON.stringify(a))),
  fc.integer({ min: 1, max: 5000 }).map((n) => Buffer.from(`${'['.repeat(n)}${']'.repeat(n)}`)),
);

describe('gateway under malformed input', () => {
  let up: FakeFactomd;
  let gw: Gateway;
  before(async () => {
    up = await startFakeFactomd({ height: 10 });
    gw = await startGateway(parseGatewayConfig({
      listen: { host: '127.0.0.1', port: 0 },
      tls: { cert: cert.certPath, key: cert.keyPath },
      upstreams: [{ url: up.url }],
      auth: { apiKeys: [{ name: 'fuzz', sha256: key.sha256 }] },
      limits: { perKey: { rps: 100_000, burst: 0 }, maxBodyBytes: 4096, headersTimeoutMs: 500, requestTimeoutMs: 1000 },
      cache: { ttlMs: 0 },
    }), { logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    agent.destroy();
    await gw.close();
    await up.close();
    rmSync(cert.dir, { recursive: true, force: true });
  });

  it('always answers with a JSON-RPC shaped reply and stays up, with bounded memory', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const r = await post(gw.url, body);
        assert.ok([200, 400, 403, 413].includes(r.status), `status ${r.status}`);
        const parsed: unknown = JSON.parse(r.body);
        assert.equal(typeof parsed, 'object');
      }),
      { numRuns: 400 },
    );
    const ok = await post(gw.url, Buffer.from('{"jsonrpc":"2.0","id":1,"method":"heights"}'));
    assert.equal(ok.status, 200);
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${grown} bytes`);
  });

  it('cuts off a sender that trickles its body', async () => {
    const u = new URL(gw.url);
    const ms = await new Promise<number>((resolve, reject) => {
      const t0 = Date.now();
      const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: cert.cert, servername: 'localhost' }, () => {
        s.write(`POST /v2 HTTP/1.1\r\nHost: x\r\nx-api-key: ${key.key}\r\ncontent-type: application/json\r\ncontent-length: 3000\r\n\r\n`);
        const drip = setInterval(() => { if (!s.destroyed) s.write('{'); }, 100);
        s.on('close', () => { clearInterval(drip); resolve(Date.now() - t0); });
      });
      s.on('error', () => { /* expected reset */ });
      setTimeout(() => reject(new Error('slow body never cut off')), 8000).unref();
    });
    assert.ok(ms < 5000, `closed after ${ms} ms`);
  });
});
