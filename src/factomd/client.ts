import type { z } from 'zod';
import { InputError } from '../errors.js';
import { createLogger } from '../log.js';
import { createRpcCaller } from './rpc.js';
import { createTransport, type ConnectionOptions } from './transport.js';
import {
  rpcResponseSchema, v2ResultSchemas, debugResultSchemas,
  type Heights, type CurrentMinute, type Properties, type Diagnostics, type Authorities, type Balance,
  type CommitChainResult, type CommitEntryResult, type RevealResult, type Entry, type EntryBlock, type ChainHead,
  type Ack, type PendingEntries, type PendingTransactions, type DirectoryBlockHead, type DblockByHeight,
  type AblockByHeight, type TpsRate, type EntryCreditRate, type NetworkInfo, type DebugSummary,
  type FederatedServers, type AuditServers, type DebugConfiguration,
} from './schemas.js';

export type FactomdClientOptions = ConnectionOptions;

/**
 * /v2 methods that only read. Only these are retried: a commit or reveal sent twice is at best a
 * "Repeated Commit" error and at worst a second payment.
 */
export const IDEMPOTENT_V2_METHODS: ReadonlySet<string> = new Set([
  'heights', 'current-minute', 'properties', 'diagnostics', 'authorities', 'entry-credit-balance', 'factoid-balance',
  'entry', 'entry-block', 'chain-head', 'ack', 'entry-ack', 'factoid-ack', 'pending-entries', 'pending-transactions',
  'directory-block-head', 'directory-block', 'dblock-by-height', 'ablock-by-height', 'fblock-by-height', 'ecblock-by-height',
  'admin-block', 'factoid-block', 'entrycredit-block', 'tps-rate', 'entry-credit-rate', 'raw-data', 'receipt', 'anchors',
  'transaction', 'multiple-ec-balances', 'multiple-fct-balances',
]);

export interface FactomdClient {
  /** The endpoint, without credentials. */
  readonly url: string;
  /** Any /v2 method; the envelope is checked, the result is returned unchecked. Retried only for known reads. */
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  heights(): Promise<Heights>;
  currentMinute(): Promise<CurrentMinute>;
  properties(): Promise<Properties>;
  /** factomd ≥ 6.4; older nodes answer E_FACTOMD_RPC with rpc.code -32601. */
  diagnostics(): Promise<Diagnostics>;
  authorities(): Promise<Authorities>;
  entryCreditBalance(ecAddress: string): Promise<Balance>;
  factoidBalance(fctAddress: string): Promise<Balance>;
  /** Never retried. `messageHex` is the 200-byte commit. */
  commitChain(messageHex: string): Promise<CommitChainResult>;
  /** Never retried. `messageHex` is the 136-byte commit. */
  commitEntry(messageHex: string): Promise<CommitEntryResult>;
  /** Never retried. */
  revealChain(entryHex: string): Promise<RevealResult>;
  /** Never retried. */
  revealEntry(entryHex: string): Promise<RevealResult>;
  entry(entryHash: string): Promise<Entry>;
  entryBlock(keyMr: string): Promise<EntryBlock>;
  chainHead(chainId: string): Promise<ChainHead>;
  /** `chainId` is a chain ID, or `c` (entry credit) / `f` (factoid) as factomd allows. */
  ack(hash: string, chainId: string): Promise<Ack>;
  pendingEntries(): Promise<PendingEntries>;
  pendingTransactions(fctAddress?: string): Promise<PendingTransactions>;
  directoryBlockHead(): Promise<DirectoryBlockHead>;
  dblockByHeight(height: number, opts?: { noraw?: boolean }): Promise<DblockByHeight>;
  ablockByHeight(height: number, opts?: { noraw?: boolean }): Promise<AblockByHeight>;
  tpsRate(): Promise<TpsRate>;
  entryCreditRate(): Promise<EntryCreditRate>;
}

// ---------------------------------------------------------------------------------------- argument checks

const bad = (field: string, msg: string) => new InputError('E_FACTOMD_ARG', msg, { field });

export function requireHash32(v: string, field: string): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) throw bad(field, 'expected 32 bytes of hex (64 characters)');
  return v.toLowerCase();
}

