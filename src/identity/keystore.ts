/**
 * The encrypted identity keystore: `DIR/keystore.json` (0600) in a 0700 directory.
 *
 * Format (versioned JSON): a header `{format, version, kdf, cipher, createdAt, public}` and the
 * AES-256-GCM ciphertext of the secrets. The whole header, canonically encoded, is the GCM
 * additional data, so changing a KDF parameter or a displayed public key makes decryption fail
 * instead of silently weakening or lying. Key = scrypt(passphrase, salt, N=2^15, r=8, p=1).
 */
import { createCipheriv, createDecipheriv, randomBytes as nodeRandomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AnoguardError, InputError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { publicKeyFromSeed } from '../factom/ed25519.js';
import { encodeKey, identityKeyFromPublic, type SecretKind } from '../factom/keys.js';
import { canonicalJson } from './canonical.js';

export const KEYSTORE_FILE = 'keystore.json';
export const KEYSTORE_FORMAT = 'anoguard-keystore';
const DEFAULT_SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes * 2} lowercase hex digits`);

/** The secret material (never written unencrypted, never logged). */
export const KeystoreSecretsSchema = z.object({
  version: z.literal(1),
  /** ed25519 seeds of sk1..sk4, index 0 = sk1 (the key factomd checks). */
  identitySeeds: z.array(hex(32)).length(4),
  blockSigningSeed: hex(32),
  ecSeed: hex(32).optional(),
  /** Seed of the Matryoshka hash chain (sha256 applied 100000 times gives the published hash). */
  matryoshkaSeed: hex(32).optional(),
}).strict();
export type KeystoreSecrets = z.infer<typeof KeystoreSecretsSchema>;

export const KeystorePublicSchema = z.object({
  identityKeys: z.array(z.object({
    level: z.number().int().min(1).max(4),
    /** idN string (display only; factomd never sees it). */
    idKey: z.string(),
    /** sha256d(0x01 ‖ pubkey): what goes into the root chain's first entry. */
    identityKeyHex: hex(32),
    publicKeyHex: hex(32),
  }).strict()).length(4),
  blockSigningPublicKeyHex: hex(32),
  ecAddress: z.string().optional(),
}).strict();
export type KeystorePublic = z.infer<typeof KeystorePublicSchema>;

const HeaderSchema = z.object({
  format: z.literal(KEYSTORE_FORMAT),
  version: z.literal(1),
  kdf: z.object({
    name: z.literal('scrypt'),
    N: z.number().int().min(1 << 15).max(1 << 22),
    r: z.number().int().min(8).max(32),
    p: z.number().int().min(1).max(16),
    saltHex: hex(16),
  }).strict(),
  cipher: z.object({ name: z.literal('aes-256-gcm'), ivHex: hex(12) }).strict(),
  createdAt: z.string(),
  public: KeystorePublicSchema,
}).strict();

export const KeystoreFileSchema = HeaderSchema.extend({
  ciphertextHex: z.string().regex(/^[0-9a-f]*$/),
  tagHex: hex(16),
}).strict();
export type KeystoreFile = z.infer<typeof KeystoreFileSchema>;

function scrypt(pass: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(pass.normalize('NFC'), salt, 32, { N, r, p, maxmem: 256 * N * r + (1 << 20) }, (err, key) => {
      if (err) reject(new AnoguardError('E_KDF', `scrypt failed: ${err.message}`, { cause: err }));
      else resolve(key);
    });
  });
}

const hb = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** The public forms of a keystore's secrets. */
export function publicOf(secrets: KeystoreSecrets): KeystorePublic {
  const identityKeys = secrets.identitySeeds.map((seedHex, i) => {
    const pub = publicKeyFromSeed(hb(seedHex));
    const idKey = identityKeyFromPublic(pub);
    const level = i + 1;
    return {
      level,
      idKey: encodeKey(`id${level}` as 'id1', idKey),
      identityKeyHex: Buffer.from(idKey).toString('hex'),
      publicKeyHex: Buffer.from(pub).toString('hex'),
    };
  });
  return {
    identityKeys,
    blockSigningPublicKeyHex: Buffer.from(publicKeyFromSeed(hb(secrets.blockSigningSeed))).toString('hex'),
    ...(secrets.ecSeed ? { ecAddress: encodeKey('EC', publicKeyFromSeed(hb(secrets.ecSeed))) } : {}),
  };
}

/** Fresh random secrets for a new identity. */
export function generateSecrets(opts: { withEc: boolean }, rnd: (n: number) => Uint8Array = (n) => nodeRandomBytes(n)): KeystoreSecrets {
  const h32 = (): string => Buffer.from(rnd(32)).toString('hex');
  return {
    version: 1,
    identitySeeds: [h32(), h32(), h32(), h32()],
    blockSigningSeed: h32(),
    ...(opts.withEc ? { ecSeed: h32() } : {}),
    matryoshkaSeed: h32(),
  };
}

export function checkPassphraseStrength(pass: string): void {
  if ([...pass].length < 10) {
    throw new InputError('E_WEAK_PASSPHRASE', 'passphrase must be at least 10 characters', { field: 'passphrase', exitCode: 2 });
  }
}

export async function encryptKeystore(secrets: KeystoreSecrets, passphrase: string, opts: { scrypt?: { N: number; r: number; p: number }; now?: Date } = {}): Promise<KeystoreFile> {
  KeystoreSecretsSchema.parse(secrets);
  const params = opts.scrypt ?? DEFAULT_SCRYPT;
  const salt = nodeRandomBytes(16);
  const iv = nodeRandomBytes(12);
  const header = HeaderSchema.parse({
    format: KEYSTORE_FORMAT,
    version: 1,
    kdf: { name: 'scrypt', N: params.N, r: params.r, p: params.p, saltHex: salt.toString('hex') },
    cipher: { name: 'aes-256-gcm', ivHex: iv.toString('hex') },
    createdAt: (opts.now ?? new Date()).toISOString(),
    public: publicOf(secrets),
  });
  const key = await scrypt(passphrase, salt, params.N, params.r, params.p);
  try {
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(Buffer.from(canonicalJson(header), 'utf8'));
    const plain = Buffer.from(JSON.stringify(secrets), 'utf8');
    const ct = Buffer.concat([c.update(plain), c.final()]);
    plain.fill(0);
    return { ...header, ciphertextHex: ct.toString('hex'), tagHex: c.getAuthTag().toString('hex') };
  } finally {
    key.fill(0);
  }
}

export async function decryptKeystore(file: KeystoreFile, passphrase: string): Promise<KeystoreSecrets> {
  const { ciphertextHex, tagHex, ...header } = file;
  const key = await scrypt(passphrase, Buffer.from(header.kdf.saltHex, 'hex'), header.kdf.N, header.kdf.r, header.kdf.p);
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(header.cipher.ivHex, 'hex'));
    d.setAAD(Buffer.from(canonicalJson(header), 'utf8'));
    d.setAuthTag(Buffer.from(tagHex, 'hex'));
    plain = Buffer.concat([d.update(Buffer.from(ciphertextHex, 'hex')), d.final()]);
  } catch {
    throw new AnoguardError('E_DECRYPT', 'wrong passphrase, or the keystore was modified', { field: 'passphrase' });
  } finally {
    key.fill(0);
  }
  let secrets: KeystoreSecrets;
  try {
    secrets = KeystoreSecretsSchema.parse(JSON.parse(plain.toString('utf8')));
  } catch (e) {
    throw new AnoguardError('E_KEYSTORE_CORRUPT', 'keystore decrypted but its content is not valid', { cause: e });
  } finally {
    plain.fill(0);
  }
  // The header's public forms are authenticated, but also cross-check them against the secrets.
  const derived = Buffer.from(canonicalJson(publicOf(secrets)));
  const stored = Buffer.from(canonicalJson(header.public));
  if (derived.length !== stored.length || !timingSafeEqual(derived, stored)) {
    throw new AnoguardError('E_KEYSTORE_CORRUPT', 'keystore public keys do not match its secrets');
  }
  return secrets;
}

/** Creates DIR with mode 0700 (or tightens an existing one we own). */
export function ensurePrivateDir(dir: string, field = 'dir'): void {
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (!st.isDirectory()) throw new InputError('E_NOT_DIR', `${dir} is not a directory`, { field });
    if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch (e) {
    if (e instanceof AnoguardError) throw e;
    throw new AnoguardError('E_WRITE', `cannot create directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e });
  }
}

