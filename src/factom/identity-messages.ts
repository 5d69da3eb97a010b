import { InputError, type ErrorCode } from '../errors.js';
import { bytesToUtf8, concatBytes, equalBytes, readU16be, readU32be, readU64be, u16be, u32be, u64be, utf8ToBytes } from './bytes.js';
import { sha256, sha256d } from './hash.js';
import { publicKeyFromSeed, sign, verify } from './ed25519.js';
import { chainIdFromExtIds, isServerIdentityChainId, type Entry } from './entry.js';
import { identityKeyFromPublic, rcd1 } from './keys.js';

/**
 * Server (Authority Node) identity messages, factom-protocol.md §6. Every builder returns an Entry;
 * signatures are Ed25519 by the level-1 key over the ExtIDs before the preimage, concatenated.
 */

/** Chain of Register Factom Identity entries: chainId of ["Factom Identity Registration Chain", "44079090249"]. */
export const REGISTRATION_CHAIN_ID_HEX = '888888001750ede0eff4b05f0c3f557890b256450cabbb84cada937f9c258327';
export const REGISTRATION_CHAIN_ID = new Uint8Array(Buffer.from(REGISTRATION_CHAIN_ID_HEX, 'hex'));
/** factomd CheckTimestamp: |ts − directory block time| ≤ 12 h. */
export const IDENTITY_TIMESTAMP_WINDOW_SECONDS = 12 * 60 * 60;
/** serveridentity's Matryoshka derivation. */
export const MHASH_ITERATIONS = 100_000;

export const MESSAGE_NAMES = {
  IdentityChain: 'Identity Chain',
  ServerManagement: 'Server Management',
  RegisterFactomIdentity: 'Register Factom Identity',
  RegisterServerManagement: 'Register Server Management',
  NewBlockSigningKey: 'New Block Signing Key',
  NewBitcoinKey: 'New Bitcoin Key',
  NewMatryoshkaHash: 'New Matryoshka Hash',
  CoinbaseAddress: 'Coinbase Address',
  ServerEfficiency: 'Server Efficiency',
  CoinbaseCancel: 'Coinbase Cancel',
} as const;
export type IdentityMessageType = Exclude<keyof typeof MESSAGE_NAMES, 'IdentityChain' | 'ServerManagement'>;

const VER = Uint8Array.of(0);
const name = (t: keyof typeof MESSAGE_NAMES): Uint8Array => utf8ToBytes(MESSAGE_NAMES[t]);

function need(b: Uint8Array, len: number, field: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== len) {
    throw new InputError('E_BAD_LENGTH', `must be ${len} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`, { field });
  }
  return b;
}

/** [ver, name, …fields, 01‖pub, sig(ver‖name‖…fields)] — the shape of every signed message. */
function signedEntry(chainId: Uint8Array, signed: Uint8Array[], sk1Seed: Uint8Array): Entry {
  need(sk1Seed, 32, 'sk1');
  const sig = sign(sk1Seed, concatBytes(...signed), 'sk1');
  return { chainId, extIds: [...signed, rcd1(publicKeyFromSeed(sk1Seed, 'sk1')), sig], content: new Uint8Array(0) };
}

/** ExtIDs of the identity root chain's first entry: [00, "Identity Chain", idKey1..4, nonce]. */
export function identityRootChainExtIds(identityKeys: readonly Uint8Array[], nonce: Uint8Array): Uint8Array[] {
  if (identityKeys.length !== 4) throw new InputError('E_BAD_LENGTH', `need 4 identity keys, got ${identityKeys.length}`, { field: 'identityKeys' });
  identityKeys.forEach((k, i) => need(k, 32, `identityKeys.${i}`));
  return [VER, name('IdentityChain'), ...identityKeys, nonce];
}

/** The root chain's first entry for a given nonce (the grinder searches nonces until the ID starts 888888). */
export function buildIdentityRootChain(input: { identityKeys: readonly Uint8Array[]; nonce: Uint8Array }): Entry {
  const extIds = identityRootChainExtIds(input.identityKeys, input.nonce);
  return { chainId: chainIdFromExtIds(extIds), extIds, content: new Uint8Array(0) };
}

/** ExtIDs of the Server Management subchain's first entry: [00, "Server Management", rootChainId, nonce]. */
export function serverManagementChainExtIds(rootChainId: Uint8Array, nonce: Uint8Array): Uint8Array[] {
  return [VER, name('ServerManagement'), need(rootChainId, 32, 'rootChainId'), nonce];
}

