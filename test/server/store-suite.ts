/**
 * The one store test suite, run against SQLite (store-sqlite.test.ts) and a real PostgreSQL
 * (store-postgres.test.ts). Expected values are worked out by hand from the inputs below.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent, Sample } from '../../src/agent/payload.js';
import type { Store, StoreOptions } from '../../src/server/store/types.js';

export type OpenStore = (opts: StoreOptions) => Promise<Store>;

const T0 = Date.UTC(2026, 0, 1); // a whole hour
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

function s(name: string, t: number, value: number, labels: Record<string, string> = {}): Sample {
  return { name, labels, t, value };
}
function ev(kind: string, severity: AgentEvent['severity'], t: number, message = kind): AgentEvent {
  return { kind, severity, t, message, data: { n: 1 } };
}

async function withStore(open: OpenStore, opts: StoreOptions, fn: (st: Store) => Promise<void>): Promise<void> {
  const st = await open(opts);
  try { await fn(st); } finally { await st.close(); }
}

export function storeSuite(open: OpenStore): void {
  it('stores a batch once: a repeated or older seq is a duplicate and writes nothing', async () => {
    await withStore(open, { now: () => T0 + HOUR }, async (st) => {
      const batch = [s('node_load1', T0, 0.5), s('node_load1', T0 + 10_000, 0.75)];
      assert.deepEqual(await st.writeBatch('n1', 1, batch, [ev('ssh.login.failed', 'warning', T0)], T0 + 1), { ackedSeq: 1, duplicate: false, samples: 2, events: 1 });
      assert.deepEqual(await st.writeBatch('n1', 1, batch, [ev('ssh.login.failed', 'warning', T0)], T0 + 2), { ackedSeq: 1, duplicate: true, samples: 0, events: 0 });
      assert.equal((await st.writeBatch('n1', 3, [s('node_load1', T0 + 20_000, 1)], [], T0 + 3)).duplicate, false);
      // seq 2 arrives after 3 was committed: the watermark says it is already covered.
      assert.deepEqual(await st.writeBatch('n1', 2, [s('node_load1', T0 + 30_000, 9)], [], T0 + 4), { ackedSeq: 3, duplicate: true, samples: 0, events: 0 });
      const q = await st.querySeries({ node: 'n1', name: 'node_load1', from: T0, to: T0 + 1_000_000, resolution: 1 });
      assert.equal(q.tier, 'raw');
      assert.deepEqual(q.series[0]!.points.map((p) => [p.t, p.last]), [[T0, 0.5], [T0 + 10_000, 0.75], [T0 + 20_000, 1]]);
      assert.equal((await st.queryEvents({ node: 'n1' })).length, 1);
      const ag = await st.agents();
      assert.deepEqual(ag, [{ agent: 'n1', lastSeq: 3, firstSeen: T0 + 1, lastSeen: T0 + 4 }]);
    });
  });

  it('stores a batch delivered twice at the same moment once (two servers, or a retry racing its original)', async () => {
    await withStore(open, { now: () => T0 + HOUR }, async (st) => {
      const batch = [s('node_load1', T0, 1), s('node_load1', T0 + 10_000, 2)];
      const rs = await Promise.all([
        st.writeBatch('n1', 1, batch, [ev('x.y', 'info', T0)], T0),
        st.writeBatch('n1', 1, batch, [ev('x.y', 'info', T0)], T0),
        st.writeBatch('n2', 1, batch, [], T0),
      ]);
      assert.deepEqual(rs.slice(0, 2).map((r) => r.duplicate).sort(), [false, true]);
      assert.equal(rs[2].duplicate, false);
      const q = await st.querySeries({ node: 'n1', name: 'node_load1', from: T0, to: T0 + 1_000_000 });
      assert.equal(q.series[0]!.points.reduce((n, p) => n + p.count, 0), 2);
      assert.equal((await st.queryEvents({ node: 'n1' })).length, 1);
    });
  });

  it('keeps agents apart and matches label subsets', async () => {
    await withStore(open, { now: () => T0 + HOUR }, async (st) => {
      await st.writeBatch('a', 1, [
        s('node_cpu_seconds_total', T0, 10, { cpu: '0', mode: 'idle' }),
        s('node_cpu_seconds_total', T0, 2, { mode: 'user', cpu: '0' }),
        s('node_cpu_seconds_total', T0, 20, { cpu: '1', mode: 'idle' }),
      ], [], T0);
      await st.writeBatch('b', 1, [s('node_cpu_seconds_total', T0, 99, { cpu: '0', mode: 'idle' })], [], T0);
      const idle = await st.querySeries({ node: 'a', name: 'node_cpu_seconds_total', labels: { mode: 'idle' }, from: T0, to: T0 + 1000 });
      assert.deepEqual(idle.series.map((x) => [x.labels.cpu, x.points[0]!.last]).sort(), [['0', 10], ['1', 20]]);
      // Label order on the wire does not create a second series.
      await st.writeBatch('a', 2, [s('node_cpu_seconds_total', T0 + 10_000, 3, { cpu: '0', mode: 'user' })], [], T0);
      const user = await st.querySeries({ node: 'a', name: 'node_cpu_seconds_total', labels: { mode: 'user' }, from: T0, to: T0 + MIN });
      assert.equal(user.series.length, 1);
      assert.deepEqual(user.series[0]!.points.map((p) => p.last), [2, 3]);
      const none = await st.querySeries({ node: 'c', name: 'node_cpu_seconds_total', from: T0, to: T0 + MIN });
      assert.deepEqual(none.series, []);
    });
  });

  it('keeps label sets apart whose values look like other label sets', async () => {
    await withStore(open, { now: () => T0 + HOUR }, async (st) => {
      // Values may hold any character: none of these may share a series with another.
      const sets: Record<string, string>[] = [{ a: 'x', b: 'y' }, { a: 'x\u0000b:1:y' }, { a: 'x:1:y' }, { a: 'x', b: '' }, { a: 'x' }, {}, { b: 'y', a: 'x' }];
      await st.writeBatch('n', 1, sets.map((l, i) => s('m', T0 + i * 1000, i, l)), [], T0);
      const q = await st.querySeries({ node: 'n', name: 'm', from: T0, to: T0 + MIN, resolution: 1 });
      const got = q.series.map((x) => [JSON.stringify(Object.entries(x.labels).sort()), x.points.map((p) => p.last)]).sort();
      const want = [
        [JSON.stringify([['a', 'x'], ['b', 'y']]), [0, 6]],
        [JSON.stringify([['a', 'x\u0000b:1:y']]), [1]],
        [JSON.stringify([['a', 'x:1:y']]), [2]],
        [JSON.stringify([['a', 'x'], ['b', '']]), [3]],
        [JSON.stringify([['a', 'x']]), [4]],
        [JSON.stringify([]), [5]],
      ].sort();
      assert.deepEqual(got, want);
    });
  });

  it('returns the latest value of every series, per node and name', async () => {
    await withStore(open, { now: () => T0 + HOUR }, async (st) => {
      await st.writeBatch('a', 1, [s('node_load1', T0, 1), s('node_load1', T0 + 10_000, 2), s('factomd_leader_height', T0, 1000)], [], T0);
      await st.writeBatch('b', 1, [s('node_load1', T0 + 5_000, 7)], [], T0);
      await st.writeBatch('a', 2, [s('node_load1', T0 + 20_000, 3)], [], T0);
      const all = await st.latest();
      assert.deepEqual(
        all.map((l) => [l.node, l.name, l.t, l.value]),
        [['a', 'factomd_leader_height', T0, 1000], ['a', 'node_load1', T0 + 20_000, 3], ['b', 'node_load1', T0 + 5_000, 7]],
      );
      assert.deepEqual((await st.latest({ node: 'b' })).map((l) => l.value), [7]);
      assert.deepEqual((await st.latest({ names: ['factomd_leader_height'] })).map((l) => l.node), ['a']);
    });
  });

  it('stores events apart from samples and filters them by node, kind prefix, severity and time', async () => {
    await withStore(open, { now: () => T0 + HOUR }, async (st) => {
      await st.writeBatch('a', 1, [], [
        ev('ssh.login.failed', 'warning', T0 + 1),
        ev('ssh.bruteforce', 'critical', T0 + 2),
        ev('fim.changed', 'critical', T0 + 3),
        ev('listener.new', 'info', T0 + 4),
      ], T0 + 10);
      await st.writeBatch('b', 1, [], [ev('agent.gap', 'warning', T0 + 5)], T0 + 10);
      assert.deepEqual((await st.queryEvents({})).map((e) => e.kind), ['agent.gap', 'listener.new', 'fim.changed', 'ssh.bruteforce', 'ssh.login.failed']);
      assert.deepEqual((await st.queryEvents({ kinds: ['ssh.'] })).map((e) => e.kind), ['ssh.bruteforce', 'ssh.login.failed']);
      assert.deepEqual((await st.queryEvents({ minSeverity: 'critical' })).map((e) => e.kind), ['fim.changed', 'ssh.bruteforce']);
      assert.deepEqual((await st.queryEvents({ node: 'a', from: T0 + 2, to: T0 + 4 })).map((e) => e.kind), ['fim.changed', 'ssh.bruteforce']);
      assert.deepEqual((await st.queryEvents({ kinds: ['fim.changed', 'agent.gap'], limit: 1 })).map((e) => e.kind), ['agent.gap']);
      const one = (await st.queryEvents({ kinds: ['fim.changed'] }))[0]!;
      assert.deepEqual({ ...one, id: 0 }, { id: 0, node: 'a', t: T0 + 3, kind: 'fim.changed', severity: 'critical', message: 'fim.changed', data: { n: 1 }, receivedAt: T0 + 10 });
      // No event leaked into the sample tables.
      assert.deepEqual(await st.latest(), []);
    });
  });

  it('rolls raw samples up to 1-minute and 1-hour aggregates (min, max, avg, last, count)', async () => {
    // 3 hours of one sample every 10 s: value = index within the hour (0..359), so every minute m
    // holds 6m..6m+5 and every hour 0..359.
    const samples: Sample[] = [];
    for (let h = 0; h < 3; h++) for (let i = 0; i < 360; i++) samples.push(s('node_load1', T0 + h * HOUR + i * 10_000, i));
    await withStore(open, { now: () => T0 + 4 * HOUR, latenessMs: MIN }, async (st) => {
      await st.writeBatch('n', 1, samples, [], T0);
      const r = await st.rollup(T0 + 3 * HOUR + 2 * MIN);
      assert.equal(r.minuteUntil, T0 + 3 * HOUR + MIN);
      assert.equal(r.hourUntil, T0 + 3 * HOUR);
      assert.equal(r.minuteRows, 180);
      assert.equal(r.hourRows, 3);
      // 1-minute tier over a day-long window (step 1 min wanted → 1m tier).
      const m = await st.querySeries({ node: 'n', name: 'node_load1', from: T0, to: T0 + 3 * HOUR, resolution: MIN });
      assert.equal(m.tier, '1m');
      assert.equal(m.step, MIN);
      assert.equal(m.series[0]!.points.length, 180);
      assert.deepEqual(m.series[0]!.points[7], { t: T0 + 7 * MIN, avg: 44.5, min: 42, max: 47, last: 47, count: 6 });
      const h = await st.querySeries({ node: 'n', name: 'node_load1', from: T0, to: T0 + 3 * HOUR, resolution: HOUR });
      assert.equal(h.tier, '1h');
      assert.deepEqual(h.series[0]!.points[1], { t: T0 + HOUR, avg: 179.5, min: 0, max: 359, last: 359, count: 360 });
      // A step of 2 h folds 1-hour rows: last stays the last value, count adds up.
      const h2 = await st.querySeries({ node: 'n', name: 'node_load1', from: T0, to: T0 + 4 * HOUR, resolution: 2 * HOUR });
      assert.deepEqual(h2.series[0]!.points.map((p) => [p.t, p.count, p.last, p.avg]), [[T0, 720, 359, 179.5], [T0 + 2 * HOUR, 360, 359, 179.5]]);
      // A second rollup with nothing new changes nothing.
      const again = await st.rollup(T0 + 3 * HOUR + 2 * MIN);
      assert.equal(again.minuteRows, 0);
    });
  });

  it('re-rolls minutes and hours that late samples touched', async () => {
    await withStore(open, { now: () => T0 + 4 * HOUR, latenessMs: 0 }, async (st) => {
      await st.writeBatch('n', 1, [s('x', T0, 1), s('x', T0 + 10_000, 2)], [], T0);
      await st.rollup(T0 + 2 * HOUR);
      const first = await st.querySeries({ node: 'n', name: 'x', from: T0, to: T0 + HOUR, resolution: HOUR });
      assert.deepEqual(first.series[0]!.points, [{ t: T0, avg: 1.5, min: 1, max: 2, last: 2, count: 2 }]);
      // Delivered late (the agent's outbox drained after an outage).
      await st.writeBatch('n', 2, [s('x', T0 + 20_000, 9)], [], T0 + 2 * HOUR);
      await st.rollup(T0 + 2 * HOUR);
      const m = await st.querySeries({ node: 'n', name: 'x', from: T0, to: T0 + MIN, resolution: MIN });
      assert.deepEqual(m.series[0]!.points, [{ t: T0, avg: 4, min: 1, max: 9, last: 9, count: 3 }]);
      const h = await st.querySeries({ node: 'n', name: 'x', from: T0, to: T0 + HOUR, resolution: HOUR });
      assert.deepEqual(h.series[0]!.points, [{ t: T0, avg: 4, min: 1, max: 9, last: 9, count: 3 }]);
    });
  });

  it('fills the part of a coarse query that is not rolled up yet from the finer tiers', async () => {
    await withStore(open, { now: () => T0 + 2 * HOUR, latenessMs: 0 }, async (st) => {
      await st.writeBatch('n', 1, [s('x', T0, 1), s('x', T0 + 90 * MIN, 5)], [], T0);
      await st.rollup(T0 + 30 * MIN);
      const m = await st.querySeries({ node: 'n', name: 'x', from: T0, to: T0 + 2 * HOUR, resolution: MIN });
      assert.equal(m.tier, '1m');
      assert.deepEqual(m.series[0]!.points.map((p) => [p.t, p.last]), [[T0, 1], [T0 + 90 * MIN, 5]]);
    });
  });

  it('applies retention per tier, never dropping raw data that is not rolled up', async () => {
    const retention = { rawMs: DAY, minuteMs: 3 * DAY, hourMs: 10 * DAY, eventsMs: 5 * DAY };
    await withStore(open, { retention, latenessMs: 0, now: () => T0 + 20 * DAY }, async (st) => {
      const samples: Sample[] = [];
      for (let d = 0; d < 20; d++) samples.push(s('x', T0 + d * DAY, d), s('x', T0 + d * DAY + 10_000, d + 0.5));
      await st.writeBatch('n', 1, samples, [ev('agent.gap', 'warning', T0), ev('agent.gap', 'warning', T0 + 19 * DAY)], T0);
      const before = await st.applyRetention(T0 + 20 * DAY);
      assert.equal(before.raw, 0, 'nothing is rolled up yet: raw stays');
      assert.equal(before.events, 1);
      await st.rollup(T0 + 20 * DAY);
      const after = await st.applyRetention(T0 + 20 * DAY);
      // raw keeps day 19 (cut at day 19 exactly: t >= cut stays), 1m keeps days 17..19, 1h keeps 10..19.
      assert.equal(after.raw, 38);
      assert.equal(after.minute, 17);
      assert.equal(after.hour, 10);
      const raw = await st.querySeries({ node: 'n', name: 'x', from: T0 + 19 * DAY, to: T0 + 19 * DAY + MIN, resolution: 1 });
      assert.equal(raw.tier, 'raw');
      assert.equal(raw.series[0]!.points.length, 2);
      const all = await st.querySeries({ node: 'n', name: 'x', from: T0, to: T0 + 20 * DAY });
      assert.equal(all.tier, '1h');
      assert.deepEqual(all.series[0]!.points.map((p) => p.t), Array.from({ length: 10 }, (_, i) => T0 + (10 + i) * DAY));
      assert.deepEqual(all.series[0]!.points[0], { t: T0 + 10 * DAY, avg: 10.25, min: 10, max: 10.5, last: 10.5, count: 2 });
    });
  });

  it('answers a 30-day query from the 1-hour tier with at most 1000 points', async () => {
    const now = T0 + 30 * DAY;
    await withStore(open, { now: () => now, latenessMs: 0 }, async (st) => {
      const samples: Sample[] = [];
      for (let t = T0; t < now; t += 10 * MIN) samples.push(s('node_load1', t, (t - T0) / HOUR));
      await st.writeBatch('n', 1, samples, [], T0);
      await st.rollup(now);
      const q = await st.querySeries({ node: 'n', name: 'node_load1', from: T0, to: now });
      assert.equal(q.tier, '1h');
      assert.equal(q.step, HOUR);
      const pts = q.series[0]!.points;
      assert.equal(pts.length, 720);
      // Hour k holds k, k+1/6, …, k+5/6: avg k + 5/12.
      assert.ok(Math.abs(pts[100]!.avg - (100 + 5 / 12)) < 1e-9);
      assert.equal(pts[100]!.count, 6);
      // Even asking for raw resolution, 30 days stays on a coarse tier.
      assert.notEqual((await st.querySeries({ node: 'n', name: 'node_load1', from: T0, to: now, resolution: 1000 })).tier, 'raw');
    });
  });

  it('refuses an empty or inverted range with a field-named error', async () => {
    await withStore(open, {}, async (st) => {
      await assert.rejects(st.querySeries({ node: 'n', name: 'x', from: 10, to: 10 }), /from/);
    });
  });
}
