/**
 * Nonce grinding for 888888-prefixed chain IDs on every core (worker threads running the
 * specialised SHA-256 of grind-core.ts).
 *
 * Schemes:
 * - `random` (default): nonce = 48 random bytes ‖ uint32 BE counter (52 bytes). Unpredictable, so
 *   nobody can compute and squat the management chain ID from the public root chain ID. The length
 *   puts the counter in word 12 of the nonce's single SHA-256 block, so rounds 0–11 and 6 of the 48
 *   schedule words are the same for every attempt of a chunk and are computed once (grind-plan.ts).
 *   factomd takes any nonce length (`factom-protocol.md` §6.2); the entry grows by 40 bytes, well
 *   inside its first KiB, so the EC cost does not change.
 * - `counter`: ASCII decimal counter from 1, first hit wins: byte-identical to serveridentity.
 *   Chunks are handed out in order and the answer is the lowest hit once every lower chunk is done,
 *   so the result does not depend on the number of threads.
 */
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AnoguardError } from '../errors.js';
import { nonceBytes } from './grind-core.js';
import { simdSupported, type GrindEngine } from './grind-simd.js';
import type { GrindChunk, GrindChunkResult, GrindJob, GrindReady } from './grind-worker.js';

declare const __ANOGUARD_BUNDLE__: boolean | undefined;
/** The grind worker's source, embedded by scripts/build-sea.mjs: a SEA has no file to start it from. */
declare const __ANOGUARD_SEA_WORKER__: string | undefined;

export type NonceScheme = 'random' | 'counter';

export const CHAIN_PREFIX_888888 = new Uint8Array([0x88, 0x88, 0x88]);

/** Random bytes before the counter in a `random` nonce (see the module comment). */
export const RANDOM_NONCE_PREFIX_BYTES = 48;

export type { GrindEngine } from './grind-simd.js';

export interface GrindOptions {
  /** The ExtIDs of the first entry before the nonce (the nonce is always the last ExtID). */
  extIdsBeforeNonce: Uint8Array[];
  scheme?: NonceScheme;
  /** Required leading bytes, default 88 88 88; tests use 1–2 bytes. */
  want?: Uint8Array;
  threads?: number;
  signal?: AbortSignal;
  /** Called about every 250 ms with the attempts so far. */
  onProgress?: (attempts: number, elapsedMs: number) => void;
  chunkSize?: number;
  /** Give up after this many attempts (tests; default unlimited). */
  maxAttempts?: number;
  randomBytes?: (n: number) => Uint8Array;
  /** SHA-256 loop: `auto` (default) uses WebAssembly SIMD when available, else the scalar loop. */
  engine?: GrindEngine;
}

export interface GrindResult {
  nonce: Uint8Array;
  chainId: Uint8Array;
  attempts: number;
  /** The counter value of the hit (ASCII scheme: the serveridentity try count). */
  counter: number;
  elapsedMs: number;
  /** The SHA-256 loop the workers ran. */
  engine: 'simd' | 'scalar';
}

const sha256 = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest();

/** chainId = sha256(sha256(e0) ‖ … ‖ sha256(en)), computed plainly (for checking a hit). */
export function chainIdOf(extIds: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const e of extIds) h.update(sha256(e));
  return h.digest();
}

interface WorkerSpec { target: URL | string; eval: boolean; extra: Record<string, unknown> }

function workerSpec(): WorkerSpec {
  if (typeof __ANOGUARD_SEA_WORKER__ === 'string') return { target: __ANOGUARD_SEA_WORKER__, eval: true, extra: { anoguardWorker: 'grind' } };
  if (typeof __ANOGUARD_BUNDLE__ !== 'undefined' && __ANOGUARD_BUNDLE__) {
    return { target: new URL(import.meta.url), eval: false, extra: { anoguardWorker: 'grind' } };
  }
  if (import.meta.url.endsWith('.ts')) {
    // Under tsx (tests, dev) the worker is TypeScript. On Node 20 `execArgv: ['--import', 'tsx']`
    // does not reach the worker's entry module, so a tiny eval bootstrap registers tsx first.
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./grind-worker.ts', import.meta.url).href;
    const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    return { target: code, eval: true, extra: { anoguardWorker: 'grind' } };
  }
  return { target: new URL('./grind-worker.js', import.meta.url), eval: false, extra: { anoguardWorker: 'grind' } };
}

