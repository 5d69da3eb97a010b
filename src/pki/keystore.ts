import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { z } from 'zod';
import { AnoguardError, InputError } from '../errors.js';

/**
 * The CA key at rest: PKCS#8 DER sealed with AES-256-GCM under a key derived by scrypt from the
 * operator's passphrase. The KDF parameters travel with the file so they can be raised later without
 * breaking old keystores.
 */
export const KeystoreSchema = z
  .object({
    v: z.literal(1),
    kdf: z.object({ name: z.literal('scrypt'), N: z.number().int(), r: z.number().int(), p: z.number().int(), salt: z.string() }).strict(),
    cipher: z.object({ name: z.literal('aes-256-gcm'), iv: z.string(), tag: z.string() }).strict(),
    ciphertext: z.string(),
  })
  .strict();
export type Keystore = z.infer<typeof KeystoreSchema>;

/** 2^16 × r 8 = 64 MiB and ~0.2 s per unlock on the reference machine: costly to brute-force, fine for a CLI. */
export const DEFAULT_SCRYPT = { N: 1 << 16, r: 8, p: 1 } as const;
export const MIN_PASSPHRASE_LENGTH = 12;

function deriveKey(passphrase: string, salt: Buffer, N: number, r: number, p: number): Buffer {
  return scryptSync(passphrase.normalize('NFKC'), salt, 32, { N, r, p, maxmem: 256 * N * r + (1 << 20) });
}

export function sealKeystore(secret: Uint8Array, passphrase: string, params: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Keystore {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new InputError('E_WEAK_PASSPHRASE', `passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`, { field: 'passphrase', exitCode: 2 });
  }
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = deriveKey(passphrase, salt, params.N, params.r, params.p);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  // The header is authenticated, so nobody can lower the KDF cost of a stored keystore unnoticed.
  cipher.setAAD(Buffer.from(`anoguard-keystore-v1:${params.N}:${params.r}:${params.p}`));
  const ct = Buffer.concat([cipher.update(secret), cipher.final()]);
  return {
    v: 1,
    kdf: { name: 'scrypt', N: params.N, r: params.r, p: params.p, salt: salt.toString('base64') },
    cipher: { name: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') },
    ciphertext: ct.toString('base64'),
  };
}

export function openKeystore(json: string, passphrase: string, field = 'keystore'): Uint8Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new InputError('E_KEYSTORE_FORMAT', 'keystore is not valid JSON', { field, cause: e });
  }
  const r = KeystoreSchema.safeParse(parsed);
  if (!r.success) throw new InputError('E_KEYSTORE_FORMAT', 'not an anoguard keystore', { field, cause: r.error });
  const ks = r.data;
  const { N, r: rr, p } = ks.kdf;
  if (N < 1 << 14 || N > 1 << 20 || (N & (N - 1)) !== 0 || rr < 1 || rr > 32 || p < 1 || p > 16) {
    throw new InputError('E_KEYSTORE_FORMAT', 'keystore has out-of-range scrypt parameters', { field });
  }
  const key = deriveKey(passphrase, Buffer.from(ks.kdf.salt, 'base64'), N, rr, p);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ks.cipher.iv, 'base64'));
  decipher.setAAD(Buffer.from(`anoguard-keystore-v1:${N}:${rr}:${p}`));
  decipher.setAuthTag(Buffer.from(ks.cipher.tag, 'base64'));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(Buffer.from(ks.ciphertext, 'base64')), decipher.final()]));
  } catch (e) {
    throw new AnoguardError('E_BAD_PASSPHRASE', 'wrong passphrase or damaged keystore', { field: 'passphrase', cause: e });
  }
}
