import { readFileSync } from 'node:fs';
import { promoteConf, readIdentityTriple } from '../../src/failover/conf-identity.js';
import { writeFileAtomic } from '../../src/util/fs.js';
import { BLOCK_MS, createWorld, sleep, type ChaosWorld, type CutReport, type World, type WorldOptions } from './world.js';
import { createProcessWorld } from './world-processes.js';

/** Seeded, reproducible choices (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SCENARIOS = [
  'kill-master', 'partition-master-controller', 'partition-standby', 'kill-controller-mid-swap',
  'restart-master-pending-swap', 'clock-skew', 'disk-full', 'planned-swap', 'two-controllers-etcd',
] as const;
/**
 * Negative controls, never drawn at random: they break the rules on purpose, so a campaign of them
 * must report duplicates (proof that the checker and the exit status see one).
 */
export const CONTROLS = ['unfenced-duplicate'] as const;
export type Scenario = (typeof SCENARIOS)[number] | (typeof CONTROLS)[number];
export const isScenario = (s: string): s is Scenario => (SCENARIOS as readonly string[]).includes(s) || (CONTROLS as readonly string[]).includes(s);
/**
 * What the process world (real agent and server processes) runs: every scenario and the control.
 * clock-skew runs its agents under libfaketime, disk-full puts the factomd.conf directories on
 * small tmpfs mounts and fills one, unfenced-duplicate stops the standby's agent process.
 */
export const PROCESS_SCENARIOS: readonly Scenario[] = SCENARIOS;
export const runsInProcesses = (s: Scenario): boolean => isScenario(s);

/** The agents' wall-clock offsets of a clock-skew process world: one or both hosts, ±3 s, from the seed alone. */
export function skewsFor(seed: number): { master: number; standby: number } {
  const r = rng(seed ^ 0x5c3e);
  const one = r();
  const v = (): number => Math.round((r() - 0.5) * 6000);
  const [m, s] = [v(), v()];
  // A quarter of the runs skew the master only, a quarter the standby only, the rest both.
  return { master: one < 0.25 ? 0 : m, standby: one >= 0.25 && one < 0.5 ? 0 : s };
}

async function waitHolder(w: ChaosWorld, want: string | undefined, timeoutMs: number): Promise<string | undefined> {
  const end = Date.now() + timeoutMs;
  let h = await w.holderOf();
  while (Date.now() < end && (want === undefined ? h === undefined : h !== want)) {
    await sleep(250);
    h = await w.holderOf();
  }
  return h;
}

/** Let the world run `blocks` blocks more, then make sure somebody (anybody) holds the identity. */
async function settle(w: ChaosWorld, blocks: number): Promise<void> {
  await sleep(blocks * BLOCK_MS);
  await waitHolder(w, undefined, 30_000);
  await sleep(3 * BLOCK_MS);
}

