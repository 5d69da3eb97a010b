/**
 * Dashboard first load on loopback with 20 nodes and 30 days of history (issue 8 target: < 1 s),
 * measured in Debian's chromium: a fresh browser context with a session opens the overview until
 * every node row is drawn, then a node page with all 8 charts over 30 days. Also the bundle size
 * (target: JS < 200 kB gzipped). The peer is the target itself; there is no dashboard to race.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import type { Sample } from '../src/agent/payload.js';
import { createLogger } from '../src/log.js';
import { createSession } from '../src/server/accounts/sessions.js';
import { addUser } from '../src/server/accounts/users.js';
import { defaultAlertConfig } from '../src/server/alerts/config.js';
import { buildWebServer } from '../src/server/build.js';
import { assembleDashboard, DEFAULT_STATIC_DIR } from '../src/server/dashboard/assemble.js';
import { openAppDb } from '../src/server/state/appdb.js';
import { openSqliteStore } from '../src/server/store/sqlite.js';

const NODES = 20;
const DAY = 86_400_000;
const STEP = 5 * 60_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function samplesAt(n: number, t: number, i: number): Sample[] {
  const f = { factomd: `n${n}` };
  const s = (name: string, value: number, labels: Record<string, string> = {}): Sample => ({ name, labels, value, t });
  const out = [
    s('node_load1', 1 + Math.sin(i / 50 + n)), s('node_load5', 1), s('node_load15', 1),
    s('node_memory_MemTotal_bytes', 8e9), s('node_memory_MemAvailable_bytes', 4e9 + 1e9 * Math.sin(i / 80)),
    s('node_processes_pids', 200 + (i % 7)), s('node_procs_running', 2), s('node_procs_blocked', 0),
    s('node_filesystem_size_bytes', 1e11, { mountpoint: '/', fstype: 'ext4' }), s('node_filesystem_avail_bytes', 5e10 - i * 1000, { mountpoint: '/', fstype: 'ext4' }),
    s('node_disk_read_bytes_total', i * 3e5, { device: 'sda' }), s('node_disk_written_bytes_total', i * 6e5, { device: 'sda' }),
    s('node_network_receive_bytes_total', i * 1e6, { device: 'eth0' }), s('node_network_transmit_bytes_total', i * 8e5, { device: 'eth0' }),
    s('factomd_up', 1, f), s('factomd_leader_height', 200_000 + Math.floor(i / 2), f), s('factomd_directory_block_height', 200_000 + Math.floor(i / 2), f),
    s('factomd_minute', i % 10, f), s('factomd_block_seconds', 600, f), s('factomd_role', 1, { ...f, role: n === 0 ? 'Leader' : 'Follower' }),
    s('factomd_identity_info', 1, { ...f, identity: n === 0 ? 'a'.repeat(64) : '0'.repeat(64), publickey: '' }),
  ];
  for (const mode of ['user', 'system', 'idle', 'iowait']) for (const cpu of ['0', '1']) out.push(s('node_cpu_seconds_total', i * (mode === 'idle' ? 250 : 15), { cpu, mode }));
  return out;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'dash-bench-'));
  const logger = createLogger('dash-bench', { level: 'silent' });
  try {
    const now = Date.now();
    const store = openSqliteStore(join(root, 'store.db'), { now: () => now });
    const from = now - 30 * DAY;
    const seed0 = Date.now();
    let total = 0;
    for (let d = 0; d < 30; d++) {
      for (let n = 0; n < NODES; n++) {
        const batch: Sample[] = [];
        for (let t = from + d * DAY, i = Math.floor((t - from) / STEP); t < from + (d + 1) * DAY; t += STEP, i++) batch.push(...samplesAt(n, t, i));
        await store.writeBatch(`node-${n}`, d + 1, batch, [], now);
        total += batch.length;
      }
      await store.rollup(from + (d + 1) * DAY);
    }
    await store.rollup(now);
    const seedSeconds = (Date.now() - seed0) / 1000;

    const db = openAppDb(join(root, 'app.db'));
    await addUser(db, 'bench', 'viewer', 'bench password 123');
    const dash = assembleDashboard({ store, db, alertConfig: defaultAlertConfig(), logger, secureCookies: false });
    const web = await buildWebServer({ store, logger, host: '127.0.0.1', plugins: [dash.plugin] });
    await web.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(web.server.address() as { port: number }).port}`;
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium', headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const overview: number[] = [];
    const nodePage: number[] = [];
    const api: number[] = [];
    const inPage: number[] = [];
    try {
      for (let r = 0; r < RUNS; r++) {
        const s = createSession(db, 'bench');
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        await ctx.addCookies([{ name: 'anoguard_session', value: s.id, url }]);
        const page = await ctx.newPage();
        let t0 = performance.now();
        await page.goto(url);
        await page.waitForFunction((n) => document.querySelectorAll('[data-testid=nodes-table] tbody tr').length === n, NODES, { timeout: 30_000 });
        overview.push(performance.now() - t0);
        // The same, as the page itself sees it: from navigation start to every node row drawn.
        inPage.push(await page.evaluate(() => performance.now()));
        t0 = performance.now();
        await page.goto(`${url}/#/node/node-3`);
        await page.click('button[data-range="30d"]');
        await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-chart]')).every((c) => Number(c.getAttribute('data-points') ?? 0) > 100), undefined, { timeout: 30_000 });
        nodePage.push(performance.now() - t0);
        const a0 = performance.now();
        const r = await fetch(`${url}/api/overview`, { headers: { cookie: `anoguard_session=${s.id}` } });
        await r.json();
        api.push(performance.now() - a0);
        await ctx.close();
      }
    } finally {
      await browser.close();
      await web.close();
      await dash.stop();
      await store.close();
      db.close();
    }
    const assets = join(DEFAULT_STATIC_DIR, 'assets');
    const js = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f)));
    const jsRaw = js.reduce((a, b) => a + b.length, 0);
    const jsGzip = js.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const res = {
      date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0], nodes: NODES, days: 30, samples: total, seedSeconds,
      runs: RUNS, overviewMedianMs: med(overview), overviewMaxMs: Math.max(...overview), nodePage30dMedianMs: med(nodePage), nodePage30dMaxMs: Math.max(...nodePage),
      apiOverviewMedianMs: med(api), inPageMedianMs: med(inPage), inPageMaxMs: Math.max(...inPage), jsBytes: jsRaw, jsGzipBytes: jsGzip,
    };
    process.stdout.write([
      '| measure | median | max | target |', '|---|---|---|---|',
      `| first load: overview, 20 nodes (chromium, fresh context) | ${res.overviewMedianMs.toFixed(0)} ms | ${res.overviewMaxMs.toFixed(0)} ms | < 1000 ms |`,
      `| same, in-page (navigation start → rows drawn) | ${res.inPageMedianMs.toFixed(0)} ms | ${res.inPageMaxMs.toFixed(0)} ms | < 1000 ms |`,
      `| GET /api/overview alone (server) | ${res.apiOverviewMedianMs.toFixed(0)} ms | ${Math.max(...api).toFixed(0)} ms | — |`,
      `| node page, 8 charts over 30 days | ${res.nodePage30dMedianMs.toFixed(0)} ms | ${res.nodePage30dMaxMs.toFixed(0)} ms | — |`,
      `| JS bundle | ${(jsRaw / 1024).toFixed(1)} kB raw, ${(jsGzip / 1024).toFixed(1)} kB gzip | | < 200 kB gzip |`,
      `(seeded ${total} samples in ${seedSeconds.toFixed(0)} s; load avg ${res.loadavg1?.toFixed(1)})`,
    ].join('\n') + '\n');
    if (process.env.BENCH_RESULTS_DIR) writeFileSync(join(process.env.BENCH_RESULTS_DIR, 'dashboard.json'), `${JSON.stringify(res, null, 2)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
  process.exitCode = 1;
});
