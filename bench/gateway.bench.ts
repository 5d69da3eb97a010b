/**
 * Gateway overhead, side by side in one run: `heights` through (a) the upstream directly, (b) nginx
 * as a plain TLS reverse proxy, (c) the anoguard gateway with TLS, API-key auth, rate limits and
 * access log on (cache off, so every request goes upstream like nginx's; and once with the hot-read
 * cache on). Then a flood: one key at 20× its limit while a legitimate key keeps a steady rate.
 *
 * Method (see bench/README.md, "RPC gateway"):
 * - Cores: on a machine with 2+ cores the load generator (wrk, C) and the upstream stand-in share
 *   core 0 and the proxy under test gets core 1 alone (`taskset`), the same for nginx (one worker)
 *   and the gateway (one process). So the figures compare one proxy core with one proxy core.
 * - Throughput at saturation: wrk, 16 connections, keep-alive. Also the proxy's own CPU time per
 *   request (from /proc, so it holds even when other work shares the machine).
 * - Latency where it means something: open-loop at a fixed rate far below saturation (the same
 *   rate for all paths), so "added p99" is the proxy's own cost rather than queueing. Measured in
 *   two placements: the proxy on its own core (every request then wakes an idle virtual CPU twice,
 *   and on a VM that wake-up's tail is itself milliseconds: nginx pays it too), and the proxy moved
 *   onto the load generator's core for the run (no cross-CPU wake-ups: what is left is the proxy).
 * - Several repetitions, paths interleaved within each, medians reported.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, openSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startProcess, writeResult, ROOT } from './lib/proc.js';
import { newApiKey } from '../src/gateway/auth.js';

/**
 * Saturation is sampled in short runs, every path once per round, order rotating: this machine's
 * throughput drifts by tens of percent over seconds (a VM), so long runs one path after another
 * compared a fast minute with a slow one. Ratios are taken per round, then their median.
 */
const SAT_SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const SAT_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const FLOOD_SECONDS = 8;
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 8);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const CONNECTIONS = 16;
/**
 * Fixed request rate for the latency runs: BENCH_RATE (default 1000/s), lowered to a quarter of
 * the slowest proxy's saturation throughput from the first repetition if that is less, so the
 * latency runs never measure queueing on a slow or busy machine.
 */
const MAX_RATE = Number(process.env.BENCH_RATE ?? 1000);
let RATE = MAX_RATE;
const RATE_CONNECTIONS = 8;
const LUA = join(ROOT, 'bench/lib/wrk-rpc.lua');
const dir = mkdtempSync(join(tmpdir(), 'ag-gwbench-'));
const children: ChildProcess[] = [];

const pin = cpus().length >= 2 && hasCommand('taskset');
const LOADGEN_CPU = '0';
const PROXY_CPU = '1';

function hasCommand(cmd: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** The command, pinned to `cpu` when pinning is possible. */
function pinned(cpu: string, cmd: string, args: string[]): [string, string[]] {
  return pin ? ['taskset', ['-c', cpu, cmd, ...args]] : [cmd, args];
}

/** Moves a running process (all its threads, and its children's: nginx's worker) onto `cpu`. */
function repin(pid: number, cpu: string): void {
  if (!pin) return;
  let pids = [pid];
  try { pids = pids.concat(execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean).map(Number)); } catch { /* no children */ }
  for (const p of pids) execFileSync('taskset', ['-a', '-p', '-c', cpu, String(p)], { stdio: 'ignore' });
}

function freePort(): number {
  return 30000 + Math.floor(Math.random() * 20000);
}

async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds used so far by a process and its direct children (nginx: master + worker). */
function cpuSeconds(pid: number): number {
  let pids = [pid];
  try { pids = pids.concat(execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean).map(Number)); } catch { /* no children */ }
  let ticks = 0;
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch { /* exited */ }
  }
  return ticks / CLK_TCK;
}

interface WrkResult { requests: number; durationUs: number; p50Us: number; p90Us: number; p99Us: number; p999Us: number; maxUs: number; meanUs: number; non2xx: number; socketErrors: number }