export async function runScenario(s: Scenario, w: ChaosWorld, r: () => number): Promise<string> {
  const ms = (lo: number, hi: number): number => Math.round((lo + r() * (hi - lo)) * BLOCK_MS);
  switch (s) {
    case 'kill-master': {
      await sleep(ms(0.5, 3));
      const hostDeath = r() < 0.5;
      if (hostDeath) await w.killHost('master'); else await w.killNode('master');
      const h = await waitHolder(w, 'standby', 40_000);
      if (r() < 0.7) {
        await sleep(ms(0, 3));
        if (hostDeath) await w.bootHost('master'); else await w.restartNode('master');
      }
      await settle(w, 3);
      return `${hostDeath ? 'host' : 'factomd'} death; holder after: ${h ?? 'nobody'}`;
    }
    case 'partition-master-controller': {
      await sleep(ms(0.5, 3));
      await w.setLink('master', false);
      const h = await waitHolder(w, 'standby', 40_000);
      await sleep(ms(0, 4));
      await w.setLink('master', true);
      await settle(w, 3);
      return `holder after: ${h ?? 'nobody'}`;
    }
    case 'partition-standby': {
      await sleep(ms(0.5, 2));
      const alsoNetwork = r() < 0.5;
      await w.setLink('standby', false);
      if (alsoNetwork) await w.cutNetwork('standby', true);
      await sleep(ms(3, 8));
      if (alsoNetwork) await w.cutNetwork('standby', false);
      await w.setLink('standby', true);
      await settle(w, 3);
      return `standby cut${alsoNetwork ? ' from controller and network' : ' from controller'}; holder ${await w.holderOf() ?? 'nobody'}`;
    }
    case 'kill-controller-mid-swap': {
      await sleep(ms(0.5, 2));
      const swap = w.runSwap('standby').catch((e: unknown) => ({ ok: false, detail: String(e) }));
      await sleep(ms(0, 4));
      await w.killController();
      const r1 = await swap;
      await sleep(ms(1, 6));
      await w.startController();
      await settle(w, 6);
      return `swap before kill: ${r1.ok ? 'done' : r1.detail.slice(0, 80)}; holder ${await w.holderOf() ?? 'nobody'}`;
    }
    case 'restart-master-pending-swap': {
      await sleep(ms(0.5, 2));
      // Handled at once: a swap refused while the loop below waits must not become an unhandled rejection.
      const swap = w.runSwap('standby').catch((e: unknown) => ({ ok: false, detail: e instanceof Error ? e.message : String(e) }));
      const end = Date.now() + 15_000;
      while (Date.now() < end && !w.journal().entries().some((e) => e.state === 'edits-applied' || e.state === 'aborted')) await sleep(50);
      await w.restartNode('master');
      const res = await swap;
      await settle(w, 4);
      return `swap: ${res.ok ? 'ok' : res.detail.slice(0, 80)}; holder ${await w.holderOf() ?? 'nobody'}`;
    }
    case 'clock-skew': {
      // Agents' wall clocks: set here on in-process agents; a process world's agents run under
      // libfaketime from their start (their draws are made before the world exists: skewsFor).
      const drawn = [r(), r()].map((x) => Math.round((x - 0.5) * 6000));
      let skews: number[];
      if (w.kind === 'in-process') {
        const ip = w as World;
        [...ip.hosts.values()].forEach((h, i) => { h.skewMs = drawn[i]!; });
        skews = drawn;
      } else skews = ['master', 'standby'].map((h) => w.agentSkewMs?.[h] ?? 0);
      // The simulated factomd nodes' own clocks (the simulator's fault).
      const nodeSkews = [Math.round((r() - 0.5) * 10), Math.round((r() - 0.5) * 10)];
      await w.sim.fault('n2', 'clock-skew', nodeSkews[0]);
      await w.sim.fault('n3', 'clock-skew', nodeSkews[1]);
      const what = `agent clocks ${skews.join('/')} ms, node clocks ${nodeSkews.join('/')} s`;
      await sleep(ms(1, 3));
      if (r() < 0.5) {
        await w.killHost('master');
        const h = await waitHolder(w, 'standby', 40_000);
        await settle(w, 3);
        return `${what}; host death; holder ${h ?? 'nobody'}`;
      }
      const res = await w.runSwap('standby');
      await settle(w, 3);
      return `${what}; planned swap ${res.ok ? 'ok' : res.detail.slice(0, 80)}; holder ${await w.holderOf() ?? 'nobody'}`;
    }
    case 'disk-full': {
      await sleep(ms(0.5, 2));
      const victim = r() < 0.5 ? 'standby' : 'master';
      await w.fillDisk(victim, true);
      const a = await w.runSwap('standby');
      await sleep(ms(1, 3));
      await w.fillDisk(victim, false);
      await settle(w, 3);
      const holder = await w.holderOf();
      let b = '';
      if (holder === 'master') {
        const res = await w.runSwap('standby');
        b = `; retry ${res.ok ? 'ok' : res.detail.slice(0, 60)}`;
        await settle(w, 3);
      }
      return `disk full on ${victim}: first swap ${a.ok ? 'ok' : `refused/aborted (${a.detail.slice(0, 100)})`}${b}; holder ${await w.holderOf() ?? 'nobody'}`;
    }
    case 'two-controllers-etcd': {
      await sleep(ms(1, 3));
      const a = await w.activeController() ?? 'A';
      // Cut from etcd only (it still talks to the agents, and must not grant them anything), or from everything.
      const scope = r() < 0.5 ? 'etcd' : 'all';
      await w.cutController(a, true, scope);
      let what = 'no fault';
      if (r() < 0.5) {
        await sleep(ms(0, 3));
        await w.killHost('master');
        what = `master host died; holder ${await waitHolder(w, 'standby', 40_000) ?? 'nobody'}`;
      }
      await sleep(ms(3, 8));
      const b = await w.activeController();
      await w.cutController(a, false);
      await settle(w, 3);
      return `active ${a} cut ${scope === 'etcd' ? 'from etcd only' : 'from etcd and agents'}; ${b ?? 'nobody'} took over; ${what}`;
    }
    case 'unfenced-duplicate': {
      // What the fencing exists to prevent: the identity copied into the standby's factomd.conf
      // behind the agents' back and the node started without the fence check.
      await sleep(ms(0.5, 2));
      await w.stopAgent('standby');
      const triple = readIdentityTriple(readFileSync(w.confPath('master'), 'utf8'))!;
      const sb = w.confPath('standby');
      writeFileAtomic(sb, promoteConf(readFileSync(sb, 'utf8'), triple, 1), { mode: 0o600 });
      await w.killNode('standby');
      await w.sim.restartNode('n3');
      await sleep(8 * BLOCK_MS);
      return 'identity copied into the standby without fencing';
    }
    case 'planned-swap': {
      await sleep(ms(0.5, 2));
      const res = await w.runSwap('standby');
      await settle(w, 2);
      return `planned swap ${res.ok ? 'ok' : res.detail.slice(0, 80)}; holder ${await w.holderOf() ?? 'nobody'}`;
    }
  }
}

