import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../helpers/cli.js';
import { fixtureCtx, memoryState, valueOf } from './helpers/ctx.js';
import { createFactomdProbe } from '../../src/agent/probes/factomd.js';
import { parsePeersOnline } from '../../src/agent/factomd-source.js';

const SAMPLES = join(SHARED, 'factomd-samples');
const answer = (name: string) => (JSON.parse(readFileSync(join(SAMPLES, name), 'utf8')) as { result: Record<string, unknown> }).result;

/** Serves the recorded factomd v6.17.1 answers on loopback; `diagnostics` can be patched per test. */
function fakeFactomd() {
  const results: Record<string, Record<string, unknown>> = {
    heights: answer('v2-heights.json'),
    'current-minute': answer('v2-current-minute.json'),
    diagnostics: answer('v2-diagnostics.json'),
    properties: answer('v2-properties.json'),
  };
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') { res.end(readFileSync(join(SAMPLES, 'metrics.txt'))); return; }
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const r = JSON.parse(body) as { id: number; method: string };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: r.id, result: results[r.method] }));
    });
  });
  return { server, results };
}

describe('factomd probe against recorded v6.17.1 answers', () => {
  const fake = fakeFactomd();
  let url = '';
  before(async () => {
    await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', () => r()));
    const a = fake.server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  after(() => new Promise<void>((r) => fake.server.close(() => r())));

  it('emits heights, minute, role, identity, sync, elections, version and peers', async () => {
    const probe = createFactomdProbe([{ name: 'm1', url, metricsUrl: `${url}/metrics`, timeoutMs: 2000 }]);
    const { samples, events } = await probe.collect(fixtureCtx());
    const l = { factomd: 'm1' };
    // values straight from the sample files: heights.json and current-minute.json
    assert.equal(valueOf(samples, 'factomd_up', l), 1);
    assert.equal(valueOf(samples, 'factomd_leader_height', l), 1);
    assert.equal(valueOf(samples, 'factomd_directory_block_height', l), 1);
    assert.equal(valueOf(samples, 'factomd_entry_height', l), 1);
    assert.equal(valueOf(samples, 'factomd_minute', l), 3);
    assert.equal(valueOf(samples, 'factomd_block_seconds', l), 30);
    assert.equal(valueOf(samples, 'factomd_stall_detected', l), 0);
    // currenttime − currentminutestarttime = 1795724402216669492 − 1795724400015322405 ns ≈ 2.201 s
    assert.ok(Math.abs(valueOf(samples, 'factomd_minute_duration_seconds', l) - 2.201) < 0.002);
    assert.equal(valueOf(samples, 'factomd_role', { ...l, role: 'Leader' }), 1);
    assert.equal(valueOf(samples, 'factomd_role', { ...l, role: 'Follower' }), 0);
    assert.equal(valueOf(samples, 'factomd_identity_info', {
      ...l, identity: '38bab1455b7bd7e5efd15c53c777c79d0c988e9210f1da49a99d95b3a6417be9', publickey: 'cc1985cdfae4e32b5a454dfda8ce5e1361558482684f3367649c3ad852c8e31a',
    }), 1);
    assert.equal(valueOf(samples, 'factomd_sync_info', { ...l, status: 'Processing' }), 1);
    assert.equal(valueOf(samples, 'factomd_elections_in_progress', l), 0);
    assert.equal(valueOf(samples, 'factomd_version_info', { ...l, version: 'BuiltWithoutVersion' }), 1);
    assert.equal(valueOf(samples, 'factomd_peers_online', l), 0);
    assert.equal(valueOf(samples, 'factomd_height_lag', l), 0);
    assert.deepEqual(events, []);
  });

  it('role and identity changes are events; an unreachable node is factomd.down once, then up again', async () => {
    const state = memoryState();
    const probe = createFactomdProbe([{ name: 'm1', url, timeoutMs: 2000 }]);
    await probe.collect(fixtureCtx({ state }));
    const orig = fake.results.diagnostics!;
    fake.results.diagnostics = { ...orig, role: 'Follower', id: '8888880000000000000000000000000000000000000000000000000000000000' };
    try {
      const r = await probe.collect(fixtureCtx({ state }));
      assert.deepEqual(r.events.map((e) => e.kind).sort(), ['factomd.identity.changed', 'factomd.role.changed']);
      const role = r.events.find((e) => e.kind === 'factomd.role.changed')!;
      assert.equal(role.data.from, 'Leader');
      assert.equal(role.data.to, 'Follower');
    } finally {
      fake.results.diagnostics = orig;
    }
    const dead = createFactomdProbe([{ name: 'm1', url: 'http://127.0.0.1:1', timeoutMs: 500 }]);
    const d1 = await dead.collect(fixtureCtx({ state }));
    assert.deepEqual(d1.events.map((e) => e.kind), ['factomd.down']);
    assert.equal(valueOf(d1.samples, 'factomd_up', { factomd: 'm1' }), 0);
    assert.deepEqual((await dead.collect(fixtureCtx({ state }))).events, []);
    const back = await probe.collect(fixtureCtx({ state }));
    assert.ok(back.events.some((e) => e.kind === 'factomd.up'));
  });

  it('lag is measured against the best height among the configured nodes', async () => {
    const probe = createFactomdProbe([{ name: 'a', url: 'x' }, { name: 'b', url: 'y' }], async (n) => ({
      leaderHeight: 0, directoryBlockHeight: n.name === 'a' ? 1000 : 990, entryHeight: 0, minute: 0, stallDetected: false, blockSeconds: 600,
    }));
    const { samples } = await probe.collect(fixtureCtx());
    assert.equal(valueOf(samples, 'factomd_height_lag', { factomd: 'a' }), 0);
    assert.equal(valueOf(samples, 'factomd_height_lag', { factomd: 'b' }), 10);
  });

  it('reads the peer count from a Prometheus scrape', () => {
    assert.equal(parsePeersOnline('# HELP x\nfactomd_p2p_peers_online 7\n'), 7);
    assert.equal(parsePeersOnline('factomd_p2p_peers_connecting 1\n'), undefined);
  });
});
