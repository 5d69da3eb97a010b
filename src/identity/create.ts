/**
 * `identity create`: grind both chain IDs, sign all seven entries, assemble the bundle.
 */
import { base58 } from '@scure/base';
import { InputError } from '../errors.js';
import {
  bytesToHex, identityKeyFromSeed, identityRootChainExtIds, isServerIdentityChainId, matryoshkaHashFromSeed,
  publicKeyFromSeed, serverManagementChainExtIds, sha256d, chainIdFromExtIds, equalBytes,
} from '../factom/index.js';
import { assembleBundle, type Bundle } from './bundle.js';
import { grindNonce, type NonceScheme } from './grind.js';
import { planCreateIdentity, type CommitSigner } from './plan.js';

export interface BitcoinKey { keyLevel: number; keyType: number; hash160: Uint8Array }

/** A Bitcoin base58check address (P2PKH version 0x00 → type 0, P2SH 0x05 → type 1) → HASH160. */
export function parseBitcoinAddress(addr: string, field = '--btc-address'): { keyType: number; hash160: Uint8Array } {
  let raw: Uint8Array;
  try {
    raw = base58.decode(addr.trim());
  } catch {
    throw new InputError('E_BAD_BTC_ADDRESS', 'not a base58 Bitcoin address', { field, exitCode: 2 });
  }
  if (raw.length !== 25) throw new InputError('E_BAD_BTC_ADDRESS', `decodes to ${raw.length} bytes, a Bitcoin address is 25`, { field, exitCode: 2 });
  if (!equalBytes(sha256d(raw.subarray(0, 21)).subarray(0, 4), raw.subarray(21))) {
    throw new InputError('E_BAD_BTC_ADDRESS', 'Bitcoin address checksum mismatch', { field, exitCode: 2 });
  }
  const v = raw[0];
  if (v !== 0x00 && v !== 0x05) throw new InputError('E_BAD_BTC_ADDRESS', `version byte ${v} is neither P2PKH (0) nor P2SH (5)`, { field, exitCode: 2 });
  return { keyType: v === 0x05 ? 1 : 0, hash160: raw.slice(1, 21) };
}

export interface CreateIdentityOptions {
  identitySeeds: Uint8Array[];
  blockSigningSeed: Uint8Array;
  mhashSeed: Uint8Array;
  bitcoin: BitcoinKey;
  signer: CommitSigner;
  timestampSeconds: number;
  network: string;
  createdAtMs: number;
  nonceScheme: NonceScheme;
  rootNonce?: Uint8Array;
  managementNonce?: Uint8Array;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (chain: 'root' | 'management', attempts: number, elapsedMs: number) => void;
  onFound?: (chain: 'root' | 'management', r: { attempts: number; elapsedMs: number; chainIdHex: string }) => void;
}

export interface CreateIdentityResult {
  bundle: Bundle;
  rootChainId: string;
  managementChainId: string;
  rootNonceHex: string;
  managementNonceHex: string;
}

function checkGivenNonce(extIds: Uint8Array[], field: string): void {
  if (!isServerIdentityChainId(chainIdFromExtIds(extIds))) {
    throw new InputError('E_BAD_NONCE', 'this nonce does not give a chain ID starting with 888888', { field, exitCode: 2 });
  }
}

export async function createIdentity(o: CreateIdentityOptions): Promise<CreateIdentityResult> {
  if (o.identitySeeds.length !== 4) throw new InputError('E_NEED_SECRET', 'four identity secrets are needed', { field: '--keys' });
  const identityKeys = o.identitySeeds.map((s) => identityKeyFromSeed(s));
  const grind = async (chain: 'root' | 'management', before: Uint8Array[]): Promise<Uint8Array> => {
    const r = await grindNonce({
      extIdsBeforeNonce: before,
      scheme: o.nonceScheme,
      ...(o.threads ? { threads: o.threads } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (a, ms) => o.onProgress?.(chain, a, ms),
    });
    o.onFound?.(chain, { attempts: r.attempts, elapsedMs: r.elapsedMs, chainIdHex: bytesToHex(r.chainId) });
    return r.nonce;
  };
  const rootBefore = identityRootChainExtIds(identityKeys, new Uint8Array(0)).slice(0, -1);
  let rootNonce = o.rootNonce;
  if (rootNonce) checkGivenNonce([...rootBefore, rootNonce], '--nonce-hex');
  else rootNonce = await grind('root', rootBefore);
  const rootChainId = chainIdFromExtIds([...rootBefore, rootNonce]);

  const mgmtBefore = serverManagementChainExtIds(rootChainId, new Uint8Array(0)).slice(0, -1);
  let managementNonce = o.managementNonce;
  if (managementNonce) checkGivenNonce([...mgmtBefore, managementNonce], '--management-nonce-hex');
  else managementNonce = await grind('management', mgmtBefore);

  const plan = planCreateIdentity({
    identitySeeds: o.identitySeeds,
    rootNonce,
    managementNonce,
    blockSigningPublicKey: publicKeyFromSeed(o.blockSigningSeed),
    bitcoin: o.bitcoin,
    mhash: matryoshkaHashFromSeed(o.mhashSeed),
    timestampSeconds: o.timestampSeconds,
    signer: o.signer,
  });
  const bundle = assembleBundle({
    network: o.network,
    createdAtMs: o.createdAtMs,
    identity: { rootChainId: bytesToHex(plan.rootChainId), managementChainId: bytesToHex(plan.managementChainId), idKey1Hex: bytesToHex(plan.idKey1) },
    items: plan.items,
  });
  return {
    bundle,
    rootChainId: bytesToHex(plan.rootChainId),
    managementChainId: bytesToHex(plan.managementChainId),
    rootNonceHex: bytesToHex(rootNonce),
    managementNonceHex: bytesToHex(managementNonce),
  };
}

/**
 * serveridentity derives the management chain with the counter scheme, so for identities it made
 * the subchain ID follows from the root chain ID alone.
 */
export async function counterManagementChainId(rootChainId: Uint8Array, opts: { threads?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
  const r = await grindNonce({ extIdsBeforeNonce: serverManagementChainExtIds(rootChainId, new Uint8Array(0)).slice(0, -1), scheme: 'counter', ...opts });
  return r.chainId;
}
