import type { Authority, CurrentMinute, Diagnostics } from '../factomd/schemas.js';
import { InputError } from '../errors.js';
import { inspectConf, redactConf, swapConfs, type SwapEdit } from './conf-identity.js';

/**
 * The brain-swap planner: every pre-swap check of architecture.md "Safety rules of the brain swap"
 * and factomd-ops.md §2.3, and the swap height H chosen from `diagnostics.leaderheight` (the block
 * being processed, which is what factomd compares ChangeAcksHeight with). Pure: observations in,
 * a plan out; the caller collects the observations and carries out the edits.
 */

export interface NodeView {
  name: string;
  diagnostics: Diagnostics;
  currentMinute: CurrentMinute;
  /** The node's factomd.conf as it is on disk now (the debug API shows the boot config, not this). */
  confText: string;
}

export interface PlanOptions {
  /** Blocks between the current block and H; at least 2 so both files are saved before H starts (§2.3). */
  minLeadBlocks?: number;
  /** Time both agents need to write and confirm their edits. */
  minLeadSeconds?: number;
  /** Refuse an H further away than this (SIB: 60 min). */
  maxLeadSeconds?: number;
  /** Refuse from this minute on: too late in the block to be sure of the next one (default 8). */
  latestMinute?: number;
  mode?: 'swap' | 'transfer';
}

export interface PlanSwapInput {
  identity: string;
  holder: NodeView;
  standby: NodeView;
  /** `authorities` of either node, to check the holder signs with the on-chain key. */
  authorities?: readonly Authority[];
  /** A swap or failover of this identity not yet finished in the journal. */
  pendingSwap?: boolean;
  /** The server's health model; undefined = judged from diagnostics only. */
  standbyHealthy?: boolean;
  options?: PlanOptions;
}

export interface Check {
  id: string;
  ok: boolean;
  message: string;
}

