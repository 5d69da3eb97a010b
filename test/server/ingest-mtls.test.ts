import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import { initCa, issueCert, revokeCert } from '../../src/pki/ca.js';
import { pkiPaths } from '../../src/pki/layout.js';
import { buildIngestServer } from '../../src/server/build.js';
import { openSqliteStore } from '../../src/server/store/sqlite.js';
import type { Store } from '../../src/server/store/types.js';
import { tlsFilesFromPkiDir } from '../../src/server/tls.js';
import { createLogger } from '../../src/log.js';
import { credsFromFiles, postJson, type ClientCreds } from './tls-client.js';

const PASS = 'test passphrase for the srv CA';
/** The lowest cost the keystore accepts: these tests are about TLS, not the KDF. */
const FAST = { N: 1 << 14, r: 8, p: 1 };
const root = mkdtempSync(join(tmpdir(), 'anoguard-srv-mtls-'));
const dir = join(root, 'pki');
const otherDir = join(root, 'other-pki');
const logger = createLogger('srv-test', { level: 'silent' });
const batch = (agent: string, seq: number, t = Date.now()) => ({
  v: 1, agent, seq, sentAt: t,
  samples: [{ name: 'node_load1', labels: {}, value: 0.25, t }, { name: 'node_procs_running', labels: {}, value: 3, t }],
  events: [{ kind: 'listener.new', severity: 'warning', t, message: 'new listener on :2222', data: { port: 2222 } }],
});

let store: Store;
let app: FastifyInstance<HttpsServer>;
let url: string;
const creds: Record<string, ClientCreds> = {};

async function startServer(s: Store, maxInFlight?: number): Promise<{ app: FastifyInstance<HttpsServer>; url: string }> {
  const a = await buildIngestServer({ store: s, tls: tlsFilesFromPkiDir(dir, 'localhost'), logger, crlPollMs: 100, ...(maxInFlight ? { maxInFlight } : {}) });
  await a.listen({ host: '127.0.0.1', port: 0 });
  const addr = a.server.address();
  return { app: a, url: `https://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` };
}

before(async () => {
  await initCa({ dir, passphrase: PASS, scrypt: FAST });
  await initCa({ dir: otherDir, passphrase: PASS, scrypt: FAST });
  const p = pkiPaths(dir);
  await issueCert({ dir, passphrase: PASS, kind: 'server', name: 'localhost', sans: ['IP:127.0.0.1'] });
  for (const n of ['node-a', 'node-b', 'node-late', 'node-gone']) await issueCert({ dir, passphrase: PASS, kind: 'agent', name: n });
  const past = Date.now() - 10 * 86_400_000;
  await issueCert({ dir, passphrase: PASS, kind: 'agent', name: 'node-old', notBefore: new Date(past), notAfter: new Date(past + 86_400_000) });
  await issueCert({ dir: otherDir, passphrase: PASS, kind: 'agent', name: 'node-a' });
  await revokeCert({ dir, passphrase: PASS, target: 'node-gone' });
  for (const n of ['node-a', 'node-b', 'node-late', 'node-gone', 'node-old', 'localhost']) creds[n] = credsFromFiles(p.caCert, p.cert(n), p.key(n));
  const o = pkiPaths(otherDir);
  creds.foreign = credsFromFiles(p.caCert, o.cert('node-a'), o.key('node-a'));
  creds.none = credsFromFiles(p.caCert);
  store = openSqliteStore(join(root, 'mtls.db'));
  ({ app, url } = await startServer(store));
});

after(async () => {
  await app?.close();
  await store?.close();
  rmSync(root, { recursive: true, force: true });
});

const refused = async (c: ClientCreds, agent: string) => {
  const r = await postJson(url, c, '/ingest/v1/batch', batch(agent, 1)).then((x) => x, (e: Error) => e);
  // Refused in the handshake (an error) or, for a live connection, by the request check (403).
  if (!(r instanceof Error)) assert.equal(r.status, 403, `expected refusal, got ${r.status}`);
};

