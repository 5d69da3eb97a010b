/**
 * Ingest throughput: 20 simulated agents post batches over real mTLS to the real server (fastify,
 * zod, store) for a fixed time, into SQLite and into PostgreSQL; next to it, in the same run, the raw
 * batched insert rate of the same database with the same durability settings (no HTTP, no TLS, no
 * validation). The ratio is the pipeline's overhead. Targets (issue 3): ≥ 100 k samples/s on SQLite,
 * ≥ 50 % of raw.
 */
import { Agent, request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { initCa, issueCert } from '../src/pki/ca.js';
import { pkiPaths } from '../src/pki/layout.js';
import { createLogger } from '../src/log.js';
import { runServer } from '../src/server/run.js';
import { openStore } from '../src/server/store/open.js';
import { openSqliteStore } from '../src/server/store/sqlite.js';
import type { Store } from '../src/server/store/types.js';
import { tlsFilesFromPkiDir } from '../src/server/tls.js';
import { startPostgres } from '../test/server/pg-helper.js';

const AGENTS = 20;
const PER_BATCH = 1000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const root = mkdtempSync(join(tmpdir(), 'anoguard-srv-bench-'));
const PASS = 'bench passphrase, not secret';
const logger = createLogger('bench', { level: 'silent' });

function makeBodyTemplate(agent: string, i: number): [string, string] {
  // 1000 samples per batch ≈ 50 series × 20 timestamps, the shape of an outbox draining.
  const samples = [];
  const t0 = Date.now() - 3_600_000;
  for (let k = 0; k < PER_BATCH; k++) {
    samples.push({ name: k % 2 ? 'node_cpu_seconds_total' : 'node_network_receive_bytes_total', labels: { cpu: String(k % 50), agent: String(i) }, value: k * 1.5, t: t0 + Math.floor(k / 50) * 10_000 });
  }
  const json = JSON.stringify({ v: 1, agent, seq: 0, sentAt: Date.now(), samples, events: [] });
  const [a, b] = json.split('"seq":0');
  return [a! + '"seq":', b!];
}

/** Shifts all timestamps of a template per seq so each batch writes new rows. */
function body(tpl: [string, string], seq: number): string {
  return `${tpl[0]}${seq}${tpl[1].replace(/"t":(\d+)/g, (_m, t: string) => `"t":${Number(t) + seq * 200_000}`)}`;
}

async function pipeline(storeUrl: string | (() => Store)): Promise<{ samplesPerSec: number; batches: number; busy: number }> {
  const store = typeof storeUrl === 'string' ? await openStore(storeUrl) : storeUrl();
  const server = await runServer({
    store, logger, tls: tlsFilesFromPkiDir(join(root, 'pki'), 'localhost'),
    ingest: { host: '127.0.0.1', port: 0 }, web: { host: '127.0.0.1', port: 0 }, maxInFlight: 8, maintenanceIntervalMs: 3_600_000,
  });
  const p = pkiPaths(join(root, 'pki'));
  const ca = readFileSync(p.caCert);
  let stored = 0;
  let batches = 0;
  let busy = 0;
  // Bodies are prepared ahead so the clients cost the server's cores as little as possible.
  const agents = Array.from({ length: AGENTS }, (_, i) => {
    const name = `bench-${i}`;
    const tpl = makeBodyTemplate(name, i);
    return { name, bodies: Array.from({ length: 150 }, (_, s) => Buffer.from(body(tpl, s + 1))), agent: new Agent({ keepAlive: true, maxSockets: 1, ca, cert: readFileSync(p.cert(name)), key: readFileSync(p.key(name)) }) };
  });
  const post = (a: (typeof agents)[number], b: Buffer) => new Promise<number>((resolve, reject) => {
    const req = request(`${server.ingestUrl}/ingest/v1/batch`, { method: 'POST', agent: a.agent, servername: 'localhost', headers: { 'content-type': 'application/json', 'content-length': b.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(b);
  });
  const deadline = Date.now() + SECONDS * 1000;
  const start = Date.now();
  await Promise.all(agents.map(async (a) => {
    for (let seq = 1; seq <= a.bodies.length && Date.now() < deadline;) {
      const code = await post(a, a.bodies[seq - 1]!);
      if (code === 200) { stored += PER_BATCH; batches++; seq++; }
      else if (code === 503) { busy++; await new Promise((r) => setTimeout(r, 20)); }
      else throw new Error(`unexpected ${code}`);
    }
  }));
  const secs = (Date.now() - start) / 1000;
  for (const a of agents) a.agent.destroy();
  await server.close();
  return { samplesPerSec: stored / secs, batches, busy };
}

function rawSqlite(path: string, synchronous: 'FULL' | 'NORMAL'): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE samples_raw (series_id INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL, PRIMARY KEY (series_id, t)) WITHOUT ROWID');
  const CH = 200;
  const ins = db.prepare(`INSERT INTO samples_raw VALUES ${Array(CH).fill('(?,?,?)').join(',')}`);
  const tx = db.transaction((b: number) => {
    const params: number[] = [];
    for (let k = 0; k < PER_BATCH; k++) {
      params.push(1 + (k % 1000), b * 1_000_000 + k, k * 1.5);
      if (params.length === CH * 3) { ins.run(params); params.length = 0; }
    }
  });
  const start = Date.now();
  let n = 0;
  while (Date.now() - start < SECONDS * 1000) tx(n++);
  const secs = (Date.now() - start) / 1000;
  db.close();
  return (n * PER_BATCH) / secs;
}

async function rawPostgres(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CREATE TABLE raw_bench (series_id integer NOT NULL, t bigint NOT NULL, v double precision NOT NULL, PRIMARY KEY (series_id, t))');
  const start = Date.now();
  let n = 0;
  while (Date.now() - start < SECONDS * 1000) {
    const ids: number[] = []; const ts: number[] = []; const vs: number[] = [];
    for (let k = 0; k < PER_BATCH; k++) { ids.push(1 + (k % 1000)); ts.push(n * 1_000_000 + k); vs.push(k * 1.5); }
    await c.query('BEGIN');
    await c.query('INSERT INTO raw_bench SELECT * FROM unnest($1::int[], $2::int8[], $3::float8[])', [ids, ts, vs]);
    await c.query('COMMIT');
    n++;
  }
  const secs = (Date.now() - start) / 1000;
  await c.end();
  return (n * PER_BATCH) / secs;
}

async function main(): Promise<void> {
  await initCa({ dir: join(root, 'pki'), passphrase: PASS, scrypt: { N: 1 << 14, r: 8, p: 1 } });
  await issueCert({ dir: join(root, 'pki'), passphrase: PASS, kind: 'server', name: 'localhost', sans: ['IP:127.0.0.1'] });
  for (let i = 0; i < AGENTS; i++) await issueCert({ dir: join(root, 'pki'), passphrase: PASS, kind: 'agent', name: `bench-${i}` });

  const results: Record<string, unknown> = { date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, agents: AGENTS, perBatch: PER_BATCH, seconds: SECONDS };
  const sqliteRaw = rawSqlite(join(root, 'raw.db'), 'FULL');
  const sqlitePipe = await pipeline(`sqlite:${join(root, 'pipe.db')}`);
  results.sqlite = { rawSamplesPerSec: Math.round(sqliteRaw), pipelineSamplesPerSec: Math.round(sqlitePipe.samplesPerSec), ratio: sqlitePipe.samplesPerSec / sqliteRaw, busy503: sqlitePipe.busy };
  // synchronous=NORMAL: still safe against a process crash (kill -9), not against power loss; shows the CPU-bound rate.
  const sqliteRawN = rawSqlite(join(root, 'rawn.db'), 'NORMAL');
  const sqlitePipeN = await pipeline(() => openSqliteStore(join(root, 'pipen.db'), { synchronous: 'normal' }));
  results.sqliteNormal = { rawSamplesPerSec: Math.round(sqliteRawN), pipelineSamplesPerSec: Math.round(sqlitePipeN.samplesPerSec), ratio: sqlitePipeN.samplesPerSec / sqliteRawN, busy503: sqlitePipeN.busy };

  const pgs = startPostgres('srv-bench', { fsync: true });
  try {
    const admin = new pg.Client({ connectionString: pgs.url });
    await admin.connect();
    await admin.query('CREATE DATABASE rawdb');
    await admin.query('CREATE DATABASE pipedb');
    await admin.end();
    const pgRaw = await rawPostgres(pgs.url.replace('/postgres?', '/rawdb?'));
    const pgPipe = await pipeline(pgs.url.replace('/postgres?', '/pipedb?'));
    results.postgres = { rawSamplesPerSec: Math.round(pgRaw), pipelineSamplesPerSec: Math.round(pgPipe.samplesPerSec), ratio: pgPipe.samplesPerSec / pgRaw, busy503: pgPipe.busy };
  } finally {
    pgs.stop();
  }

  const table = [
    `load average ${loadavg()[0]!.toFixed(1)} at the end`,
    '| store | raw batched insert (samples/s) | pipeline, 20 agents over mTLS (samples/s) | pipeline / raw |',
    '|---|---|---|---|',
    ...(['sqlite', 'sqliteNormal', 'postgres'] as const).map((k) => {
      const r = results[k] as { rawSamplesPerSec: number; pipelineSamplesPerSec: number; ratio: number };
      const label = { sqlite: 'SQLite (synchronous=FULL, default)', sqliteNormal: 'SQLite (synchronous=NORMAL)', postgres: 'PostgreSQL 15 (fsync on)' }[k];
      return `| ${label} | ${r.rawSamplesPerSec.toLocaleString('en')} | ${r.pipelineSamplesPerSec.toLocaleString('en')} | ${(r.ratio * 100).toFixed(0)} % |`;
    }),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (process.env.BENCH_RESULTS_DIR) writeFileSync(join(process.env.BENCH_RESULTS_DIR, 'ingest.json'), `${JSON.stringify(results, null, 2)}\n`);
}

main().finally(() => rmSync(root, { recursive: true, force: true })).catch((e: unknown) => {
  process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
  process.exitCode = 1;
});
