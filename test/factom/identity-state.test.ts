import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  REGISTRATION_CHAIN_ID, applyIdentityChains, buildCoinbaseAddress, buildCoinbaseCancel, buildIdentityRootChain,
  buildNewBitcoinKey, buildNewBlockSigningKey, buildNewMatryoshkaHash, buildRegisterFactomIdentity,
  buildRegisterServerManagement, buildServerEfficiency, buildServerManagementChain, identityKeyFromSeed,
  isServerIdentityChainId, missingForPromotion, publicKeyFromSeed, verifyIdentityMessage, type ChainEntryAt, type Entry,
} from '../../src/factom/index.js';
import { VECTORS, hex, unhex, vector } from './vectors.js';

// An identity built from the vector seeds; the nonces are the vector's (any 888888 nonce would do).
const fixed = VECTORS.fixedInputs;
const seeds: Uint8Array[] = fixed.levelSeedsHex.map(unhex);
const sk1 = seeds[0]!;
const rootEntry = buildIdentityRootChain({ identityKeys: seeds.map(identityKeyFromSeed), nonce: unhex(vector('server.identity-root-chain').expected.nonceHex) });
const rootChainId = rootEntry.chainId;
const mgmtEntry = buildServerManagementChain({ rootChainId, nonce: unhex(vector('server.server-management-chain').expected.nonceHex) });
const managementChainId = mgmtEntry.chainId;
const T0 = 1_600_000_000;
const H = 3600;
const base = { rootChainId, managementChainId, sk1Seed: sk1 };
const bsk = (n: number): Uint8Array => publicKeyFromSeed(new Uint8Array(32).fill(n));

/** Heights 100.. with block times T0 + 600 s per block. */
const blockTimes = new Map<number, number>(Array.from({ length: 3000 }, (_, i) => [100 + i, T0 + i * 600]));
const at = (entry: Entry, height: number): ChainEntryAt => ({ entry, height });

function completeIdentity(): { root: ChainEntryAt[]; mgmt: ChainEntryAt[]; reg: ChainEntryAt[] } {
  return {
    root: [at(rootEntry, 100), at(buildRegisterServerManagement(base), 102), at(buildCoinbaseAddress({ ...base, rcdHash: new Uint8Array(32).fill(7), timestampSeconds: T0 }), 103)],
    reg: [at(buildRegisterFactomIdentity(base), 101)],
    mgmt: [
      at(mgmtEntry, 101),
      at(buildNewBlockSigningKey({ ...base, blockSigningPublicKey: bsk(1), timestampSeconds: T0 }), 103),
      at(buildNewBitcoinKey({ ...base, keyLevel: 0, keyType: 0, hash160: unhex(fixed.btcHash160Hex), timestampSeconds: T0 }), 103),
      at(buildNewMatryoshkaHash({ ...base, mhash: new Uint8Array(32).fill(9), timestampSeconds: T0 }), 103),
      at(buildServerEfficiency({ ...base, efficiency: 4952, timestampSeconds: T0 }), 104),
    ],
  };
}

