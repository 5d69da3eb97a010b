import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestPki, writeAgentTls, type TestPki } from './helpers/tls.js';
import { FIXTURE_PROC } from './helpers/ctx.js';
import { parseAgentConfig } from '../../src/agent/config.js';
import { startAgent } from '../../src/agent/run.js';
import { buildIngestServer } from '../../src/server/build.js';
import { openStore } from '../../src/server/store/open.js';
import { createLogger } from '../../src/log.js';

async function until(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The real thing end to end: the agent against the server's ingest listener (fastify, mTLS,
 * TLS 1.3) writing to the SQLite store. The server goes away and comes back on the same port with
 * the same store file; the outbox drains in order and the store holds every seq once.
 */
describe('agent → server ingest (real mTLS, SQLite store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-e2e-'));
  let pki: TestPki;
  before(async () => { pki = await makeTestPki('fed1'); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('drains after an outage, in order, nothing lost or doubled', async () => {
    const serverTls = { ca: join(dir, 'srv-ca.pem'), cert: join(dir, 'srv.pem'), key: join(dir, 'srv.key') };
    writeFileSync(serverTls.ca, pki.caPem);
    writeFileSync(serverTls.cert, pki.server.cert);
    writeFileSync(serverTls.key, pki.server.key, { mode: 0o600 });
    const storeUrl = `sqlite:${join(dir, 'store.db')}`;
    const logger = createLogger('agent-e2e', { level: 'silent' });

    const startServer = async (port: number) => {
      const store = await openStore(storeUrl);
      const app = await buildIngestServer({ store, tls: serverTls, logger });
      await app.listen({ port, host: '127.0.0.1' });
      const a = app.server.address();
      return { store, app, port: typeof a === 'object' && a ? a.port : 0 };
    };
    let srv = await startServer(0);
    const watched = join(dir, 'w.conf');
    writeFileSync(watched, 'x');
    const cfg = parseAgentConfig({
      name: 'fed1', server: `https://127.0.0.1:${srv.port}`, tls: writeAgentTls(dir, pki),
      stateDir: join(dir, 'state'), procRoot: FIXTURE_PROC, watch: { files: [watched] },
    });
    const agent = await startAgent(cfg, { manual: true, baseDelayMs: 20, maxDelayMs: 200, log: logger });
    try {
      for (let i = 0; i < 2; i++) { await agent.collectNow(); agent.kick(); }
      await until(async () => (await srv.store.agents()).some((a) => a.agent === 'fed1' && a.lastSeq === 2), 15_000, 'seq 2 stored');

      await srv.app.close();
      await srv.store.close();
      for (let i = 0; i < 3; i++) { await agent.collectNow(); agent.kick(); }
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(agent.outbox.stats().pending, 3);

      srv = await startServer(srv.port);
      agent.kick();
      await until(() => agent.outbox.stats().pending === 0, 15_000, 'outbox drained');
      const [status] = (await srv.store.agents()).filter((a) => a.agent === 'fed1');
      assert.equal(status!.lastSeq, 5);
      const load = (await srv.store.latest({ node: 'fed1', names: ['node_load1'] }));
      assert.equal(load.length, 1);
      assert.equal(load[0]!.value, 0.52); // the fixture's /proc/loadavg
      const cpu = await srv.store.latest({ node: 'fed1', names: ['node_cpu_seconds_total'] });
      assert.equal(cpu.length, 16); // 2 cpus × 8 modes, one series each
    } finally {
      await agent.stop();
      await srv.app.close();
      await srv.store.close();
    }
  });
});
