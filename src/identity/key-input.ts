/**
 * Reading secrets handed to the ceremony commands: an anoguard keystore, or a plain 0600 file in
 * the forms operators already have — serveridentity's printed keys / `.conf` (`sk1…`,
 * `LocalServerPrivKey = <64 hex>`), factom-identity-cli's `sk1…` or its 78-hex raw form
 * (`4db6c9‖seed‖checksum`), walletd's `Es…`. A public form given where a secret is needed is
 * refused with an explanation. Secrets are never echoed in errors.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { base58 } from '@scure/base';
import { AnoguardError, InputError } from '../errors.js';
import { readSecretFile } from '../util/fs.js';
import { parseKey, type ParsedKey } from '../factom/index.js';
import { decryptKeystore, isKeystoreJson, KEYSTORE_FILE, KeystoreFileSchema, type KeystoreSecrets } from './keystore.js';
import type { PassphraseSource } from './passphrase.js';

export interface FoundKeys {
  /** sk1..sk4 seeds by level (index 0 = sk1). */
  identitySeeds: (Uint8Array | undefined)[];
  ecSeed?: Uint8Array;
  blockSigningSeed?: Uint8Array;
  matryoshkaSeed?: Uint8Array;
  /** A Bitcoin anchor key HASH160 (40 hex, `BitcoinHash160 = …`): public, kept with the keys for convenience. */
  bitcoinHash160?: Uint8Array;
  /** Public forms seen (id1, EC, …): used to explain a refusal. */
  publicKinds: string[];
}

const hb = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

export function keysFromSecrets(s: KeystoreSecrets): FoundKeys {
  return {
    identitySeeds: s.identitySeeds.map(hb),
    blockSigningSeed: hb(s.blockSigningSeed),
    ...(s.ecSeed ? { ecSeed: hb(s.ecSeed) } : {}),
    ...(s.matryoshkaSeed ? { matryoshkaSeed: hb(s.matryoshkaSeed) } : {}),
    publicKinds: [],
  };
}

function assign(found: FoundKeys, k: ParsedKey, field: string): void {
  if (!k.secret) { found.publicKinds.push(k.kind); return; }
  const put = (cur: Uint8Array | undefined, v: Uint8Array, what: string): Uint8Array => {
    if (cur && Buffer.compare(Buffer.from(cur), Buffer.from(v)) !== 0) {
      throw new InputError('E_AMBIGUOUS_KEYS', `two different ${what} secrets found`, { field });
    }
    return v;
  };
  switch (k.kind) {
    case 'sk1': case 'sk2': case 'sk3': case 'sk4': {
      const i = Number(k.kind[2]) - 1;
      found.identitySeeds[i] = put(found.identitySeeds[i], k.seed, k.kind);
      break;
    }
    case 'Es': found.ecSeed = put(found.ecSeed, k.seed, 'Es'); break;
    default: found.publicKinds.push(`${k.kind} (not used here)`);
  }
}

/**
 * Extracts every key from free text (one or more per line, `name = value` lines allowed).
 * A lone 64-hex value, or one after `LocalServerPrivKey`, is the block signing seed;
 * after `MatryoshkaSeed` it is the M-hash seed.
 */
