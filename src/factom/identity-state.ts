import type { ErrorCode } from '../errors.js';
import { bytesToHex, equalBytes } from './bytes.js';
import { entryHash, type Entry } from './entry.js';
import {
  parseIdentityMessage,
  parseIdentityRootChain,
  parseServerManagementChain,
  verifyIdentityMessage,
  type IdentityMessage,
} from './identity-messages.js';

/**
 * A pure reducer over an identity's chains, applying entries the way factomd's
 * identityManagerEntryBlock.go does: key 1 only, exact lengths, ±12 h against the block time,
 * placement, an update equal to the current value is a no-op (checked before anything else),
 * and otherwise the last valid entry wins. factom-identity-lib's reader differs (§6.5); this does not.
 */

export interface ChainEntryAt {
  entry: Entry;
  /** Directory block height the entry was confirmed in. */
  height: number;
}

export type ChainRole = 'registration' | 'root' | 'management';

export interface EntryVerdict {
  chain: ChainRole;
  height: number;
  entryHash: string;
  type?: IdentityMessage['type'];
  code: ErrorCode;
  reason: string;
}

export interface IdentityState {
  rootChainId: string;
  /** sha256d(01‖pub) of levels 1..4, hex; empty when the root chain's first entry is invalid. */
  identityKeys: string[];
  rootCreatedHeight?: number;
  registeredHeight?: number;
  managementChainId?: string;
  managementRegisteredHeight?: number;
  managementCreatedHeight?: number;
  blockSigningKey?: { publicKey: string; height: number };
  /** One per key level (0..3); a new key for a level replaces the old one. */
  bitcoinKeys: { keyLevel: number; keyType: number; hash160: string; height: number }[];
  matryoshkaHash?: { mhash: string; height: number };
  coinbaseAddress?: { rcdHash: string; height: number };
  /** Hundredths of a percent; factomd's default is 10000 and it clamps anything larger. */
  efficiency: { value: number; height?: number };
  coinbaseCancels: { descriptorHeight: number; descriptorIndex: number; height: number }[];
  applied: { chain: ChainRole; height: number; entryHash: string; type: IdentityMessage['type'] }[];
  noops: EntryVerdict[];
  rejected: EntryVerdict[];
}

export interface ApplyIdentityInput {
  /** The identity root chain, oldest first; its first entry defines the identity. */
  rootEntries: readonly ChainEntryAt[];
  /** The management subchain, oldest first (may be empty). */
  mgmtEntries: readonly ChainEntryAt[];
  /** Registration-chain entries (only those naming this identity matter), oldest first. */
  registrationEntries?: readonly ChainEntryAt[];
  /** Directory block time (unix seconds) per height. */
  blockTimes: ReadonlyMap<number, number> | Readonly<Record<number, number>>;
  /** Coinbase Cancel is honoured only while descriptorHeight ≤ height ≤ descriptorHeight + this (mainnet 1000). */
  coinbaseDeclaration?: number;
}

const ORDER: Record<ChainRole, number> = { registration: 0, root: 1, management: 2 };

