/**
 * The bundle: the only artefact that leaves the offline machine. JSON, no secrets: every signed
 * entry with its commit and reveal in submission order, the validity window, and a manifest hash
 * over a canonical encoding of everything else (integrity; authenticity comes from the key-1
 * signatures inside the entries and the EC signatures of the commits).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AnoguardError, InputError } from '../errors.js';
import {
  bytesToHex, chainCost, chainIdFromExtIds, checkCommit, COMMIT_WINDOW_MS, entryCost, entryHash, equalBytes,
  IDENTITY_TIMESTAMP_WINDOW_SECONDS, isServerIdentityChainId, marshalEntry, parseCommit, parseIdentityMessage,
  parseIdentityRootChain, parseServerManagementChain, sha256, sha256d, concatBytes, verifyIdentityMessage,
  type Entry, type IdentityMessageType,
} from '../factom/index.js';
import { canonicalJson } from './canonical.js';

export const BUNDLE_FORMAT = 'anoguard-bundle';

export const ITEM_KINDS = [
  'identity-root-chain', 'register-factom-identity', 'server-management-chain', 'register-server-management',
  'new-block-signing-key', 'new-bitcoin-key', 'new-matryoshka-hash', 'coinbase-address', 'server-efficiency', 'coinbase-cancel',
] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

const CHAIN_KINDS: ReadonlySet<ItemKind> = new Set(['identity-root-chain', 'server-management-chain']);
const MESSAGE_KIND: Record<IdentityMessageType, ItemKind> = {
  RegisterFactomIdentity: 'register-factom-identity',
  RegisterServerManagement: 'register-server-management',
  NewBlockSigningKey: 'new-block-signing-key',
  NewBitcoinKey: 'new-bitcoin-key',
  NewMatryoshkaHash: 'new-matryoshka-hash',
  CoinbaseAddress: 'coinbase-address',
  ServerEfficiency: 'server-efficiency',
  CoinbaseCancel: 'coinbase-cancel',
};

const hexStr = z.string().regex(/^(?:[0-9a-f]{2})*$/, 'expected lowercase hex');
const hash32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');

export const BundleItemSchema = z.object({
  kind: z.enum(ITEM_KINDS),
  chainId: hash32,
  extIdsHex: z.array(hexStr),
  contentHex: hexStr,
  entryHash: hash32,
  ecCost: z.number().int().min(1).max(20),
  /** The chain or entry commit signed by the EC key; null until `bundle sign-commits`. */
  commitHex: hexStr.nullable(),
  revealHex: hexStr,
}).strict();
export type BundleItem = z.infer<typeof BundleItemSchema>;

export const BundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(1),
  network: z.string().min(1).max(64),
  createdAt: z.string(),
  /** Earliest moment factomd accepts every item (commit −1 h, identity timestamps −12 h). */
  notBefore: z.string(),
  /** Latest moment factomd accepts every item (commit +1 h, identity timestamps +12 h). */
  expiresAt: z.string(),
  identity: z.object({
    rootChainId: hash32,
    managementChainId: hash32.optional(),
    /** The identity's key 1 (sha256d(01‖pub)) every message must be signed with. */
    idKey1Hex: hash32,
  }).strict(),
  items: z.array(BundleItemSchema).min(1).max(64),
  manifestHash: hash32,
}).strict();
export type Bundle = z.infer<typeof BundleSchema>;

const h = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

export function itemEntry(item: Pick<BundleItem, 'chainId' | 'extIdsHex' | 'contentHex'>): Entry {
  return { chainId: h(item.chainId), extIds: item.extIdsHex.map(h), content: h(item.contentHex) };
}

/** sha256 over the canonical JSON of the bundle without its manifestHash. */
export function manifestHashOf(b: Omit<Bundle, 'manifestHash'> & { manifestHash?: string }): string {
  const { manifestHash: _m, ...rest } = b;
  return bytesToHex(sha256(new Uint8Array(Buffer.from(canonicalJson(rest), 'utf8'))));
}