export function buildServerManagementChain(input: { rootChainId: Uint8Array; nonce: Uint8Array }): Entry {
  const extIds = serverManagementChainExtIds(input.rootChainId, input.nonce);
  return { chainId: chainIdFromExtIds(extIds), extIds, content: new Uint8Array(0) };
}

/** Goes into the registration chain; signed over ver‖name‖rootChainId. */
export function buildRegisterFactomIdentity(input: { rootChainId: Uint8Array; sk1Seed: Uint8Array }): Entry {
  return signedEntry(REGISTRATION_CHAIN_ID, [VER, name('RegisterFactomIdentity'), need(input.rootChainId, 32, 'rootChainId')], input.sk1Seed);
}

/** Goes into the root chain; names the management subchain. */
export function buildRegisterServerManagement(input: { rootChainId: Uint8Array; managementChainId: Uint8Array; sk1Seed: Uint8Array }): Entry {
  need(input.rootChainId, 32, 'rootChainId');
  return signedEntry(input.rootChainId, [VER, name('RegisterServerManagement'), need(input.managementChainId, 32, 'managementChainId')], input.sk1Seed);
}

interface MgmtInput {
  rootChainId: Uint8Array;
  managementChainId: Uint8Array;
  sk1Seed: Uint8Array;
}
interface Timestamped {
  /** Unix seconds, written as 8-byte BE; factomd accepts ±12 h around the block time. */
  timestampSeconds: number;
}

function mgmtEntry(input: MgmtInput, type: IdentityMessageType, fields: Uint8Array[]): Entry {
  need(input.managementChainId, 32, 'managementChainId');
  return signedEntry(input.managementChainId, [VER, name(type), need(input.rootChainId, 32, 'rootChainId'), ...fields], input.sk1Seed);
}

export function buildNewBlockSigningKey(input: MgmtInput & Timestamped & { blockSigningPublicKey: Uint8Array }): Entry {
  return mgmtEntry(input, 'NewBlockSigningKey', [
    need(input.blockSigningPublicKey, 32, 'blockSigningPublicKey'),
    u64be(input.timestampSeconds, 'timestampSeconds'),
  ]);
}

export function buildNewBitcoinKey(input: MgmtInput & Timestamped & { keyLevel: number; keyType: number; hash160: Uint8Array }): Entry {
  if (!Number.isInteger(input.keyLevel) || input.keyLevel < 0 || input.keyLevel > 3) {
    throw new InputError('E_OUT_OF_RANGE', `bitcoin key level must be 0..3, got ${input.keyLevel}`, { field: 'keyLevel' });
  }
  if (input.keyType !== 0 && input.keyType !== 1) {
    throw new InputError('E_OUT_OF_RANGE', `bitcoin key type must be 0 (P2PKH) or 1 (P2SH), got ${input.keyType}`, { field: 'keyType' });
  }
  return mgmtEntry(input, 'NewBitcoinKey', [
    Uint8Array.of(input.keyLevel),
    Uint8Array.of(input.keyType),
    need(input.hash160, 20, 'hash160'),
    u64be(input.timestampSeconds, 'timestampSeconds'),
  ]);
}

/** serveridentity: seed copied into a zeroed 32-byte buffer (truncated or zero-padded), then sha256 × iterations. */
export function matryoshkaHashFromSeed(seed: Uint8Array, iterations = MHASH_ITERATIONS): Uint8Array {
  if (!Number.isInteger(iterations) || iterations < 0 || iterations > 10_000_000) {
    throw new InputError('E_OUT_OF_RANGE', `iterations must be 0..10000000, got ${iterations}`, { field: 'iterations' });
  }
  let h: Uint8Array = new Uint8Array(32);
  h.set(seed.subarray(0, 32));
  for (let i = 0; i < iterations; i++) h = sha256(h);
  return h;
}

export function buildNewMatryoshkaHash(input: MgmtInput & Timestamped & { mhash: Uint8Array }): Entry {
  return mgmtEntry(input, 'NewMatryoshkaHash', [need(input.mhash, 32, 'mhash'), u64be(input.timestampSeconds, 'timestampSeconds')]);
}

/** Goes into the ROOT chain; `rcdHash` is the 32-byte payload of the FA address. */
export function buildCoinbaseAddress(input: Timestamped & { rootChainId: Uint8Array; rcdHash: Uint8Array; sk1Seed: Uint8Array }): Entry {
  need(input.rootChainId, 32, 'rootChainId');
  return signedEntry(
    input.rootChainId,
    [VER, name('CoinbaseAddress'), input.rootChainId, need(input.rcdHash, 32, 'rcdHash'), u64be(input.timestampSeconds, 'timestampSeconds')],
    input.sk1Seed,
  );
}

