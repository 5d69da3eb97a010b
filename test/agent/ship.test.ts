import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestPki, writeAgentTls, type TestPki } from './helpers/tls.js';
import { createTestIngest } from './helpers/ingest.js';
import { FIXTURE_PROC } from './helpers/ctx.js';
import { parseAgentConfig } from '../../src/agent/config.js';
import { startAgent } from '../../src/agent/run.js';
import { backoffDelay, createShipper, drainOutbox, parseRetryAfter } from '../../src/agent/ship.js';
import { openStateDb } from '../../src/agent/statedb.js';
import { openOutbox } from '../../src/agent/outbox.js';

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('shipping over mutual TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-ship-'));
  let pki: TestPki;
  before(async () => { pki = await makeTestPki('fed1'); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('backoff is full-jitter exponential and capped; Retry-After in seconds or as a date', () => {
    assert.equal(backoffDelay(0, () => 0.999999, 1000, 60_000), 999);
    assert.equal(backoffDelay(3, () => 0.5, 1000, 60_000), 4000);
    assert.equal(backoffDelay(20, () => 0.5, 1000, 60_000), 30_000);
    assert.equal(backoffDelay(5, () => 0, 1000, 60_000), 0);
    assert.equal(parseRetryAfter('7', 0), 7000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(parseRetryAfter(undefined, 0), undefined);
  });

  it('server away for a while: the outbox keeps collecting, then drains in order with no loss and no duplicates', async () => {
    const ingest = createTestIngest({ ca: pki.caPem, cert: pki.server.cert, key: pki.server.key });
    const port = await ingest.start();
    const tls = writeAgentTls(dir, pki);
    const watched = join(dir, 'watched.conf');
    writeFileSync(watched, 'x');
    const cfg = parseAgentConfig({
      name: 'fed1', server: `https://127.0.0.1:${port}`, tls, stateDir: join(dir, 'state'), procRoot: FIXTURE_PROC,
      watch: { files: [watched] },
    });
    const agent = await startAgent(cfg, { manual: true, baseDelayMs: 20, maxDelayMs: 150 });
    try {
      for (let i = 0; i < 3; i++) { await agent.collectNow(); agent.kick(); }
      await until(() => ingest.received.length === 3 && agent.outbox.stats().pending === 0, 10_000, 'first 3 batches');

      await ingest.stop(); // the server goes away
      for (let i = 0; i < 4; i++) { await agent.collectNow(); agent.kick(); }
      await new Promise((r) => setTimeout(r, 300)); // a few failed attempts with backoff
      assert.equal(agent.outbox.stats().pending, 4);
      assert.equal(ingest.received.length, 3);

      await ingest.start(); // back on the same port
      agent.kick();
      await until(() => agent.outbox.stats().pending === 0, 10_000, 'outbox drained');
      assert.deepEqual(ingest.received.map((b) => b.seq), [1, 2, 3, 4, 5, 6, 7]);
      for (const b of ingest.received) {
        assert.equal(b.agent, 'fed1');
        assert.ok(b.samples.some((s) => s.name === 'node_cpu_seconds_total'));
      }
    } finally {
      await agent.stop();
      await ingest.stop();
    }
    // restart: seq continues from the outbox, not from 1
    const again = await startAgent(cfg, { manual: true });
    try {
      assert.equal(await again.collectNow(), 8);
    } finally {
      await again.stop();
    }
  });

  it('honours 503 Retry-After (backpressure) and retries the same batch', async () => {
    const ingest = createTestIngest({ ca: pki.caPem, cert: pki.server.cert, key: pki.server.key });
    const port = await ingest.start();
    const db = openStateDb(join(dir, 'state503'));
    const ob = openOutbox(db);
    ob.append([{ name: 'node_load1', labels: {}, value: 1, t: 1 }], [], 1);
    const shipper = createShipper(`https://127.0.0.1:${port}`, { ca: pki.caPem, cert: pki.agent.cert, key: pki.agent.key });
    const sleeps: number[] = [];
    const ctl = new AbortController();
    try {
      ingest.setMode('503');
      const results: string[] = [];
      await drainOutbox(ob, shipper, ctl.signal, {
        agentName: 'fed1', random: () => 0,
        sleep: async (ms) => { sleeps.push(ms); ingest.setMode('ok'); },
        onResult: (r) => results.push(r.kind),
      });
      assert.deepEqual(results, ['retry', 'ack']);
      assert.deepEqual(sleeps, [1000]); // Retry-After: 1 wins over a zero jittered backoff
      assert.deepEqual(ingest.received.map((b) => b.seq), [1]);
      assert.equal(ob.stats().pending, 0);
    } finally {
      shipper.close();
      db.close();
      await ingest.stop();
    }
  });

  it('refuses a server whose certificate is not from our CA (nothing is deleted)', async () => {
    const other = await makeTestPki('fed1');
    const ingest = createTestIngest({ ca: other.caPem, cert: other.server.cert, key: other.server.key });
    const port = await ingest.start();
    const db = openStateDb(join(dir, 'stateWrongCa'));
    const ob = openOutbox(db);
    ob.append([], [], 1);
    const shipper = createShipper(`https://127.0.0.1:${port}`, { ca: pki.caPem, cert: pki.agent.cert, key: pki.agent.key });
    const ctl = new AbortController();
    const reasons: string[] = [];
    try {
      await drainOutbox(ob, shipper, ctl.signal, {
        agentName: 'fed1', sleep: async () => { ctl.abort(); },
        onResult: (r) => { if (r.kind === 'retry') reasons.push(r.reason); },
      });
      assert.equal(reasons.length, 1);
      assert.match(reasons[0]!, /CERT|SELF_SIGNED|UNABLE|verify/i);
      assert.equal(ingest.received.length, 0);
      assert.equal(ob.stats().pending, 1);
    } finally {
      shipper.close();
      db.close();
      await ingest.stop();
    }
  });
});
