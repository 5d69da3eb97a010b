import { base58 } from '@scure/base';
import { InputError } from '../errors.js';
import { bytesToHex, concatBytes, equalBytes } from './bytes.js';
import { sha256d } from './hash.js';
import { publicKeyFromSeed } from './ed25519.js';

/**
 * Every human-readable key and address format of factom-protocol.md §5:
 * base58(prefix ‖ payload32 ‖ sha256d(prefix ‖ payload32)[0..4)).
 */

export type SecretKind = 'Fs' | 'Es' | 'sk1' | 'sk2' | 'sk3' | 'sk4' | 'idsec';
export type IdentityKeyKind = 'id1' | 'id2' | 'id3' | 'id4';
export type PublicKind = 'FA' | 'EC' | 'idpub' | IdentityKeyKind;
export type KeyKind = SecretKind | PublicKind;

interface KindInfo {
  prefix: Uint8Array;
  secret: boolean;
  /** What the 32-byte payload is. */
  payload: 'seed' | 'rcdHash' | 'publicKey' | 'identityKey';
  /** Words for error messages: "an EC public address". */
  noun: string;
}

const h = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

export const KEY_KINDS: Readonly<Record<KeyKind, KindInfo>> = {
  FA: { prefix: h('5fb1'), secret: false, payload: 'rcdHash', noun: 'an FA Factoid public address' },
  Fs: { prefix: h('6478'), secret: true, payload: 'seed', noun: 'an Fs Factoid secret' },
  EC: { prefix: h('592a'), secret: false, payload: 'publicKey', noun: 'an EC public address' },
  Es: { prefix: h('5db6'), secret: true, payload: 'seed', noun: 'an Es secret' },
  sk1: { prefix: h('4db6c9'), secret: true, payload: 'seed', noun: 'an sk1 identity secret' },
  sk2: { prefix: h('4db6e7'), secret: true, payload: 'seed', noun: 'an sk2 identity secret' },
  sk3: { prefix: h('4db705'), secret: true, payload: 'seed', noun: 'an sk3 identity secret' },
  sk4: { prefix: h('4db723'), secret: true, payload: 'seed', noun: 'an sk4 identity secret' },
  id1: { prefix: h('3fbeba'), secret: false, payload: 'identityKey', noun: 'an id1 identity key' },
  id2: { prefix: h('3fbed8'), secret: false, payload: 'identityKey', noun: 'an id2 identity key' },
  id3: { prefix: h('3fbef6'), secret: false, payload: 'identityKey', noun: 'an id3 identity key' },
  id4: { prefix: h('3fbf14'), secret: false, payload: 'identityKey', noun: 'an id4 identity key' },
  idsec: { prefix: h('0345f3d0d6'), secret: true, payload: 'seed', noun: 'an idsec application-identity secret' },
  idpub: { prefix: h('0345ef9de0'), secret: false, payload: 'publicKey', noun: 'an idpub application-identity public key' },
};

/** Which public form each secret derives to. */
export const PUBLIC_KIND_OF: Readonly<Record<SecretKind, PublicKind>> = {
  Fs: 'FA', Es: 'EC', sk1: 'id1', sk2: 'id2', sk3: 'id3', sk4: 'id4', idsec: 'idpub',
};

const ALL_KINDS = Object.keys(KEY_KINDS) as KeyKind[];
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export type ParsedKey =
  | { kind: SecretKind; secret: true; seed: Uint8Array; payload: Uint8Array }
  | { kind: 'FA'; secret: false; rcdHash: Uint8Array; payload: Uint8Array }
  | { kind: 'EC' | 'idpub'; secret: false; publicKey: Uint8Array; payload: Uint8Array }
  | { kind: IdentityKeyKind; secret: false; identityKey: Uint8Array; payload: Uint8Array };

export function isSecretKind(kind: KeyKind): kind is SecretKind {
  return KEY_KINDS[kind].secret;
}

/** RCD type 1: 0x01 ‖ pubkey. Also the "identity key preimage" carried in server-identity ExtIDs. */
export function rcd1(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw new InputError('E_BAD_LENGTH', `public key must be 32 bytes, got ${publicKey.length}`, { field: 'publicKey' });
  return concatBytes(Uint8Array.of(1), publicKey);
}

/** FA payload: sha256d(0x01 ‖ pubkey). */
export function rcdHash(publicKey: Uint8Array): Uint8Array {
  return sha256d(rcd1(publicKey));
}