/** `efficiency` in hundredths of a percent, 0..10000 (49.52 % → 4952). */
export function buildServerEfficiency(input: MgmtInput & Timestamped & { efficiency: number }): Entry {
  if (!Number.isInteger(input.efficiency) || input.efficiency < 0 || input.efficiency > 10000) {
    throw new InputError('E_OUT_OF_RANGE', `efficiency must be 0..10000 hundredths of a percent, got ${input.efficiency}`, { field: 'efficiency' });
  }
  return mgmtEntry(input, 'ServerEfficiency', [u16be(input.efficiency, 'efficiency'), u64be(input.timestampSeconds, 'timestampSeconds')]);
}

/**
 * "19.89" → 1989, exactly: decimal text, no floating point (factom-identity-lib's Math.round(p*100)
 * turns 1.005 into 100). At most 2 decimals, 0..100.
 */
export function parseEfficiencyPercent(text: string, field = 'efficiency'): number {
  const m = /^\s*(\d{1,3})(?:\.(\d*))?\s*%?\s*$/.exec(String(text));
  if (!m) throw new InputError('E_BAD_EFFICIENCY', 'expected a percentage like 19.89 (0 to 100, at most 2 decimals)', { field });
  const frac = m[2] ?? '';
  if (frac.length > 2) throw new InputError('E_BAD_EFFICIENCY', `at most 2 decimals (hundredths of a percent), got ${frac.length}`, { field });
  const v = Number(m[1]) * 100 + Number(frac.padEnd(2, '0'));
  if (v > 10000) throw new InputError('E_BAD_EFFICIENCY', 'efficiency cannot exceed 100 %', { field });
  return v;
}

/** Hundredths → "19.89" (for display). */
export function formatEfficiency(hundredths: number): string {
  return `${Math.trunc(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`;
}

export function buildCoinbaseCancel(input: MgmtInput & { descriptorHeight: number; descriptorIndex: number }): Entry {
  return mgmtEntry(input, 'CoinbaseCancel', [u32be(input.descriptorHeight, 'descriptorHeight'), u32be(input.descriptorIndex, 'descriptorIndex')]);
}

// ---------------------------------------------------------------------------------------------
// Reading and verifying, the way factomd's identityManagerEntryBlock.go does.

export type IdentityMessage =
  | { type: 'RegisterFactomIdentity'; rootChainId: Uint8Array }
  | { type: 'RegisterServerManagement'; managementChainId: Uint8Array }
  | { type: 'NewBlockSigningKey'; rootChainId: Uint8Array; publicKey: Uint8Array; timestamp: bigint }
  | { type: 'NewBitcoinKey'; rootChainId: Uint8Array; keyLevel: number; keyType: number; hash160: Uint8Array; timestamp: bigint }
  | { type: 'NewMatryoshkaHash'; rootChainId: Uint8Array; mhash: Uint8Array; timestamp: bigint }
  | { type: 'CoinbaseAddress'; rootChainId: Uint8Array; rcdHash: Uint8Array; timestamp: bigint }
  | { type: 'ServerEfficiency'; rootChainId: Uint8Array; efficiency: number; timestamp: bigint }
  | { type: 'CoinbaseCancel'; rootChainId: Uint8Array; descriptorHeight: number; descriptorIndex: number };

export interface ParsedIdentityMessage {
  message: IdentityMessage;
  /** ver‖name‖fields: the bytes key 1 signed. */
  signedData: Uint8Array;
  /** 0x01 ‖ pubkey. */
  preimage: Uint8Array;
  signature: Uint8Array;
}

/** factomd CheckExternalIDsLength: the exact byte lengths per message. */
const LENGTHS: Record<IdentityMessageType, number[]> = {
  RegisterFactomIdentity: [1, 24, 32, 33, 64],
  RegisterServerManagement: [1, 26, 32, 33, 64],
  NewBlockSigningKey: [1, 21, 32, 32, 8, 33, 64],
  NewBitcoinKey: [1, 15, 32, 1, 1, 20, 8, 33, 64],
  NewMatryoshkaHash: [1, 19, 32, 32, 8, 33, 64],
  CoinbaseAddress: [1, 16, 32, 32, 8, 33, 64],
  ServerEfficiency: [1, 17, 32, 2, 8, 33, 64],
  CoinbaseCancel: [1, 15, 32, 4, 4, 33, 64],
};
const TYPE_BY_NAME = new Map<string, IdentityMessageType>(
  (Object.keys(LENGTHS) as IdentityMessageType[]).map((t) => [MESSAGE_NAMES[t], t]),
);

