import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWebServer } from '../../src/server/build.js';
import { openSqliteStore } from '../../src/server/store/sqlite.js';
import type { Store } from '../../src/server/store/types.js';
import { createLogger } from '../../src/log.js';

const root = mkdtempSync(join(tmpdir(), 'anoguard-srv-metrics-'));
const logger = createLogger('srv-test', { level: 'silent' });
let store: Store;
const now = Date.now();

before(async () => {
  store = openSqliteStore(join(root, 'm.db'));
  const t = now - 5_000;
  await store.writeBatch('auth-1', 1, [
    { name: 'node_load1', labels: {}, value: 0.42, t: t - 10_000 },
    { name: 'node_load1', labels: {}, value: 0.5, t },
    { name: 'node_cpu_seconds_total', labels: { cpu: '0', mode: 'idle' }, value: 1234.5, t },
    { name: 'node_cpu_seconds_total', labels: { cpu: '0', mode: 'user' }, value: 99.25, t },
    { name: 'node_disk_read_bytes_total', labels: { device: 'vda' }, value: 5120, t },
    { name: 'node_network_receive_bytes_total', labels: { device: 'eth0' }, value: 777, t },
    { name: 'node_procs_running', labels: {}, value: 3, t },
    { name: 'factomd_leader_height', labels: {}, value: 240012, t },
    { name: 'factomd_custom', labels: { node: 'x' }, value: 1, t },
  ], [], now);
  await store.writeBatch('follower-1', 1, [
    { name: 'node_load1', labels: {}, value: 1.5, t },
    { name: 'factomd_leader_height', labels: {}, value: 240011, t },
  ], [], now);
  // A node that went silent an hour ago: its values must not look current.
  await store.writeBatch('dead-1', 1, [{ name: 'node_load1', labels: {}, value: 9, t: now - 3_600_000 }], [], now);
});
after(async () => {
  await store?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('/metrics exposition', () => {
  it('exposes the latest values with node_exporter names and a node label', async () => {
    const app = await buildWebServer({ store, logger, host: '127.0.0.1' });
    try {
      const r = await app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(r.statusCode, 200);
      assert.match(r.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
      const lines = r.body.split('\n');
      for (const want of [
        'node_load1{node="auth-1"} 0.5',
        'node_load1{node="follower-1"} 1.5',
        'node_cpu_seconds_total{node="auth-1",cpu="0",mode="idle"} 1234.5',
        'node_cpu_seconds_total{node="auth-1",cpu="0",mode="user"} 99.25',
        'node_disk_read_bytes_total{node="auth-1",device="vda"} 5120',
        'node_network_receive_bytes_total{node="auth-1",device="eth0"} 777',
        'node_procs_running{node="auth-1"} 3',
        'factomd_leader_height{node="auth-1"} 240012',
        'factomd_leader_height{node="follower-1"} 240011',
        'factomd_custom{node="auth-1",exported_node="x"} 1',
        '# TYPE node_cpu_seconds_total counter',
        '# TYPE node_load1 gauge',
      ]) assert.ok(lines.includes(want), `missing line: ${want}`);
      assert.ok(!r.body.includes('dead-1'), 'stale node left out');
      assert.ok(!r.body.includes('0.42'), 'only the latest value');
    } finally {
      await app.close();
    }
  });

  it('requires the bearer token when one is configured', async () => {
    const app = await buildWebServer({ store, logger, host: '0.0.0.0', metricsToken: 'tok-123456' });
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
      assert.equal((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
      const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer tok-123456' } });
      assert.equal(ok.statusCode, 200);
      assert.ok(ok.body.includes('node_load1{node="auth-1"} 0.5'));
    } finally {
      await app.close();
    }
  });

  it('refuses to serve /metrics off loopback without a token', async () => {
    await assert.rejects(buildWebServer({ store, logger, host: '0.0.0.0' }), (e: Error & { code?: string; field?: string }) =>
      e.code === 'E_METRICS_OPEN' && e.field === 'web-listen');
  });
});