export interface RunResult {
  seed: number;
  scenario: Scenario;
  duplicates: number;
  livenessFailures: number;
  longestGapBlocks: number;
  /** Cut controllers that acted after their etcd lease ended, stopped running, or could not be observed. */
  stepDownFailures: number;
  cutReports: CutReport[];
  summary: string;
  error?: string;
  log: string[];
}

/**
 * One run: a fresh world, the scenario, then the checker over the record of truth. With
 * `processes`, the world's agents and controllers are real processes (`createProcessWorld`) and a
 * random draw picks among PROCESS_SCENARIOS.
 */
export async function runOne(seed: number, scenario?: Scenario, note?: (s: string) => void, opts: { processes?: boolean } = {}): Promise<RunResult> {
  const r = rng(seed);
  const pool: readonly Scenario[] = opts.processes ? PROCESS_SCENARIOS : SCENARIOS;
  const s = scenario ?? pool[Math.floor(r() * pool.length)]!;
  // A loaded machine can make a simulator start slowly: one more try before calling it an error.
  const o: WorldOptions = {
    etcd: s === 'two-controllers-etcd',
    ...(opts.processes && s === 'clock-skew' ? { skewMs: skewsFor(seed) } : {}),
    ...(opts.processes && s === 'disk-full' ? { tmpfsConf: true } : {}),
  };
  const create = (): Promise<ChaosWorld> => (opts.processes ? createProcessWorld(seed, note, o) : createWorld(seed, note, o));
  let w: ChaosWorld;
  try {
    w = await create().catch(() => create());
  } catch (e) {
    return { seed, scenario: s, duplicates: 0, livenessFailures: 0, longestGapBlocks: 0, stepDownFailures: 0, cutReports: [], summary: '', error: `setup: ${e instanceof Error ? e.message : String(e)}`, log: [] };
  }
  try {
    let summary = '';
    let error: string | undefined;
    try {
      summary = await runScenario(s, w, r);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const c = w.check();
    for (const d of c.duplicates) w.log.push(`DUPLICATE at height ${d.height}: ${d.nodes.join(', ')}`);
    for (const n of c.duplicateDeaths) w.log.push(`DUPLICATE death of ${n}`);
    for (const g of c.livenessFailures) w.log.push(`LIVENESS gap of ${g.blocks} blocks from ${((g.fromTs - w.t0) / 1000).toFixed(1)}s`);
    // A cut controller must keep running (it was cut, not killed) and stop acting once its etcd lease is gone.
    const badCuts = w.cutReports.filter((x) => x.violations.length > 0 || !x.running || x.answeredLate === 0);
    for (const x of badCuts) w.log.push(`STEP-DOWN failure of controller ${x.controller}: ${x.violations.join('; ') || (x.running ? 'not observed after its etcd lease ended' : 'not running')}`);
    // The evidence of each cut on the run's line: when it stopped acting, and that it did nothing after.
    for (const x of w.cutReports) summary += ` [cut ${x.controller}: inactive after ${x.inactiveAfterMs ?? '∞'} ms, ${x.violations.length ? 'ACTED after its etcd lease' : 'nothing after its etcd lease'}]`;
    const out: RunResult = {
      seed, scenario: s, duplicates: c.duplicates.length + c.duplicateDeaths.length, livenessFailures: c.livenessFailures.length,
      longestGapBlocks: c.longestGapBlocks, stepDownFailures: badCuts.length, cutReports: [...w.cutReports], summary, log: w.log,
    };
    if (error) out.error = error;
    return out;
  } finally {
    await w.close();
  }
}
