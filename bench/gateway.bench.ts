/**
 * Gateway overhead, side by side in one run: `heights` through (a) the upstream directly, (b) nginx
 * as a plain TLS reverse proxy, (c) the anoguard gateway with TLS, API-key auth and rate limits on
 * (cache off, so every request goes upstream like nginx's; and once with the hot-read cache on).
 * Then a flood: one key at 20× its limit while a legitimate key keeps a steady rate; the legitimate
 * client's p99 is compared with its quiet baseline.
 */
import autocannon, { type Result } from 'autocannon';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { startProcess, writeResult, ROOT } from './lib/proc.js';
import { newApiKey } from '../src/gateway/auth.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 16;
const body = '{"jsonrpc":"2.0","id":1,"method":"heights"}';
const dir = mkdtempSync(join(tmpdir(), 'ag-gwbench-'));
const children: { kill: (s?: NodeJS.Signals) => boolean }[] = [];

function freePort(): number {
  return 30000 + Math.floor(Math.random() * 20000);
}

async function load(url: string, headers: Record<string, string> = {}, extra: Partial<Parameters<typeof autocannon>[0]> = {}): Promise<Result> {
  return autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, connections: CONNECTIONS, duration: DURATION, ...extra });
}

const row = (name: string, r: Result) => ({ name, rps: Math.round(r.requests.average), p50ms: r.latency.p50, p99ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors });

try {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });

  const up = await startProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/lib/fake-upstream.ts')], /UPSTREAM (\S+)/);
  children.push(up.child);
  const upstreamUrl = /UPSTREAM (\S+)/.exec(up.output)![1]!;

  // (b) nginx, one worker, TLS, keep-alive to the upstream, access log on (the gateway logs too).
  const nport = freePort();
  mkdirSync(join(dir, 'nginx', 'logs'), { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
pid ${dir}/nginx/nginx.pid;
error_log ${dir}/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log ${dir}/nginx/access.log;
  client_body_temp_path ${dir}/nginx/body; proxy_temp_path ${dir}/nginx/proxy;
  fastcgi_temp_path ${dir}/nginx/fcgi; uwsgi_temp_path ${dir}/nginx/uwsgi; scgi_temp_path ${dir}/nginx/scgi;
  upstream factomd { server ${new URL(upstreamUrl).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${nport} ssl;
    ssl_certificate ${dir}/cert.pem; ssl_certificate_key ${dir}/key.pem;
    location = /v2 { proxy_pass http://factomd; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}`);
  const nginx = await startProcess('nginx', ['-p', join(dir, 'nginx'), '-c', join(dir, 'nginx.conf')], /./, { timeoutMs: 3000 }).catch(async () => {
    // nginx prints nothing when it starts fine: wait for its port instead.
    return undefined;
  });
  if (nginx) children.push(nginx.child);
  else {
    const { spawn } = await import('node:child_process');
    const c = spawn('nginx', ['-p', join(dir, 'nginx'), '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
    children.push(c);
    await new Promise((r) => setTimeout(r, 1000));
  }

  // (c) the gateway, in its own process like nginx.
  const legit = newApiKey();
  const flooder = newApiKey();
  const gwConfig = (port: number, ttl: number, rps: number) => {
    const file = join(dir, `gw-${port}.yaml`);
    writeFileSync(file, JSON.stringify({
      listen: { host: '127.0.0.1', port },
      tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
      upstreams: [{ url: upstreamUrl }],
      auth: { apiKeys: [{ name: 'legit', sha256: legit.sha256, rate: { rps, burst: 0 } }, { name: 'flooder', sha256: flooder.sha256, rate: { rps: 100, burst: 0 } }] },
      cache: { ttlMs: ttl },
    }));
    return file;
  };
  const startGw = async (ttl: number, rps: number) => {
    const port = freePort();
    const g = await startProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'gateway', '--config', gwConfig(port, ttl, rps)], /listening on/);
    children.push(g.child);
    return { url: `https://127.0.0.1:${port}/v2`, child: g.child };
  };
  const gwNoCache = await startGw(0, 1_000_000);
  const gwCache = await startGw(300, 1_000_000);

  const direct = await load(`${upstreamUrl}/v2`);
  const viaNginx = await load(`https://127.0.0.1:${nport}/v2`);
  const viaGw = await load(gwNoCache.url, { 'x-api-key': legit.key });
  const viaGwCache = await load(gwCache.url, { 'x-api-key': legit.key });

  // Flood: legitimate key at a steady 200 req/s; flooder at 20× its 100 req/s limit.
  const gwFlood = await startGw(0, 1000);
  const steady = { connections: 2, overallRate: 200 };
  const quiet = await load(gwFlood.url, { 'x-api-key': legit.key }, steady);
  // The flooder runs in its own process: sharing the measuring client's event loop would inflate
  // the legitimate client's latency with the load generator's own work.
  const floodRun = new Promise<{ total: number; p99: number; limited: number }>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/lib/load.ts'), gwFlood.url, flooder.key, '20', '2000', String(DURATION + 1)], (err, stdout) => {
      if (err) reject(new Error(`flood client failed: ${err.message}`)); else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as { total: number; p99: number; limited: number });
    });
  });
  await new Promise((r) => setTimeout(r, 1500)); // let the flood reach its rate first
  const underFlood = await load(gwFlood.url, { 'x-api-key': legit.key }, steady);
  const flood = await floodRun;

  const rows = [row('direct upstream (HTTP)', direct), row('nginx TLS proxy', viaNginx), row('anoguard gateway (TLS+auth+limits, no cache)', viaGw), row('anoguard gateway (cache 300 ms)', viaGwCache)];
  const ratio = viaGw.requests.average / viaNginx.requests.average;
  const addedP99 = viaGw.latency.p99 - direct.latency.p99;
  const floodRatio = underFlood.latency.p99 / Math.max(1, quiet.latency.p99);
  console.table(rows);
  console.log(`gateway/nginx throughput ratio: ${(ratio * 100).toFixed(1)} % (target ≥ 80 %)`);
  console.log(`p99 added over direct: ${addedP99.toFixed(2)} ms (nginx: ${(viaNginx.latency.p99 - direct.latency.p99).toFixed(2)} ms; target < 2 ms)`);
  console.log(`flood: legit p99 quiet ${quiet.latency.p99} ms, under flood ${underFlood.latency.p99} ms (×${floodRatio.toFixed(2)}; target ≤ 2×); flooder got ${flood.limited} × 429 of ${flood.total}; legit non-2xx ${underFlood.non2xx}`);
  writeResult('gateway', {
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, durationSeconds: DURATION, connections: CONNECTIONS, rows,
    ratioVsNginx: ratio, addedP99Ms: addedP99,
    flood: { quietP99: quiet.latency.p99, floodP99: underFlood.latency.p99, ratio: floodRatio, legitNon2xx: underFlood.non2xx, flooder429: flood.limited, flooderTotal: flood.total },
  });
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
}