/** idN payload and the value in the root chain's ExtIDs: the same hash as an RCD1 hash. */
export function identityKeyFromPublic(publicKey: Uint8Array): Uint8Array {
  return rcdHash(publicKey);
}

export function encodeKey(kind: KeyKind, payload: Uint8Array): string {
  const info = KEY_KINDS[kind];
  if (!info) throw new InputError('E_BAD_KIND', `unknown key kind ${String(kind)}`, { field: 'kind' });
  if (payload.length !== 32) throw new InputError('E_BAD_LENGTH', `${kind} payload must be 32 bytes, got ${payload.length}`, { field: 'payload' });
  const body = concatBytes(info.prefix, payload);
  return base58.encode(concatBytes(body, sha256d(body).subarray(0, 4)));
}

function describeLengths(): string {
  return '38 bytes (FA/Fs/EC/Es), 39 (skN/idN) or 41 (idsec/idpub)';
}

/** The kind whose human-readable prefix the string starts with, if any (longest match first). */
function kindByText(str: string): KeyKind | undefined {
  return [...ALL_KINDS].sort((a, b) => b.length - a.length).find((k) => str.startsWith(k));
}

/** Text length by prefix length: 52 (FA/Fs/EC/Es), 53 (skN/idN), 55 (idsec/idpub). */
const TEXT_LENGTH: Record<number, number> = { 2: 52, 3: 53, 5: 55 };

function isRawHex(str: string): boolean {
  return /^[0-9a-fA-F]+$/.test(str) && [76, 78, 82].includes(str.length);
}

function decodeRaw(str: string, field: string): Uint8Array {
  // Factom tools also accept the raw 38/39/41-byte form in hex (factom-identity-lib for skN).
  if (isRawHex(str)) return h(str);
  for (let i = 0; i < str.length; i++) {
    const c = str[i]!;
    if (!ALPHABET.includes(c)) {
      const shown = /^[\x21-\x7e]$/.test(c) ? `'${c}'` : `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`;
      const hint = '0OIl'.includes(c) ? ' (base58 has no 0, O, I or l)' : '';
      throw new InputError('E_BAD_CHARACTER', `invalid character ${shown} at position ${i + 1}${hint}`, { field });
    }
  }
  try {
    return base58.decode(str);
  } catch (e) {
    throw new InputError('E_BAD_CHARACTER', 'not valid base58', { field, cause: e });
  }
}

/**
 * Parses any key or address string. Errors say which check failed (E_BAD_CHARACTER with the
 * character and position, E_BAD_LENGTH, E_BAD_PREFIX, E_BAD_CHECKSUM) and never echo the input,
 * which may be a secret.
 */
export function parseKey(str: string, field = 'key'): ParsedKey {
  if (typeof str !== 'string') throw new InputError('E_BAD_KEY', 'expected a key or address string', { field });
  if (str.length === 0) throw new InputError('E_BAD_LENGTH', 'empty key', { field });
  if (str.length > 200) throw new InputError('E_BAD_LENGTH', `${str.length} characters is far too long for a key`, { field });
  const textKind = kindByText(str);
  const raw = decodeRaw(str, field);
  if (textKind && !isRawHex(str)) {
    // Every payload gives the same text length per kind (all-zero and all-ff encode alike), so a
    // missing or extra character is reported as such rather than as a confusing prefix error.
    const want = TEXT_LENGTH[KEY_KINDS[textKind].prefix.length]!;
    if (str.length !== want) {
      throw new InputError('E_BAD_LENGTH', `${textKind} keys are ${want} characters, got ${str.length} (missing or extra characters?)`, { field });
    }
  }
  const candidates = ALL_KINDS.filter((k) => KEY_KINDS[k].prefix.length + 36 === raw.length);
  if (candidates.length === 0) {
    const expect = textKind ? `${textKind} keys decode to ${KEY_KINDS[textKind].prefix.length + 36} bytes` : `Factom keys decode to ${describeLengths()}`;
    throw new InputError('E_BAD_LENGTH', `decodes to ${raw.length} bytes; ${expect} (missing or extra characters?)`, { field });
  }
  const kind = candidates.find((k) => equalBytes(raw.subarray(0, KEY_KINDS[k].prefix.length), KEY_KINDS[k].prefix));
  if (kind === undefined) {
    const pl = candidates[0] ? KEY_KINDS[candidates[0]].prefix.length : 2;
    const hint = textKind ? `; the text starts like ${textKind} but its prefix bytes are not ${bytesToHex(KEY_KINDS[textKind].prefix)}` : '';
    throw new InputError('E_BAD_PREFIX', `unknown prefix bytes ${bytesToHex(raw.subarray(0, pl))}${hint}`, { field });
  }
  const info = KEY_KINDS[kind];
  const body = raw.subarray(0, info.prefix.length + 32);
  if (!equalBytes(sha256d(body).subarray(0, 4), raw.subarray(info.prefix.length + 32))) {
    throw new InputError('E_BAD_CHECKSUM', `${kind} checksum mismatch (a typo or a truncated copy)`, { field });
  }
  const payload = new Uint8Array(raw.subarray(info.prefix.length, info.prefix.length + 32));
  switch (kind) {
    case 'FA':
      return { kind, secret: false, rcdHash: payload, payload };
    case 'EC':
    case 'idpub':
      return { kind, secret: false, publicKey: payload, payload };
    case 'id1': case 'id2': case 'id3': case 'id4':
      return { kind, secret: false, identityKey: payload, payload };
    default:
      return { kind, secret: true, seed: payload, payload };
  }
}

