import { readFileSync } from 'node:fs';
import { promoteConf, readIdentityTriple } from '../../src/failover/conf-identity.js';
import { writeFileAtomic } from '../../src/util/fs.js';
import { BLOCK_MS, createWorld, sleep, type ChaosWorld, type World } from './world.js';
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
 * What the process world (real agent and server processes) runs: the others turn knobs that only an
 * in-process agent has (its clock, its file writes, stopping it behind the controller's back).
 */
export const PROCESS_SCENARIOS = [
  'kill-master', 'partition-master-controller', 'partition-standby', 'kill-controller-mid-swap',
  'restart-master-pending-swap', 'planned-swap', 'two-controllers-etcd',
] as const satisfies readonly Scenario[];
export const runsInProcesses = (s: Scenario): boolean => (PROCESS_SCENARIOS as readonly string[]).includes(s);

function inProcess(w: ChaosWorld, s: Scenario): World {
  if (w.kind !== 'in-process') throw new Error(`${s} needs the in-process world (it turns knobs of in-process agents)`);
  return w as World;
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
      const ip = inProcess(w, s);
      for (const h of ip.hosts.values()) h.skewMs = Math.round((r() - 0.5) * 6000);
      await w.sim.fault('n2', 'clock-skew', Math.round((r() - 0.5) * 10));
      await w.sim.fault('n3', 'clock-skew', Math.round((r() - 0.5) * 10));
      await sleep(ms(1, 3));
      if (r() < 0.5) {
        await w.killHost('master');
        const h = await waitHolder(w, 'standby', 40_000);
        await settle(w, 3);
        return `skews ${[...ip.hosts.values()].map((h2) => h2.skewMs).join('/')} ms; host death; holder ${h ?? 'nobody'}`;
      }
      const res = await w.runSwap('standby');
      await settle(w, 3);
      return `skews ${[...ip.hosts.values()].map((h2) => h2.skewMs).join('/')} ms; planned swap ${res.ok ? 'ok' : res.detail.slice(0, 80)}`;
    }
    case 'disk-full': {
      await sleep(ms(0.5, 2));
      const ip = inProcess(w, s);
      const victim = r() < 0.5 ? 'standby' : 'master';
      ip.hosts.get(victim)!.failWrites = 'ENOSPC';
      const a = await w.runSwap('standby');
      await sleep(ms(1, 3));
      ip.hosts.get(victim)!.failWrites = undefined;
      await settle(w, 3);
      const holder = await w.holderOf();
      let b = '';
      if (holder === 'master') {
        const res = await w.runSwap('standby');
        b = `; retry ${res.ok ? 'ok' : res.detail.slice(0, 60)}`;
        await settle(w, 3);
      }
      return `disk full on ${victim}: first swap ${a.ok ? 'ok' : 'refused/aborted'}${b}; holder ${await w.holderOf() ?? 'nobody'}`;
    }
    case 'two-controllers-etcd': {
      await sleep(ms(1, 3));
      const a = await w.activeController() ?? 'A';
      await w.cutController(a, true);
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
      return `active ${a} cut off; ${b ?? 'nobody'} took over; ${what}`;
    }
    case 'unfenced-duplicate': {
      // What the fencing exists to prevent: the identity copied into the standby's factomd.conf
      // behind the agents' back and the node started without the fence check.
      const ip = inProcess(w, s);
      await sleep(ms(0.5, 2));
      const sb = ip.hosts.get('standby')!;
      sb.keeper?.stop();
      sb.agentUp = false;
      const triple = readIdentityTriple(readFileSync(ip.hosts.get('master')!.conf, 'utf8'))!;
      writeFileAtomic(sb.conf, promoteConf(readFileSync(sb.conf, 'utf8'), triple, 1), { mode: 0o600 });
      await w.killNode('standby');
      await w.sim.restartNode(sb.node);
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
  const o = { etcd: s === 'two-controllers-etcd' };
  const create = (): Promise<ChaosWorld> => (opts.processes ? createProcessWorld(seed, note, o) : createWorld(seed, note, o));
  let w: ChaosWorld;
  try {
    w = await create().catch(() => create());
  } catch (e) {
    return { seed, scenario: s, duplicates: 0, livenessFailures: 0, longestGapBlocks: 0, summary: '', error: `setup: ${e instanceof Error ? e.message : String(e)}`, log: [] };
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
    const out: RunResult = {
      seed, scenario: s, duplicates: c.duplicates.length + c.duplicateDeaths.length, livenessFailures: c.livenessFailures.length,
      longestGapBlocks: c.longestGapBlocks, summary, log: w.log,
    };
    if (error) out.error = error;
    return out;
  } finally {
    await w.close();
  }
}
