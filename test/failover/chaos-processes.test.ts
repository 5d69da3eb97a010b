import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runOne, SCENARIOS, skewsFor, type RunResult, type Scenario } from '../../scripts/chaos/scenarios.js';
import { closeAllWorlds, ETCD_TTL_MS } from '../../scripts/chaos/world.js';
import { observeCut, type CutWatch } from '../../scripts/chaos/world-processes.js';
import { exclusive } from '../helpers/exclusive.js';

/**
 * Chaos with real processes (root, as in CI): the agents are `anoguard agent` processes inside the
 * namespaces fo<seed>m / fo<seed>s, the controllers `anoguard server` processes on the host, so a
 * partition from the controller is an nft drop on the agent's own mTLS connection, "kill the
 * controller" is a SIGKILL, a controller cut from etcd is a drop in the host table fochaos<seed>
 * while it keeps running, clock skew is libfaketime under the agent, and disk full is a filled
 * tmpfs under factomd.conf. Every scenario runs once, seeded, plus the negative control; the
 * checker reads the simulator's record of truth. Seeds 7_970_001+ are this file's own.
 */
after(async () => { await closeAllWorlds(); });

// Seeds picked for what they draw (the draws are fixed by the seed):
// 7_970_118 clock-skew: master agent −2.7 s, standby agent +2.5 s, then the master's host dies.
// 7_970_112 disk-full: the standby's tmpfs is full during the first swap.
// 7_970_206 two-controllers-etcd: the active controller is cut from etcd only, then the master's host dies.
// 7_970_216 two-controllers-etcd: the active controller is cut from etcd and its agents, then the master's host dies.
const RUNS: [number, Scenario][] = [
  [7_970_206, 'two-controllers-etcd'], [7_970_216, 'two-controllers-etcd'],
  [7_970_001, 'kill-master'], [7_970_002, 'partition-master-controller'], [7_970_003, 'partition-standby'], [7_970_004, 'kill-controller-mid-swap'],
  [7_970_005, 'restart-master-pending-swap'], [7_970_118, 'clock-skew'], [7_970_112, 'disk-full'], [7_970_006, 'planned-swap'],
];
const CONTROL: [number, Scenario] = [7_970_199, 'unfenced-duplicate'];

test('cut watch: a controller that says active, grants or promotes after its etcd lease could have ended is caught; one that stepped down passes', () => {
  const at = 1_000_000;
  const timing = { blockMs: 1000, leaseTtlMs: 6000, marginBlocks: 2, downBlocks: 3 };
  const fresh = (): CutWatch => ({ scope: 'etcd', at, answered: 0, answeredLate: 0, reachableAtEnd: 0, steppedDown: false, violations: new Set(), stop: false });
  const host = { host: 'auth-b', role: 'standby' as const, reachable: true, leased: false };
  const st = (o: Partial<Parameters<typeof observeCut>[2]>) => ({ active: false, leaseEnd: at + 6000, timing, events: [], hosts: [host], ...o });
  // Stepped down within the TTL, its last grant before the cut, nothing done afterwards.
  const good = fresh();
  observeCut(good, at + 300, st({ active: true, leaseEnd: at + 200 + 6000 }));
  observeCut(good, at + 1100, st({ events: [{ ts: at + 1000, kind: 'stepped-down' }] }));
  observeCut(good, at + 3000, st({ leaseEnd: at + 900 + 6000 }));
  assert.deepEqual([...good.violations], []);
  assert.deepEqual([good.inactiveAt, good.steppedDown, good.answeredLate, good.reachableAtEnd], [at + 1100, true, 1, 1]);
  // Reachability is what the last status said: an agent seen late (a call handled by a starved
  // server) that stops calling counts 0 by the end of the cut.
  observeCut(good, at + 9000, st({ hosts: [{ ...host, reachable: false }] }));
  assert.deepEqual([good.answeredLate, good.reachableAtEnd, [...good.violations]], [2, 0, []]);
  // Still active, a grant and a promotion after the TTL: each is a violation.
  const bad = fresh();
  observeCut(bad, at + ETCD_TTL_MS + 500, st({ active: true }));
  observeCut(bad, at + ETCD_TTL_MS + 800, st({ leaseEnd: at + ETCD_TTL_MS + 700 + 6000 }));
  observeCut(bad, at + ETCD_TTL_MS + 900, st({ events: [{ ts: at + ETCD_TTL_MS + 850, kind: 'promote', detail: 'auth-b' }, { ts: at - 5, kind: 'lease-moved' }] }));
  assert.deepEqual([...bad.violations].map((v) => v.split(' ')[0]), ['said', 'its', 'promote']);
});

/** Namespaces, world directories, host nft tables, mounts and processes of these seeds that are still there. */
function leftovers(seeds: number[]): string[] {
  const names = new Set(seeds.flatMap((s) => [`fo${s}m`, `fo${s}s`]));
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => names.has(n));
  const prefixes = seeds.map((s) => `fo-chaos-${s}-`);
  const dirs = readdirSync(tmpdir()).filter((d) => prefixes.some((p) => d.startsWith(p)));
  const tables = execFileSync('nft', ['list', 'tables', 'inet'], { encoding: 'utf8' }).split('\n').filter((l) => seeds.some((s) => l.trim() === `table inet fochaos${s}`));
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => prefixes.some((p) => l.includes(p)));
  const procs: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (prefixes.some((x) => cmd.includes(x))) procs.push(`${p}: ${cmd.slice(0, 160)}`);
    } catch { /* gone */ }
  }
  return [...ns, ...dirs, ...tables, ...mounts, ...procs];
}

