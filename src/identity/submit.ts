/**
 * Online submission of a verified bundle: EC balance first, then per item commit → commit ack →
 * reveal → entry ack, with a receipt/journal file next to the bundle written before and after every
 * step. Re-running after a crash asks factomd what already landed (ack by entry hash) and never
 * sends a commit for an entry factomd knows; a commit answered −32011 "Repeated Commit" counts as
 * done (factomd already holds an equal payment). Ends by reading the identity back with factomd's
 * rules, because factomd confirms entries it later ignores.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { AnoguardError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { commitTxId, encodeKey, parseCommit, type IdentityState } from '../factom/index.js';
import type { FactomdClient } from '../factomd/client.js';
import { assertBundleValid, verifyBundle, type Bundle, type BundleVerification } from './bundle.js';
import { showIdentity, type ShowResult } from './show.js';

export const RECEIPT_FORMAT = 'anoguard-receipt';

const StepState = z.enum(['pending', 'sending', 'sent', 'acked', 'already']);
const ReceiptItemSchema = z.object({
  index: z.number().int(),
  kind: z.string(),
  entryHash: z.string(),
  txId: z.string(),
  commit: StepState,
  reveal: StepState,
  commitStatus: z.string().optional(),
  entryStatus: z.string().optional(),
  note: z.string().optional(),
}).strict();
export const ReceiptSchema = z.object({
  format: z.literal(RECEIPT_FORMAT),
  version: z.literal(1),
  manifestHash: z.string(),
  factomd: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  items: z.array(ReceiptItemSchema),
  effect: z.object({
    applied: z.array(z.string()),
    rejected: z.array(z.object({ entryHash: z.string(), reason: z.string() })),
    pending: z.array(z.string()),
    error: z.string().optional(),
  }).optional(),
}).strict();
export type Receipt = z.infer<typeof ReceiptSchema>;
export type ReceiptItem = z.infer<typeof ReceiptItemSchema>;

export function receiptPathFor(bundlePath: string): string {
  return `${bundlePath}.receipt.json`;
}

type Client = Pick<FactomdClient, 'url' | 'entryCreditBalance' | 'commitChain' | 'commitEntry' | 'revealChain' | 'revealEntry' | 'ack' | 'chainHead' | 'entryBlock' | 'entry'>;

export type SubmitEvent =
  | { type: 'balance'; ecAddress: string; balance: number; needed: number }
  | { type: 'skip'; index: number; kind: string; why: string }
  | { type: 'step'; index: number; kind: string; step: 'commit' | 'commit-ack' | 'reveal' | 'entry-ack'; detail?: string }
  | { type: 'effect'; applied: number; rejected: number; pending: number };

export interface SubmitOptions {
  bundle: Bundle;
  bundlePath: string;
  client: Client;
  now?: () => number;
  onEvent?: (e: SubmitEvent) => void;
  /** Per ack wait. Default 120 s. */
  ackTimeoutMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Skip the read-back (tests of the transport layer). */
  skipEffectCheck?: boolean;
}

export interface SubmitResult {
  receipt: Receipt;
  receiptPath: string;
  verification: BundleVerification;
  /** Items already on factomd before this run. */
  alreadyLanded: number[];
  /** Items sent (commit or reveal) by this run. */
  submitted: number[];
  show?: ShowResult;
}

const KNOWN = new Set(['TransactionACK', '1Minute', 'DBlockConfirmed']);
const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rpcCode(e: unknown): number | undefined {
  return (e as { rpc?: { code?: number } }).rpc?.code;
}

function loadReceipt(path: string, bundle: Bundle, factomd: string, nowIso: string): Receipt {
  if (existsSync(path)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new AnoguardError('E_RECEIPT', `receipt ${path} is not JSON; move it away only if you are sure nothing was submitted`, { cause: e });
    }
    const r = ReceiptSchema.safeParse(raw);
    if (!r.success) throw new AnoguardError('E_RECEIPT', `receipt ${path} is not an anoguard receipt`);
    if (r.data.manifestHash !== bundle.manifestHash) {
      throw new AnoguardError('E_RECEIPT', `receipt ${path} belongs to another bundle (manifest differs)`);
    }
    return r.data;
  }
  return {
    format: RECEIPT_FORMAT,
    version: 1,
    manifestHash: bundle.manifestHash,
    factomd: factomd,
    startedAt: nowIso,
    updatedAt: nowIso,
    items: bundle.items.map((it, index) => ({
      index,
      kind: it.kind,
      entryHash: it.entryHash,
      txId: it.commitHex ? commitTxId(new Uint8Array(Buffer.from(it.commitHex, 'hex'))) : '',
      commit: 'pending',
      reveal: 'pending',
    })),
  };
}

