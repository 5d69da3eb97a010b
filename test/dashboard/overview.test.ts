import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sample } from '../../src/agent/payload.js';
import type { Alert } from '../../src/server/alerts/engine.js';
import { counterRate, sumAligned } from '../../src/server/dashboard/charts.js';
import { buildOverview } from '../../src/server/dashboard/overview.js';
import { openSqliteStore } from '../../src/server/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'dashboard-ov-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const node = (f: string, t: number, h: number, role: string, identity: string): Sample[] => {
  const l = { factomd: f };
  return [
    { name: 'factomd_up', labels: l, value: 1, t }, { name: 'factomd_leader_height', labels: l, value: h, t },
    { name: 'factomd_directory_block_height', labels: l, value: h, t }, { name: 'factomd_minute', labels: l, value: 4, t },
    ...['Leader', 'Audit', 'Follower'].map((r) => ({ name: 'factomd_role', labels: { ...l, role: r }, value: r === role ? 1 : 0, t })),
    { name: 'factomd_identity_info', labels: { ...l, identity, publickey: '' }, value: 1, t },
  ];
};

test('overview: roles, heights, network height, identity holders, health from alerts and silence', async () => {
  const now = 1_760_000_000_000;
  const store = openSqliteStore(join(dir, 's.db'), { now: () => now });
  try {
    const AUTH = 'a'.repeat(64);
    await store.writeBatch('master', 1, node('n1', now - 2000, 50, 'Leader', AUTH), [], now - 1000);
    await store.writeBatch('standby', 1, node('n4', now - 2000, 49, 'Follower', 'b'.repeat(64)), [], now - 1000);
    await store.writeBatch('old', 1, node('n9', now - 600_000, 20, 'Follower', 'c'.repeat(64)), [], now - 600_000);
    const alerts: Alert[] = [{ key: 'k', rule: 'height-lag', severity: 'warning', node: 'standby', summary: 's', labels: {}, state: 'firing', startsAt: now }];
    const o = await buildOverview(store, alerts, now, 90_000);
    const by = Object.fromEntries(o.nodes.map((n) => [n.node, n]));
    assert.equal(o.networkHeight, 50);
    assert.equal(by.master!.role, 'Leader');
    assert.equal(by.master!.authority, true);
    assert.equal(by.master!.health, 'ok');
    assert.equal(by.standby!.health, 'warning');
    assert.equal(by.standby!.height, 49);
    assert.equal(by.old!.health, 'silent');
    assert.deepEqual(o.holders, { [AUTH]: ['master'] }, 'only authority identities are listed');
    // The standby loads the authority identity too: both hosts are listed as holders.
    await store.writeBatch('standby', 2, node('n4', now - 500, 50, 'Leader', AUTH), [], now - 400);
    const o2 = await buildOverview(store, [], now, 90_000);
    assert.deepEqual(o2.holders, { [AUTH]: ['master', 'standby'] });
  } finally {
    await store.close();
  }
});

test('chart math: counter rates skip resets; sums only where every series has a value', () => {
  const p = (t: number, last: number) => ({ t, last, avg: last, min: last, max: last, count: 1 });
  const r = counterRate([p(0, 100), p(10_000, 200), p(20_000, 50), p(30_000, 150)]);
  assert.deepEqual([...r], [[10_000, 10], [30_000, 10]]);
  const s = sumAligned([new Map([[1, 1], [2, 2]]), new Map([[2, 5]])]);
  assert.deepEqual([...s], [[2, 7]]);
});