test('real agent and server processes: every scenario once and the unfenced control — no duplicate, no liveness failure, cut controllers step down, nothing left behind', { timeout: 1_020_000 }, () => exclusive('chaos', async () => {
  const all = [...RUNS, CONTROL];
  assert.deepEqual([...new Set(RUNS.map(([, s]) => s))].sort(), [...SCENARIOS].sort(), 'every scenario is in the sample');
  const results: RunResult[] = [];
  // Two worlds at a time (each a simulator, two agents and one or two servers; 2 cores shared).
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < all.length) {
      const [seed, s] = all[next++]!;
      results.push(await runOne(seed, s, undefined, { processes: true }));
    }
  };
  await Promise.all([worker(), new Promise((r) => setTimeout(r, 3000)).then(worker)]);
  const show = (r: RunResult): string => `seed ${r.seed} ${r.scenario}: ${r.summary} [${r.error ?? ''}]\n  ${r.log.join('\n  ')}`;
  const of = (seed: number): RunResult => results.find((r) => r.seed === seed)!;
  for (const [seed] of RUNS) {
    const r = of(seed);
    assert.equal(r.error, undefined, show(r));
    assert.equal(r.duplicates, 0, show(r));
    assert.equal(r.livenessFailures, 0, show(r));
    assert.equal(r.stepDownFailures, 0, show(r));
    // The world was made of processes: the controller is a server process with a pid.
    assert.ok(r.log.some((l) => /controller A started \(pid \d+\)/.test(l)), show(r));
  }

  // A dead master and a master cut from the controller (its agent's connection dropped by nft) both
  // end with the standby holding the identity; the fencing agent on the master demoted it first.
  assert.match(of(7_970_001).summary, /holder after: standby/, show(of(7_970_001)));
  assert.match(of(7_970_002).summary, /holder after: standby/, show(of(7_970_002)));
  // The standby cut off never takes the identity: the master keeps it.
  assert.match(of(7_970_003).summary, /holder master$/, show(of(7_970_003)));
  assert.ok(of(7_970_004).log.some((l) => /controller A killed \(SIGKILL\)/.test(l)), show(of(7_970_004)));
  assert.match(of(7_970_004).summary, /holder (master|standby)$/, show(of(7_970_004)));
  assert.match(of(7_970_005).summary, /holder (master|standby)$/, show(of(7_970_005)));
  assert.match(of(7_970_006).summary, /^planned swap ok; holder standby$/, show(of(7_970_006)));

  // Clock skew: both agents really ran on their skewed clocks (libfaketime mapped in), the standby
  // took over after the master's host died.
  const skew = skewsFor(7_970_118);
  assert.ok(skew.master < -2000 && skew.standby > 2000, JSON.stringify(skew));
  const cs = of(7_970_118);
  for (const [h, v] of Object.entries(skew)) assert.ok(cs.log.some((l) => l.includes(`${h} agent runs ${v > 0 ? '+' : ''}${v} ms off the host clock (libfaketime loaded)`)), `${h}: ${show(cs)}`);
  assert.match(cs.summary, new RegExp(`^agent clocks ${skew.master}/${skew.standby} ms, node clocks -?\\d+/-?\\d+ s; host death; holder standby$`), show(cs));

  // Disk full: the standby's agent met a real ENOSPC on its tmpfs, the first swap changed nothing,
  // the retry after freeing the disk moved the identity.
  const df = of(7_970_112);
  assert.ok(df.log.some((l) => /standby disk full: \d+ bytes of filler on the 512k tmpfs/.test(l)), show(df));
  assert.ok(df.log.some((l) => /standby disk freed \(ENOSPC in its agent's log: [1-9]\d*\)/.test(l)), show(df));
  assert.match(df.summary, /^disk full on standby: first swap refused\/aborted .*; retry ok; holder standby$/, show(df));

  // Two controllers, the active one cut by nft while its process keeps running: either server may
  // win the etcd key first; the other takes over. The cut one answered its dashboard all along,
  // said `active: false` before its etcd lease could have ended, and granted, promoted and moved
  // nothing afterwards; cut from etcd only, it still heard from the agents (it just gave them no lease).
  for (const [seed, scope, summary] of [
    [7_970_206, 'etcd', /^active ([AB]) cut from etcd only; (?!\1)[AB] took over; master host died; holder standby \[cut \1: inactive after \d+ ms, nothing after its etcd lease\]$/],
    [7_970_216, 'all', /^active ([AB]) cut from etcd and agents; (?!\1)[AB] took over; master host died; holder standby \[cut \1: inactive after \d+ ms, nothing after its etcd lease\]$/],
  ] as const) {
    const r = of(seed);
    assert.match(r.summary, summary, show(r));
    assert.equal(r.cutReports.length, 1, show(r));
    const c = r.cutReports[0]!;
    assert.equal(c.scope, scope, show(r));
    assert.equal(c.running, true, show(r));
    assert.ok(c.answeredLate > 0, show(r));
    assert.ok(c.inactiveAfterMs !== undefined && c.inactiveAfterMs <= ETCD_TTL_MS, show(r));
    assert.equal(c.steppedDownEvent, true, show(r));
    assert.deepEqual(c.violations, [], show(r));
    if (scope === 'etcd') assert.ok(c.agentsReachableAtEnd >= 1, show(r));
    else assert.equal(c.agentsReachableAtEnd, 0, show(r));
  }

  // The negative control with processes: the standby's agent stopped, the identity copied into its
  // factomd.conf and its node started without the fence check — the checker must see the duplicate.
  const ctl = of(CONTROL[0]);
  assert.ok(ctl.duplicates >= 1, show(ctl));
  assert.ok(ctl.log.some((l) => l.includes('standby agent stopped (SIGKILL)')), show(ctl));

  assert.deepEqual(leftovers(all.map(([s]) => s)), []);
}));