export function keystorePath(dir: string): string {
  return join(dir, KEYSTORE_FILE);
}

/** Reads and schema-checks DIR/keystore.json (or a keystore file path) without decrypting. */
export function readKeystoreFile(pathOrDir: string, field = 'dir'): KeystoreFile {
  let p = pathOrDir;
  try {
    if (statSync(p).isDirectory()) p = keystorePath(p);
  } catch (e) {
    throw new InputError('E_NO_FILE', `cannot read ${pathOrDir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e });
  }
  let raw: unknown;
  try {
    const st = statSync(p);
    if ((st.mode & 0o077) !== 0) {
      throw new InputError('E_SECRET_PERMS', `${p} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; a keystore must be 0600`, { field });
    }
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    if (e instanceof AnoguardError) throw e;
    throw new InputError('E_BAD_KEYSTORE', `cannot read keystore ${p}: ${(e as Error).message}`, { field, cause: e });
  }
  const r = KeystoreFileSchema.safeParse(raw);
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new InputError('E_BAD_KEYSTORE', `not an anoguard keystore: ${iss ? `${iss.path.join('.')}: ${iss.message}` : 'invalid'}`, { field });
  }
  return r.data;
}

export function isKeystoreJson(text: string): boolean {
  try {
    const v = JSON.parse(text) as { format?: unknown };
    return typeof v === 'object' && v !== null && v.format === KEYSTORE_FORMAT;
  } catch {
    return false;
  }
}

/** Writes a new keystore into DIR (0700); refuses to overwrite one. */
export async function writeNewKeystore(dir: string, secrets: KeystoreSecrets, passphrase: string, opts: { scrypt?: { N: number; r: number; p: number } } = {}): Promise<KeystoreFile> {
  ensurePrivateDir(dir);
  const path = keystorePath(dir);
  if (existsSync(path)) throw new AnoguardError('E_EXISTS', 'a keystore already exists there; refusing to overwrite it', { field: path });
  const file = await encryptKeystore(secrets, passphrase, opts);
  writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, exclusive: true });
  return file;
}

/** Human secret string of identity level `level` (1..4) from the keystore. */
export function identitySecretKind(level: number): SecretKind {
  return `sk${level}` as SecretKind;
}