export type IdentityCheck<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; reason: string };
const bad = (code: ErrorCode, reason: string): { ok: false; code: ErrorCode; reason: string } => ({ ok: false, code, reason });

/** Structure only (version byte, known name, exact ExtID lengths). Never throws. */
export function parseIdentityMessage(entry: Entry): IdentityCheck<ParsedIdentityMessage> {
  const x = entry.extIds;
  if (x.length < 2) return bad('E_ID_NOT_IDENTITY', 'fewer than 2 ExtIDs');
  if (x[0]!.length !== 1 || x[0]![0] !== 0) return bad('E_ID_BAD_VERSION', 'ExtID[0] is not the version byte 00');
  const type = TYPE_BY_NAME.get(bytesToUtf8(x[1]!));
  if (type === undefined) return bad('E_ID_NOT_IDENTITY', 'ExtID[1] is not a server-identity message name');
  const lens = LENGTHS[type];
  if (x.length !== lens.length || lens.some((l, i) => x[i]!.length !== l)) {
    return bad('E_ID_BAD_LENGTHS', `${MESSAGE_NAMES[type]}: ExtID lengths [${x.map((e) => e.length).join(',')}] ≠ [${lens.join(',')}]`);
  }
  const n = x.length;
  const f = (i: number): Uint8Array => x[i]!;
  let message: IdentityMessage;
  switch (type) {
    case 'RegisterFactomIdentity': message = { type, rootChainId: f(2) }; break;
    case 'RegisterServerManagement': message = { type, managementChainId: f(2) }; break;
    case 'NewBlockSigningKey': message = { type, rootChainId: f(2), publicKey: f(3), timestamp: readU64be(f(4)) }; break;
    case 'NewBitcoinKey':
      message = { type, rootChainId: f(2), keyLevel: f(3)[0]!, keyType: f(4)[0]!, hash160: f(5), timestamp: readU64be(f(6)) };
      break;
    case 'NewMatryoshkaHash': message = { type, rootChainId: f(2), mhash: f(3), timestamp: readU64be(f(4)) }; break;
    case 'CoinbaseAddress': message = { type, rootChainId: f(2), rcdHash: f(3), timestamp: readU64be(f(4)) }; break;
    case 'ServerEfficiency': message = { type, rootChainId: f(2), efficiency: readU16be(f(3)), timestamp: readU64be(f(4)) }; break;
    case 'CoinbaseCancel': message = { type, rootChainId: f(2), descriptorHeight: readU32be(f(3)), descriptorIndex: readU32be(f(4)) }; break;
  }
  return { ok: true, value: { message, signedData: concatBytes(...x.slice(0, n - 2)), preimage: f(n - 2), signature: f(n - 1) } };
}

export interface VerifyIdentityOptions {
  /** The identity's level-1 key (sha256d(01‖pub)), from the root chain's first entry. */
  idKey1: Uint8Array;
  /** Directory block time of the entry's block; timestamped messages must be within ±12 h of it. Omit to skip the window. */
  nowSeconds?: number;
  /** The identity's root chain; enables the placement and ExtID[2] rules. */
  rootChainId?: Uint8Array;
  /** The registered management chain; enables its placement rule. */
  managementChainId?: Uint8Array;
}

function hasTimestamp(m: IdentityMessage): m is Extract<IdentityMessage, { timestamp: bigint }> {
  return 'timestamp' in m;
}

/**
 * What factomd checks before applying a message: structure, key 1 only (sha256d(pre) = idKey1 and
 * the Ed25519 signature), the ±12 h window for timestamped messages, and placement (which chain the
 * entry must be in). Never throws on hostile input.
 */
