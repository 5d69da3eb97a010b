import { createHash } from 'node:crypto';
import { checkRevealMatchesCommit, type Commit } from '../factom/commit.js';
import { bytesToHex } from '../factom/bytes.js';
import { entryHash, unmarshalEntry, type Entry } from '../factom/entry.js';
import type { ChainEntryAt } from '../factom/identity-state.js';
import { REGISTRATION_CHAIN_ID_HEX } from '../factom/identity-messages.js';

/**
 * The one ledger of a simulated network (it lives in the network process, so every node reads the
 * same chains). Commits and reveals arrive already checked for structure, signature and time window
 * by the node that received them (as factomd's API does); here go the state-dependent rules: Repeated
 * Commit, EC balance, reveal ↔ commit matching, chain existence. Blocks are sealed by the clock.
 */

export type AckStatus = 'Unknown' | 'NotConfirmed' | 'TransactionACK' | 'DBlockConfirmed';

interface CommitRec {
  commit: WireCommit;
  status: AckStatus;
  /** Height whose block carries it once processed. */
  height?: number;
  at: number;
}
interface EntryRec {
  entry: Entry;
  hash: string;
  chainId: string;
  status: AckStatus;
  height?: number;
  at: number;
}
interface EBlock {
  keymr: string;
  chainId: string;
  prevKeymr: string;
  sequence: number;
  dbheight: number;
  timestamp: number;
  entries: { entryhash: string; timestamp: number }[];
}

/** What a node forwards for a validated commit (hex fields). */
export interface WireCommit {
  type: 'entry' | 'chain';
  txid: string;
  entryHash: string;
  chainIdHash?: string;
  weld?: string;
  credits: number;
  ecPublicKey: string;
  milliTime: number;
  raw: string;
}

export type LedgerError = { code: number; message: string; data?: string };
export type LedgerResult = { ok: true; value: unknown } | { ok: false; error: LedgerError };

const ok = (value: unknown): LedgerResult => ({ ok: true, value });
const err = (code: number, message: string, data?: string): LedgerResult => ({ ok: false, error: data === undefined ? { code, message } : { code, message, data } });
const ZERO = '0'.repeat(64);
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface Ledger {
  handle(op: string, args: Record<string, unknown>, nowMs: number, height: number): LedgerResult;
  /** Seals block `height` at its end: processed entries are written, acks become DBlockConfirmed. */
  sealBlock(height: number, blockStartMs: number): void;
  fund(ecPublicKeyHex: string, credits: number): number;
  /** Sealed entries of a chain, oldest first, with their block height (for the identity reducer). */
  chainEntries(chainId: string): ChainEntryAt[];
  /** Directory block time (unix seconds) per sealed height. */
  blockTimes(): Map<number, number>;
}