function wrk(url: string, opts: { connections: number; seconds: number; rate?: number; key?: string; body?: string }): Promise<WrkResult> {
  const [cmd, args] = pinned(LOADGEN_CPU, 'wrk', ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--timeout', '5s', '-s', LUA, url]);
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRK_RATE: String(opts.rate ?? 0), WRK_API_KEY: opts.key ?? '', ...(opts.body ? { WRK_BODY: opts.body } : {}) },
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    c.on('error', reject);
    c.on('exit', (code) => {
      const line = /WRKJSON (\{.*\})/.exec(out);
      if (code !== 0 || !line) reject(new Error(`wrk failed (${code}): ${out.slice(-500)}`));
      else resolve(JSON.parse(line[1]!) as WrkResult);
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (us: number) => Math.round(us / 10) / 100;

interface Target { name: string; url: string; key?: string; pid: number | undefined }

try {
  if (!hasCommand('wrk')) throw new Error('wrk is not installed (Debian package wrk)');
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });

  // The factomd stand-in shares the load generator's core: both are the same for every path.
  const [upCmd, upArgs] = pinned(LOADGEN_CPU, process.execPath, ['--import', 'tsx', join(ROOT, 'bench/lib/fake-upstream.ts')]);
  const up = await startProcess(upCmd, upArgs, /UPSTREAM (\S+)/);
  children.push(up.child);
  const upstreamUrl = /UPSTREAM (\S+)/.exec(up.output)![1]!;

  // (b) nginx: one worker on the proxy core, TLS, keep-alive to the upstream, access log on with
  // the same 4 KiB buffering the gateway's log has (both logs go to /dev/null: formatted and
  // written, but no disk traffic on a shared machine).
  const nport = freePort();
  const ng = join(dir, 'nginx');
  mkdirSync(join(ng, 'logs'), { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
pid ${ng}/nginx.pid;
error_log ${ng}/error.log;
events { worker_connections 1024; }
http {
  access_log /dev/null combined buffer=4k;
  client_body_temp_path ${ng}/body; proxy_temp_path ${ng}/proxy;
  fastcgi_temp_path ${ng}/fcgi; uwsgi_temp_path ${ng}/uwsgi; scgi_temp_path ${ng}/scgi;
  upstream factomd { server ${new URL(upstreamUrl).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${nport} ssl;
    ssl_certificate ${dir}/cert.pem; ssl_certificate_key ${dir}/key.pem;
    location = /v2 { proxy_pass http://factomd; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}`);
  const [ngCmd, ngArgs] = pinned(PROXY_CPU, 'nginx', ['-p', ng, '-c', join(dir, 'nginx.conf')]);
  const nginx = spawn(ngCmd, ngArgs, { stdio: 'ignore' });
  children.push(nginx);
  await waitForPort(nport);

  // (c) the gateway, in its own process on the proxy core; its log goes to /dev/null like nginx's.
  const legit = newApiKey();
  const flooder = newApiKey();
  const startGw = async (name: string, ttl: number, legitRps: number) => {
    const port = freePort();
    const file = join(dir, `gw-${name}.yaml`);
    writeFileSync(file, JSON.stringify({
      listen: { host: '127.0.0.1', port },
      tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
      upstreams: [{ url: upstreamUrl }],
      auth: { apiKeys: [{ name: 'legit', sha256: legit.sha256, rate: { rps: legitRps, burst: 0 } }, { name: 'flooder', sha256: flooder.sha256, rate: { rps: 100, burst: 0 } }] },
      // No cache: `methods: []` so every request goes upstream (ttl 0 alone still coalesces
      // concurrent identical reads, which nginx does not do).
      cache: ttl > 0 ? { ttlMs: ttl } : { ttlMs: 0, methods: [] },
    }));
    const logFd = openSync('/dev/null', 'w');
    // What operators run: the compiled CLI (built at the start of this bench), not the tsx loader.
    const [cmd, args] = pinned(PROXY_CPU, process.execPath, [join(ROOT, 'dist/cli/main.js'), 'gateway', '--config', file]);
    const child = spawn(cmd, args, { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    children.push(child);
    await waitForPort(port);
    return { url: `https://127.0.0.1:${port}/v2`, pid: child.pid };
  };
  const gwNoCache = await startGw('nocache', 0, 1_000_000);
  const gwCache = await startGw('cache', 300, 1_000_000);

  const direct: Target = { name: 'direct upstream (HTTP)', url: `${upstreamUrl}/v2`, pid: undefined };
  const viaNginx: Target = { name: 'nginx TLS proxy', url: `https://127.0.0.1:${nport}/v2`, pid: nginx.pid };
  const viaGw: Target = { name: 'anoguard gateway (TLS+auth+limits+log, no cache)', url: gwNoCache.url, key: legit.key, pid: gwNoCache.pid };
  const viaGwCache: Target = { name: 'anoguard gateway (cache 300 ms)', url: gwCache.url, key: legit.key, pid: gwCache.pid };
  const targets = [direct, viaNginx, viaGw, viaGwCache];

  // Warm-up: JIT, TLS session setup, upstream keep-alive pools.
  for (const t of targets) await wrk(t.url, { connections: CONNECTIONS, seconds: 2, key: t.key });

  const sat = new Map<Target, { rps: number[]; p50: number[]; p99: number[]; cpuUsPerReq: number[]; non2xx: number }>(targets.map((t) => [t, { rps: [], p50: [], p99: [], cpuUsPerReq: [], non2xx: 0 }]));
  type Lat = Map<Target, { rps: number[]; p50: number[]; p90: number[]; p99: number[]; non2xx: number }>;
  const newLat = (): Lat => new Map(targets.slice(0, 3).map((t) => [t, { rps: [], p50: [], p90: [], p99: [], non2xx: 0 }]));
  const placements = { split: newLat(), shared: newLat() };
  const loads: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    // Rotate the order so a change in the machine's background load does not favour one path.
    const order = targets.map((_, i) => targets[(i + rep) % targets.length]!);
    for (let round = 0; round < SAT_ROUNDS; round++) for (const t of targets.map((_, i) => order[(i + round) % order.length]!)) {
      const cpu0 = t.pid ? cpuSeconds(t.pid) : 0;
      const r = await wrk(t.url, { connections: CONNECTIONS, seconds: SAT_SECONDS, key: t.key });
      const cpu1 = t.pid ? cpuSeconds(t.pid) : 0;
      const s = sat.get(t)!;
      s.rps.push(r.requests / (r.durationUs / 1e6));
      s.p50.push(r.p50Us);
      s.p99.push(r.p99Us);
      if (t.pid) s.cpuUsPerReq.push(((cpu1 - cpu0) * 1e6) / r.requests);
      s.non2xx += r.non2xx + r.socketErrors;
    }
    if (rep === 0) {
      const slowest = Math.min(median(sat.get(viaNginx)!.rps), median(sat.get(viaGw)!.rps));
      RATE = Math.max(50, Math.min(MAX_RATE, Math.floor(slowest / 4 / 50) * 50));
    }
    for (const [placement, lat] of Object.entries(placements)) for (const t of order.filter((x) => lat.has(x))) {
      if (placement === 'shared' && t.pid) repin(t.pid, LOADGEN_CPU);
      const r = await wrk(t.url, { connections: RATE_CONNECTIONS, seconds: RATE_SECONDS, rate: RATE, key: t.key }).finally(() => { if (placement === 'shared' && t.pid) repin(t.pid, PROXY_CPU); });
      const l = lat.get(t)!;
      l.rps.push(r.requests / (r.durationUs / 1e6));
      l.p50.push(r.p50Us);
      l.p90.push(r.p90Us);
      l.p99.push(r.p99Us);
      l.non2xx += r.non2xx + r.socketErrors;
    }
    loads.push(loadavg()[0]!);
  }

  // Flood: legitimate key at a steady 200 req/s; flooder at 20× its 100 req/s limit, in its own
  // wrk process; both open-loop at fixed rates.
  const gwFlood = await startGw('flood', 0, 1000);
  await wrk(gwFlood.url, { connections: 2, seconds: 2, rate: 200, key: legit.key });
  const quiet = await wrk(gwFlood.url, { connections: 2, seconds: FLOOD_SECONDS, rate: 200, key: legit.key });
  const floodRun = wrk(gwFlood.url, { connections: 20, seconds: FLOOD_SECONDS + 3, rate: 2000, key: flooder.key });
  await new Promise((r) => setTimeout(r, 1500)); // let the flood reach its rate first
  const underFlood = await wrk(gwFlood.url, { connections: 2, seconds: FLOOD_SECONDS, rate: 200, key: legit.key });
  const flood = await floodRun;

  const satRows = targets.map((t) => {
    const s = sat.get(t)!;
    return { path: t.name, rps: Math.round(median(s.rps)), p50ms: ms(median(s.p50)), p99ms: ms(median(s.p99)), proxyCpuUsPerReq: s.cpuUsPerReq.length ? Math.round(median(s.cpuUsPerReq)) : undefined, errors: s.non2xx, runs: s.rps.map(Math.round).join(' ') };
  });
  // A path that did not keep up with the offered rate was queueing: its latency is not its own cost.
  const unreached = Object.entries(placements).flatMap(([pl, lat]) => [...lat].filter(([, l]) => median(l.rps) < RATE * 0.95).map(([t]) => `${t.name} (${pl})`));
  const latRows = Object.entries(placements).flatMap(([pl, lat]) => [...lat].map(([t, l]) => ({ placement: pl, path: t.name, rps: Math.round(median(l.rps)), p50ms: ms(median(l.p50)), p90ms: ms(median(l.p90)), p99ms: ms(median(l.p99)), errors: l.non2xx, p99runs: l.p99.map(ms).join(' ') })));
  // Ratios per repetition (same minute of the same run), then their median.
  const ratios = sat.get(viaGw)!.rps.map((x, i) => x / sat.get(viaNginx)!.rps[i]!);
  const cpuRatios = sat.get(viaGw)!.cpuUsPerReq.map((x, i) => sat.get(viaNginx)!.cpuUsPerReq[i]! / x);
  const added = (t: Target, lat: Lat) => median(lat.get(t)!.p99.map((x, i) => x - lat.get(direct)!.p99[i]!)) / 1000;
  const addedBoth = (t: Target) => ({ ownCore: added(t, placements.split), sharedCore: added(t, placements.shared) });
  const floodRatio = underFlood.p99Us / Math.max(1, quiet.p99Us);

  console.log(`pinning: ${pin ? `wrk + upstream on CPU ${LOADGEN_CPU}, proxy on CPU ${PROXY_CPU}` : 'off (fewer than 2 cores or no taskset)'}; ${REPS} repetitions; load average ${loads.map((l) => l.toFixed(1)).join(', ')}`);
  console.log(`\nsaturation (wrk, ${CONNECTIONS} connections, ${REPS * SAT_ROUNDS} rounds of ${SAT_SECONDS} s per path, order rotating; medians)`);
  console.table(satRows);
  console.log(`\nlatency at a fixed ${RATE} req/s (open-loop, ${RATE_CONNECTIONS} connections, ${RATE_SECONDS} s each; medians; split = proxy on its own core, shared = proxy on the load generator's core)`);
  console.table(latRows);
  if (unreached.length > 0) console.log(`WARNING: ${unreached.join(', ')} did not sustain ${RATE} req/s: the machine is too busy for these latencies to mean anything`);
  console.log(`gateway/nginx throughput: ${(median(ratios) * 100).toFixed(1)} % (per run: ${ratios.map((r) => (r * 100).toFixed(0)).join(', ')}; target ≥ 80 %)`);
  console.log(`gateway/nginx by CPU time per request: ${(median(cpuRatios) * 100).toFixed(1)} % (nginx µs ÷ gateway µs)`);
  for (const [pl, lat] of Object.entries(placements)) {
    console.log(`p99 added over direct at ${RATE} req/s, ${pl === 'split' ? 'proxy on its own core' : 'proxy on the shared core'}: gateway ${added(viaGw, lat).toFixed(2)} ms, nginx ${added(viaNginx, lat).toFixed(2)} ms (target < 2 ms)`);
  }
  console.log(`flood: legit p99 quiet ${ms(quiet.p99Us)} ms, under flood ${ms(underFlood.p99Us)} ms (×${floodRatio.toFixed(2)}; target ≤ 2×); flooder ${flood.non2xx} refused of ${flood.requests}; legit errors ${underFlood.non2xx + underFlood.socketErrors}`);
  writeResult('gateway', {
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, pinned: pin, repetitions: REPS, loadAverage: loads,
    saturation: { seconds: SAT_SECONDS, rounds: REPS * SAT_ROUNDS, connections: CONNECTIONS, rows: satRows },
    fixedRate: { rate: RATE, seconds: RATE_SECONDS, connections: RATE_CONNECTIONS, rows: latRows, rateNotSustainedBy: unreached },
    ratioVsNginx: median(ratios), ratiosPerRun: ratios, cpuRatioVsNginx: median(cpuRatios),
    addedP99Ms: { gateway: addedBoth(viaGw), nginx: addedBoth(viaNginx) },
    flood: { quietP99Ms: ms(quiet.p99Us), floodP99Ms: ms(underFlood.p99Us), ratio: floodRatio, legitErrors: underFlood.non2xx + underFlood.socketErrors, flooderRefused: flood.non2xx, flooderTotal: flood.requests },
  });
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dir, { recursive: true, force: true });
}