describe('applyIdentityChains', () => {
  it('sanity: the test identity lives in 888888 chains', () => {
    assert.ok(isServerIdentityChainId(rootChainId) && isServerIdentityChainId(managementChainId));
  });

  it('a complete identity: every field set, nothing rejected, promotable', () => {
    const c = completeIdentity();
    const s = applyIdentityChains({ rootEntries: c.root, mgmtEntries: c.mgmt, registrationEntries: c.reg, blockTimes });
    assert.deepEqual(s.rejected, []);
    assert.equal(s.rootChainId, hex(rootChainId));
    assert.deepEqual(s.identityKeys, seeds.map((x) => hex(identityKeyFromSeed(x))));
    assert.equal(s.registeredHeight, 101);
    assert.equal(s.managementChainId, hex(managementChainId));
    assert.equal(s.managementRegisteredHeight, 102);
    assert.equal(s.blockSigningKey?.publicKey, hex(bsk(1)));
    assert.equal(s.bitcoinKeys[0]?.hash160, fixed.btcHash160Hex);
    assert.equal(s.matryoshkaHash?.mhash, '09'.repeat(32));
    assert.equal(s.coinbaseAddress?.rcdHash, '07'.repeat(32));
    assert.equal(s.efficiency.value, 4952);
    assert.equal(s.applied.length, 7);
    assert.deepEqual(missingForPromotion(s), []);
  });

  it('without a bitcoin key or M-hash the identity is not promotable', () => {
    const c = completeIdentity();
    const s = applyIdentityChains({ rootEntries: c.root, mgmtEntries: c.mgmt.slice(0, 2), registrationEntries: c.reg, blockTimes });
    assert.deepEqual(missingForPromotion(s).sort(), ['Matryoshka hash', 'bitcoin (anchor) key']);
  });

  it('key 2 signatures, tampered signatures and wrong placement are rejected with a reason', () => {
    const c = completeIdentity();
    const byKey2 = buildServerEfficiency({ ...base, sk1Seed: seeds[1]!, efficiency: 100, timestampSeconds: T0 });
    const tampered = buildServerEfficiency({ ...base, efficiency: 200, timestampSeconds: T0 });
    tampered.extIds[6] = tampered.extIds[6]!.slice();
    tampered.extIds[6][0]! ^= 1;
    const inRoot = buildServerEfficiency({ ...base, managementChainId: rootChainId, efficiency: 300, timestampSeconds: T0 });
    const s = applyIdentityChains({
      rootEntries: [...c.root, at(inRoot, 110)],
      mgmtEntries: [...c.mgmt, at(byKey2, 110), at(tampered, 111)],
      registrationEntries: c.reg,
      blockTimes,
    });
    assert.equal(s.efficiency.value, 4952);
    const codes = s.rejected.map((r) => [r.code, r.type]);
    assert.deepEqual(codes.sort(), [
      ['E_ID_BAD_SIGNATURE', 'ServerEfficiency'],
      ['E_ID_PLACEMENT', 'ServerEfficiency'],
      ['E_ID_WRONG_KEY', 'ServerEfficiency'],
    ]);
    assert.ok(s.rejected.every((r) => r.reason.length > 0 && /^[0-9a-f]{64}$/.test(r.entryHash)));
  });

  it('±12 h window against the block time: 11 h applies, 13 h (either side) does not', () => {
    const c = completeIdentity();
    const t = blockTimes.get(200)!;
    const s = applyIdentityChains({
      rootEntries: c.root,
      mgmtEntries: [
        ...c.mgmt,
        at(buildServerEfficiency({ ...base, efficiency: 1111, timestampSeconds: t - 11 * H }), 200),
        at(buildServerEfficiency({ ...base, efficiency: 1313, timestampSeconds: t - 13 * H }), 201),
        at(buildServerEfficiency({ ...base, efficiency: 1314, timestampSeconds: t + 13 * H }), 201),
      ],
      registrationEntries: c.reg,
      blockTimes,
    });
    assert.equal(s.efficiency.value, 1111);
    assert.deepEqual(s.rejected.map((r) => r.code), ['E_ID_TIMESTAMP', 'E_ID_TIMESTAMP']);
  });

  it('last valid wins; an unchanged value is a no-op even with a bad signature', () => {
    const c = completeIdentity();
    const same = buildNewBlockSigningKey({ ...base, sk1Seed: seeds[3]!, blockSigningPublicKey: bsk(1), timestampSeconds: T0 });
    const s = applyIdentityChains({
      rootEntries: c.root,
      mgmtEntries: [
        ...c.mgmt,
        at(buildNewBlockSigningKey({ ...base, blockSigningPublicKey: bsk(2), timestampSeconds: T0 + 600 }), 105),
        at(buildNewBlockSigningKey({ ...base, blockSigningPublicKey: bsk(3), timestampSeconds: T0 + 1200 }), 106),
        at(buildNewBlockSigningKey({ ...base, sk1Seed: seeds[1]!, blockSigningPublicKey: bsk(4), timestampSeconds: T0 + 1200 }), 107),
        at(same, 108),
      ],
      registrationEntries: c.reg,
      blockTimes,
    });
    assert.equal(s.blockSigningKey?.publicKey, hex(bsk(3)));
    assert.equal(s.blockSigningKey?.height, 106);
    // bsk(1) is no longer current at 108, so `same` is checked, and its key-4 signature fails too…
    assert.deepEqual(s.rejected.map((r) => [r.height, r.code]), [[107, 'E_ID_WRONG_KEY'], [108, 'E_ID_WRONG_KEY']]);
    assert.deepEqual(s.noops, []);
    // …while the value is current, the same entry is a no-op and nothing is checked.
    const s2 = applyIdentityChains({ rootEntries: c.root, mgmtEntries: [...c.mgmt, at(same, 108)], registrationEntries: c.reg, blockTimes });
    assert.equal(s2.noops.length, 1);
    assert.deepEqual(s2.rejected, []);
  });

  it('Register Server Management: last valid wins, first height kept; entries in an unregistered chain are ignored', () => {
    const c = completeIdentity();
    const other = buildServerManagementChain({ rootChainId, nonce: new Uint8Array([1, 2, 3]) });
    const s = applyIdentityChains({
      rootEntries: [...c.root, at(buildRegisterServerManagement({ ...base, managementChainId: other.chainId }), 150)],
      mgmtEntries: [...c.mgmt, at(buildServerEfficiency({ ...base, efficiency: 7, timestampSeconds: blockTimes.get(151)! }), 151)],
      registrationEntries: c.reg,
      blockTimes,
    });
    assert.equal(s.managementChainId, hex(other.chainId));
    assert.equal(s.managementRegisteredHeight, 102);
    assert.equal(s.efficiency.value, 4952);
    assert.deepEqual(s.rejected.map((r) => r.code), ['E_ID_PLACEMENT']);
  });

  it('Coinbase Cancel only inside its declaration window', () => {
    const c = completeIdentity();
    const s = applyIdentityChains({
      rootEntries: c.root,
      mgmtEntries: [
        ...c.mgmt,
        at(buildCoinbaseCancel({ ...base, descriptorHeight: 150, descriptorIndex: 1 }), 160),
        at(buildCoinbaseCancel({ ...base, descriptorHeight: 150, descriptorIndex: 2 }), 1151),
        at(buildCoinbaseCancel({ ...base, descriptorHeight: 170, descriptorIndex: 3 }), 160),
      ],
      registrationEntries: c.reg,
      blockTimes,
    });
    assert.deepEqual(s.coinbaseCancels, [{ descriptorHeight: 150, descriptorIndex: 1, height: 160 }]);
    assert.deepEqual(s.rejected.map((r) => r.code), ['E_ID_CANCEL_WINDOW', 'E_ID_CANCEL_WINDOW']);
  });

  it('a missing block time or a bad first entry is reported, not guessed', () => {
    const c = completeIdentity();
    const s = applyIdentityChains({ rootEntries: c.root, mgmtEntries: c.mgmt, registrationEntries: c.reg, blockTimes: {} });
    assert.ok(s.rejected.some((r) => r.code === 'E_ID_NO_BLOCK_TIME'));
    assert.equal(s.managementChainId, hex(managementChainId)); // untimed messages still apply
    const bad = applyIdentityChains({ rootEntries: [at({ ...rootEntry, extIds: rootEntry.extIds.slice(0, 3) }, 1)], mgmtEntries: [], blockTimes });
    assert.deepEqual(bad.identityKeys, []);
    assert.equal(bad.rejected[0]?.code, 'E_ID_NOT_IDENTITY');
    assert.deepEqual(applyIdentityChains({ rootEntries: [], mgmtEntries: [], blockTimes }).applied, []);
  });

  it('registrations of other identities are ignored; the registration must be in the registration chain', () => {
    const c = completeIdentity();
    const otherRoot = buildRegisterFactomIdentity({ rootChainId: managementChainId, sk1Seed: sk1 });
    const s = applyIdentityChains({ rootEntries: c.root, mgmtEntries: c.mgmt, registrationEntries: [at(otherRoot, 101)], blockTimes });
    assert.equal(s.registeredHeight, undefined);
    assert.deepEqual(s.rejected, []);
    const misplaced = { ...buildRegisterFactomIdentity(base), chainId: rootChainId };
    const v = verifyIdentityMessage(misplaced, { idKey1: identityKeyFromSeed(sk1) });
    assert.equal(v.ok ? 'ok' : v.code, 'E_ID_PLACEMENT');
    assert.equal(hex(buildRegisterFactomIdentity(base).chainId), hex(REGISTRATION_CHAIN_ID));
  });
});
