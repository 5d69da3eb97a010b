import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runOne, type RunResult, type Scenario } from '../../scripts/chaos/scenarios.js';
import { closeAllWorlds } from '../../scripts/chaos/world.js';

/**
 * Chaos with real processes (root, as in CI): the agents are `anoguard agent` processes inside the
 * namespaces fo<seed>m / fo<seed>s, the controller an `anoguard server` process on the host, so a
 * partition from the controller is an nft drop on the agent's own mTLS connection and "kill the
 * controller" is a SIGKILL. Each scenario runs once, seeded; the checker reads the simulator's record
 * of truth. Seeds 7_970_001+ are this file's own (chaos.test.ts and chaos-netns.test.ts use others).
 */
after(async () => { await closeAllWorlds(); });

// 7_970_206 draws "the master's host dies while the active controller is cut off": the standby's
// agent must take its lease from the other server while the first one does not answer.
const RUNS: [number, Scenario][] = [
  [7_970_001, 'kill-master'], [7_970_002, 'partition-master-controller'], [7_970_003, 'partition-standby'], [7_970_004, 'kill-controller-mid-swap'],
  [7_970_206, 'two-controllers-etcd'],
];

/** Namespaces, world directories and processes of these seeds that are still there. */
function leftovers(seeds: number[]): string[] {
  const names = new Set(seeds.flatMap((s) => [`fo${s}m`, `fo${s}s`]));
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => names.has(n));
  const prefixes = seeds.map((s) => `fo-chaos-${s}-`);
  const dirs = readdirSync(tmpdir()).filter((d) => prefixes.some((p) => d.startsWith(p)));
  const procs: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (prefixes.some((x) => cmd.includes(x))) procs.push(`${p}: ${cmd.slice(0, 160)}`);
    } catch { /* gone */ }
  }
  return [...ns, ...dirs, ...procs];
}

test('real agent and server processes: kill-master, partition-master-controller, partition-standby, kill-controller-mid-swap, two-controllers-etcd — no duplicate, no liveness failure, nothing left behind', { timeout: 420_000 }, async () => {
  const results: RunResult[] = [];
  // Two worlds at a time: each is a simulator, two agents and a server (2 cores shared).
  for (let i = 0; i < RUNS.length; i += 2) {
    results.push(...await Promise.all(RUNS.slice(i, i + 2).map(([seed, s]) => runOne(seed, s, undefined, { processes: true }))));
  }
  const show = (r: RunResult): string => `seed ${r.seed} ${r.scenario}: ${r.summary} [${r.error ?? ''}]\n  ${r.log.join('\n  ')}`;
  for (const r of results) {
    assert.equal(r.error, undefined, show(r));
    assert.equal(r.duplicates, 0, show(r));
    assert.equal(r.livenessFailures, 0, show(r));
    // The world was made of processes: the controller is a server process with a pid.
    assert.ok(r.log.some((l) => /controller A started \(pid \d+\)/.test(l)), show(r));
  }
  const by = (s: Scenario): RunResult => results.find((r) => r.scenario === s)!;
  // A dead master and a master cut from the controller (its agent's connection dropped by nft) both
  // end with the standby holding the identity; the fencing agent on the master demoted it first.
  assert.match(by('kill-master').summary, /holder after: standby/, show(by('kill-master')));
  assert.match(by('partition-master-controller').summary, /holder after: standby/, show(by('partition-master-controller')));
  // The standby cut off never takes the identity: the master keeps it.
  assert.match(by('partition-standby').summary, /holder master$/, show(by('partition-standby')));
  assert.ok(by('kill-controller-mid-swap').log.some((l) => /controller A killed \(SIGKILL\)/.test(l)), show(by('kill-controller-mid-swap')));
  assert.match(by('kill-controller-mid-swap').summary, /holder (master|standby)$/, show(by('kill-controller-mid-swap')));
  // Either server may win the etcd key first; the other one must take over.
  assert.match(by('two-controllers-etcd').summary, /active ([AB]) cut off; (?!\1)[AB] took over; master host died; holder standby$/, show(by('two-controllers-etcd')));
  assert.deepEqual(leftovers(RUNS.map(([s]) => s)), []);
});