/** Submits a bundle idempotently; see the module comment. */
export async function submitBundle(opts: SubmitOptions): Promise<SubmitResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const pollMs = opts.pollMs ?? 1000;
  const ackTimeoutMs = opts.ackTimeoutMs ?? 120_000;
  const emit = (e: SubmitEvent): void => opts.onEvent?.(e);
  const { bundle, client } = opts;

  const verification = verifyBundle(bundle, { atMs: now() });
  assertBundleValid(verification);

  const receiptPath = receiptPathFor(opts.bundlePath);
  const receipt = loadReceipt(receiptPath, bundle, client.url, new Date(now()).toISOString());
  const save = (): void => {
    receipt.updatedAt = new Date(now()).toISOString();
    writeFileAtomic(receiptPath, `${JSON.stringify(receipt, null, 2)}\n`, { mode: 0o644 });
  };
  save();

  const entryStatus = async (i: number): Promise<string | undefined> => {
    const it = bundle.items[i]!;
    try {
      const a = await client.ack(it.entryHash, it.chainId);
      return a.entrydata?.status ?? a.status;
    } catch (e) {
      if (rpcCode(e) === -32008) return undefined;
      throw e;
    }
  };
  const commitStatus = async (i: number): Promise<string | undefined> => {
    try {
      const a = await client.ack(receipt.items[i]!.txId, 'c');
      return a.commitdata?.status ?? a.status;
    } catch (e) {
      if (rpcCode(e) === -32008) return undefined;
      throw e;
    }
  };
  const waitFor = async (what: string, poll: () => Promise<string | undefined>): Promise<string> => {
    const deadline = now() + ackTimeoutMs;
    for (;;) {
      const s = await poll();
      if (s !== undefined && KNOWN.has(s)) return s;
      if (now() >= deadline) throw new AnoguardError('E_ACK_TIMEOUT', `no acknowledgement for ${what} within ${Math.round(ackTimeoutMs / 1000)} s (re-run submit: it resumes safely)`);
      await sleep(pollMs);
    }
  };

  // What already landed (a previous run, or another operator): never send those again.
  const alreadyLanded: number[] = [];
  for (let i = 0; i < bundle.items.length; i++) {
    const r = receipt.items[i]!;
    if (r.reveal === 'acked' || r.reveal === 'already') { alreadyLanded.push(i); continue; }
    const s = await entryStatus(i);
    if (s !== undefined && KNOWN.has(s)) {
      r.commit = r.commit === 'acked' ? r.commit : 'already';
      r.reveal = 'already';
      r.entryStatus = s;
      alreadyLanded.push(i);
      emit({ type: 'skip', index: i, kind: r.kind, why: `already on factomd (${s})` });
    }
  }
  save();

  // EC balance for what is left to pay.
  const todo = bundle.items.map((_, i) => i).filter((i) => receipt.items[i]!.commit === 'pending' || receipt.items[i]!.commit === 'sending');
  if (todo.length > 0) {
    const c0 = parseCommit(new Uint8Array(Buffer.from(bundle.items[todo[0]!]!.commitHex!, 'hex')));
    const ecAddress = encodeKey('EC', c0.ecPublicKey);
    const needed = todo.reduce((n, i) => n + bundle.items[i]!.ecCost, 0);
    const { balance } = await client.entryCreditBalance(ecAddress);
    emit({ type: 'balance', ecAddress, balance, needed });
    if (balance < needed) {
      throw new AnoguardError('E_EC_BALANCE', `${ecAddress} holds ${balance} EC; this bundle needs ${needed} more`, { field: 'ec balance' });
    }
  }

  const submitted: number[] = [];
  for (let i = 0; i < bundle.items.length; i++) {
    const it = bundle.items[i]!;
    const r = receipt.items[i]!;
    if (r.reveal === 'already' || r.reveal === 'acked') continue;
    const isChain = it.kind === 'identity-root-chain' || it.kind === 'server-management-chain';

    if (r.commit !== 'acked' && r.commit !== 'already') {
      // A commit marked 'sending' may have reached factomd before a crash: ask before resending.
      const known = r.commit === 'sending' || r.commit === 'sent' ? await commitStatus(i) : undefined;
      if (known === undefined || !KNOWN.has(known)) {
        r.commit = 'sending';
        save();
        emit({ type: 'step', index: i, kind: it.kind, step: 'commit' });
        try {
          if (isChain) await client.commitChain(it.commitHex!);
          else await client.commitEntry(it.commitHex!);
          r.commit = 'sent';
        } catch (e) {
          if (rpcCode(e) === -32011) { r.commit = 'sent'; r.note = 'Repeated Commit: factomd already had this commit'; }
          else { save(); throw e; }
        }
        submitted.push(i);
        save();
      }
      emit({ type: 'step', index: i, kind: it.kind, step: 'commit-ack' });
      r.commitStatus = await waitFor(`the commit of item ${i} (${it.kind})`, () => commitStatus(i));
      r.commit = 'acked';
      save();
    }

    if (r.reveal !== 'sent') {
      r.reveal = 'sending';
      save();
      emit({ type: 'step', index: i, kind: it.kind, step: 'reveal' });
      try {
        if (isChain) await client.revealChain(it.revealHex);
        else await client.revealEntry(it.revealHex);
      } catch (e) {
        // The reveal may have arrived although the answer was lost; the ack below decides.
        const s = await entryStatus(i);
        if (s === undefined || !KNOWN.has(s)) { save(); throw e; }
      }
      r.reveal = 'sent';
      if (!submitted.includes(i)) submitted.push(i);
      save();
    }
    emit({ type: 'step', index: i, kind: it.kind, step: 'entry-ack' });
    r.entryStatus = await waitFor(`the entry of item ${i} (${it.kind})`, () => entryStatus(i));
    r.reveal = 'acked';
    save();
  }

  let show: ShowResult | undefined;
  if (!opts.skipEffectCheck) {
    try {
      show = await showIdentity(client, bundle.identity.rootChainId);
      receipt.effect = effectOf(bundle, show.state);
    } catch (e) {
      receipt.effect = { applied: [], rejected: [], pending: bundle.items.map((x) => x.entryHash), error: (e as Error).message };
    }
    emit({ type: 'effect', applied: receipt.effect.applied.length, rejected: receipt.effect.rejected.length, pending: receipt.effect.pending.length });
  }
  receipt.finishedAt = new Date(now()).toISOString();
  save();
  return { receipt, receiptPath, verification, alreadyLanded, submitted, ...(show ? { show } : {}) };
}