export function verifyIdentityMessage(entry: Entry, opts: VerifyIdentityOptions): IdentityCheck<ParsedIdentityMessage> {
  if (!isServerIdentityChainId(entry.chainId)) return bad('E_ID_PLACEMENT', 'entry is not in an 888888… chain');
  const parsed = parseIdentityMessage(entry);
  if (!parsed.ok) return parsed;
  const { message: m, preimage, signature, signedData } = parsed.value;
  if (preimage[0] !== 1 || !equalBytes(sha256d(preimage), opts.idKey1)) {
    return bad('E_ID_WRONG_KEY', 'not signed by the identity\'s level-1 key');
  }
  if (!verify(preimage.subarray(1), signedData, signature)) return bad('E_ID_BAD_SIGNATURE', 'signature does not verify');
  if (hasTimestamp(m) && opts.nowSeconds !== undefined) {
    const delta = Number(m.timestamp) - opts.nowSeconds;
    if (!Number.isFinite(delta) || Math.abs(delta) > IDENTITY_TIMESTAMP_WINDOW_SECONDS) {
      return bad('E_ID_TIMESTAMP', `timestamp is ${Math.round(Math.abs(delta) / 3600)} h ${delta < 0 ? 'before' : 'after'} the block time (limit 12 h)`);
    }
  }
  const root = opts.rootChainId;
  const here = (c: Uint8Array): boolean => equalBytes(entry.chainId, c);
  switch (m.type) {
    case 'RegisterFactomIdentity':
      if (!here(REGISTRATION_CHAIN_ID)) return bad('E_ID_PLACEMENT', 'Register Factom Identity must be in the registration chain');
      if (root && !equalBytes(m.rootChainId, root)) return bad('E_ID_OTHER_IDENTITY', 'registers another identity');
      break;
    case 'RegisterServerManagement':
      if (root && !here(root)) return bad('E_ID_PLACEMENT', 'Register Server Management must be in the root chain');
      break;
    case 'CoinbaseAddress':
      if (!here(m.rootChainId)) return bad('E_ID_PLACEMENT', 'Coinbase Address must be in the identity root chain');
      if (root && !equalBytes(m.rootChainId, root)) return bad('E_ID_OTHER_IDENTITY', 'names another identity');
      break;
    default:
      if (root && !equalBytes(m.rootChainId, root)) return bad('E_ID_OTHER_IDENTITY', 'names another identity');
      // factomd does not check where a New Matryoshka Hash entry sits.
      if (m.type !== 'NewMatryoshkaHash' && opts.managementChainId && !here(opts.managementChainId)) {
        return bad('E_ID_PLACEMENT', `${MESSAGE_NAMES[m.type]} must be in the registered management chain`);
      }
  }
  return parsed;
}

/** Reads the root chain's first entry: [00, "Identity Chain", idKey1..4, nonce]. */
export function parseIdentityRootChain(entry: Entry): IdentityCheck<{ identityKeys: Uint8Array[]; nonce: Uint8Array }> {
  const x = entry.extIds;
  if (x.length !== 7 || x[0]!.length !== 1 || x[0]![0] !== 0 || bytesToUtf8(x[1]!) !== MESSAGE_NAMES.IdentityChain) {
    return bad('E_ID_NOT_IDENTITY', 'not an identity root chain first entry ([00, "Identity Chain", 4 keys, nonce])');
  }
  if ([2, 3, 4, 5].some((i) => x[i]!.length !== 32)) return bad('E_ID_BAD_LENGTHS', 'identity keys must be 32 bytes');
  if (!isServerIdentityChainId(entry.chainId)) return bad('E_ID_PLACEMENT', 'root chain ID does not start with 888888');
  if (!equalBytes(chainIdFromExtIds(x), entry.chainId)) return bad('E_CHAIN_ID_MISMATCH', 'ExtIDs do not hash to the chain ID');
  return { ok: true, value: { identityKeys: x.slice(2, 6), nonce: x[6]! } };
}

/** Reads the management chain's first entry: [00, "Server Management", rootChainId, nonce]. */
export function parseServerManagementChain(entry: Entry): IdentityCheck<{ rootChainId: Uint8Array; nonce: Uint8Array }> {
  const x = entry.extIds;
  if (x.length !== 4 || x[0]!.length !== 1 || x[0]![0] !== 0 || bytesToUtf8(x[1]!) !== MESSAGE_NAMES.ServerManagement || x[2]!.length !== 32) {
    return bad('E_ID_NOT_IDENTITY', 'not a server management chain first entry ([00, "Server Management", rootChainId, nonce])');
  }
  if (!isServerIdentityChainId(entry.chainId)) return bad('E_ID_PLACEMENT', 'management chain ID does not start with 888888');
  if (!equalBytes(chainIdFromExtIds(x), entry.chainId)) return bad('E_CHAIN_ID_MISMATCH', 'ExtIDs do not hash to the chain ID');
  return { ok: true, value: { rootChainId: x[2]!, nonce: x[3]! } };
}

/** idKey (sha256d(01‖pub)) of a seed, for callers that hold the secret. */
export function identityKeyFromSeed(seed: Uint8Array): Uint8Array {
  return identityKeyFromPublic(publicKeyFromSeed(seed));
}

