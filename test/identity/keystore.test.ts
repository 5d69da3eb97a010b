import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { combineShares, gfDiv, gfMul, splitSecret } from '../../src/identity/shamir.js';
import { decryptKeystore, generateSecrets, readKeystoreFile, writeNewKeystore, encryptKeystore, KEYSTORE_FILE } from '../../src/identity/keystore.js';
import { readShares, restoreKeystoreSecrets, splitKeystoreSecrets, writeShares } from '../../src/identity/keystore-shares.js';
import { cleanup, loadVectors, tempDir, vector } from './helpers.js';

const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** All k-subsets of [0, n). */
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsets(n - 1, k - 1).map((s) => [...s, n - 1]), ...subsets(n - 1, k)];
}

describe('Shamir over GF(256)', () => {
  it('field: a·b / b = a and the AES test product 0x57·0x83 = 0xc1', () => {
    assert.equal(gfMul(0x57, 0x83), 0xc1);
    for (let a = 0; a < 256; a++) for (let b = 1; b < 256; b += 7) assert.equal(gfDiv(gfMul(a, b), b), a);
  });

  it('any k of n shares restore the secret; k−1 shares do not', () => {
    const secret = rnd(64);
    for (const [n, k] of [[3, 2], [5, 3], [6, 6]] as const) {
      const shares = splitSecret(secret, n, k, rnd);
      for (const s of subsets(n, k)) assert.deepEqual(combineShares(s.map((i) => shares[i]!)), secret);
      for (const s of subsets(n, k - 1).filter((x) => x.length >= 2)) assert.notDeepEqual(combineShares(s.map((i) => shares[i]!)), secret);
    }
  });

  it('property: random secrets, n, k, share choice', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 2, max: 8 }), fc.integer({ min: 0, max: 1000 }), (secret, n, seed) => {
      const k = 2 + (seed % (n - 1));
      const shares = splitSecret(secret, n, k, rnd);
      const pick = [...shares].sort((a, b) => ((a.x * 31 + seed) % 17) - ((b.x * 31 + seed) % 17)).slice(0, k);
      assert.deepEqual(combineShares(pick), secret);
    }), { numRuns: 60 });
  });

  it('a single share is independent of the secret byte (uniform y for fixed x over random coefficients)', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 2560; i++) {
      const y = splitSecret(Uint8Array.of(0x42), 2, 2, rnd)[0]!.y[0]!;
      counts.set(y, (counts.get(y) ?? 0) + 1);
    }
    assert.ok(counts.size > 200, 'share values spread over the field');
  });

  it('rejects bad parameters', () => {
    assert.throws(() => splitSecret(rnd(4), 1, 1, rnd), /share count/);
    assert.throws(() => splitSecret(rnd(4), 3, 4, rnd), /threshold/);
    const s = splitSecret(rnd(4), 3, 2, rnd);
    assert.throws(() => combineShares([s[0]!, s[0]!]), /twice/);
  });
});