/** The validity window implied by the items: commit times ±1 h and identity timestamps ±12 h. */
export function validityWindow(items: readonly BundleItem[]): { notBeforeMs: number; expiresAtMs: number } {
  let notBeforeMs = -Infinity;
  let expiresAtMs = Infinity;
  for (const it of items) {
    if (it.commitHex) {
      let c;
      try {
        c = parseCommit(h(it.commitHex), 'commitHex');
      } catch {
        continue; // reported by verifyBundle
      }
      notBeforeMs = Math.max(notBeforeMs, c.milliTime - COMMIT_WINDOW_MS);
      expiresAtMs = Math.min(expiresAtMs, c.milliTime + COMMIT_WINDOW_MS);
    }
    const p = parseIdentityMessage(itemEntry(it));
    if (p.ok && 'timestamp' in p.value.message) {
      const tsMs = Number(p.value.message.timestamp) * 1000;
      notBeforeMs = Math.max(notBeforeMs, tsMs - IDENTITY_TIMESTAMP_WINDOW_SECONDS * 1000);
      expiresAtMs = Math.min(expiresAtMs, tsMs + IDENTITY_TIMESTAMP_WINDOW_SECONDS * 1000);
    }
  }
  return { notBeforeMs, expiresAtMs };
}

/** Dates beyond ±8.64e15 ms (a corrupted commit time) have no ISO form. */
function isoOrFar(ms: number, far: string): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : far;
}

/** A complete bundle with expiry and manifest computed from its items. */
export function assembleBundle(input: { network: string; createdAtMs: number; identity: Bundle['identity']; items: BundleItem[] }): Bundle {
  const w = validityWindow(input.items);
  const body: Omit<Bundle, 'manifestHash'> = {
    format: BUNDLE_FORMAT,
    version: 1,
    network: input.network,
    createdAt: new Date(input.createdAtMs).toISOString(),
    notBefore: isoOrFar(w.notBeforeMs, '1970-01-01T00:00:00.000Z'),
    expiresAt: isoOrFar(w.expiresAtMs, '9999-12-31T23:59:59.999Z'),
    identity: input.identity,
    items: input.items,
  };
  return { ...body, manifestHash: manifestHashOf(body) };
}

/** Parses bundle JSON text with a clear error naming the first bad field. */
export function parseBundle(text: string, field = 'bundle'): Bundle {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError('E_BAD_BUNDLE', `not JSON: ${(e as Error).message}`, { field, cause: e });
  }
  const r = BundleSchema.safeParse(raw);
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new InputError('E_BAD_BUNDLE', `not a valid bundle: ${iss ? `${iss.path.join('.')}: ${iss.message}` : 'invalid'}`, { field });
  }
  return r.data;
}

export function readBundleFile(path: string, field = 'BUNDLE'): Bundle {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError('E_NO_FILE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e });
  }
  return parseBundle(text, field);
}

export interface BundleProblem {
  /** Item index, absent for bundle-level problems. */
  item?: number;
  kind?: ItemKind;
  code: string;
  message: string;
}

export interface BundleVerification {
  ok: boolean;
  errors: BundleProblem[];
  warnings: BundleProblem[];
  notBefore: string;
  expiresAt: string;
  /** Total EC the submission costs. */
  ecTotal: number;
  /** EC public key (hex) that signed the commits (one key per bundle). */
  ecPublicKeyHex?: string;
}

/** Clock skew worth a warning: commit time this far ahead of "now" means one of the clocks is off. */
const SKEW_WARN_MS = 5 * 60 * 1000;

/**
 * Checks everything that can be checked offline: manifest, every hash and chain ID, EC cost,
 * commit signatures and their binding to the entry, identity message structure and key-1
 * signatures against the declared key, placement, ordering, and the validity window at `atMs`.
 */
