/**
 * Simulator idle cost: a 3-node network (1 federated, 2 followers) at 1 s blocks, measured after a
 * warm-up for BENCH_SIM_SECONDS (default 20): CPU time of each process (utime+stime from
 * /proc/PID/stat) as % of one core, and RSS (VmRSS). Targets: < 5 % of one core for the whole network,
 * < 80 MB RSS per process. The processes run as in tests: the esbuild bundle of src/sim/proc.ts on
 * plain node.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim } from '../src/sim/index.js';

const SECONDS = Number(process.env.BENCH_SIM_SECONDS ?? 20);
const USER_HZ = 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / USER_HZ;
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'sim-bench-'));
const sim = await startSim({ dir, nodes: 3, authorities: 1, blockTimeMs: 1000 });
try {
  await sleep(5000);
  const procs = [{ name: 'network', pid: sim.network.pid }, ...sim.nodes.map((n) => ({ name: n.name, pid: n.pid }))];
  const c0 = procs.map((p) => cpuSeconds(p.pid));
  const t0 = Date.now();
  let peak = procs.map(() => 0);
  for (let i = 0; i < SECONDS; i++) {
    await sleep(1000);
    peak = procs.map((p, j) => Math.max(peak[j]!, rssMb(p.pid)));
  }
  const wall = (Date.now() - t0) / 1000;
  const rows = procs.map((p, j) => ({ process: p.name, cpuPercent: (100 * (cpuSeconds(p.pid) - c0[j]!)) / wall, peakRssMb: peak[j]! }));
  const total = rows.reduce((a, r) => a + r.cpuPercent, 0);
  const out = {
    date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`, node: process.version, seconds: wall,
    blockTimeMs: 1000, processes: rows, totalCpuPercent: total, maxRssMb: Math.max(...rows.map((r) => r.peakRssMb)),
    targets: { totalCpuPercent: 5, rssMb: 80 },
  };
  if (process.env.BENCH_RESULTS_DIR) writeFileSync(join(process.env.BENCH_RESULTS_DIR, 'sim.json'), JSON.stringify(out, null, 2));
  process.stdout.write(`simulator idle, 3 nodes, 1 s blocks, ${wall.toFixed(1)} s\n`);
  process.stdout.write('process   cpu % of one core   peak RSS MB\n');
  for (const r of rows) process.stdout.write(`${r.process.padEnd(9)} ${r.cpuPercent.toFixed(2).padStart(17)}   ${r.peakRssMb.toFixed(1).padStart(11)}\n`);
  process.stdout.write(`total     ${total.toFixed(2).padStart(17)}   (target < 5 %, < 80 MB each)\n`);
} finally {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