export function extractKeysFromText(text: string, field: string): FoundKeys {
  const found: FoundKeys = { identitySeeds: [undefined, undefined, undefined, undefined], publicKinds: [] };
  const allTokens = text.split(/[\s"'=,;:[\]{}]+/).filter((t) => t.length > 0);
  for (const line of text.split(/\r?\n/)) {
    const tokens = line.split(/[\s"'=,;:[\]{}]+/).filter((t) => t.length > 0);
    const label = (tokens[0] ?? '').toLowerCase();
    for (const t of tokens) {
      if (/^[0-9a-fA-F]{78}$/.test(t)) {
        // factom-identity-lib's raw skN form: the decoded base58 bytes in hex.
        assign(found, parseKey(base58.encode(hb(t.toLowerCase())), field), field);
      } else if (/^[0-9a-fA-F]{40}$/.test(t)) {
        found.bitcoinHash160 = hb(t.toLowerCase());
      } else if (/^[0-9a-fA-F]{64}$/.test(t)) {
        const seed = hb(t.toLowerCase());
        if (label === 'localserverprivkey' || (allTokens.length === 1)) found.blockSigningSeed = seed;
        else if (label === 'matryoshkaseed' || label === 'mhashseed') found.matryoshkaSeed = seed;
      } else if (/^(sk[1-4]|id[1-4]|Es|EC|Fs|FA|idsec|idpub)[1-9A-HJ-NP-Za-km-z]{45,55}$/.test(t)) {
        assign(found, parseKey(t, field), field);
      }
    }
  }
  return found;
}

/** Reads one secret file: keystore (decrypted with the passphrase) or plain text. */
export async function readKeysFile(path: string, field: string, passphrase: PassphraseSource): Promise<FoundKeys> {
  const text = readSecretFile(path, field);
  if (isKeystoreJson(text)) {
    const parsed = KeystoreFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new InputError('E_BAD_KEYSTORE', 'keystore file does not have the expected shape', { field });
    return keysFromSecrets(await decryptKeystore(parsed.data, await passphrase()));
  }
  return extractKeysFromText(text, field);
}

/**
 * Reads a keys directory: DIR/keystore.json if present, otherwise every regular file in DIR as
 * plain key text (each must be 0600), merged.
 */
export async function readKeysDir(dir: string, field: string, passphrase: PassphraseSource): Promise<FoundKeys> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new InputError('E_NOT_DIR', `${dir} is not a directory`, { field });
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof AnoguardError) throw e;
    throw new InputError('E_NO_FILE', `cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e });
  }
  if (names.includes(KEYSTORE_FILE)) return readKeysFile(join(dir, KEYSTORE_FILE), field, passphrase);
  const merged: FoundKeys = { identitySeeds: [undefined, undefined, undefined, undefined], publicKinds: [] };
  for (const n of names.sort()) {
    if (n.startsWith('.') || n.endsWith('.json') || n.endsWith('.md')) continue;
    const p = join(dir, n);
    if (!statSync(p).isFile()) continue;
    const f = extractKeysFromText(readSecretFile(p, `${field}/${n}`), `${field}/${n}`);
    // A file holding only 64 hex is the block signing seed, unless its name says Matryoshka.
    if (/matryoshka|mhash/i.test(n) && f.blockSigningSeed && !f.matryoshkaSeed) {
      f.matryoshkaSeed = f.blockSigningSeed;
      delete f.blockSigningSeed;
    }
    f.identitySeeds.forEach((s, i) => { if (s) merged.identitySeeds[i] = s; });
    if (f.ecSeed) merged.ecSeed = f.ecSeed;
    if (f.blockSigningSeed) merged.blockSigningSeed = f.blockSigningSeed;
    if (f.matryoshkaSeed) merged.matryoshkaSeed = f.matryoshkaSeed;
    if (f.bitcoinHash160) merged.bitcoinHash160 = f.bitcoinHash160;
    merged.publicKinds.push(...f.publicKinds);
  }
  return merged;
}

function refuse(field: string, wanted: string, found: FoundKeys, publicName: string): never {
  const seenPublic = found.publicKinds.find((k) => k.startsWith(publicName));
  const why = seenPublic
    ? `found only the public ${seenPublic}; signing needs the secret ${wanted} (the public form cannot sign — give the file holding the secret)`
    : `no ${wanted} secret found (expected a keystore or a 0600 file holding ${wanted}…)`;
  throw new InputError('E_NEED_SECRET', why, { field, exitCode: 2 });
}

export function requireSk1(found: FoundKeys, field: string): Uint8Array {
  return found.identitySeeds[0] ?? refuse(field, 'sk1', found, 'id');
}

export function requireEc(found: FoundKeys, field: string): Uint8Array {
  return found.ecSeed ?? refuse(field, 'Es', found, 'EC');
}

export function requireAllIdentitySeeds(found: FoundKeys, field: string): Uint8Array[] {
  const missing = found.identitySeeds.map((s, i) => (s ? undefined : `sk${i + 1}`)).filter((x): x is string => x !== undefined);
  if (missing.length > 0) {
    if (found.publicKinds.some((k) => k.startsWith('id'))) refuse(field, missing.join(', '), found, 'id');
    throw new InputError('E_NEED_SECRET', `missing ${missing.join(', ')} (all four identity secrets are needed to create an identity)`, { field, exitCode: 2 });
  }
  return found.identitySeeds as Uint8Array[];
}

/** SEEDFILE of `identity signing-key`: 64 hex characters, the LocalServerPrivKey form. */
export function parseSigningSeedText(text: string, field: string): Uint8Array {
  const found = extractKeysFromText(text, field);
  if (found.blockSigningSeed) return found.blockSigningSeed;
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return hb(t.toLowerCase());
  throw new InputError('E_BAD_SIGNING_KEY', 'expected the block signing private key as 64 hex characters (factomd.conf LocalServerPrivKey)', { field, exitCode: 2 });
}
