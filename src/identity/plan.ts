/**
 * Entry plans: which identity entries a ceremony command produces, in submission order, turned
 * into bundle items (signed with key 1, commits signed with the EC key or left for later).
 */
import {
  buildChainCommit, buildCoinbaseAddress, buildCoinbaseCancel, buildEntryCommit, buildIdentityRootChain,
  buildNewBitcoinKey, buildNewBlockSigningKey, buildNewMatryoshkaHash, buildRegisterFactomIdentity,
  buildRegisterServerManagement, buildServerEfficiency, buildServerManagementChain, bytesToHex, chainCost,
  entryCost, entryHash, identityKeyFromSeed, marshalEntry, publicKeyFromSeed, type Entry,
} from '../factom/index.js';
import { assembleBundle, itemEntry, type Bundle, type BundleItem, type ItemKind } from './bundle.js';

const CHAIN_KINDS: ReadonlySet<ItemKind> = new Set(['identity-root-chain', 'server-management-chain']);

/** EC payment: sign now (seed + time) or leave the commit for `bundle sign-commits`. */
export type CommitSigner = { ecSeed: Uint8Array; commitTimeMs: number } | undefined;

export function commitFor(kind: ItemKind, entry: Entry, signer: NonNullable<CommitSigner>): string {
  const input = { entry, ecSeed: signer.ecSeed, milliTime: signer.commitTimeMs };
  return bytesToHex(CHAIN_KINDS.has(kind) ? buildChainCommit(input) : buildEntryCommit(input));
}

export function makeItem(kind: ItemKind, entry: Entry, signer: CommitSigner): BundleItem {
  const marshal = marshalEntry(entry);
  return {
    kind,
    chainId: bytesToHex(entry.chainId),
    extIdsHex: entry.extIds.map(bytesToHex),
    contentHex: bytesToHex(entry.content),
    entryHash: bytesToHex(entryHash(marshal)),
    ecCost: CHAIN_KINDS.has(kind) ? chainCost(entry) : entryCost(entry),
    commitHex: signer ? commitFor(kind, entry, signer) : null,
    revealHex: bytesToHex(marshal),
  };
}

export interface CreateIdentityInput {
  /** sk1..sk4 seeds (index 0 = sk1). */
  identitySeeds: Uint8Array[];
  rootNonce: Uint8Array;
  managementNonce: Uint8Array;
  blockSigningPublicKey: Uint8Array;
  bitcoin: { keyLevel: number; keyType: number; hash160: Uint8Array };
  mhash: Uint8Array;
  timestampSeconds: number;
  signer: CommitSigner;
}

/**
 * The full identity: root chain, Register Factom Identity, management chain, Register Server
 * Management, New Block Signing Key, New Bitcoin Key, New Matryoshka Hash (factomd will not
 * promote an identity without the last two, factom-protocol.md §13).
 */
export function planCreateIdentity(input: CreateIdentityInput): { items: BundleItem[]; rootChainId: Uint8Array; managementChainId: Uint8Array; idKey1: Uint8Array } {
  const sk1Seed = input.identitySeeds[0]!;
  const identityKeys = input.identitySeeds.map((s) => identityKeyFromSeed(s));
  const rootChain = buildIdentityRootChain({ identityKeys, nonce: input.rootNonce });
  const rootChainId = rootChain.chainId;
  const mgmtChain = buildServerManagementChain({ rootChainId, nonce: input.managementNonce });
  const managementChainId = mgmtChain.chainId;
  const ts = input.timestampSeconds;
  const m = { rootChainId, managementChainId, sk1Seed };
  const entries: [ItemKind, Entry][] = [
    ['identity-root-chain', rootChain],
    ['register-factom-identity', buildRegisterFactomIdentity({ rootChainId, sk1Seed })],
    ['server-management-chain', mgmtChain],
    ['register-server-management', buildRegisterServerManagement(m)],
    ['new-block-signing-key', buildNewBlockSigningKey({ ...m, timestampSeconds: ts, blockSigningPublicKey: input.blockSigningPublicKey })],
    ['new-bitcoin-key', buildNewBitcoinKey({ ...m, timestampSeconds: ts, ...input.bitcoin })],
    ['new-matryoshka-hash', buildNewMatryoshkaHash({ ...m, timestampSeconds: ts, mhash: input.mhash })],
  ];
  return { items: entries.map(([k, e]) => makeItem(k, e, input.signer)), rootChainId, managementChainId, idKey1: identityKeys[0]! };
}