describe('ingest over mutual TLS', () => {
  it('accepts a good agent certificate and acknowledges the batch; a retry is a duplicate', async () => {
    const t = Date.now() - (Date.now() % 1000) - 5000;
    const r1 = await postJson(url, creds['node-a']!, '/ingest/v1/batch', batch('node-a', 1, t));
    assert.equal(r1.status, 200);
    assert.deepEqual(r1.body, { ackedSeq: 1, duplicate: false });
    const r2 = await postJson(url, creds['node-a']!, '/ingest/v1/batch', batch('node-a', 1, t));
    assert.deepEqual(r2.body, { ackedSeq: 1, duplicate: true });
    const q = await store.querySeries({ node: 'node-a', name: 'node_load1', from: t - 1000, to: t + 9000 });
    assert.deepEqual(q.series[0]!.points.map((p) => [p.t, p.last, p.count]), [[t, 0.25, 1]]);
    assert.equal((await store.queryEvents({ node: 'node-a' })).length, 1);
  });

  it('refuses a batch that speaks for another agent than the certificate', async () => {
    const r = await postJson(url, creds['node-b']!, '/ingest/v1/batch', batch('node-a', 2));
    assert.equal(r.status, 403);
    assert.deepEqual(r.body, { error: { code: 'E_AGENT_MISMATCH', message: 'certificate is for node-b, batch claims node-a', field: 'body.agent' } });
  });

  it('refuses a malformed batch with the offending field', async () => {
    const bad = batch('node-b', 1);
    (bad.samples[1] as { name: string }).name = 'has space';
    const r = await postJson(url, creds['node-b']!, '/ingest/v1/batch', bad);
    assert.equal(r.status, 400);
    assert.equal((r.body as { error: { field: string } }).error.field, 'body.samples.1.name');
    const r2 = await postJson(url, creds['node-b']!, '/ingest/v1/batch', '{"v":1,');
    assert.equal(r2.status, 400);
    assert.deepEqual(await store.agents().then((a) => a.map((x) => x.agent)), ['node-a']);
  });

  it('refuses a body over the size limit', async () => {
    const r = await postJson(url, creds['node-b']!, '/ingest/v1/batch', 'x'.repeat(4 * 1024 * 1024 + 10)).then((x) => x, (e: Error) => e);
    if (!(r instanceof Error)) assert.equal(r.status, 413);
  });

  it('refuses a certificate from another CA', async () => refused(creds.foreign!, 'node-a'));
  it('refuses a server certificate used as a client certificate (wrong EKU)', async () => refused(creds.localhost!, 'localhost'));
  it('refuses an expired certificate', async () => refused(creds['node-old']!, 'node-old'));
  it('refuses a certificate revoked before the server started', async () => refused(creds['node-gone']!, 'node-gone'));
  it('refuses a connection without a client certificate', async () => {
    const r = await postJson(url, creds.none!, '/ingest/v1/batch', batch('node-a', 9)).then((x) => x, (e: Error) => e);
    assert.ok(r instanceof Error || r.status === 401);
  });

  it('refuses a certificate revoked while the server runs, without a restart', async () => {
    const ok = await postJson(url, creds['node-late']!, '/ingest/v1/batch', batch('node-late', 1));
    assert.equal(ok.status, 200);
    await revokeCert({ dir, passphrase: PASS, target: 'node-late' });
    // The server polls crl.pem every 100 ms here; give it a bounded while.
    let last: unknown;
    for (let i = 0; i < 50; i++) {
      last = await postJson(url, creds['node-late']!, '/ingest/v1/batch', batch('node-late', 2 + i)).then((x) => x.status, (e: Error) => e);
      if (last !== 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(last instanceof Error || last === 403, `still accepted: ${String(last)}`);
    assert.equal((await store.agents()).find((a) => a.agent === 'node-late')!.lastSeq < 50, true);
  });

  it('answers 503 with Retry-After when too many batches are being written, instead of queueing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow: Store = { ...store, writeBatch: async (...args) => { await gate; return store.writeBatch(...args); } };
    const s = await startServer(slow, 1);
    try {
      const first = postJson(s.url, creds['node-b']!, '/ingest/v1/batch', batch('node-b', 1));
      // Wait until the first request holds the only slot.
      await new Promise((r) => setTimeout(r, 300));
      const second = await postJson(s.url, creds['node-b']!, '/ingest/v1/batch', batch('node-b', 2));
      assert.equal(second.status, 503);
      assert.equal(second.headers['retry-after'], '1');
      release();
      assert.deepEqual((await first).body, { ackedSeq: 1, duplicate: false });
      const third = await postJson(s.url, creds['node-b']!, '/ingest/v1/batch', batch('node-b', 2));
      assert.deepEqual(third.body, { ackedSeq: 2, duplicate: false });
    } finally {
      release();
      await s.app.close();
    }
  });
});
