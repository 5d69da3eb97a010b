/**
 * Worker-thread side of the grinder. Loaded as its own file (`grind-worker.js` next to grind.js in
 * dist, `grind-worker.ts` under tsx), or, in the single-file offline build, as the bundle itself
 * with `workerData.anoguardWorker === 'grind'`.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { NonceLayout } from './grind-core.js';
import { createEngineGrinder, type GrindEngine } from './grind-simd.js';

export interface GrindJob {
  prefixHashesHex: string;
  wantHex: string;
  engine: GrindEngine;
}
export interface GrindChunk {
  id: number;
  from: number;
  to: number;
  /** Binary layout prefix (random bytes) or absent for the ASCII counter layout. */
  prefixHex?: string;
}
/** The first message of a worker: which engine it runs. */
export interface GrindReady {
  ready: true;
  engine: 'simd' | 'scalar';
}
export interface GrindChunkResult {
  id: number;
  hit: number;
  attempts: number;
}

export function runGrindWorker(): void {
  const port = parentPort;
  if (!port) return;
  const job = (workerData as { job: GrindJob }).job;
  const { grinder, engine } = createEngineGrinder({
    prefixHashes: Buffer.from(job.prefixHashesHex, 'hex'),
    want: Buffer.from(job.wantHex, 'hex'),
  }, job.engine);
  const ready: GrindReady = { ready: true, engine };
  port.postMessage(ready);
  port.on('message', (chunk: GrindChunk) => {
    const layout: NonceLayout = chunk.prefixHex === undefined
      ? { kind: 'ascii' }
      : { kind: 'binary', prefix: Buffer.from(chunk.prefixHex, 'hex') };
    const r = grinder.searchRange(layout, chunk.from, chunk.to);
    const out: GrindChunkResult = { id: chunk.id, hit: r.hit, attempts: r.attempts };
    port.postMessage(out);
  });
}

if (!isMainThread && (workerData as { anoguardWorker?: string } | null)?.anoguardWorker === 'grind') runGrindWorker();