export function applyIdentityChains(input: ApplyIdentityInput): IdentityState {
  const first = input.rootEntries[0];
  const state: IdentityState = {
    rootChainId: first ? bytesToHex(first.entry.chainId) : '',
    identityKeys: [],
    bitcoinKeys: [],
    efficiency: { value: 10000 },
    coinbaseCancels: [],
    applied: [],
    noops: [],
    rejected: [],
  };
  const times = input.blockTimes;
  const timeAt = (h: number): number | undefined => {
    if (times instanceof Map) return (times as ReadonlyMap<number, number>).get(h);
    const t: unknown = (times as Readonly<Record<number, number>>)[h];
    return typeof t === 'number' ? t : undefined;
  };
  const verdict = (chain: ChainRole, at: ChainEntryAt, code: ErrorCode, reason: string, type?: IdentityMessage['type']): EntryVerdict => ({
    chain, height: at.height, entryHash: bytesToHex(entryHash(at.entry)), code, reason, ...(type ? { type } : {}),
  });

  if (!first) return state;
  const root = parseIdentityRootChain(first.entry);
  if (!root.ok) {
    state.rejected.push(verdict('root', first, root.code, root.reason));
    return state;
  }
  const rootId = first.entry.chainId;
  const idKey1 = root.value.identityKeys[0]!;
  state.identityKeys = root.value.identityKeys.map(bytesToHex);
  state.rootCreatedHeight = first.height;

  let mgmtId: Uint8Array | undefined;
  const mgmtFirst = input.mgmtEntries[0];
  let mgmtValid = false;
  if (mgmtFirst) {
    const mc = parseServerManagementChain(mgmtFirst.entry);
    if (mc.ok && equalBytes(mc.value.rootChainId, rootId)) {
      mgmtValid = true;
      state.managementCreatedHeight = mgmtFirst.height;
    } else {
      state.rejected.push(verdict('management', mgmtFirst, mc.ok ? 'E_ID_OTHER_IDENTITY' : mc.code, mc.ok ? 'management chain names another root chain' : mc.reason));
    }
  }

  const queue: { chain: ChainRole; at: ChainEntryAt; seq: number }[] = [];
  let seq = 0;
  for (const at of input.registrationEntries ?? []) queue.push({ chain: 'registration', at, seq: seq++ });
  input.rootEntries.slice(1).forEach((at) => queue.push({ chain: 'root', at, seq: seq++ }));
  input.mgmtEntries.slice(mgmtFirst ? 1 : 0).forEach((at) => queue.push({ chain: 'management', at, seq: seq++ }));
  queue.sort((a, b) => a.at.height - b.at.height || ORDER[a.chain] - ORDER[b.chain] || a.seq - b.seq);

  for (const { chain, at } of queue) {
    const { entry } = at;
    if (chain === 'management' && !mgmtValid) {
      state.rejected.push(verdict(chain, at, 'E_ID_NO_MANAGEMENT', 'management chain has no valid first entry'));
      continue;
    }
    if (chain === 'registration' && !isRegistrationFor(entry, rootId)) continue; // another identity's registration
    const blockTime = timeAt(at.height);
    const parsed = parseIdentityMessage(entry);
    // The no-op rule comes first in factomd: an unchanged value is skipped without any other check.
    if (parsed.ok && namesIdentity(parsed.value.message, entry, rootId) && isNoop(state, parsed.value.message)) {
      state.noops.push(verdict(chain, at, 'E_ID_NOOP', 'equals the current value (no-op)', parsed.value.message.type));
      continue;
    }
    if (parsed.ok && 'timestamp' in parsed.value.message && blockTime === undefined) {
      state.rejected.push(verdict(chain, at, 'E_ID_NO_BLOCK_TIME', `no block time known for height ${at.height}`, parsed.value.message.type));
      continue;
    }
    const v = verifyIdentityMessage(entry, {
      idKey1,
      rootChainId: rootId,
      ...(blockTime !== undefined ? { nowSeconds: blockTime } : {}),
      ...(mgmtId ? { managementChainId: mgmtId } : {}),
    });
    if (!v.ok) {
      state.rejected.push(verdict(chain, at, v.code, v.reason, parsed.ok ? parsed.value.message.type : undefined));
      continue;
    }
    const m = v.value.message;
    const placementError = checkChainRole(chain, m, mgmtId);
    if (placementError) {
      state.rejected.push(verdict(chain, at, 'E_ID_PLACEMENT', placementError, m.type));
      continue;
    }
    if (m.type === 'CoinbaseCancel') {
      const window = input.coinbaseDeclaration ?? 1000;
      if (at.height < m.descriptorHeight || at.height > m.descriptorHeight + window) {
        state.rejected.push(verdict(chain, at, 'E_ID_CANCEL_WINDOW', `cancel at height ${at.height} is outside ${m.descriptorHeight}..${m.descriptorHeight + window}`, m.type));
        continue;
      }
    }
    apply(state, m, at.height);
    if (m.type === 'RegisterServerManagement') mgmtId = m.managementChainId;
    state.applied.push({ chain, height: at.height, entryHash: bytesToHex(entryHash(entry)), type: m.type });
  }
  return state;
}

function isRegistrationFor(entry: Entry, rootId: Uint8Array): boolean {
  const x = entry.extIds;
  return x.length === 5 && x[2] !== undefined && equalBytes(x[2], rootId);
}