/** Which bundle entries factomd applied, rejected (with its reason), or has not processed yet. */
export function effectOf(bundle: Bundle, state: IdentityState): NonNullable<Receipt['effect']> {
  const applied = new Set(state.applied.map((a) => a.entryHash));
  const noop = new Set(state.noops.map((a) => a.entryHash));
  const rejected = new Map(state.rejected.map((v) => [v.entryHash, v.reason]));
  const out: NonNullable<Receipt['effect']> = { applied: [], rejected: [], pending: [] };
  for (const it of bundle.items) {
    const isChain = it.kind === 'identity-root-chain' || it.kind === 'server-management-chain';
    if (rejected.has(it.entryHash)) out.rejected.push({ entryHash: it.entryHash, reason: rejected.get(it.entryHash)! });
    else if (applied.has(it.entryHash) || noop.has(it.entryHash)) out.applied.push(it.entryHash);
    else if (isChain && chainApplied(it.kind, it.chainId, state)) out.applied.push(it.entryHash);
    else out.pending.push(it.entryHash);
  }
  return out;
}

function chainApplied(kind: string, chainId: string, s: IdentityState): boolean {
  if (kind === 'identity-root-chain') return s.rootChainId === chainId && s.identityKeys.length === 4;
  return s.managementChainId === chainId && s.managementCreatedHeight !== undefined;
}

