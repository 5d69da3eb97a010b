/**
 * The single-file offline build grinds with the SIMD engine in its worker threads (the bundle is its
 * own worker entry), and two builds of the same source are byte-identical.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ROOT } from '../helpers/cli.js';
import type { GrindChunk, GrindChunkResult, GrindJob, GrindReady } from '../../src/identity/grind-worker.js';
import { hb, loadVectors, vector } from './helpers.js';

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const V = loadVectors();
const mgmtVec = vector(V, 'server.server-management-chain');
const mgmtBefore = [Uint8Array.of(0), new TextEncoder().encode('Server Management'), hb(mgmtVec.inputs.rootChainId as string)];

describe('offline bundle grinding', () => {
  let dir = '';
  let bundle = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'grind-offline-'));
    bundle = join(dir, 'a', 'anoguard-offline.mjs');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-offline.mjs'), '--out', bundle], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('is reproducible byte for byte and prints its SHA-256', () => {
    const other = join(dir, 'b', 'anoguard-offline.mjs');
    const printed = execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-offline.mjs'), '--out', other], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    const digest = createHash('sha256').update(readFileSync(other)).digest('hex');
    assert.match(printed, new RegExp(`^${digest}  `));
    assert.deepEqual(readFileSync(other), readFileSync(bundle));
  });

  it('its grind worker runs the SIMD engine and finds serveridentity\'s management nonce', async () => {
    await assertWorkerFindsMgmtNonce(new Worker(bundle, { workerData: { job: mgmtJob, anoguardWorker: 'grind' } }));
  });

  it('the single executable\'s embedded worker (started from a string, as in a SEA) does too', async () => {
    const file = join(dir, 'sea-worker.cjs');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-sea.mjs'), '--worker-only', file], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    const code = readFileSync(file, 'utf8');
    await assertWorkerFindsMgmtNonce(new Worker(code, { eval: true, workerData: { job: mgmtJob, anoguardWorker: 'grind' } }));
  });
});

const mgmtJob: GrindJob = { prefixHashesHex: Buffer.concat(mgmtBefore.map(sha)).toString('hex'), wantHex: '888888', engine: 'auto' };

async function assertWorkerFindsMgmtNonce(w: Worker): Promise<void> {
  try {
    const tries = mgmtVec.expected.nonceCounterTries as number;
    const got = await new Promise<{ engine: string; result: GrindChunkResult }>((resolve, reject) => {
      let engine = '';
      const timer = setTimeout(() => reject(new Error('worker timed out')), 60_000);
      w.on('error', (e) => { clearTimeout(timer); reject(e); });
      w.on('message', (m: GrindReady | GrindChunkResult) => {
        if ('ready' in m) {
          engine = m.engine;
          const chunk: GrindChunk = { id: 7, from: tries - 20_000, to: tries + 20_000 };
          w.postMessage(chunk);
          return;
        }
        clearTimeout(timer);
        resolve({ engine, result: m });
      });
    });
    assert.equal(got.engine, 'simd');
    assert.deepEqual(got.result, { id: 7, hit: tries, attempts: 20_001 });
  } finally {
    await w.terminate();
  }
}