function namesIdentity(m: IdentityMessage, entry: Entry, rootId: Uint8Array): boolean {
  return m.type === 'RegisterServerManagement' ? equalBytes(entry.chainId, rootId) : equalBytes(m.rootChainId, rootId);
}

function checkChainRole(chain: ChainRole, m: IdentityMessage, mgmtId: Uint8Array | undefined): string | undefined {
  switch (m.type) {
    case 'RegisterFactomIdentity':
      return chain === 'registration' ? undefined : 'Register Factom Identity outside the registration chain';
    case 'RegisterServerManagement':
    case 'CoinbaseAddress':
      return chain === 'root' ? undefined : `${m.type} must be in the root chain`;
    case 'NewMatryoshkaHash':
      return undefined;
    default:
      if (!mgmtId) return 'no management chain registered yet';
      return chain === 'management' ? undefined : `${m.type} must be in the management chain`;
  }
}

function isNoop(s: IdentityState, m: IdentityMessage): boolean {
  switch (m.type) {
    case 'NewBlockSigningKey':
      return s.blockSigningKey?.publicKey === bytesToHex(m.publicKey);
    case 'ServerEfficiency':
      return s.efficiency.value === Math.min(m.efficiency, 10000);
    case 'CoinbaseAddress':
      return s.coinbaseAddress?.rcdHash === bytesToHex(m.rcdHash);
    case 'NewMatryoshkaHash':
      return s.matryoshkaHash?.mhash === bytesToHex(m.mhash);
    default:
      return false;
  }
}

function apply(s: IdentityState, m: IdentityMessage, height: number): void {
  switch (m.type) {
    case 'RegisterFactomIdentity':
      s.registeredHeight ??= height;
      break;
    case 'RegisterServerManagement':
      s.managementChainId = bytesToHex(m.managementChainId);
      s.managementRegisteredHeight ??= height;
      break;
    case 'NewBlockSigningKey':
      s.blockSigningKey = { publicKey: bytesToHex(m.publicKey), height };
      break;
    case 'NewBitcoinKey': {
      const k = { keyLevel: m.keyLevel, keyType: m.keyType, hash160: bytesToHex(m.hash160), height };
      const i = s.bitcoinKeys.findIndex((b) => b.keyLevel === m.keyLevel);
      if (i >= 0) s.bitcoinKeys[i] = k;
      else s.bitcoinKeys.push(k);
      break;
    }
    case 'NewMatryoshkaHash':
      s.matryoshkaHash = { mhash: bytesToHex(m.mhash), height };
      break;
    case 'CoinbaseAddress':
      s.coinbaseAddress = { rcdHash: bytesToHex(m.rcdHash), height };
      break;
    case 'ServerEfficiency':
      s.efficiency = { value: Math.min(m.efficiency, 10000), height };
      break;
    case 'CoinbaseCancel':
      s.coinbaseCancels.push({ descriptorHeight: m.descriptorHeight, descriptorIndex: m.descriptorIndex, height });
      break;
  }
}

/** What factomd still needs before it will promote this identity (empty = complete). */
export function missingForPromotion(s: IdentityState): string[] {
  const out: string[] = [];
  if (s.identityKeys.length !== 4) out.push('identity root chain with 4 keys');
  if (s.registeredHeight === undefined) out.push('Register Factom Identity');
  if (!s.managementChainId) out.push('Register Server Management');
  if (s.managementCreatedHeight === undefined) out.push('server management chain');
  if (!s.blockSigningKey) out.push('block signing key');
  if (s.bitcoinKeys.length === 0) out.push('bitcoin (anchor) key');
  if (!s.matryoshkaHash) out.push('Matryoshka hash');
  if (s.rootCreatedHeight !== undefined && s.registeredHeight !== undefined && Math.abs(s.registeredHeight - s.rootCreatedHeight) > 144) {
    out.push('registration within 144 blocks of the root chain');
  }
  if (s.managementCreatedHeight !== undefined && s.managementRegisteredHeight !== undefined &&
    Math.abs(s.managementRegisteredHeight - s.managementCreatedHeight) > 144) {
    out.push('management registration within 144 blocks of the management chain');
  }
  return out;
}