export function describeKind(kind: KeyKind): string {
  return KEY_KINDS[kind].noun;
}

/**
 * Parses and insists on one of `kinds`, so that a secret pasted where a public key belongs (or an
 * FA where an EC is needed) is refused with words an operator understands.
 */
export function expectKind<K extends KeyKind>(str: string, kinds: readonly K[], field = 'key'): ParsedKey & { kind: K } {
  const parsed = parseKey(str, field);
  if (!(kinds as readonly KeyKind[]).includes(parsed.kind)) {
    const wanted = kinds.map(describeKind).join(' or ');
    const secretNote = parsed.secret && kinds.every((k) => !isSecretKind(k)) ? ' — a secret was pasted where a public key belongs; treat it as exposed if it was shared' : '';
    throw new InputError('E_WRONG_KIND', `expected ${wanted}, got ${describeKind(parsed.kind)}${secretNote}`, { field });
  }
  return parsed as ParsedKey & { kind: K };
}

/** A public key or address (FA, EC, idN, idpub); a secret here is an error. */
export function parsePublicAddress(str: string, field = 'address'): ParsedKey & { kind: PublicKind } {
  return expectKind(str, ['FA', 'EC', 'idpub', 'id1', 'id2', 'id3', 'id4'] as const, field);
}

export interface PublicForm {
  kind: PublicKind;
  /** Human-readable public form. */
  text: string;
  /** Raw ed25519 public key, when derivable (not from FA or idN alone: those carry a hash). */
  publicKey?: Uint8Array;
}

/** The public human-readable form of any key: derived from a secret, or the public key itself. */
export function publicFormOf(key: ParsedKey): PublicForm {
  if (key.secret) {
    const pub = publicKeyFromSeed(key.seed);
    const kind = PUBLIC_KIND_OF[key.kind];
    const payload = KEY_KINDS[kind].payload === 'publicKey' ? pub : rcdHash(pub);
    return { kind, text: encodeKey(kind, payload), publicKey: pub };
  }
  const text = encodeKey(key.kind, key.payload);
  return key.kind === 'EC' || key.kind === 'idpub' ? { kind: key.kind, text, publicKey: key.publicKey } : { kind: key.kind, text };
}

/** Secret human-readable form of a seed for `kind`, and its public form. */
export function keyPairFromSeed(kind: SecretKind, seed: Uint8Array): { secret: string; public: PublicForm } {
  if (seed.length !== 32) throw new InputError('E_BAD_LENGTH', `seed must be 32 bytes, got ${seed.length}`, { field: 'seed' });
  const secret = encodeKey(kind, seed);
  return { secret, public: publicFormOf({ kind, secret: true, seed, payload: seed }) };
}

export interface KeySummary {
  kind: KeyKind;
  /** Public human-readable form (derived when the input is a secret). */
  public: string;
  /** Raw ed25519 public key hex, when derivable (not from FA or idN). */
  publicKeyHex?: string;
}

/** What `key inspect` prints: kind and public forms only — the secret never leaves this function. */
export function summarizeKey(str: string, field = 'key'): KeySummary {
  const parsed = parseKey(str, field);
  const pub = publicFormOf(parsed);
  return { kind: parsed.kind, public: pub.text, ...(pub.publicKey ? { publicKeyHex: bytesToHex(pub.publicKey) } : {}) };
}
