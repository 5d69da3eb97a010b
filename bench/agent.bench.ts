/**
 * Agent cost per collection at a 10 s interval against Debian's prometheus-node-exporter scraped at
 * the same interval, side by side in one run. Both processes are measured the same way: CPU time
 * (utime+stime from /proc/PID/stat) over N intervals after a warm-up, and peak RSS (VmRSS).
 * The agent runs as it would in production: the compiled JavaScript (an esbuild bundle of the
 * sources, packages from node_modules), real /proc, default watched files, shipping every batch
 * over mutual TLS to a local ingest stand-in.
 *
 * BENCH_AGENT_WARMUP (default 2) + BENCH_AGENT_INTERVALS (default 6) × BENCH_AGENT_INTERVAL_MS (default 10000); BENCH_AGENT_NODE_FLAGS
 * adds node flags to the agent process (to try V8 settings).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { makeTestPki, writeAgentTls } from '../test/agent/helpers/tls.js';
import { createTestIngest } from '../test/agent/helpers/ingest.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INTERVALS = Number(process.env.BENCH_AGENT_INTERVALS ?? 6);
const INTERVAL_MS = Number(process.env.BENCH_AGENT_INTERVAL_MS ?? 10_000);
const WARMUP = Number(process.env.BENCH_AGENT_WARMUP ?? 2);
const USER_HZ = 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the parenthesised command name; utime and stime are fields 14 and 15
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / USER_HZ;
}
function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-bench-'));
  const children: ChildProcess[] = [];
  const pki = await makeTestPki('bench');
  const ingest = createTestIngest({ ca: pki.caPem, cert: pki.server.cert, key: pki.server.key });
  try {
    const ingestPort = await ingest.start();
    const tls = writeAgentTls(dir, pki);

    // The agent as shipped: a bundle of the sources with packages left in node_modules.
    const entry = join(dir, 'agent-entry.ts');
    writeFileSync(entry, [
      `import { loadAgentConfig } from ${JSON.stringify(join(ROOT, 'src/agent/config.ts'))};`,
      `import { startAgent } from ${JSON.stringify(join(ROOT, 'src/agent/run.ts'))};`,
      `const agent = await startAgent(loadAgentConfig(process.argv[2]));`,
      `process.on('SIGTERM', () => { void agent.stop().then(() => process.exit(0)); });`,
    ].join('\n'));
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    const bundle = join(ROOT, 'bench/results/agent-bench-bundle.mjs');
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: bundle, logLevel: 'warning' });

    const cfgPath = join(dir, 'agent.yaml');
    writeFileSync(cfgPath, [
      'name: bench', `server: https://127.0.0.1:${ingestPort}`,
      `tls: {ca: ${tls.ca}, cert: ${tls.cert}, key: ${tls.key}}`,
      `interval: ${INTERVAL_MS}ms`, `stateDir: ${join(dir, 'state')}`,
    ].join('\n'));

    const nePort = await freePort();
    const ne = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
    children.push(ne);
    const nodeFlags = (process.env.BENCH_AGENT_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const agent = spawn(process.execPath, [...nodeFlags, bundle, cfgPath], { stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT, env: { ...process.env, ANOGUARD_LOG_LEVEL: 'warn' } });
    children.push(agent);

    const scrape = async () => {
      const r = await fetch(`http://127.0.0.1:${nePort}/metrics`);
      return (await r.text()).length;
    };
    // Warm-up: node_exporter's first scrape, the agent's first collection and shipment.
    for (let i = 0; i < 100; i++) { try { await scrape(); break; } catch { await sleep(100); } }
    for (let i = 0; i < 300 && ingest.received.length < 1; i++) await sleep(100);
    if (ingest.received.length < 1) throw new Error('the agent did not ship its first collection');
    // Warm-up of WARMUP intervals (JIT, first baselines), then the window starts just after an agent
    // tick (ticks are aligned to wall-clock multiples of the interval).
    for (let i = 0; i < WARMUP; i++) {
      await scrape();
      await sleep(INTERVAL_MS - (Date.now() % INTERVAL_MS) + 1500);
    }
    const warm = { ne: cpuSeconds(ne.pid!), agent: cpuSeconds(agent.pid!) };

    const t0 = { ne: warm.ne, agent: warm.agent, received: ingest.received.length };
    const peak = { ne: rssBytes(ne.pid!), agent: rssBytes(agent.pid!) };
    let scrapeBytes = 0;
    for (let i = 0; i < INTERVALS; i++) {
      scrapeBytes = await scrape();
      await sleep(INTERVAL_MS - (Date.now() % INTERVAL_MS) + 1500);
      peak.ne = Math.max(peak.ne, rssBytes(ne.pid!));
      peak.agent = Math.max(peak.agent, rssBytes(agent.pid!));
    }
    const t1 = { ne: cpuSeconds(ne.pid!), agent: cpuSeconds(agent.pid!), received: ingest.received.length };
    const collections = t1.received - t0.received;
    const lastBatch = ingest.received[ingest.received.length - 1]!;
    const result = {
      date: new Date().toISOString(),
      machine: `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
      intervalMs: INTERVAL_MS,
      intervals: INTERVALS,
      agentNodeFlags: nodeFlags.join(' '),
      agent: {
        collectionsShipped: collections,
        cpuMsPerCollection: ((t1.agent - t0.agent) * 1000) / INTERVALS,
        startupAndWarmupCpuMs: t0.agent * 1000,
        peakRssMB: peak.agent / 1048576,
        samplesPerCollection: lastBatch.samples.length,
      },
      nodeExporter: {
        scrapes: INTERVALS,
        cpuMsPerScrape: ((t1.ne - t0.ne) * 1000) / INTERVALS,
        startupAndWarmupCpuMs: t0.ne * 1000,
        peakRssMB: peak.ne / 1048576,
        scrapeBytes,
      },
    };
    const ratio = result.nodeExporter.cpuMsPerScrape > 0 ? result.agent.cpuMsPerCollection / result.nodeExporter.cpuMsPerScrape : NaN;
    const out = { ...result, cpuRatioAgentOverNodeExporter: ratio, targets: { cpuAtMostNodeExporter: ratio <= 1, rssUnder80MB: result.agent.peakRssMB < 80 } };
    if (process.env.BENCH_RESULTS_DIR) {
      mkdirSync(process.env.BENCH_RESULTS_DIR, { recursive: true });
      writeFileSync(join(process.env.BENCH_RESULTS_DIR, 'agent.json'), `${JSON.stringify(out, null, 2)}\n`);
    }
    const row = (a: string, b: string, c: string, d: string) => `| ${a.padEnd(26)} | ${b.padStart(14)} | ${c.padStart(12)} | ${d.padStart(18)} |`;
    process.stdout.write([
      `agent vs prometheus-node-exporter, ${WARMUP} warm-up + ${INTERVALS} measured × ${INTERVAL_MS / 1000} s, ${result.machine}`,
      row('process', 'CPU ms / coll.', 'peak RSS MB', 'samples / coll.'),
      row('-'.repeat(26), '-'.repeat(14), '-'.repeat(12), '-'.repeat(18)),
      row('anoguard agent (+ mTLS ship)', result.agent.cpuMsPerCollection.toFixed(1), result.agent.peakRssMB.toFixed(1), String(result.agent.samplesPerCollection)),
      row('node_exporter 1.5 (scrape)', result.nodeExporter.cpuMsPerScrape.toFixed(1), result.nodeExporter.peakRssMB.toFixed(1), `${scrapeBytes} bytes`),
      `CPU ratio agent / node_exporter: ${ratio.toFixed(2)} (target ≤ 1); agent RSS < 80 MB: ${out.targets.rssUnder80MB}`,
      `start-up + warm-up CPU: agent ${(t0.agent * 1000).toFixed(0)} ms, node_exporter ${(t0.ne * 1000).toFixed(0)} ms`,
      '',
    ].join('\n'));
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await sleep(500);
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await ingest.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
