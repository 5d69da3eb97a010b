import type { AgentEvent, Sample } from './payload.js';

/** What one probe returns for one collection. */
export interface ProbeResult {
  samples: Sample[];
  events: AgentEvent[];
}

/**
 * Small key/value memory that survives restarts (kept in the agent's state DB): listener baseline,
 * FIM baseline, log cursors, last factomd role. Values are JSON.
 */
export interface ProbeState {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
}

/**
 * Everything a probe may touch. Host access goes through `readText`/`listDir`/`statfs` so tests run
 * probes on fixture trees and the same parsers could run over SSH.
 */
export interface ProbeContext {
  /** unix ms of this collection; every sample of one collection carries it */
  now: number;
  /** root of the proc filesystem, `/proc` in production, a fixture tree in tests */
  procRoot: string;
  /** reads a text file; memoised for one collection so /proc/stat is read once */
  readText(path: string): Promise<string>;
  listDir(path: string): Promise<string[]>;
  statfs(path: string): Promise<StatfsResult>;
  state: ProbeState;
}

export interface StatfsResult {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** One collector (node_exporter style): adding a probe is one file and one line in probes/index.ts. */
export interface Probe {
  id: string;
  describe: string;
  /**
   * Runs on every Nth collection only (default 1 = always). For probes whose source is costly for
   * the kernel (walking the socket hash tables) and whose answer changes rarely.
   */
  period?: number;
  collect(ctx: ProbeContext): Promise<ProbeResult>;
}

export const emptyResult = (): ProbeResult => ({ samples: [], events: [] });

/** Builds a sample; labels are copied so callers can reuse a label object. */
export function sample(name: string, value: number, t: number, labels: Record<string, string> = {}): Sample {
  return { name, labels: { ...labels }, value, t };
}
