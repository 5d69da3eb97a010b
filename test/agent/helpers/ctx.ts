import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../../helpers/cli.js';
import type { ProbeContext, ProbeState, StatfsResult } from '../../../src/agent/probe.js';
import type { Sample } from '../../../src/agent/payload.js';

export const FIXTURE_PROC = join(ROOT, 'test/fixtures/proc');
export const FIXTURE_LOGS = join(ROOT, 'test/fixtures/agent-logs');

export function memoryState(): ProbeState & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return { map, get: <T>(k: string) => map.get(k) as T | undefined, set: (k, v) => { map.set(k, v); } };
}

/** A probe context over the fixture /proc tree with a fake statfs (every filesystem the same size). */
export function fixtureCtx(o: { now?: number; state?: ProbeState; statfs?: (p: string) => Promise<StatfsResult> } = {}): ProbeContext {
  return {
    now: o.now ?? 1_795_728_000_000,
    procRoot: FIXTURE_PROC,
    readText: (p) => readFile(p, 'utf8'),
    listDir: (p) => readdir(p),
    statfs: o.statfs ?? (async () => ({ bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 65536, ffree: 60000 })),
    state: o.state ?? memoryState(),
  };
}

/** The value of the one sample with this name and these labels (fails when absent or ambiguous). */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length !== 1) throw new Error(`${hits.length} samples match ${name} ${JSON.stringify(labels)}`);
  return hits[0]!.value;
}
