import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { manifestHashOf, parseBundle, verifyBundle, type Bundle } from '../../src/identity/bundle.js';
import { loadVectors, vector, vectorCreateBundle } from './helpers.js';

const V = loadVectors();
const F = V.fixedInputs;
const AT = F.commitTimestampMillis + 60_000;

const createBundle = (): Bundle => vectorCreateBundle('mainnet');

const flipHexAt = (s: string, i: number): string => s.slice(0, i) + ((parseInt(s[i]!, 16) ^ 1).toString(16)) + s.slice(i + 1);

function positions(len: number): number[] {
  const p = new Set([0, 1, len - 1, len >> 1, (len * 3) >> 2, len >> 2]);
  for (let k = 0; k < 2; k++) p.add(Math.floor(Math.random() * len));
  return [...p].filter((x) => x >= 0 && x < len);
}

describe('bundle', () => {
  const good = createBundle();

  it('a fresh bundle verifies; the window is commit ±1 h intersected with identity timestamp ±12 h', () => {
    const v = verifyBundle(good, { atMs: AT });
    assert.deepEqual(v.errors, []);
    assert.equal(v.ok, true);
    assert.equal(good.expiresAt, new Date(F.commitTimestampMillis + 3600_000).toISOString());
    assert.equal(good.notBefore, new Date(F.commitTimestampMillis - 3600_000).toISOString());
    assert.equal(v.ecTotal, 11 + 1 + 11 + 1 + 1 + 1 + 1);
    assert.equal(parseBundle(JSON.stringify(good)).manifestHash, good.manifestHash);
  });

  it('one flipped byte in any hex field of any item is detected', () => {
    const fields = ['chainId', 'entryHash', 'contentHex', 'commitHex', 'revealHex'] as const;
    let cases = 0;
    good.items.forEach((item, i) => {
      for (const f of fields) {
        const val = item[f];
        if (!val) continue;
        for (const p of positions(val.length)) {
          const b = structuredClone(good);
          (b.items[i] as Record<string, unknown>)[f] = flipHexAt(val, p);
          // keep the manifest consistent so the content checks themselves must catch it
          const resealed = { ...b, manifestHash: manifestHashOf(b) };
          assert.equal(verifyBundle(b, { atMs: AT }).ok, false, `${f}@${p} item ${i}`);
          assert.equal(verifyBundle(resealed, { atMs: AT }).ok, false, `${f}@${p} item ${i} (resealed)`);
          cases++;
        }
      }
      item.extIdsHex.forEach((x, j) => {
        for (const p of positions(x.length)) {
          const b = structuredClone(good);
          b.items[i]!.extIdsHex[j] = flipHexAt(x, p);
          const resealed = { ...b, manifestHash: manifestHashOf(b) };
          assert.equal(verifyBundle(resealed, { atMs: AT }).ok, false, `extId ${j}@${p} item ${i}`);
          cases++;
        }
      });
    });
    assert.ok(cases > 300);
  });

  it('the manifest and the metadata are covered', () => {
    for (const p of positions(64)) {
      const b = { ...good, manifestHash: flipHexAt(good.manifestHash, p) };
      assert.ok(verifyBundle(b, { atMs: AT }).errors.some((e) => e.code === 'E_BUNDLE_MANIFEST'));
    }
    const relabel = structuredClone(good);
    relabel.network = 'testnet';
    assert.equal(verifyBundle(relabel, { atMs: AT }).ok, false, 'metadata is under the manifest');
    for (const mutate of [
      (b: Bundle) => { b.expiresAt = '2030-01-01T00:00:00.000Z'; },
      (b: Bundle) => { b.identity.idKey1Hex = flipHexAt(b.identity.idKey1Hex, 3); },
      (b: Bundle) => { b.items.reverse(); },
      (b: Bundle) => { b.items[1]!.kind = 'coinbase-address'; },
      (b: Bundle) => { b.items[3]!.ecCost = 2; },
    ]) {
      const b = structuredClone(good);
      mutate(b);
      assert.equal(verifyBundle(b, { atMs: AT }).ok, false);
      assert.equal(verifyBundle({ ...b, manifestHash: manifestHashOf(b) }, { atMs: AT }).ok, false);
    }
  });

  it('expired and not-yet-valid bundles are refused; skew warns', () => {
    const late = verifyBundle(good, { atMs: F.commitTimestampMillis + 3600_000 + 1 });
    assert.equal(late.ok, false);
    assert.ok(late.errors.some((e) => e.code === 'E_BUNDLE_EXPIRED'));
    const early = verifyBundle(good, { atMs: F.commitTimestampMillis - 3600_000 - 1 });
    assert.equal(early.ok, false);
    const skew = verifyBundle(good, { atMs: F.commitTimestampMillis - 30 * 60_000 });
    assert.equal(skew.ok, true);
    assert.ok(skew.warnings.some((w) => w.code === 'W_CLOCK_SKEW'));
  });

  it('entries signed by another key 1 are refused', () => {
    const b = structuredClone(good);
    b.identity.idKey1Hex = (vector(V, 'server.identity-root-chain').inputs.identityKeysHex as string[])[1]!;
    const v = verifyBundle({ ...b, manifestHash: manifestHashOf(b) }, { atMs: AT });
    assert.ok(v.errors.some((e) => e.code === 'E_ID_WRONG_KEY'));
  });

  it('no secret in the bundle', () => {
    const text = JSON.stringify(good);
    for (const s of [...F.levelSeedsHex, F.ecSeedHex, F.blockSigningKeySeedHex, F.mhashSeedHex]) assert.ok(!text.includes(s));
  });

  it('parseBundle names the bad field', () => {
    const b = structuredClone(good) as unknown as { items: { commitHex: string }[] };
    b.items[0]!.commitHex = 'XYZ';
    assert.throws(() => parseBundle(JSON.stringify(b)), /items\.0\.commitHex/);
    assert.throws(() => parseBundle('{'), /not JSON/);
  });
});
