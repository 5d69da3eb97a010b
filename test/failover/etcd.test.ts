import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdLeaseStore, startEtcdElection, type EtcdElection, type EtcdLeadership } from '../../src/failover/etcd.js';
import { killWorldProcesses, startEtcd } from '../../scripts/chaos/world.js';

// Controller HA against a real single-member etcd (Debian etcd-server): one active controller at a
// time, and the lease record written only by the controller that etcd itself still sees as the
// holder of the election key — a deposed controller's write is refused by etcd, not by its own clock.

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TTL_S = 2;

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

test('etcd election: one active controller; only the key holder writes the lease record; a cut one steps down and its old leadership is refused by etcd', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ag-etcd-'));
  const cut = new Set<string>();
  const fetchOf = (name: string): typeof fetch => (input, init) => (cut.has(name) ? Promise.reject(new Error('partitioned')) : fetch(input, init));
  const els: Record<string, EtcdElection> = {};
  try {
    const { url } = await startEtcd(dir, 1);
    const key = '/anoguard/controller/test-identity';
    for (const n of ['A', 'B']) els[n] = startEtcdElection({ endpoint: url, key, me: n, ttlSeconds: TTL_S, fetch: fetchOf(n) });
    const store = (n: string, leadership: () => EtcdLeadership | undefined) => etcdLeaseStore({ endpoint: url, key: '/anoguard/lease/test-identity', fetch: fetchOf(n), leadership });
    const activeOnes = (): string[] => Object.keys(els).filter((n) => els[n]!.isActive());

    await until('a leader', () => activeOnes().length === 1, 10_000);
    // Never two at once while both are healthy.
    for (let i = 0; i < 20; i++) { assert.ok(activeOnes().length <= 1, activeOnes().join(',')); await sleep(50); }
    const leader = activeOnes()[0]!;
    const other = leader === 'A' ? 'B' : 'A';
    const held = els[leader]!.leadership()!;
    assert.deepEqual([held.key, held.me], [key, leader]);
    assert.equal(els[other]!.leadership(), undefined);

    const rec = { identity: 'test-identity', holders: ['master'], epoch: 1, grantedUntil: 1000 };
    await store(leader, () => els[leader]!.leadership()).write(rec);
    assert.deepEqual(await store(other, () => undefined).read(), rec);
    // The follower has no leadership of its own: nothing is sent.
    await assert.rejects(store(other, () => els[other]!.leadership()).write({ ...rec, epoch: 2 }), (e: Error & { code?: string }) => e.code === 'E_ETCD_NOT_LEADER');
    // A forged claim (the leader's name, another lease) is refused by etcd's compare.
    await assert.rejects(store(other, () => ({ ...held, leaseId: '12345' })).write({ ...rec, epoch: 3 }), (e: Error & { code?: string }) => e.code === 'E_ETCD_NOT_LEADER');
    assert.deepEqual(await store(other, () => undefined).read(), rec);

    // Cut the leader from etcd: it says inactive within half the TTL (plus a round), before etcd
    // can expire its key; the other takes over once the key is gone.
    const cutAt = Date.now();
    cut.add(leader);
    await until(`${leader} steps down`, () => !els[leader]!.isActive(), (TTL_S * 1000) / 2 + 600);
    const steppedAfter = Date.now() - cutAt;
    await until(`${other} takes over`, () => els[other]!.isActive(), TTL_S * 1000 + 5000);
    assert.ok(Date.now() - cutAt >= steppedAfter, 'the new leader came after the old one stepped down');
    assert.deepEqual(activeOnes(), [other]);
    await store(other, () => els[other]!.leadership()).write({ ...rec, epoch: 4 });
    // The deposed controller, reaching etcd again with its old leadership (a process paused through
    // all of this would still hold it): etcd refuses the write and the record stays the new one's.
    cut.delete(leader);
    await assert.rejects(store(leader, () => held).write({ ...rec, epoch: 5 }), (e: Error & { code?: string }) => e.code === 'E_ETCD_NOT_LEADER');
    assert.equal((await store(leader, () => undefined).read())?.epoch, 4);
  } finally {
    await Promise.all(Object.values(els).map((e) => e.stop()));
    killWorldProcesses(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});