function requireHex(v: string, field: string, bytes: { exact?: number; max?: number }): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]*$/.test(v) || v.length % 2 !== 0) throw bad(field, 'expected hex with an even number of digits');
  if (bytes.exact !== undefined && v.length !== bytes.exact * 2) throw bad(field, `expected exactly ${bytes.exact} bytes, got ${v.length / 2}`);
  if (bytes.max !== undefined && v.length > bytes.max * 2) throw bad(field, `expected at most ${bytes.max} bytes, got ${v.length / 2}`);
  if (v.length === 0) throw bad(field, 'empty');
  return v.toLowerCase();
}

const B58 = '[1-9A-HJ-NP-Za-km-z]';

/**
 * Only the public form may leave this process: a secret (Fs/Es) passed by mistake is refused here,
 * before it is written to a socket. The checksum is checked by factomd; this is the shape check.
 */
export function requirePublicAddress(v: string, field: string, kind: 'FA' | 'EC'): string {
  if (typeof v !== 'string') throw bad(field, `expected a public ${kind}… address`);
  const secret = kind === 'FA' ? 'Fs' : 'Es';
  if (v.startsWith(secret)) throw bad(field, `a secret ${secret}… address was given where the public ${kind}… address belongs; it was not sent`);
  if (!new RegExp(`^${kind}${B58}{50}$`).test(v)) throw bad(field, `expected a public ${kind}… address (52 base58 characters)`);
  return v;
}

function requireHeight(v: number, field: string): number {
  if (!Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) throw bad(field, 'expected a block height (integer ≥ 0)');
  return v;
}

/** An entry: 10 240 bytes of payload + 35 header + 2 per ext ID; 64 KiB bounds any mistake. */
const MAX_ENTRY_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------- clients

/** Typed client for factomd's JSON-RPC `/v2` (port 8088 by default). */
export function createFactomdClient(opts: FactomdClientOptions): FactomdClient {
  const transport = createTransport(opts);
  const rpc = createRpcCaller(transport, '/v2');
  const log = createLogger('factomd-client');
  const s = v2ResultSchemas;
  type S = typeof s;
  const read = <M extends keyof S>(method: M, params?: Record<string, unknown>): Promise<z.infer<S[M]>> => {
    log.debug({ url: transport.origin, method }, 'factomd call');
    return rpc(method, params, s[method], true) as Promise<z.infer<S[M]>>;
  };
  const write = <M extends keyof S>(method: M, params: Record<string, unknown>): Promise<z.infer<S[M]>> => {
    log.debug({ url: transport.origin, method }, 'factomd call (not retried)');
    return rpc(method, params, s[method], false) as Promise<z.infer<S[M]>>;
  };
  const noraw = (o?: { noraw?: boolean }) => (o?.noraw ? { noraw: true } : {});

  return {
    url: transport.origin,
    call: async (method, params) => {
      if (typeof method !== 'string' || !/^[a-z0-9-]{1,64}$/.test(method)) throw bad('method', 'expected a JSON-RPC method name');
      return rpc(method, params, rpcResponseSchema.shape.result, IDEMPOTENT_V2_METHODS.has(method));
    },
    heights: () => read('heights'),
    currentMinute: () => read('current-minute'),
    properties: () => read('properties'),
    diagnostics: () => read('diagnostics'),
    authorities: () => read('authorities'),
    entryCreditBalance: async (a) => read('entry-credit-balance', { address: requirePublicAddress(a, 'address', 'EC') }),
    factoidBalance: async (a) => read('factoid-balance', { address: requirePublicAddress(a, 'address', 'FA') }),
    commitChain: async (m) => write('commit-chain', { message: requireHex(m, 'message', { exact: 200 }) }),
    commitEntry: async (m) => write('commit-entry', { message: requireHex(m, 'message', { exact: 136 }) }),
    revealChain: async (e) => write('reveal-chain', { entry: requireHex(e, 'entry', { max: MAX_ENTRY_BYTES }) }),
    revealEntry: async (e) => write('reveal-entry', { entry: requireHex(e, 'entry', { max: MAX_ENTRY_BYTES }) }),
    entry: async (h) => read('entry', { hash: requireHash32(h, 'hash') }),
    entryBlock: async (k) => read('entry-block', { keymr: requireHash32(k, 'keymr') }),
    chainHead: async (c) => read('chain-head', { chainid: requireHash32(c, 'chainid') }),
    ack: async (h, c) => read('ack', { hash: requireHash32(h, 'hash'), chainid: c === 'c' || c === 'f' ? c : requireHash32(c, 'chainid') }),
    pendingEntries: () => read('pending-entries', {}),
    pendingTransactions: async (a) => read('pending-transactions', a === undefined ? {} : { address: requirePublicAddress(a, 'address', 'FA') }),
    directoryBlockHead: () => read('directory-block-head'),
    dblockByHeight: async (h, o) => read('dblock-by-height', { height: requireHeight(h, 'height'), ...noraw(o) }),
    ablockByHeight: async (h, o) => read('ablock-by-height', { height: requireHeight(h, 'height'), ...noraw(o) }),
    tpsRate: () => read('tps-rate'),
    entryCreditRate: () => read('entry-credit-rate'),
  };
}

