/**
 * k-of-n disaster-recovery copies of a keystore's secrets (Shamir over GF(256)). Each share file is
 * useless alone; any k restore the secrets, which are then re-encrypted under a new passphrase.
 * A digest of the secrets in every share detects a wrong combination (shares of different splits,
 * or a corrupted share) instead of restoring garbage.
 */
import { randomBytes as nodeRandomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AnoguardError, InputError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { ensurePrivateDir, KeystoreSecretsSchema, type KeystoreSecrets } from './keystore.js';
import { combineShares, splitSecret } from './shamir.js';

export const SHARE_FORMAT = 'anoguard-keystore-share';

export const ShareFileSchema = z.object({
  format: z.literal(SHARE_FORMAT),
  version: z.literal(1),
  /** Random id of one split: shares of different splits never combine. */
  setId: z.string().regex(/^[0-9a-f]{16}$/),
  threshold: z.number().int().min(2).max(255),
  shares: z.number().int().min(2).max(255),
  index: z.number().int().min(1).max(255),
  /** sha256 of the secret bytes, to recognise a correct restore. */
  secretSha256Hex: z.string().regex(/^[0-9a-f]{64}$/),
  yHex: z.string().regex(/^[0-9a-f]+$/),
  createdAt: z.string(),
}).strict();
export type ShareFile = z.infer<typeof ShareFileSchema>;

export function shareFileName(s: Pick<ShareFile, 'index' | 'shares'>): string {
  return `share-${s.index}-of-${s.shares}.json`;
}

export function splitKeystoreSecrets(secrets: KeystoreSecrets, n: number, k: number, now: Date, rnd: (n: number) => Uint8Array = (len) => nodeRandomBytes(len)): ShareFile[] {
  const plain = Buffer.from(JSON.stringify(secrets), 'utf8');
  try {
    const digest = createHash('sha256').update(plain).digest('hex');
    const setId = Buffer.from(rnd(8)).toString('hex');
    return splitSecret(plain, n, k, rnd).map((s) => ({
      format: SHARE_FORMAT,
      version: 1,
      setId,
      threshold: k,
      shares: n,
      index: s.x,
      secretSha256Hex: digest,
      yHex: Buffer.from(s.y).toString('hex'),
      createdAt: now.toISOString(),
    }));
  } finally {
    plain.fill(0);
  }
}

/** Writes the share files (0600) into OUT (0700); refuses to overwrite. */
export function writeShares(outDir: string, shares: ShareFile[]): string[] {
  ensurePrivateDir(outDir, '--out');
  return shares.map((s) => {
    const p = join(outDir, shareFileName(s));
    writeFileAtomic(p, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600, exclusive: true });
    return p;
  });
}

/** Reads share files from paths (files or directories holding share-*.json). */
export function readShares(paths: string[]): ShareFile[] {
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      throw new InputError('E_NO_FILE', `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field: 'shares', cause: e });
    }
    if (st.isDirectory()) {
      for (const n of readdirSync(p).sort()) if (/^share-\d+-of-\d+\.json$/.test(n)) files.push(join(p, n));
    } else files.push(p);
  }
  return files.map((f) => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(f, 'utf8'));
    } catch (e) {
      throw new InputError('E_BAD_SHARE', `${f} is not JSON`, { field: 'shares', cause: e });
    }
    const r = ShareFileSchema.safeParse(raw);
    if (!r.success) throw new InputError('E_BAD_SHARE', `${f} is not an anoguard keystore share`, { field: 'shares' });
    return r.data;
  });
}

/** Combines shares back into the secrets; fails clearly with fewer than the threshold. */
export function restoreKeystoreSecrets(shares: ShareFile[]): KeystoreSecrets {
  if (shares.length === 0) throw new InputError('E_TOO_FEW_SHARES', 'no share files given', { field: 'shares', exitCode: 2 });
  const first = shares[0]!;
  for (const s of shares) {
    if (s.setId !== first.setId || s.threshold !== first.threshold || s.secretSha256Hex !== first.secretSha256Hex) {
      throw new InputError('E_MIXED_SHARES', 'shares come from different splits', { field: 'shares' });
    }
  }
  const unique = [...new Map(shares.map((s) => [s.index, s])).values()];
  if (unique.length < first.threshold) {
    throw new InputError('E_TOO_FEW_SHARES', `need ${first.threshold} different shares of set ${first.setId}, got ${unique.length}`, { field: 'shares' });
  }
  const used = unique.slice(0, first.threshold);
  const plain = Buffer.from(combineShares(used.map((s) => ({ x: s.index, y: new Uint8Array(Buffer.from(s.yHex, 'hex')) }))));
  try {
    const digest = createHash('sha256').update(plain).digest();
    if (!timingSafeEqual(digest, Buffer.from(first.secretSha256Hex, 'hex'))) {
      throw new AnoguardError('E_RESTORE_FAILED', 'the shares do not combine to the original secrets (a share is corrupted)', { field: 'shares' });
    }
    return KeystoreSecretsSchema.parse(JSON.parse(plain.toString('utf8')));
  } finally {
    plain.fill(0);
  }
}