export function createLedger(funded: Record<string, number>): Ledger {
  const balances = new Map<string, number>(Object.entries(funded));
  const commits = new Map<string, CommitRec>(); // by entry hash
  const byTxid = new Map<string, string>(); // txid → entry hash
  const entries = new Map<string, EntryRec>(); // by entry hash
  const heldReveals = new Map<string, Entry>(); // revealed before (or without) a paid commit
  const chainHeads = new Map<string, string>(); // chain → keymr of last sealed entry block
  const chainsInProcess = new Set<string>();
  // The identity registration chain exists from genesis on every Factom network.
  const genesisChains = new Set<string>([REGISTRATION_CHAIN_ID_HEX]);
  const sealedByChain = new Map<string, ChainEntryAt[]>();
  const times = new Map<number, number>();
  const eblocks = new Map<string, EBlock>();
  const dblocks: { height: number; keymr: string; timestamp: number; eblocks: { chainid: string; keymr: string }[] }[] = [];
  let pending: EntryRec[] = [];

  function tryProcess(hash: string, nowMs: number, height: number): void {
    const c = commits.get(hash);
    const entry = heldReveals.get(hash);
    // A paid commit may already be sealed in an earlier block than its reveal (1 s blocks make that common).
    if (!c || !entry || c.status === 'NotConfirmed' || c.status === 'Unknown') return;
    const chainId = bytesToHex(entry.chainId);
    const asCommit = { ...c.commit, entryHash: Buffer.from(c.commit.entryHash, 'hex'), chainIdHash: Buffer.from(c.commit.chainIdHash ?? '', 'hex'), weld: Buffer.from(c.commit.weld ?? '', 'hex') } as unknown as Commit;
    if (!checkRevealMatchesCommit(asCommit, entry).ok) return;
    const exists = chainHeads.has(chainId) || chainsInProcess.has(chainId) || genesisChains.has(chainId);
    // A chain reveal for an existing chain, or an entry for a chain that does not exist, stays in
    // holding and is never confirmed (factomd holds what it cannot process).
    if (c.commit.type === 'chain' ? exists : !exists) return;
    heldReveals.delete(hash);
    chainsInProcess.add(chainId);
    const rec: EntryRec = { entry, hash, chainId, status: 'TransactionACK', height, at: nowMs };
    entries.set(hash, rec);
    pending.push(rec);
  }

  function commit(args: Record<string, unknown>, nowMs: number, height: number): LedgerResult {
    const c = args as unknown as WireCommit;
    const prev = commits.get(c.entryHash);
    // −32011 when a commit for the same entry hash with equal or greater payment is known (IsHighestCommit).
    if (prev && prev.commit.credits >= c.credits) return err(-32011, 'Repeated Commit');
    const bal = balances.get(c.ecPublicKey) ?? 0;
    // Without the credits factomd accepts the message but never processes it: acks stay NotConfirmed.
    const paid = bal >= c.credits;
    if (paid) balances.set(c.ecPublicKey, bal - c.credits);
    commits.set(c.entryHash, { commit: c, status: paid ? 'TransactionACK' : 'NotConfirmed', height, at: nowMs });
    byTxid.set(c.txid, c.entryHash);
    tryProcess(c.entryHash, nowMs, height);
    const base = { message: c.type === 'chain' ? 'Chain Commit Success' : 'Entry Commit Success', txid: c.txid, entryhash: c.entryHash };
    return ok(c.type === 'chain' ? { ...base, chainidhash: c.chainIdHash } : base);
  }

  function reveal(args: Record<string, unknown>, nowMs: number, height: number): LedgerResult {
    const entry = unmarshalEntry(Buffer.from(String(args.entry), 'hex'));
    const hash = bytesToHex(entryHash(entry));
    if (!entries.has(hash)) heldReveals.set(hash, entry);
    tryProcess(hash, nowMs, height);
    return ok({ message: 'Entry Reveal Success', entryhash: hash, chainid: bytesToHex(entry.chainId) });
  }

  function dateFields(ms: number): { transactiondate: number; transactiondatestring: string } {
    return { transactiondate: ms, transactiondatestring: new Date(ms).toISOString().replace('T', ' ').slice(0, 19) };
  }

  function ack(args: Record<string, unknown>): LedgerResult {
    const hash = typeof args.hash === 'string' ? args.hash : '';
    const chain = typeof args.chainid === 'string' ? args.chainid : '';
    if (!/^[0-9a-f]{64}$/.test(hash)) return err(-32602, 'Invalid params', 'Invalid Hash');
    const eh = chain === 'c' ? byTxid.get(hash) : hash;
    const c = eh ? commits.get(eh) : undefined;
    const e = eh ? entries.get(eh) : undefined;
    const commitStatus: AckStatus = c?.status ?? 'Unknown';
    const entryStatus: AckStatus = e?.status ?? (eh && heldReveals.has(eh) ? 'NotConfirmed' : 'Unknown');
    return ok({
      committxid: c?.commit.txid ?? '',
      entryhash: eh ?? hash,
      commitdata: c ? { ...dateFields(c.at), status: commitStatus } : { status: commitStatus },
      entrydata: e ? { ...dateFields(e.at), status: entryStatus } : { status: entryStatus },
    });
  }

  function handle(op: string, args: Record<string, unknown>, nowMs: number, height: number): LedgerResult {
    switch (op) {
      case 'commit': return commit(args, nowMs, height);
      case 'reveal': return reveal(args, nowMs, height);
      case 'ack': return ack(args);
      case 'balance': return ok({ balance: balances.get(String(args.ecPublicKey)) ?? 0 });
      case 'entry': {
        const e = entries.get(String(args.hash));
        // Readable once its block is saved, as from factomd's database.
        if (!e || e.status !== 'DBlockConfirmed') return err(-32008, 'Entry not found');
        return ok({ chainid: e.chainId, content: bytesToHex(e.entry.content), extids: e.entry.extIds.map(bytesToHex) });
      }
      case 'chain-head': {
        const id = String(args.chainid);
        const head = chainHeads.get(id);
        const inPl = pending.some((p) => p.chainId === id);
        if (!head && !inPl) return err(-32009, 'Missing Chain Head');
        return ok({ chainhead: head ?? '', chaininprocesslist: inPl });
      }
      case 'entry-block': {
        const b = eblocks.get(String(args.keymr));
        if (!b) return err(-32008, 'Block not found');
        return ok({
          header: { blocksequencenumber: b.sequence, chainid: b.chainId, prevkeymr: b.prevKeymr, timestamp: b.timestamp, dbheight: b.dbheight },
          entrylist: b.entries,
        });
      }
      case 'pending-entries':
        return ok(pending.filter((p) => !args.chainid || p.chainId === args.chainid).map((p) => ({ entryhash: p.hash, chainid: p.chainId, status: p.status })));
      case 'directory-block-head': {
        const last = dblocks[dblocks.length - 1];
        return ok({ keymr: last ? last.keymr : ZERO });
      }
      case 'dblock-by-height': {
        const h = Number(args.height);
        const d = dblocks.find((b) => b.height === h);
        if (!d) return err(-32008, 'Block not found');
        const prev = dblocks.find((b) => b.height === h - 1);
        return ok({
          dblock: {
            keymr: d.keymr,
            header: { version: 0, networkid: 4203931044, prevkeymr: prev?.keymr ?? ZERO, timestamp: d.timestamp, dbheight: h, blockcount: d.eblocks.length },
            dbentries: d.eblocks,
          },
          rawdata: '',
        });
      }
      default: return err(-32601, 'Method not found');
    }
  }

  function sealBlock(height: number, blockStartMs: number): void {
    const byChain = new Map<string, EntryRec[]>();
    for (const p of pending) {
      const list = byChain.get(p.chainId) ?? [];
      list.push(p);
      byChain.set(p.chainId, list);
    }
    const made: { chainid: string; keymr: string }[] = [];
    for (const [chainId, recs] of byChain) {
      const prev = chainHeads.get(chainId) ?? ZERO;
      const prevBlock = eblocks.get(prev);
      // Not factomd's Merkle root: a stable digest of the same inputs (documented in docs/simulator.md).
      const keymr = sha(`${chainId}|${prev}|${height}|${recs.map((r) => r.hash).join(',')}`);
      eblocks.set(keymr, {
        keymr, chainId, prevKeymr: prev, sequence: prevBlock ? prevBlock.sequence + 1 : 0, dbheight: height,
        timestamp: Math.floor(blockStartMs / 1000),
        entries: recs.map((r) => ({ entryhash: r.hash, timestamp: Math.floor(r.at / 1000) })),
      });
      chainHeads.set(chainId, keymr);
      made.push({ chainid: chainId, keymr });
      const sealed = sealedByChain.get(chainId) ?? [];
      for (const r of recs) sealed.push({ entry: r.entry, height });
      sealedByChain.set(chainId, sealed);
      for (const r of recs) {
        r.status = 'DBlockConfirmed';
        const c = commits.get(r.hash);
        if (c) c.status = 'DBlockConfirmed';
      }
    }
    chainsInProcess.clear();
    pending = [];
    times.set(height, Math.floor(blockStartMs / 1000));
    const prevD = dblocks[dblocks.length - 1];
    dblocks.push({ height, keymr: sha(`dblock|${height}|${prevD?.keymr ?? ZERO}|${made.map((m) => m.keymr).join(',')}`), timestamp: Math.floor(blockStartMs / 60000), eblocks: made });
    // Keep memory bounded on a long-running sim: only recent directory blocks are served.
    if (dblocks.length > 5000) dblocks.splice(0, dblocks.length - 5000);
    for (const [, c] of commits) if (c.status === 'TransactionACK' && !entries.has(c.commit.entryHash) && c.height !== undefined && c.height <= height) c.status = 'DBlockConfirmed';
  }

  function fund(ecPublicKeyHex: string, credits: number): number {
    const v = (balances.get(ecPublicKeyHex) ?? 0) + credits;
    balances.set(ecPublicKeyHex, v);
    return v;
  }

  return {
    handle, sealBlock, fund,
    chainEntries: (chainId) => [...(sealedByChain.get(chainId) ?? [])],
    blockTimes: () => new Map(times),
  };
}