export interface DebugClient {
  readonly url: string;
  networkInfo(): Promise<NetworkInfo>;
  summary(): Promise<DebugSummary>;
  federatedServers(): Promise<FederatedServers>;
  auditServers(): Promise<AuditServers>;
  authorities(): Promise<Authorities>;
  currentMinute(): Promise<{ Minute: number }>;
  processList(): Promise<{ ProcessList: string }>;
  predictiveFer(): Promise<{ PredictiveFER: number }>;
  delay(): Promise<{ Delay: number }>;
  dropRate(): Promise<{ DropRate: number }>;
  holdingQueue(): Promise<{ Messages: unknown[] | null }>;
  messages(): Promise<{ Messages: unknown[] | null }>;
  /**
   * The config as factomd loaded it at boot (not the current file). `LocalServerPrivKey` and
   * `FactomdRpcPass` (and walletd's `WalletRpcPass`) are replaced by "[REDACTED]" when set, so the
   * answer can be logged and shipped; their presence is what an audit needs.
   */
  configuration(): Promise<DebugConfiguration>;
}

export const REDACTED = '[REDACTED]';

function redactConfiguration(c: DebugConfiguration): DebugConfiguration {
  const mask = (v: unknown) => (typeof v === 'string' && v.length > 0 ? REDACTED : v);
  const out: DebugConfiguration = { ...c, App: { ...c.App, LocalServerPrivKey: mask(c.App.LocalServerPrivKey) as string, FactomdRpcPass: mask(c.App.FactomdRpcPass) as string } };
  if (c.Walletd && 'WalletRpcPass' in c.Walletd) out.Walletd = { ...c.Walletd, WalletRpcPass: mask(c.Walletd.WalletRpcPass) };
  return out;
}

/**
 * Client for factomd's `/debug` endpoint (served only when the network is not MAIN). Read methods
 * only: the state-changing ones (write-configuration, set-delay, sim-ctrl, …) are not offered.
 */
export function createDebugClient(opts: FactomdClientOptions): DebugClient {
  const transport = createTransport(opts);
  const rpc = createRpcCaller(transport, '/debug');
  const s = debugResultSchemas;
  type S = typeof s;
  const read = <M extends keyof S>(method: M): Promise<z.infer<S[M]>> => rpc(method, undefined, s[method], true) as Promise<z.infer<S[M]>>;
  return {
    url: transport.origin,
    networkInfo: () => read('network-info'),
    summary: () => read('summary'),
    federatedServers: () => read('federated-servers'),
    auditServers: () => read('audit-servers'),
    authorities: () => read('authorities'),
    currentMinute: () => read('current-minute'),
    processList: () => read('process-list'),
    predictiveFer: () => read('predictive-fer'),
    delay: () => read('delay'),
    dropRate: () => read('drop-rate'),
    holdingQueue: () => read('holding-queue'),
    messages: () => read('messages'),
    configuration: async () => redactConfiguration(await read('configuration')),
  };
}
