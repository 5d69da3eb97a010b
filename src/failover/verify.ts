import type { Authority, Diagnostics } from '../factomd/schemas.js';
import { swapConfs, type SwapEdit } from './conf-identity.js';
import { chooseSwapHeight } from './plan.js';
import type { Check } from './plan.js';

/**
 * After block H: the new holder reports the identity (id, authority role, on-chain public key) and
 * the old holder reports something else as a follower (factomd-ops.md §2.4). Pure.
 */
export interface VerifySwapInput {
  identity: string;
  height: number;
  /** undefined = the node did not answer. */
  newHolder: Diagnostics | undefined;
  oldHolder: Diagnostics | undefined;
  authorities?: readonly Authority[];
}

export interface Verification {
  /** 'wait' while a node has not reached H yet. */
  status: 'ok' | 'failed' | 'wait';
  checks: Check[];
}

export function verifySwap(v: VerifySwapInput): Verification {
  const id = v.identity.toLowerCase();
  const checks: Check[] = [];
  const add = (cid: string, ok: boolean, message: string): void => { checks.push({ id: cid, ok, message }); };
  const n = v.newHolder;
  const o = v.oldHolder;
  if (!n || !o) {
    add('answers', false, `${!n ? 'the new holder' : 'the old holder'} does not answer diagnostics`);
    return { status: 'failed', checks };
  }
  if (n.leaderheight < v.height || o.leaderheight < v.height) {
    add('height', false, `waiting for block ${v.height} (at ${n.leaderheight} and ${o.leaderheight})`);
    return { status: 'wait', checks };
  }
  add('new-id', n.id === id, n.id === id ? 'new holder reports the identity' : `new holder reports id ${n.id.slice(0, 12)}…`);
  add('new-role', n.role === 'Leader' || n.role === 'Audit', `new holder role ${n.role}`);
  const key = v.authorities?.find((a) => a.chainid === id)?.signingkey;
  add('new-key', key === undefined ? /^[0-9a-f]{64}$/.test(n.publickey) : key === n.publickey,
    key === undefined ? 'no authorities answer to compare the key with' : key === n.publickey ? 'public key matches the on-chain signing key' : 'public key differs from the on-chain signing key');
  add('old-id', o.id !== id, o.id !== id ? 'old holder no longer reports the identity' : 'old holder still reports the identity');
  add('old-role', o.role === 'Follower', `old holder role ${o.role}`);
  return { status: checks.every((c) => c.ok) ? 'ok' : 'failed', checks };
}

export interface RollbackPlan {
  height: number;
  edit: SwapEdit;
}

/**
 * The reverse swap at a later height, from the files as they are now: whoever's config holds the
 * identity gives it back. Same edits and same invariants as the forward swap.
 */
export function planRollback(r: { identity: string; holderConfNow: string; standbyConfNow: string; currentHeight: number; minute: number; blockSeconds: number; minLeadSeconds?: number; mode?: 'swap' | 'transfer' }): RollbackPlan {
  const height = chooseSwapHeight(r.currentHeight, r.minute, r.blockSeconds, r.minLeadSeconds === undefined ? {} : { minLeadSeconds: r.minLeadSeconds });
  // The files say the standby holds it now: the standby is the "holder" of the reverse swap.
  const e = swapConfs(r.standbyConfNow, r.holderConfNow, r.identity, height, r.mode ?? 'transfer');
  return { height, edit: { holder: e.standby, standby: e.holder, mode: e.mode } };
}
