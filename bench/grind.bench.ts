/**
 * Chain-ID grinding throughput on all cores, in one run:
 *  - anoguard's grinder (specialised SHA-256, cached midstate, worker threads), with each engine:
 *    WebAssembly SIMD (4 attempts per i32x4 lane set, the default) and the scalar JS loop,
 *  - (a) a straightforward node:crypto loop in the same number of worker threads,
 *  - (b) the machine's SHA-256 limit from `openssl speed -evp sha256` (compressions/s ÷
 *    compressions per attempt).
 * For both chains of `identity create`: root (6 ExtIDs before the nonce: 2 compressions per
 * attempt) and management (3 ExtIDs: 3 compressions per attempt).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { grindNonce } from '../src/identity/grind.js';
import { createEngineGrinder } from '../src/identity/grind-simd.js';

const SECONDS = Number(process.env.GRIND_BENCH_SECONDS ?? 3);
const threads = availableParallelism();
const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

const cases = [
  { name: 'root chain', compressions: 2, before: [Uint8Array.of(0), Buffer.from('Identity Chain'), ...[1, 2, 3, 4].map((i) => sha(Buffer.from([i])))] },
  { name: 'management chain', compressions: 3, before: [Uint8Array.of(0), Buffer.from('Server Management'), sha(Buffer.from('root'))] },
];

async function anoguardRate(before: Uint8Array[], engine: 'simd' | 'scalar'): Promise<number> {
  const ac = new AbortController();
  // Rate between the first and the last progress report, so worker start-up is not counted.
  let first: { attempts: number; ms: number } | undefined;
  let last = { attempts: 0, ms: 0 };
  const p = grindNonce({
    extIdsBeforeNonce: before,
    want: Uint8Array.of(0x12, 0x34, 0x56, 0x78), // practically never: measure, don't find
    threads,
    engine,
    chunkSize: 1 << 16,
    signal: ac.signal,
    onProgress: (attempts, ms) => {
      if (attempts > 0 && first === undefined) first = { attempts, ms };
      last = { attempts, ms };
    },
  });
  const started = Date.now();
  while (first === undefined && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  ac.abort();
  await p.catch(() => undefined);
  if (!first || last.ms <= first.ms) return 0;
  return (last.attempts - first.attempts) / ((last.ms - first.ms) / 1000);
}

/**
 * One core, in process, no workers: the loop alone, after a warm-up that lets V8 tier the code up.
 * Also returns attempts per CPU-second of this process, which a busy machine disturbs less.
 */
function anoguardOneThreadRate(before: Uint8Array[], engine: 'simd' | 'scalar'): { wall: number; cpu: number } {
  const { grinder: g } = createEngineGrinder({ prefixHashes: Buffer.concat(before.map(sha)), want: Uint8Array.of(0x12, 0x34, 0x56, 0x78) }, engine);
  const prefix = new Uint8Array(48);
  const warm = Date.now();
  let n = 0;
  while (Date.now() - warm < 1000) { g.searchRange({ kind: 'binary', prefix }, n, n + 50_000); n += 50_000; }
  const t0 = Date.now();
  const c0 = process.cpuUsage();
  n = 0;
  while (Date.now() - t0 < SECONDS * 1000) { g.searchRange({ kind: 'binary', prefix }, n, n + 50_000); n += 50_000; }
  const cpu = process.cpuUsage(c0);
  return { wall: n / ((Date.now() - t0) / 1000), cpu: n / ((cpu.user + cpu.system) / 1e6) };
}

