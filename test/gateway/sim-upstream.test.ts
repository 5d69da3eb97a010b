import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startGateway, parseGatewayConfig, newApiKey, type Gateway } from '../../src/gateway/index.js';
import { startSim, type SimHandle } from '../../src/sim/index.js';
import { selfSignedCert } from '../helpers/tls.js';

// The gateway in front of real simulator nodes (separate processes, factomd's answers and errors).
const cert = selfSignedCert();
const key = newApiKey();
const dir = mkdtempSync(join(tmpdir(), 'ag-gwsim-'));

function rpc(url: string, method: string, headers: Record<string, string> = { 'x-api-key': key.key }, params?: unknown): Promise<{ status: number; json: { result?: Record<string, unknown>; error?: { code: number; message: string } } }> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL('/v2', url), { method: 'POST', ca: cert.cert, agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as never }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params === undefined ? {} : { params }) }));
  });
}

describe('gateway with the simulator as upstream', () => {
  let sim: SimHandle;
  let gw: Gateway;
  before(async () => {
    sim = await startSim({ nodes: 3, authorities: 1, blockTimeMs: 1000, dir });
    const followers = sim.nodes.slice(1);
    gw = await startGateway(parseGatewayConfig({
      listen: { host: '127.0.0.1', port: 0 },
      tls: { cert: cert.certPath, key: cert.keyPath },
      upstreams: followers.map((n) => ({ name: n.name, url: n.api })),
      auth: { apiKeys: [{ name: 'app', sha256: key.sha256, rate: { rps: 5, burst: 0 } }] },
      health: { intervalMs: 200, timeoutMs: 500, failAfter: 1, maxLagBlocks: 3 },
      cache: { ttlMs: 0 },
    }), { logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await gw?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cert.dir, { recursive: true, force: true });
  });

  it('forwards reads, refuses /debug-class and write methods, and requires a key', async () => {
    const h = await rpc(gw.url, 'heights');
    assert.equal(h.status, 200);
    assert.equal(typeof h.json.result?.leaderheight, 'number');
    const m = await rpc(gw.url, 'current-minute');
    assert.equal(typeof m.json.result?.currenttime, 'number');
    assert.equal((await rpc(gw.url, 'commit-entry', undefined, { message: '00' })).status, 403);
    assert.equal((await rpc(gw.url, 'diagnostics')).status, 403);
    assert.equal((await rpc(gw.url, 'heights', {})).status, 401);
  });

  it('passes factomd errors through unchanged', async () => {
    const r = await rpc(gw.url, 'entry', undefined, { hash: 'zz' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error?.code, -32602);
  });

  it('rate limits the key', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const t0 = Date.now();
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => rpc(gw.url, 'properties')))).map((r) => r.status);
    const windows = Math.ceil((Date.now() - t0) / 1000) + 1;
    const ok = statuses.filter((s) => s === 200).length;
    assert.ok(ok <= 5 * windows && statuses.includes(429), `${statuses.join(',')} in ${windows} windows`);
  });

  it('fails over when a follower crashes', async () => {
    const [a, b] = sim.nodes.slice(1);
    await sim.fault(a!.name, 'crash');
    let down = false;
    for (let i = 0; i < 40 && !down; i++) {
      await new Promise((r) => setTimeout(r, 150));
      down = gw.upstreams().find((s) => s.name === a!.name)?.up === false;
    }
    assert.ok(down, 'crashed follower taken out');
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < 3; i++) assert.equal((await rpc(gw.url, 'heights')).status, 200);
    assert.equal(gw.upstreams().find((s) => s.name === b!.name)?.up, true);
  });
});