export type UpdateMessage =
  | { kind: 'coinbase-address'; rcdHash: Uint8Array }
  | { kind: 'server-efficiency'; efficiency: number }
  | { kind: 'coinbase-cancel'; descriptorHeight: number; descriptorIndex: number }
  | { kind: 'new-block-signing-key'; blockSigningPublicKey: Uint8Array }
  | { kind: 'new-bitcoin-key'; keyLevel: number; keyType: number; hash160: Uint8Array }
  | { kind: 'new-matryoshka-hash'; mhash: Uint8Array };

export interface UpdateInput {
  rootChainId: Uint8Array;
  /** Needed by every message except Coinbase Address (which goes into the root chain). */
  managementChainId?: Uint8Array;
  sk1Seed: Uint8Array;
  timestampSeconds: number;
  signer: CommitSigner;
  message: UpdateMessage;
}

/** One signed update entry of an existing identity. */
export function planUpdate(input: UpdateInput): BundleItem {
  const { rootChainId, sk1Seed, message: msg } = input;
  const ts = input.timestampSeconds;
  if (msg.kind === 'coinbase-address') {
    return makeItem(msg.kind, buildCoinbaseAddress({ rootChainId, rcdHash: msg.rcdHash, sk1Seed, timestampSeconds: ts }), input.signer);
  }
  const managementChainId = input.managementChainId;
  if (!managementChainId) throw new Error('managementChainId is required for management-chain messages');
  const m = { rootChainId, managementChainId, sk1Seed };
  let entry: Entry;
  switch (msg.kind) {
    case 'server-efficiency': entry = buildServerEfficiency({ ...m, timestampSeconds: ts, efficiency: msg.efficiency }); break;
    case 'coinbase-cancel': entry = buildCoinbaseCancel({ ...m, descriptorHeight: msg.descriptorHeight, descriptorIndex: msg.descriptorIndex }); break;
    case 'new-block-signing-key': entry = buildNewBlockSigningKey({ ...m, timestampSeconds: ts, blockSigningPublicKey: msg.blockSigningPublicKey }); break;
    case 'new-bitcoin-key': entry = buildNewBitcoinKey({ ...m, timestampSeconds: ts, keyLevel: msg.keyLevel, keyType: msg.keyType, hash160: msg.hash160 }); break;
    case 'new-matryoshka-hash': entry = buildNewMatryoshkaHash({ ...m, timestampSeconds: ts, mhash: msg.mhash }); break;
  }
  return makeItem(msg.kind, entry, input.signer);
}

/** Bundle for an update of an existing identity. */
export function updateBundle(input: UpdateInput & { network: string; createdAtMs: number }): Bundle {
  const item = planUpdate(input);
  return assembleBundle({
    network: input.network,
    createdAtMs: input.createdAtMs,
    identity: {
      rootChainId: bytesToHex(input.rootChainId),
      ...(input.managementChainId ? { managementChainId: bytesToHex(input.managementChainId) } : {}),
      idKey1Hex: bytesToHex(identityKeyFromSeed(input.sk1Seed)),
    },
    items: [item],
  });
}

/**
 * Second stage of two-stage signing: (re)signs every commit with an EC key that may never have
 * seen the offline machine. Entries are untouched; the expiry and manifest are recomputed.
 */
export function signBundleCommits(bundle: Bundle, signer: NonNullable<CommitSigner>, createdAtMs: number): Bundle {
  const items = bundle.items.map((it) => ({ ...it, commitHex: commitFor(it.kind, itemEntry(it), signer) }));
  return assembleBundle({ network: bundle.network, createdAtMs, identity: bundle.identity, items });
}

/** Public key of an EC seed as hex (for reporting). */
export function ecPublicHex(ecSeed: Uint8Array): string {
  return bytesToHex(publicKeyFromSeed(ecSeed));
}
