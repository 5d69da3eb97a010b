/**
 * Failover time (master death → standby signing for the identity) in blocks and seconds at 1 s
 * simulator blocks (master and standby nodes in their own network namespaces, as in the chaos
 * campaign; needs root), for host death (lease path) and factomd death (fence path); and the planned-swap
 * success rate, swapping back and forth in one world. FAILOVER_RUNS (default 20) and SWAP_RUNS
 * (default 100) scale it. Peer: the lease arithmetic's own floor (lease TTL + margin), since no
 * other tool fails over automatically (Stamp-IT brainswap is manual).
 *
 * FAILOVER_WORLD=processes runs the same measurements with real `anoguard agent` processes in the
 * namespaces and an `anoguard server` controller on the host (scripts/chaos/world-processes.ts)
 * instead of in-process agents: slower to set up, so use smaller FAILOVER_RUNS / SWAP_RUNS.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTruth } from '../src/sim/index.js';
import { BLOCK_MS, TIMING, closeAllWorlds, createWorld, sleep, sweepStaleWorlds, type ChaosWorld } from '../scripts/chaos/world.js';
import { createProcessWorld } from '../scripts/chaos/world-processes.js';
import { sweepStale } from '../scripts/chaos/netns.js';

sweepStale();
sweepStaleWorlds();
process.once('SIGINT', () => { void closeAllWorlds().finally(() => process.exit(130)); });

const FAILOVER_RUNS = Number(process.env.FAILOVER_RUNS ?? 20);
const SWAP_RUNS = Number(process.env.SWAP_RUNS ?? 100);
const PROCESSES = process.env.FAILOVER_WORLD === 'processes';
const newWorld = (seed: number): Promise<ChaosWorld> => (PROCESSES ? createProcessWorld(seed) : createWorld(seed));

async function failoverOnce(seed: number, host: boolean): Promise<{ seconds: number; blocks: number } | undefined> {
  const w = await newWorld(seed);
  try {
    await sleep(1000 + (seed % 7) * 130);
    const t = Date.now();
    const deathHeight = Math.max(...readTruth(w.sim.dir).signatures.filter((s) => s.node === 'n2' && s.signed).map((s) => s.height));
    if (host) await w.killHost('master'); else await w.killNode('master');
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      const first = readTruth(w.sim.dir).signatures.find((s) => s.node === 'n3' && s.signed && s.ts >= t);
      if (first) return { seconds: (first.ts - t) / 1000, blocks: first.height - deathHeight };
      await sleep(200);
    }
    return undefined;
  } finally {
    await w.close();
  }
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN;
};

const results: Record<string, { seconds: number[]; blocks: number[]; missed: number }> = { host: { seconds: [], blocks: [], missed: 0 }, factomd: { seconds: [], blocks: [], missed: 0 } };
const queue = Array.from({ length: FAILOVER_RUNS }, (_, i) => i);
async function worker(): Promise<void> {
  for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
    const kind = i % 2 === 0 ? 'host' : 'factomd';
    const r = await failoverOnce(5000 + i, kind === 'host').catch(() => undefined);
    if (r) { results[kind]!.seconds.push(r.seconds); results[kind]!.blocks.push(r.blocks); } else results[kind]!.missed++;
  }
}
await Promise.all([worker(), worker()]);

// Planned swaps, back and forth, two worlds in parallel.
let ok = 0;
let tried = 0;
const swapSeconds: number[] = [];
const swapFailures: string[] = [];
async function swaps(seed: number, n: number): Promise<void> {
  const w = await newWorld(seed);
  try {
    let to = 'standby';
    for (let i = 0; i < n; i++) {
      tried++;
      const t = Date.now();
      const r = await w.runSwap(to).catch((e: unknown) => ({ ok: false, detail: e instanceof Error ? e.message : String(e) }));
      if (r.ok) { ok++; swapSeconds.push((Date.now() - t) / 1000); to = to === 'standby' ? 'master' : 'standby'; } else swapFailures.push(`to ${to}: ${r.detail.slice(0, 200)}`);
      await sleep(300);
    }
  } finally {
    await w.close();
  }
}
await Promise.all([swaps(6001, Math.ceil(SWAP_RUNS / 2)), swaps(6002, Math.floor(SWAP_RUNS / 2))]);

const row = (k: string): string => {
  const r = results[k]!;
  return `| ${k} death | ${r.seconds.length}/${r.seconds.length + r.missed} | ${pct(r.seconds, 0.5).toFixed(1)} s / ${pct(r.blocks, 0.5)} | ${pct(r.seconds, 0.9).toFixed(1)} s / ${pct(r.blocks, 0.9)} | ${Math.max(...r.seconds).toFixed(1)} s / ${Math.max(...r.blocks)} |`;
};
const floor = TIMING.leaseTtlMs / 1000 + TIMING.marginBlocks * BLOCK_MS / 1000;
const table = [
  `${PROCESSES ? 'real agent and server processes' : 'in-process agents'}; failover at ${BLOCK_MS / 1000} s blocks, lease ${TIMING.leaseTtlMs / 1000} s, margin ${TIMING.marginBlocks} blocks (lease-path floor ${floor} s)`,
  '| case | taken over | p50 (time / blocks) | p90 | max |',
  '|---|---|---|---|---|',
  row('host'),
  row('factomd'),
  '',
  `planned swaps: ${ok}/${tried} verified (${(100 * ok / Math.max(1, tried)).toFixed(1)} %), p50 ${pct(swapSeconds, 0.5).toFixed(1)} s per swap`,
  ...swapFailures.map((f) => `  not verified: ${f}`),
].join('\n');
process.stdout.write(`${table}\n`);
const out = { date: new Date().toISOString(), world: PROCESSES ? 'processes' : 'in-process', blockMs: BLOCK_MS, timing: TIMING, failover: results, swaps: { ok, tried, seconds: swapSeconds, failures: swapFailures } };
if (process.env.BENCH_RESULTS_DIR) writeFileSync(join(process.env.BENCH_RESULTS_DIR, PROCESSES ? 'failover-processes.json' : 'failover.json'), JSON.stringify(out, null, 2));