export interface SwapPlan {
  ok: boolean;
  identity: string;
  /** ChangeAcksHeight for both files; 0 when no safe height was found. */
  height: number;
  currentHeight: number;
  minute: number;
  blockSeconds: number;
  /** Seconds from now to the start of block H, counted pessimistically (the current minute nearly over). */
  leadSeconds: number;
  mode: 'swap' | 'transfer';
  checks: Check[];
  /** What each file will become, private key masked. */
  preview?: { holder: string; standby: string };
  /** The exact new files (secrets inside: never print or log). */
  edit?: SwapEdit;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Seconds until block `h` starts, assuming the current minute is about to end (the safe side). */
export function secondsUntilBlock(current: number, minute: number, blockSeconds: number, h: number): number {
  return ((h - current) * 10 - minute - 1) * (blockSeconds / 10);
}

/** Smallest safe H: ≥ current + minLeadBlocks and far enough for the agents to confirm. */
export function chooseSwapHeight(current: number, minute: number, blockSeconds: number, o: Pick<PlanOptions, 'minLeadBlocks' | 'minLeadSeconds'> = {}): number {
  const minBlocks = Math.max(2, o.minLeadBlocks ?? 2);
  const minSeconds = o.minLeadSeconds ?? 0;
  let h = current + minBlocks;
  // Bounded: a lead of more than 10 000 blocks is refused by maxLeadSeconds anyway.
  for (let i = 0; i < 10_000 && secondsUntilBlock(current, minute, blockSeconds, h) < minSeconds; i++) h++;
  return h;
}

export function planSwap(input: PlanSwapInput): SwapPlan {
  const id = String(input.identity ?? '').toLowerCase();
  if (!HEX64.test(id)) throw new InputError('E_SWAP_IDENTITY', 'the authority identity must be a 64-hex chain ID', { field: 'identity', exitCode: 2 });
  const o = input.options ?? {};
  const latestMinute = o.latestMinute ?? 8;
  const maxLead = o.maxLeadSeconds ?? 3600;
  const mode = o.mode ?? 'transfer';
  const hd = input.holder.diagnostics;
  const sd = input.standby.diagnostics;
  const hm = input.holder.currentMinute;
  const sm = input.standby.currentMinute;
  const checks: Check[] = [];
  const add = (cid: string, ok: boolean, message: string): void => { checks.push({ id: cid, ok, message }); };

  const hi = inspectConf(input.holder.confText, input.holder.name);
  const si = inspectConf(input.standby.confText, input.standby.name);
  add('configs-parse', hi.parses && si.parses, hi.parses && si.parses ? 'both factomd.conf parse under gcfg rules'
    : `${hi.parses ? '' : `${input.holder.name}: ${hi.error ?? 'does not parse'} `}${si.parses ? '' : `${input.standby.name}: ${si.error ?? 'does not parse'}`}`.trim());
  const ignored = [...hi.ignoredKeys.map((k) => `${input.holder.name}:${k.line} ${k.name} ${k.why}`), ...si.ignoredKeys.map((k) => `${input.standby.name}:${k.line} ${k.name} ${k.why}`)];
  add('keys-in-app', ignored.length === 0, ignored.length === 0 ? 'identity keys and ChangeAcksHeight only in [app]' : ignored.join('; '));
  const before = (hi.identityChainId === id ? 1 : 0) + (si.identityChainId === id ? 1 : 0);
  add('identity-before', hi.identityChainId === id && si.identityChainId !== id,
    before === 1 && hi.identityChainId === id ? `only ${input.holder.name}'s config holds the identity` : `the identity is in ${before} config(s)${si.identityChainId === id ? `, including ${input.standby.name}'s` : ''}`);

  const current = hd.leaderheight;
  const pendingFile = [hi, si].filter((x) => x.changeAcksHeight > current);
  add('no-pending-swap', !input.pendingSwap && pendingFile.length === 0,
    input.pendingSwap ? 'the journal has an unfinished swap or failover for this identity'
      : pendingFile.length ? `a ChangeAcksHeight ahead of the current block is already set (${pendingFile.map((x) => x.changeAcksHeight).join(', ')})` : 'no pending ChangeAcksHeight');

  const synced = hd.syncing.status === 'Processing' && sd.syncing.status === 'Processing' && !hm.stalldetected && !sm.stalldetected && !sd.lastblockfromdbstate;
  add('synced', synced, synced ? 'both nodes processing minutes, no stall' : 'a node is syncing, stalled or still catching up by DBState');
  const same = hd.leaderheight === sd.leaderheight && hd.currentminute === sd.currentminute;
  add('same-height-minute', same, same ? `both at block ${hd.leaderheight} minute ${hd.currentminute}` : `${input.holder.name} at ${hd.leaderheight}/${hd.currentminute}, ${input.standby.name} at ${sd.leaderheight}/${sd.currentminute}`);
  const minute = hd.currentminute;
  const safeMinute = minute !== 0 && minute <= latestMinute;
  add('safe-minute', safeMinute, minute === 0 ? 'minute 0: cannot tell whether the nodes follow minutes; try again in a minute'
    : safeMinute ? `minute ${minute}` : `minute ${minute} is too late in the block; try again after the next block starts`);
  const election = hd.elections.inprogress || sd.elections.inprogress;
  add('no-election', !election, election ? 'an election is in progress' : 'no election in progress');
  const signing = input.authorities?.find((a) => a.chainid === id)?.signingkey;
  const holderOk = hd.id === id && (hd.role === 'Leader' || hd.role === 'Audit') && (signing === undefined || signing === hd.publickey);
  add('holder-is-authority', holderOk, holderOk ? `${input.holder.name} runs the identity as ${hd.role}`
    : `${input.holder.name} reports id ${hd.id.slice(0, 12)}…, role ${hd.role}${signing && signing !== hd.publickey ? ', public key differs from the on-chain signing key' : ''}`);
  const standbyOk = (input.standbyHealthy ?? true) && sd.role === 'Follower' && sd.id !== id;
  add('standby-healthy', standbyOk, standbyOk ? `${input.standby.name} is a healthy follower` : `${input.standby.name} is not a healthy follower (role ${sd.role}${input.standbyHealthy === false ? ', health model says down' : ''})`);

  const blockSeconds = hm.directoryblockinseconds;
  const height = chooseSwapHeight(current, minute, blockSeconds, o);
  const leadSeconds = secondsUntilBlock(current, minute, blockSeconds, height);
  add('lead-time', leadSeconds <= maxLead, leadSeconds <= maxLead ? `H = ${height}, ≥ ${leadSeconds.toFixed(1)} s away` : `H = ${height} is ${leadSeconds} s away (more than ${maxLead} s)`);

  const plan: SwapPlan = { ok: false, identity: id, height, currentHeight: current, minute, blockSeconds, leadSeconds, mode, checks };
  if (hi.parses && si.parses && before === 1 && hi.identityChainId === id) {
    try {
      const edit = swapConfs(input.holder.confText, input.standby.confText, id, height, mode);
      const after = [inspectConf(edit.holder), inspectConf(edit.standby)];
      const okAfter = after[0]!.identityChainId !== id && after[1]!.identityChainId === id && after.every((x) => x.changeAcksHeight === height);
      add('identity-after', okAfter, okAfter ? `after H only ${input.standby.name}'s config holds the identity; both ChangeAcksHeight = ${height}` : 'the edited files would not hold the identity exactly once');
      plan.edit = edit;
      plan.mode = edit.mode;
      plan.preview = { holder: redactConf(edit.holder), standby: redactConf(edit.standby) };
    } catch (e) {
      add('identity-after', false, e instanceof Error ? e.message : String(e));
    }
  } else {
    add('identity-after', false, 'no edit possible before the checks above pass');
  }
  plan.ok = checks.every((c) => c.ok);
  if (!plan.ok) plan.height = 0;
  return plan;
}
