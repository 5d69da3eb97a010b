import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { startGateway, parseGatewayConfig, newApiKey, hashPassword, type Gateway, type GatewayConfigInput } from '../../src/gateway/index.js';
import { startFakeFactomd, type FakeFactomd } from '../helpers/fake-factomd.js';
import { selfSignedCert } from '../helpers/tls.js';

const cert = selfSignedCert();
const silent = pino({ level: 'silent' });

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function request(url: string, opts: { method?: string; path?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(opts.path ?? '/v2', url);
    const req = https.request(u, { method: opts.method ?? 'POST', ca: cert.cert, headers: { 'content-type': 'application/json', ...opts.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const rpc = (method: string, id: unknown = 1, params?: unknown) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });

describe('RPC gateway', () => {
  let up1: FakeFactomd;
  let up2: FakeFactomd;
  let gw: Gateway;
  const reader = newApiKey();
  const writer = newApiKey();
  let basicHash: string;
  const key = (k = reader.key) => ({ 'x-api-key': k });

  function config(over: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
    return {
      listen: { host: '127.0.0.1', port: 0 },
      tls: { cert: cert.certPath, key: cert.keyPath },
      upstreams: [{ url: up1.url, name: 'f1' }, { url: up2.url, name: 'f2' }],
      auth: {
        required: true,
        apiKeys: [
          { name: 'reader', sha256: reader.sha256 },
          { name: 'writer', sha256: writer.sha256, allowWrites: true },
        ],
        basic: [{ user: 'ops', scrypt: basicHash }],
      },
      limits: { perKey: { rps: 1000, burst: 0 }, perIp: { rps: 5, burst: 0 }, headersTimeoutMs: 400, requestTimeoutMs: 2000, maxBodyBytes: 4096, maxBatch: 3 },
      health: { intervalMs: 100, timeoutMs: 200, failAfter: 1, maxLagBlocks: 2 },
      cache: { ttlMs: 500 },
      ...over,
    };
  }

  before(async () => {
    up1 = await startFakeFactomd({ height: 100 });
    up2 = await startFakeFactomd({ height: 100 });
    basicHash = await hashPassword('correct horse battery');
    gw = await startGateway(parseGatewayConfig(config()), { logger: silent });
  });
  after(async () => {
    await gw.close();
    await up1.close();
    await up2.close();
    rmSync(cert.dir, { recursive: true, force: true });
  });

  it('forwards an allowed read and echoes the caller id', async () => {
    const r = await request(gw.url, { body: rpc('heights', 'abc'), headers: key() });
    assert.equal(r.status, 200);
    const j = JSON.parse(r.body) as { id: unknown; result: { leaderheight: number } };
    assert.equal(j.id, 'abc');
    assert.equal(j.result.leaderheight, 100);
  });

  it('refuses requests without credentials or with a wrong key (401, WWW-Authenticate)', async () => {
    const none = await request(gw.url, { body: rpc('heights') });
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Basic realm=/);
    const bad = await request(gw.url, { body: rpc('heights'), headers: key('agk_wrong') });
    assert.equal(bad.status, 401);
  });

  it('accepts basic auth against the scrypt hash and refuses a wrong password', async () => {
    const good = await request(gw.url, { body: rpc('properties'), headers: { authorization: `Basic ${Buffer.from('ops:correct horse battery').toString('base64')}` } });
    assert.equal(good.status, 200);
    const bad = await request(gw.url, { body: rpc('properties'), headers: { authorization: `Basic ${Buffer.from('ops:wrong horse battery').toString('base64')}` } });
    assert.equal(bad.status, 401);
  });

  it('enforces the method allow-list, including writes per principal', async () => {
    for (const m of ['send-raw-message', 'diagnostics', 'commit-entry', 'no-such-method']) {
      const r = await request(gw.url, { body: rpc(m, 7), headers: key() });
      assert.equal(r.status, 403, m);
      assert.equal((JSON.parse(r.body) as { error: { code: number } }).error.code, -32601);
    }
  });

  it('forwards writes only when enabled and only for a principal allowed to write', async () => {
    const g2 = await startGateway(parseGatewayConfig(config({ methods: { allowWrites: true, allow: ['heights', 'commit-entry'] } })), { logger: silent });
    try {
      const before = up1.calls.get('commit-entry') ?? 0;
      const denied = await request(g2.url, { body: rpc('commit-entry', 1, { message: '00' }), headers: key(reader.key) });
      assert.equal(denied.status, 403);
      const ok = await request(g2.url, { body: rpc('commit-entry', 1, { message: '00' }), headers: key(writer.key) });
      assert.equal(ok.status, 200);
      assert.equal((up1.calls.get('commit-entry') ?? 0) + (up2.calls.get('commit-entry') ?? 0) - before, 1);
    } finally {
      await g2.close();
    }
  });

  it('never proxies /debug or other paths and answers /health', async () => {
    assert.equal((await request(gw.url, { path: '/debug', body: rpc('configuration'), headers: key() })).status, 404);
    assert.equal((await request(gw.url, { path: '/v1/heights/', method: 'GET', headers: key() })).status, 404);
    assert.equal((await request(gw.url, { method: 'GET', headers: key() })).status, 405);
    const h = await request(gw.url, { path: '/health', method: 'GET' });
    assert.equal(h.status, 200);
  });

  it('serves hot reads from a short cache, one upstream call for concurrent misses', async () => {
    // A long TTL so the assertion does not depend on how fast a loaded machine answers.
    const g2 = await startGateway(parseGatewayConfig(config({ cache: { ttlMs: 60_000 } })), { logger: silent });
    try {
      const count = () => (up1.calls.get('tps-rate') ?? 0) + (up2.calls.get('tps-rate') ?? 0);
      const before = count();
      const first = await Promise.all(Array.from({ length: 5 }, (_, i) => request(g2.url, { body: rpc('tps-rate', i), headers: key() })));
      assert.equal(count() - before, 1, 'concurrent misses share one upstream call');
      const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => request(g2.url, { body: rpc('tps-rate', 100 + i), headers: key() })));
      for (const [i, r] of [...first, ...replies].entries()) {
        assert.equal(r.status, 200);
        assert.equal((JSON.parse(r.body) as { id: number }).id, i < 5 ? i : 100 + i - 5);
      }
      assert.equal(count() - before, 1, 'hits do not reach the upstream');
    } finally {
      await g2.close();
    }
  });

  it('serves a cached answer with each caller\'s own id, whatever its characters', async () => {
    const g2 = await startGateway(parseGatewayConfig(config({ cache: { ttlMs: 60_000 } })), { logger: silent });
    try {
      const ids: unknown[] = ['plain', 'quote " backslash \\ é 😀', 0, -42, null];
      const replies = [];
      for (const id of ids) replies.push(await request(g2.url, { body: rpc('properties', id), headers: key() }));
      const first = JSON.parse(replies[0]!.body) as { result: unknown };
      for (const [i, r] of replies.entries()) {
        assert.equal(r.status, 200);
        const j = JSON.parse(r.body) as { jsonrpc: string; id: unknown; result: unknown };
        assert.equal(j.jsonrpc, '2.0');
        assert.deepEqual(j.id, ids[i]);
        assert.deepEqual(j.result, first.result);
        assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
      }
    } finally {
      await g2.close();
    }
  });

  it('writes one access-log line per request, without credentials, and counts it in the metrics', async () => {
    const lines: string[] = [];
    const g2 = await startGateway(parseGatewayConfig(config()), { logger: silent, accessLog: { write: (l: string) => lines.push(l) } });
    try {
      await request(g2.url, { body: rpc('heights', 5), headers: key() });
      await request(g2.url, { body: rpc('heights'), headers: key('agk_not_a_real_key') });
      await request(g2.url, { body: rpc('heights'), headers: { authorization: `Basic ${Buffer.from('ops:not the password').toString('base64')}` } });
      assert.equal(lines.length, 3);
      for (const l of lines) {
        assert.ok(l.endsWith('}\n'));
        assert.ok(!l.includes(reader.key) && !l.includes('agk_not_a_real_key') && !l.includes('not the password') && !l.includes('b3BzOm5vdCB0aGUgcGFzc3dvcmQ'), l);
      }
      const [good, bad] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(good!.principal, 'reader');
      assert.equal(good!.method, 'heights');
      assert.equal(good!.status, 200);
      assert.equal(typeof good!.ms, 'number');
      assert.equal(good!.ip, '127.0.0.1');
      assert.equal(good!.msg, 'request');
      assert.equal(bad!.status, 401);
      assert.equal(bad!.principal, '-');
      const text = await g2.registry.metrics();
      assert.match(text, /anoguard_gateway_requests_total\{method="heights",status="200"\} 1\n/);
      assert.match(text, /anoguard_gateway_requests_total\{method="unauthorized",status="401"\} 2\n/);
      assert.match(text, /anoguard_gateway_request_duration_seconds_count\{method="heights"\} 1\n/);
    } finally {
      await g2.close();
    }
  });

  it('rejects malformed requests with factomd-style errors', async () => {
    const cases: [string | Buffer, number, number][] = [
      ['{not json', 400, -32700],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 400, -32700],
      ['{"jsonrpc":"1.0","id":1,"method":"heights"}', 400, -32600],
      [JSON.stringify({ jsonrpc: '2.0', id: 'x'.repeat(500), method: 'heights' }), 400, -32600],
      [JSON.stringify({ jsonrpc: '2.0', id: 1e300, method: 'heights' }), 400, -32600],
      [`${'['.repeat(50)}${']'.repeat(50)}`, 400, -32600],
      [JSON.stringify([1, 2, 3, 4].map((i) => ({ jsonrpc: '2.0', id: i, method: 'heights' }))), 400, -32600],
      ['[]', 400, -32600],
    ];
    for (const [body, status, code] of cases) {
      const r = await request(gw.url, { body, headers: key() });
      assert.equal(r.status, status, String(body).slice(0, 40));
      assert.equal((JSON.parse(r.body) as { error: { code: number } }).error.code, code, String(body).slice(0, 40));
    }
    const big = await request(gw.url, { body: rpc('heights', 1, { pad: 'x'.repeat(10_000) }), headers: key() });
    assert.equal(big.status, 413);
  });

  it('answers a batch element by element; a forbidden method inside gets its own error', async () => {
    const body = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'heights' },
      { jsonrpc: '2.0', id: 2, method: 'send-raw-message', params: { message: '00' } },
      { jsonrpc: '2.0', id: 3 },
    ]);
    const r = await request(gw.url, { body, headers: key() });
    assert.equal(r.status, 200);
    const arr = JSON.parse(r.body) as { id: number | null; result?: unknown; error?: { code: number } }[];
    assert.equal(arr.length, 3);
    assert.ok(arr[0]!.result);
    assert.equal(arr[1]!.error?.code, -32601);
    assert.equal(arr[2]!.error?.code, -32600);
  });

  it('rate limits anonymous callers per IP with 429 and Retry-After', async () => {
    const g2 = await startGateway(parseGatewayConfig(config({ auth: { required: false } })), { logger: silent });
    try {
      const t0 = Date.now();
      const replies = await Promise.all(Array.from({ length: 20 }, () => request(g2.url, { body: rpc('heights') })));
      const windows = Math.ceil((Date.now() - t0) / 1000) + 1;
      const ok = replies.filter((r) => r.status === 200).length;
      const limited = replies.filter((r) => r.status === 429);
      // 5 per second: however slowly the machine ran the requests, no window let more through.
      assert.ok(ok <= 5 * windows, `${ok} passed in ${windows} windows`);
      assert.ok(limited.length >= 1 && ok >= 1, replies.map((r) => r.status).join(','));
      assert.ok(Number(limited[0]!.headers['retry-after']) >= 1);
    } finally {
      await g2.close();
    }
  });

  it('closes a slow sender that never finishes its headers', async () => {
    const u = new URL(gw.url);
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const t0 = Date.now();
      const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: cert.cert, servername: 'localhost' }, () => {
        s.write('POST /v2 HTTP/1.1\r\nHost: x\r\n');
        const drip = setInterval(() => { if (!s.destroyed) s.write('X-Slow: 1\r\n'); }, 100);
        s.on('close', () => { clearInterval(drip); resolve(Date.now() - t0); });
      });
      s.on('error', () => { /* reset by the server is the expected end */ });
      setTimeout(() => reject(new Error('slow sender was never cut off')), 8000).unref();
    });
    assert.ok(closedAfter < 5000, `closed after ${closedAfter} ms`);
  });

  it('fails over to a healthy upstream and takes a lagging one out', async () => {
    up2.setHeight(50);
    await new Promise((r) => setTimeout(r, 400));
    const states = gw.upstreams();
    assert.equal(states.find((s) => s.name === 'f2')?.up, false);
    assert.equal(states.find((s) => s.name === 'f1')?.up, true);
    const before2 = up2.calls.get('entry-credit-balance') ?? 0;
    for (let i = 0; i < 4; i++) {
      const r = await request(gw.url, { body: rpc('entry-credit-balance', i, { address: 'EC1' }), headers: key() });
      assert.equal(r.status, 200);
    }
    assert.equal(up2.calls.get('entry-credit-balance') ?? 0, before2, 'no request went to the lagging upstream');
    up2.setHeight(100);
    await up1.close();
    await new Promise((r) => setTimeout(r, 400));
    const r = await request(gw.url, { body: rpc('entry-credit-balance', 9, { address: 'EC1' }), headers: key() });
    assert.equal(r.status, 200, 'the surviving upstream answers');
    assert.equal(gw.upstreams().find((s) => s.name === 'f1')?.up, false);
  });
});

describe('gateway config', () => {
  const base = { listen: { host: '0.0.0.0', port: 8443 }, upstreams: [{ url: 'http://10.0.0.5:8088' }], auth: { required: false } };
  it('requires TLS off loopback', () => {
    assert.throws(() => parseGatewayConfig(base), /tls: TLS is required/);
  });
  it('names an unknown or forbidden method by its path', () => {
    const t = { ...base, tls: { cert: 'c', key: 'k' } };
    assert.throws(() => parseGatewayConfig({ ...t, methods: { allow: ['heights', 'heigths'] } }), /methods\.allow\.1.*unknown factomd method/);
    assert.throws(() => parseGatewayConfig({ ...t, methods: { allow: ['send-raw-message'] } }), /never forwarded/);
    assert.throws(() => parseGatewayConfig({ ...t, methods: { allow: ['commit-entry'] } }), /allowWrites/);
  });
  it('refuses required auth with no credentials', () => {
    assert.throws(() => parseGatewayConfig({ ...base, tls: { cert: 'c', key: 'k' }, auth: { required: true } }), /auth/);
  });
});