describe('keystore', () => {
  const pass = 'correct horse battery staple';

  it('round trip; files 0600, dir 0700; wrong passphrase fails cleanly; tampered header fails', async () => {
    const dir = tempDir('ks');
    try {
      const ksDir = join(dir, 'keys');
      const secrets = generateSecrets({ withEc: true });
      await writeNewKeystore(ksDir, secrets, pass);
      assert.equal(statSync(ksDir).mode & 0o777, 0o700);
      assert.equal(statSync(join(ksDir, KEYSTORE_FILE)).mode & 0o777, 0o600);
      const file = readKeystoreFile(ksDir);
      assert.ok(file.kdf.N >= 1 << 15 && file.kdf.r === 8 && file.kdf.p === 1);
      const text = readFileSync(join(ksDir, KEYSTORE_FILE), 'utf8');
      for (const s of [...secrets.identitySeeds, secrets.blockSigningSeed, secrets.ecSeed!]) assert.ok(!text.includes(s), 'no seed in clear');
      assert.deepEqual(await decryptKeystore(file, pass), secrets);
      await assert.rejects(decryptKeystore(file, 'wrong passphrase!'), (e: Error & { code?: string }) => e.code === 'E_DECRYPT' && !e.message.includes(pass));
      // Lowering the KDF cost or swapping a displayed public key breaks the authentication.
      const weaker = { ...file, kdf: { ...file.kdf, N: file.kdf.N * 2 } };
      await assert.rejects(decryptKeystore(weaker, pass), /wrong passphrase, or the keystore was modified/);
      const pub = structuredClone(file);
      pub.public.identityKeys[0]!.idKey = pub.public.identityKeys[1]!.idKey;
      await assert.rejects(decryptKeystore(pub, pass), /modified/);
      const ct = { ...file, ciphertextHex: file.ciphertextHex.slice(0, -2) + (file.ciphertextHex.endsWith('00') ? '01' : '00') };
      await assert.rejects(decryptKeystore(ct, pass), /modified/);
      await assert.rejects(writeNewKeystore(ksDir, secrets, pass), /refusing to overwrite/);
    } finally {
      cleanup(dir);
    }
  });

  it('public forms match the vector keys', async () => {
    const V = loadVectors();
    const levels = vector(V, 'keys.server-identity').expected.levels as { seedHex: string; identityKeyHumanReadable: string; identityKeyHex: string }[];
    const file = await encryptKeystore({ version: 1, identitySeeds: levels.map((l) => l.seedHex), blockSigningSeed: V.fixedInputs.blockSigningKeySeedHex, ecSeed: V.fixedInputs.ecSeedHex }, pass);
    assert.deepEqual(file.public.identityKeys.map((k) => k.idKey), levels.map((l) => l.identityKeyHumanReadable));
    assert.deepEqual(file.public.identityKeys.map((k) => k.identityKeyHex), levels.map((l) => l.identityKeyHex));
    assert.equal(file.public.ecAddress, vector(V, 'address.ec').expected.publicAddress);
  });

  it('refuses a group-readable keystore', async () => {
    const dir = tempDir('ksperm');
    try {
      await writeNewKeystore(dir, generateSecrets({ withEc: false }), pass);
      const p = join(dir, KEYSTORE_FILE);
      writeFileSync(p, readFileSync(p), { mode: 0o644 });
      const { chmodSync } = await import('node:fs');
      chmodSync(p, 0o644);
      assert.throws(() => readKeystoreFile(dir), /0600/);
    } finally {
      cleanup(dir);
    }
  });

  it('split into shares and restore with any k; k−1 refused; mixed sets refused', () => {
    const dir = tempDir('shares');
    try {
      const secrets = generateSecrets({ withEc: true });
      const shares = splitKeystoreSecrets(secrets, 5, 3, new Date());
      const paths = writeShares(join(dir, 'out'), shares);
      for (const p of paths) assert.equal(statSync(p).mode & 0o777, 0o600);
      for (const s of subsets(5, 3)) assert.deepEqual(restoreKeystoreSecrets(readShares(s.map((i) => paths[i]!))), secrets);
      assert.deepEqual(restoreKeystoreSecrets(readShares([join(dir, 'out')])), secrets);
      assert.throws(() => restoreKeystoreSecrets(readShares(paths.slice(0, 2))), /need 3 different shares/);
      assert.throws(() => restoreKeystoreSecrets(readShares([paths[0]!, paths[0]!, paths[1]!])), /need 3/);
      const other = splitKeystoreSecrets(secrets, 5, 3, new Date());
      assert.throws(() => restoreKeystoreSecrets([shares[0]!, shares[1]!, other[2]!]), /different splits/);
      // A corrupted share is detected by the digest, not restored as garbage.
      const bad = { ...shares[2]!, yHex: shares[2]!.yHex.replace(/^../, (m) => (m === 'ff' ? '00' : 'ff')) };
      assert.throws(() => restoreKeystoreSecrets([shares[0]!, shares[1]!, bad]), /corrupted/);
      for (const p of paths) for (const s of [...secrets.identitySeeds, secrets.blockSigningSeed]) assert.ok(!readFileSync(p, 'utf8').includes(s));
    } finally {
      cleanup(dir);
    }
  });
});
