/**
 * Ingest throughput: 20 simulated agents post batches over real mTLS to the real server (fastify,
 * zod, store) for a fixed time, into SQLite and into PostgreSQL; next to it, in the same run, the raw
 * batched insert rate of the same database with the same durability settings (no HTTP, no TLS, no
 * validation). The ratio is the pipeline's overhead. Targets (issue 3): ≥ 100 k samples/s on SQLite,
 * ≥ 50 % of raw.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { initCa, issueCert } from '../src/pki/ca.js';
import { createLogger } from '../src/log.js';
import { runServer } from '../src/server/run.js';
import { openStore } from '../src/server/store/open.js';
import { openSqliteStore } from '../src/server/store/sqlite.js';
import type { Store } from '../src/server/store/types.js';
import { tlsFilesFromPkiDir } from '../src/server/tls.js';
import { startPostgres } from '../test/server/pg-helper.js';
import type { DoneMsg, PrepareMsg, RunMsg } from './lib/ingest-load.js';

const AGENTS = 20;
const PER_BATCH = 1000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const root = mkdtempSync(join(tmpdir(), 'anoguard-srv-bench-'));
const PASS = 'bench passphrase, not secret';
const logger = createLogger('bench', { level: 'silent' });

interface PipelineResult { samplesPerSec: number; batches: number; busy: number; serverCpuUsPerSample: number; loadCpuUsPerSample: number }

/**
 * The 20 agents run in a separate process (bench/lib/ingest-load.ts), so what is measured here is
 * the server: its event loop does only the server's work, as in production.
 */
async function pipeline(storeUrl: string | (() => Store)): Promise<PipelineResult> {
  const store = typeof storeUrl === 'string' ? await openStore(storeUrl) : storeUrl();
  const server = await runServer({
    store, logger, tls: tlsFilesFromPkiDir(join(root, 'pki'), 'localhost'),
    ingest: { host: '127.0.0.1', port: 0 }, web: { host: '127.0.0.1', port: 0 }, maxInFlight: 8, maintenanceIntervalMs: 3_600_000,
  });
  const child = fork(fileURLToPath(new URL('./lib/ingest-load.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const next = <T>(): Promise<T> => new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator exited ${code}`));
      child.once('exit', onExit);
      child.once('message', (m) => { child.off('exit', onExit); resolve(m as T); });
    });
    const ready = next<{ cmd: 'ready' }>();
    child.send({ cmd: 'prepare', url: server.ingestUrl, pkiDir: join(root, 'pki'), agents: AGENTS, perBatch: PER_BATCH, batchesPerAgent: Math.ceil(SECONDS * 12) } satisfies PrepareMsg);
    await ready;
    const done = next<DoneMsg>();
    const cpu0 = process.cpuUsage();
    child.send({ cmd: 'run', seconds: SECONDS } satisfies RunMsg);
    const r = await done;
    const cpu = process.cpuUsage(cpu0);
    const stored = Math.max(r.stored, 1);
    return {
      samplesPerSec: r.stored / r.secs, batches: r.batches, busy: r.busy,
      serverCpuUsPerSample: (cpu.user + cpu.system) / stored, loadCpuUsPerSample: r.cpuUs / stored,
    };
  } finally {
    child.kill();
    await server.close();
  }
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
  const row = (raw: number, pipe: PipelineResult) => ({
    rawSamplesPerSec: Math.round(raw), pipelineSamplesPerSec: Math.round(pipe.samplesPerSec), ratio: pipe.samplesPerSec / raw, busy503: pipe.busy,
    serverCpuUsPerSample: Number(pipe.serverCpuUsPerSample.toFixed(2)), loadGeneratorCpuUsPerSample: Number(pipe.loadCpuUsPerSample.toFixed(2)),
  });
  // BENCH_INGEST=sqlite,postgres picks phases (default: all three).
  const phases = (process.env.BENCH_INGEST ?? 'sqlite,sqliteNormal,postgres').split(',');
  if (phases.includes('sqlite')) {
    const raw = rawSqlite(join(root, 'raw.db'), 'FULL');
    results.sqlite = row(raw, await pipeline(`sqlite:${join(root, 'pipe.db')}`));
  }
  if (phases.includes('sqliteNormal')) {
    // synchronous=NORMAL: still safe against a process crash (kill -9), not against power loss; shows the CPU-bound rate.
    const raw = rawSqlite(join(root, 'rawn.db'), 'NORMAL');
    results.sqliteNormal = row(raw, await pipeline(() => openSqliteStore(join(root, 'pipen.db'), { synchronous: 'normal' })));
  }
  if (phases.includes('postgres')) {
    const pgs = startPostgres('srv-bench', { fsync: true });
    try {
      const admin = new pg.Client({ connectionString: pgs.url });
      await admin.connect();
      await admin.query('CREATE DATABASE rawdb');
      await admin.query('CREATE DATABASE pipedb');
      await admin.end();
      const raw = await rawPostgres(pgs.url.replace('/postgres?', '/rawdb?'));
      results.postgres = row(raw, await pipeline(pgs.url.replace('/postgres?', '/pipedb?')));
    } finally {
      pgs.stop();
    }
  }

  const table = [
    `load average ${loadavg()[0]!.toFixed(1)} at the end`,
    '| store | raw batched insert (samples/s) | pipeline, 20 agents over mTLS (samples/s) | pipeline / raw | server CPU µs/sample | load generator CPU µs/sample |',
    '|---|---|---|---|---|---|',
    ...(['sqlite', 'sqliteNormal', 'postgres'] as const).filter((k) => results[k] !== undefined).map((k) => {
      const r = results[k] as ReturnType<typeof row>;
      const label = { sqlite: 'SQLite (synchronous=FULL, default)', sqliteNormal: 'SQLite (synchronous=NORMAL)', postgres: 'PostgreSQL 15 (fsync on)' }[k];
      return `| ${label} | ${r.rawSamplesPerSec.toLocaleString('en')} | ${r.pipelineSamplesPerSec.toLocaleString('en')} | ${(r.ratio * 100).toFixed(0)} % | ${r.serverCpuUsPerSample} | ${r.loadGeneratorCpuUsPerSample} |`;
    }),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (process.env.BENCH_RESULTS_DIR) writeFileSync(join(process.env.BENCH_RESULTS_DIR, 'ingest.json'), `${JSON.stringify(results, null, 2)}\n`);
}

main().finally(() => rmSync(root, { recursive: true, force: true })).catch((e: unknown) => {
  process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
  process.exitCode = 1;
});