export function verifyBundle(bundle: Bundle, opts: { atMs: number; requireCommits?: boolean }): BundleVerification {
  const errors: BundleProblem[] = [];
  const warnings: BundleProblem[] = [];
  const err = (code: string, message: string, item?: number): void => {
    errors.push({ ...(item !== undefined ? { item, kind: bundle.items[item]?.kind } : {}), code, message });
  };
  if (manifestHashOf(bundle) !== bundle.manifestHash) err('E_BUNDLE_MANIFEST', 'manifest hash does not match the bundle content (modified or corrupted)');

  const idKey1 = h(bundle.identity.idKey1Hex);
  const root = h(bundle.identity.rootChainId);
  const mgmt = bundle.identity.managementChainId ? h(bundle.identity.managementChainId) : undefined;
  const createdChains = new Set<string>();
  const seenHashes = new Set<string>();
  let ecTotal = 0;
  let ecPub: string | undefined;

  bundle.items.forEach((it, i) => {
    let entry: Entry;
    let marshal: Uint8Array;
    try {
      entry = itemEntry(it);
      marshal = marshalEntry(entry);
    } catch (e) {
      err('E_BUNDLE_ENTRY', `entry does not marshal: ${(e as Error).message}`, i);
      return;
    }
    if (bytesToHex(marshal) !== it.revealHex) err('E_BUNDLE_REVEAL', 'revealHex is not the marshalled entry', i);
    const eh = entryHash(marshal);
    const ehHex = bytesToHex(eh);
    if (ehHex !== it.entryHash) err('E_BUNDLE_HASH', 'entryHash does not match the entry', i);
    if (seenHashes.has(ehHex)) err('E_BUNDLE_DUPLICATE', 'the same entry appears twice', i);
    seenHashes.add(ehHex);

    const isChain = CHAIN_KINDS.has(it.kind);
    let cost: number;
    try {
      cost = isChain ? chainCost(entry) : entryCost(entry);
    } catch (e) {
      err('E_BUNDLE_ENTRY', (e as Error).message, i);
      return;
    }
    if (it.ecCost !== cost) err('E_BUNDLE_COST', `ecCost ${it.ecCost} but the entry costs ${cost} EC`, i);
    ecTotal += cost;

    // Chain creation and identity content.
    if (isChain) {
      if (!equalBytes(chainIdFromExtIds(entry.extIds), entry.chainId)) err('E_BUNDLE_CHAIN_ID', 'chain ID is not the hash of the first entry\'s ExtIDs', i);
      if (!isServerIdentityChainId(entry.chainId)) err('E_BUNDLE_CHAIN_ID', 'identity chain IDs must start with 888888', i);
      if (it.kind === 'identity-root-chain') {
        const p = parseIdentityRootChain(entry);
        if (!p.ok) err(p.code, p.reason, i);
        else {
          if (!equalBytes(entry.chainId, root)) err('E_BUNDLE_IDENTITY', 'root chain is not the bundle\'s declared identity', i);
          if (!equalBytes(p.value.identityKeys[0]!, idKey1)) err('E_BUNDLE_IDENTITY', 'root chain key 1 differs from the declared key 1', i);
        }
      } else {
        const p = parseServerManagementChain(entry);
        if (!p.ok) err(p.code, p.reason, i);
        else {
          if (!equalBytes(p.value.rootChainId, root)) err('E_BUNDLE_IDENTITY', 'management chain belongs to another identity', i);
          if (!mgmt || !equalBytes(entry.chainId, mgmt)) err('E_BUNDLE_IDENTITY', 'management chain is not the declared one', i);
        }
      }
      if (createdChains.has(it.chainId)) err('E_BUNDLE_ORDER', 'chain created twice', i);
      createdChains.add(it.chainId);
    } else {
      const v = verifyIdentityMessage(entry, { idKey1, rootChainId: root, ...(mgmt ? { managementChainId: mgmt } : {}) });
      if (!v.ok) err(v.code, v.reason, i);
      else {
        if (MESSAGE_KIND[v.value.message.type] !== it.kind) err('E_BUNDLE_KIND', `kind ${it.kind} but the entry is ${v.value.message.type}`, i);
        if (v.value.message.type === 'RegisterServerManagement' && mgmt && !equalBytes(v.value.message.managementChainId, mgmt)) {
          err('E_BUNDLE_IDENTITY', 'registers a management chain other than the declared one', i);
        }
        if ('timestamp' in v.value.message) {
          const delta = Number(v.value.message.timestamp) * 1000 - opts.atMs;
          if (Math.abs(delta) > IDENTITY_TIMESTAMP_WINDOW_SECONDS * 1000) {
            err('E_BUNDLE_EXPIRED', `identity timestamp is ${(Math.abs(delta) / 3.6e6).toFixed(1)} h ${delta < 0 ? 'in the past' : 'in the future'} (factomd ignores it beyond 12 h)`, i);
          }
        }
      }
      // A chain created in this bundle must come before the entries that go into it.
      const laterCreation = bundle.items.findIndex((o, j) => j > i && CHAIN_KINDS.has(o.kind) && o.chainId === it.chainId);
      if (laterCreation >= 0) err('E_BUNDLE_ORDER', `entry comes before the creation of its chain (item ${laterCreation})`, i);
    }

    // Commit.
    if (it.commitHex === null) {
      if (opts.requireCommits !== false) err('E_BUNDLE_UNSIGNED', 'commit not signed yet (run `anoguard bundle sign-commits`)', i);
      return;
    }
    let c;
    try {
      c = parseCommit(h(it.commitHex), 'commitHex');
    } catch (e) {
      err('E_BUNDLE_COMMIT', (e as Error).message, i);
      return;
    }
    if ((c.type === 'chain') !== isChain) err('E_BUNDLE_COMMIT', `a ${isChain ? 'chain' : 'entry'} needs a ${isChain ? 'chain' : 'entry'} commit`, i);
    const cc = checkCommit(c);
    if (!cc.ok) err(cc.code, `commit: ${cc.reason}`, i);
    if (!equalBytes(c.entryHash, eh)) err('E_BUNDLE_COMMIT', 'commit pays for another entry', i);
    if (c.credits < cost) err('E_BUNDLE_COMMIT', `commit pays ${c.credits} EC, the entry needs ${cost}`, i);
    if (c.type === 'chain') {
      if (!equalBytes(c.chainIdHash, sha256d(entry.chainId))) err('E_BUNDLE_COMMIT', 'chain commit names another chain', i);
      if (!equalBytes(c.weld, sha256d(concatBytes(eh, entry.chainId)))) err('E_BUNDLE_COMMIT', 'chain commit weld does not match', i);
    }
    const pub = bytesToHex(c.ecPublicKey);
    if (ecPub === undefined) ecPub = pub;
    else if (ecPub !== pub) warnings.push({ item: i, kind: it.kind, code: 'W_BUNDLE_EC_KEYS', message: 'commits are paid by more than one EC key' });
    const delta = c.milliTime - opts.atMs;
    if (Math.abs(delta) > COMMIT_WINDOW_MS) {
      err('E_BUNDLE_EXPIRED', `commit time is ${(Math.abs(delta) / 60000).toFixed(0)} min ${delta < 0 ? 'in the past' : 'in the future'} (factomd accepts ±60 min)`, i);
    } else if (delta > SKEW_WARN_MS) {
      warnings.push({ item: i, kind: it.kind, code: 'W_CLOCK_SKEW', message: `commit time is ${(delta / 60000).toFixed(0)} min ahead of this clock: check both machines' clocks` });
    }
  });

  const w = validityWindow(bundle.items);
  const notBefore = isoOrFar(w.notBeforeMs, '1970-01-01T00:00:00.000Z');
  const expiresAt = isoOrFar(w.expiresAtMs, '9999-12-31T23:59:59.999Z');
  if (notBefore !== bundle.notBefore || expiresAt !== bundle.expiresAt) {
    err('E_BUNDLE_WINDOW', 'declared notBefore/expiresAt do not match the items');
  }
  if (opts.atMs > w.expiresAtMs) err('E_BUNDLE_EXPIRED', `bundle expired at ${expiresAt}`);
  else if (opts.atMs < w.notBeforeMs) err('E_BUNDLE_NOT_YET', `bundle is not valid before ${notBefore} (clock skew?)`);
  else if (w.expiresAtMs - opts.atMs < 10 * 60 * 1000) {
    warnings.push({ code: 'W_EXPIRES_SOON', message: `bundle expires at ${expiresAt}, in less than 10 minutes` });
  }
  return { ok: errors.length === 0, errors, warnings, notBefore, expiresAt, ecTotal, ...(ecPub ? { ecPublicKeyHex: ecPub } : {}) };
}

/** Throws E_BUNDLE_INVALID with the first problem when the bundle does not verify. */
export function assertBundleValid(v: BundleVerification): void {
  if (v.ok) return;
  const first = v.errors[0]!;
  throw new AnoguardError('E_BUNDLE_INVALID', `${first.item !== undefined ? `item ${first.item} (${first.kind}): ` : ''}${first.message}`, {
    field: 'BUNDLE',
    details: v.errors.length > 1 ? `${v.errors.length - 1} more problem(s); run \`anoguard bundle verify\`` : undefined,
  });
}
