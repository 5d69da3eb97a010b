import type { AppConfig } from './conf.js';
import type { AuthSnapshot, AuthorityRecord, StallInfo } from './wire.js';

/** What a node process knows at a moment; the API, control panel and metrics only read it. */
export interface NodeState {
  name: string;
  confPath: string;
  home: string;
  /** factomd.conf as loaded at boot (debug `configuration` shows this, never later edits: case 6). */
  bootConfig: AppConfig;
  network: string;
  blockTimeMs: number;
  identity: string;
  publicKey: string;
  /** The block being processed (diagnostics.leaderheight, LLeaderHeight). 0 before any sync. */
  height: number;
  minute: number;
  synced: boolean;
  lastBlockFromDbState: boolean;
  /** Network time (ms) the current block / minute started; 0 while syncing (current-minute doc §3.3). */
  blockStartMs: number;
  minuteStartMs: number;
  /** Local receive time of the current minute, for stall detection independent of clock skew. */
  minuteSeenAt: number;
  /** Height the network is at, as last heard. */
  networkHeight: number;
  stall: StallInfo | null;
  onlineAudits: string[];
  authorities: AuthorityRecord[];
  history: AuthSnapshot[];
  slowMs: number;
  skewS: number;
  /** Ask the network process (shared ledger). */
  ask(op: string, args: Record<string, unknown>): Promise<{ ok: boolean; value: unknown }>;
}

export function authAt(s: Pick<NodeState, 'history'>, h: number): AuthSnapshot {
  let snap: AuthSnapshot = s.history[0] ?? { height: 0, fed: [], audit: [] };
  for (const x of s.history) if (x.height <= h) snap = x;
  return snap;
}

/** Role from the authority set at the node's own height, even when behind (case 1, README item 3). */
export function roleAt(s: Pick<NodeState, 'history' | 'identity'>, h: number): 'Leader' | 'Audit' | 'Follower' {
  const a = authAt(s, Math.max(h, 1));
  return a.fed.includes(s.identity) ? 'Leader' : a.audit.includes(s.identity) ? 'Audit' : 'Follower';
}

export function nowMs(s: Pick<NodeState, 'skewS'>): number {
  return Date.now() + Math.round(s.skewS * 1000);
}

/** current-minute.stalldetected (FD state.IsStalled, §3.3). */
export function isStalled(s: NodeState): boolean {
  const saved = Math.max(0, s.height - 1);
  const leader = Math.max(0, s.networkHeight - 1);
  if (saved < leader - 3) return true;
  if (s.minuteStartMs === 0) return false;
  return Date.now() - s.minuteSeenAt > 1.5 * (s.blockTimeMs / 10);
}

/**
 * Followers hear only minute 0 of each block (and stalls) from the network, to keep an idle network
 * cheap; between messages the current minute follows from the block start. Authorities hear every
 * minute. Frozen while the network is stalled (the stall message carries the stuck minute).
 */
export function refreshMinute(s: NodeState): void {
  if (!s.synced || s.stall || s.minuteSeenAt === 0) return;
  const minuteMs = s.blockTimeMs / 10;
  const k = Math.min(9 - s.minute, Math.floor((Date.now() - s.minuteSeenAt) / minuteMs));
  if (k <= 0) return;
  s.minute += k;
  s.minuteStartMs += k * minuteMs;
  s.minuteSeenAt += k * minuteMs;
}