/** Grinds a nonce; rejects with E_CANCELLED on abort and E_GRIND_EXHAUSTED past maxAttempts. */
export async function grindNonce(opts: GrindOptions): Promise<GrindResult> {
  const scheme = opts.scheme ?? 'random';
  const want = opts.want ?? CHAIN_PREFIX_888888;
  const threads = Math.max(1, opts.threads ?? availableParallelism());
  const chunkSize = opts.chunkSize ?? (scheme === 'counter' ? 1 << 16 : 1 << 18);
  const rnd = opts.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n)));
  const prefixHashes = Buffer.concat(opts.extIdsBeforeNonce.map(sha256));
  const engine = opts.engine ?? 'auto';
  if (engine === 'simd' && !simdSupported()) throw new AnoguardError('E_GRIND_NO_SIMD', 'this Node.js has no WebAssembly SIMD; use the scalar engine', { field: 'engine' });
  const job: GrindJob = { prefixHashesHex: prefixHashes.toString('hex'), wantHex: Buffer.from(want).toString('hex'), engine };
  const spec = workerSpec();
  const started = Date.now();
  if (opts.signal?.aborted) throw new AnoguardError('E_CANCELLED', 'grinding cancelled');

  const workers: Worker[] = [];
  const terminateAll = (): void => { for (const w of workers) void w.terminate(); };

  return await new Promise<GrindResult>((resolve, reject) => {
    let settled = false;
    let nextChunk = 0;
    let attempts = 0;
    let completed = 0;
    // counter scheme: chunk id -> hit (or -1) once done
    const done = new Map<number, number>();
    const prefixes = new Map<number, Uint8Array>();
    let lowestPending = 0;
    let bestHit: { id: number; hit: number } | undefined;
    let ranEngine: 'simd' | 'scalar' = engine === 'scalar' ? 'scalar' : 'simd';
    const timer = opts.onProgress ? setInterval(() => opts.onProgress?.(attempts, Date.now() - started), 250) : undefined;

    const finish = (err: unknown, result?: GrindResult): void => {
      if (settled) return;
      settled = true;
      if (timer) clearInterval(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      terminateAll();
      if (err) reject(err instanceof Error ? err : new Error('grinding failed'));
      else resolve(result!);
    };
    const onAbort = (): void => finish(new AnoguardError('E_CANCELLED', 'grinding cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const hitResult = (id: number, hit: number): GrindResult => {
      const layoutNonce = scheme === 'counter'
        ? nonceBytes({ kind: 'ascii' }, hit)
        : nonceBytes({ kind: 'binary', prefix: prefixes.get(id)! }, hit);
      const chainId = chainIdOf([...opts.extIdsBeforeNonce, layoutNonce]);
      if (!Buffer.from(chainId.subarray(0, want.length)).equals(Buffer.from(want))) {
        throw new AnoguardError('E_GRIND_BUG', 'grinder reported a nonce whose chain ID does not match (a bug)');
      }
      opts.onProgress?.(attempts, Date.now() - started);
      return { nonce: layoutNonce, chainId, attempts, counter: hit, elapsedMs: Date.now() - started, engine: ranEngine };
    };

    const dispatch = (w: Worker): void => {
      if (settled) return;
      if (opts.maxAttempts !== undefined && nextChunk * chunkSize >= opts.maxAttempts) {
        if (bestHit === undefined && completed === nextChunk) {
          finish(new AnoguardError('E_GRIND_EXHAUSTED', `no nonce found in ${attempts} attempts`));
        }
        return;
      }
      if (bestHit !== undefined && scheme === 'counter' && nextChunk > bestHit.id) return;
      const id = nextChunk++;
      let chunk: GrindChunk;
      if (scheme === 'counter') {
        chunk = { id, from: 1 + id * chunkSize, to: 1 + (id + 1) * chunkSize };
      } else {
        const prefix = rnd(RANDOM_NONCE_PREFIX_BYTES);
        prefixes.set(id, prefix);
        chunk = { id, from: 0, to: chunkSize, prefixHex: Buffer.from(prefix).toString('hex') };
      }
      w.postMessage(chunk);
    };

    const onResult = (w: Worker, r: GrindChunkResult): void => {
      if (settled) return;
      attempts += r.attempts;
      completed++;
      try {
        if (scheme === 'random') {
          if (r.hit >= 0) { finish(undefined, hitResult(r.id, r.hit)); return; }
          prefixes.delete(r.id);
        } else {
          done.set(r.id, r.hit);
          if (r.hit >= 0 && (bestHit === undefined || r.id < bestHit.id)) bestHit = { id: r.id, hit: r.hit };
          while (done.has(lowestPending)) {
            const h = done.get(lowestPending)!;
            if (h >= 0) { finish(undefined, hitResult(lowestPending, h)); return; }
            done.delete(lowestPending);
            lowestPending++;
          }
        }
      } catch (e) {
        finish(e);
        return;
      }
      dispatch(w);
    };

    for (let i = 0; i < threads; i++) {
      const w = new Worker(spec.target, { eval: spec.eval, workerData: { job, ...spec.extra } });
      workers.push(w);
      w.on('message', (m: GrindChunkResult | GrindReady) => {
        if ('ready' in m) { if (m.engine === 'scalar') ranEngine = 'scalar'; return; }
        onResult(w, m);
      });
      w.on('error', (e) => finish(new AnoguardError('E_GRIND_WORKER', `grind worker failed: ${e.message}`, { cause: e })));
      w.on('exit', (code) => {
        if (!settled && code !== 0) finish(new AnoguardError('E_GRIND_WORKER', `grind worker exited with code ${code}`));
      });
      // Two chunks in flight per worker, so it never waits for the main thread between chunks.
      dispatch(w);
      dispatch(w);
    }
  });
}
