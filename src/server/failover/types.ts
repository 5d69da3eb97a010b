import type { JournalEntry } from '../../failover/journal.js';
import type { SwapPlan } from '../../failover/plan.js';

/**
 * The failover surface the server offers to the dashboard (web API, pages, CLI): what the hosted
 * controller knows and the two operator actions. Kept stable: the dashboard builds on it.
 * `RunningServer.failover` / `Started.failover` is undefined when the server runs without
 * `--topology` + `--operator-key` (or the topology has no `authority.failover` section).
 */

export type { JournalEntry, SwapPlan };

export interface FailoverHostStatus {
  /** Agent name = certificate CN = topology host name. */
  host: string;
  /** Its place in the topology. */
  role: 'master' | 'standby';
  /** Its agent reported over the control channel recently enough (within 3 renewals). */
  reachable: boolean;
  /** Unix ms of its last control call; undefined: never seen since the server started. */
  lastSeen?: number;
  /** Its factomd.conf names the identity (now or from a pending ChangeAcksHeight). */
  holdsIdentity?: boolean;
  /** ChangeAcksHeight in its file (0 = none). */
  changeAcksHeight?: number;
  /** Its agent fenced itself (lease lost) and refuses to take the identity until unfenced. */
  fenced?: boolean;
  /** Its factomd as the agent last saw it; undefined when factomd did not answer. */
  node?: { id: string; role: string; height: number; minute: number };
  /** Its agent holds a lease the controller granted and that has not ended yet (controller's view). */
  leased: boolean;
}

export interface FailoverEvent {
  /** Unix ms. */
  ts: number;
  /** e.g. promote, lease-moved, verified, fence-failed, alert, tick-error, swap-started, swap-finished. */
  kind: string;
  detail?: string;
}

export interface FailoverStatus {
  /** The authority identity chain ID (64 hex). */
  identity: string;
  /** topology authority.master / authority.standby. */
  master: string;
  standby?: string;
  /** The lease record's holder; two during a planned swap's window, undefined before any record. */
  holder?: string;
  holders: string[];
  /** Unix ms up to which the last grant may still be believed by an agent (0 = never granted). */
  leaseEnd: number;
  epoch: number;
  /** authority.failover.auto: promote the standby on its own when the master is down. */
  auto: boolean;
  /** This server's controller is the active one (always true without etcd). */
  active: boolean;
  ha: 'local' | 'etcd';
  /** The host whose factomd runs the identity as an authority right now, per the agents' reports. */
  leading?: string;
  /** A planned swap is running in this server now. */
  swapRunning: boolean;
  /** Swap/failover ids the journal has not closed. */
  openSwaps: string[];
  timing: { blockMs: number; leaseTtlMs: number; marginBlocks: number; downBlocks: number };
  hosts: FailoverHostStatus[];
  /** The most recent controller events, oldest first (at most 50). */
  events: FailoverEvent[];
}

export interface SwapRequest {
  /** The host to move the identity to; default: the topology's other authority host (the one not holding it). */
  standby?: string;
  /** Lead time both agents need; default max(2 blocks, 2 s). */
  minLeadSeconds?: number;
}

export interface SwapResult {
  ok: boolean;
  /** Journal id of this swap (absent when it was refused before anything was journaled). */
  swapId?: string;
  plan: SwapPlan;
  /** One line for the operator. */
  detail: string;
}

export interface ServerFailover {
  status(): FailoverStatus;
  /** The checks and chosen height right now; writes nothing. Throws AnoguardError (field names the host) when an agent is unreachable. */
  plan(opts?: SwapRequest): Promise<SwapPlan>;
  /** A planned swap through the agents; resolves when verified, rolled back or refused (can take H − now + 6 blocks). Throws E_SWAP_PENDING when one is running. */
  run(opts?: SwapRequest): Promise<SwapResult>;
  /** The journal (hash-chained JSON lines), oldest first. */
  journal(): JournalEntry[];
}