/** The obvious implementation: per attempt, sha256(nonce) then sha256(P ‖ h) with createHash. */
const NODE_LOOP = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const P = Buffer.from(workerData.prefixHex, 'hex');
const end = Date.now() + workerData.ms;
const nonce = Buffer.alloc(12);
let n = 0;
while (Date.now() < end) {
  for (let k = 0; k < 1000; k++) {
    nonce.writeUInt32BE(n++, 8);
    const h = createHash('sha256').update(nonce).digest();
    const id = createHash('sha256').update(P).update(h).digest();
    if (id[0] === 0x88 && id[1] === 0x88 && id[2] === 0x88) {}
  }
}
parentPort.postMessage(n);
`;

async function nodeCryptoRate(before: Uint8Array[]): Promise<number> {
  const prefixHex = Buffer.concat(before.map(sha)).toString('hex');
  const t0 = Date.now();
  const counts = await Promise.all(Array.from({ length: threads }, () => new Promise<number>((resolve, reject) => {
    const w = new Worker(NODE_LOOP, { eval: true, workerData: { prefixHex, ms: SECONDS * 1000 } });
    w.once('message', (n: number) => { resolve(n); void w.terminate(); });
    w.once('error', reject);
  })));
  return counts.reduce((a, b) => a + b, 0) / ((Date.now() - t0) / 1000);
}

/** SHA-256 compressions/s on all cores from `openssl speed -evp sha256` (16 KiB blocks, bulk rate). */
function opensslCompressionsPerSecond(): { perSecond: number; raw: string } | undefined {
  try {
    const raw = execFileSync('openssl', ['speed', '-multi', String(threads), '-seconds', String(SECONDS), '-bytes', '16384', '-evp', 'sha256'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: (SECONDS * 4 + 30) * 1000,
    });
    const line = raw.split('\n').reverse().find((l) => /^sha256\s/i.test(l.trim()) || /^evp\s/i.test(l.trim()));
    const m = line ? /([\d.]+)k\s*$/.exec(line.trim()) : null;
    if (!m) return undefined;
    return { perSecond: (Number(m[1]) * 1000) / 64, raw: line!.trim() };
  } catch {
    return undefined;
  }
}

const results: Record<string, unknown>[] = [];
const ossl = opensslCompressionsPerSecond();
for (const c of cases) {
  const one = anoguardOneThreadRate(c.before, 'simd');
  const oneScalar = anoguardOneThreadRate(c.before, 'scalar');
  const ours = await anoguardRate(c.before, 'simd');
  const scalar = await anoguardRate(c.before, 'scalar');
  const node = await nodeCryptoRate(c.before);
  const limit = ossl ? ossl.perSecond / c.compressions : undefined;
  results.push({
    case: c.name,
    threads,
    compressionsPerAttempt: c.compressions,
    anoguardAttemptsPerSec: Math.round(ours),
    anoguardScalarAttemptsPerSec: Math.round(scalar),
    ratioSimdVsScalar: Number((ours / scalar).toFixed(2)),
    anoguardOneThreadAttemptsPerSec: Math.round(one.wall),
    anoguardOneThreadScalarAttemptsPerSec: Math.round(oneScalar.wall),
    oneThreadAttemptsPerCpuSecond: { simd: Math.round(one.cpu), scalar: Math.round(oneScalar.cpu), ratio: Number((one.cpu / oneScalar.cpu).toFixed(2)) },
    nodeCryptoAttemptsPerSec: Math.round(node),
    ratioVsNodeCrypto: Number((ours / node).toFixed(2)),
    opensslLimitAttemptsPerSec: limit ? Math.round(limit) : null,
    ratioVsOpensslLimit: limit ? Number((ours / limit).toFixed(3)) : null,
    expectedSecondsFor888888: Number((16_777_216 / ours).toFixed(1)),
  });
}

const out = { date: new Date().toISOString(), loadAverage: loadavg(), cpu: cpus()[0]?.model ?? 'unknown', cores: threads, node: process.version, seconds: SECONDS, opensslLine: ossl?.raw ?? null, results };
if (process.env.BENCH_RESULTS_DIR) writeFileSync(join(process.env.BENCH_RESULTS_DIR, 'grind.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`grind: ${out.cpu}, ${threads} threads, ${process.version}; openssl: ${out.opensslLine ?? 'n/a'}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.table(results.map((r) => ({
  case: r.case,
  'anoguard (SIMD) att/s': r.anoguardAttemptsPerSec,
  'scalar att/s': r.anoguardScalarAttemptsPerSec,
  'SIMD/scalar': r.ratioSimdVsScalar,
  '1 thread SIMD': r.anoguardOneThreadAttemptsPerSec,
  '1 thread scalar': r.anoguardOneThreadScalarAttemptsPerSec,
  'SIMD/scalar per CPU-s': (r.oneThreadAttemptsPerCpuSecond as { ratio: number }).ratio,
  'node:crypto att/s': r.nodeCryptoAttemptsPerSec,
  'x node': r.ratioVsNodeCrypto,
  'openssl limit att/s': r.opensslLimitAttemptsPerSec,
  'of limit': r.ratioVsOpensslLimit,
  's per 888888': r.expectedSecondsFor888888,
})));
