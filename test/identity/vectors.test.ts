import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseKey } from '../../src/factom/index.js';
import { makeItem, planCreateIdentity, planUpdate, signBundleCommits, type UpdateMessage } from '../../src/identity/plan.js';
import { assembleBundle, verifyBundle, type BundleItem } from '../../src/identity/bundle.js';
import { parseEfficiencyArg } from '../../src/identity/inputs.js';
import { extractKeysFromText } from '../../src/identity/key-input.js';
import { hb, loadVectors, vector, type Vector } from './helpers.js';

const V = loadVectors();
const F = V.fixedInputs;
const signer = { ecSeed: hb(F.ecSeedHex), commitTimeMs: F.commitTimestampMillis };

function assertItemEqualsVector(item: BundleItem, v: Vector): void {
  const e = v.expected.entry ?? (v.expected as { firstEntry?: Vector['expected']['entry'] }).firstEntry!;
  assert.equal(item.chainId, e.chainId, `${v.id} chainId`);
  assert.deepEqual(item.extIdsHex, e.extIdsHex, `${v.id} extIds`);
  assert.equal(item.contentHex, e.contentHex, `${v.id} content`);
  assert.equal(item.entryHash, e.entryHash, `${v.id} entryHash`);
  assert.equal(item.ecCost, v.expected.ecCost, `${v.id} ecCost`);
  assert.equal(item.commitHex, v.expected.commitHex, `${v.id} commit`);
  assert.equal(item.revealHex, v.expected.revealHex, `${v.id} reveal`);
}

describe('identity vectors through the library', () => {
  it('identity create reproduces the seven identity vectors byte for byte', () => {
    const root = vector(V, 'server.identity-root-chain');
    const mgmt = vector(V, 'server.server-management-chain');
    const plan = planCreateIdentity({
      identitySeeds: F.levelSeedsHex.map(hb),
      rootNonce: hb(root.expected.nonceHex as string),
      managementNonce: hb(mgmt.expected.nonceHex as string),
      blockSigningPublicKey: hb(vector(V, 'server.new-block-signing-key').expected.blockSigningPublicKeyHex as string),
      bitcoin: { keyLevel: 0, keyType: 0, hash160: hb(F.btcHash160Hex) },
      mhash: hb(vector(V, 'server.new-matryoshka-hash').expected.mhashHex as string),
      timestampSeconds: F.identityTimestampSeconds,
      signer,
    });
    const ids = ['server.identity-root-chain', 'server.register-factom-identity', 'server.server-management-chain', 'server.register-server-management',
      'server.new-block-signing-key', 'server.new-bitcoin-key', 'server.new-matryoshka-hash'];
    assert.equal(plan.items.length, ids.length);
    plan.items.forEach((item, i) => assertItemEqualsVector(item, vector(V, ids[i]!)));
  });

  const mgmtId = (v: Vector): Uint8Array | undefined => {
    const m = (v.inputs.serverManagementSubchainId ?? v.inputs.subchainId) as string | undefined;
    return m === undefined ? undefined : hb(m);
  };
  const update = (v: Vector, message: UpdateMessage): BundleItem => planUpdate({
    rootChainId: hb(v.inputs.rootChainId as string),
    ...(mgmtId(v) ? { managementChainId: mgmtId(v) } : {}),
    sk1Seed: hb(v.inputs.signerSeedHex as string),
    timestampSeconds: (v.inputs.timestampSeconds as number | undefined) ?? F.identityTimestampSeconds,
    signer: { ecSeed: hb(v.inputs.ecSeedHex as string), commitTimeMs: v.inputs.commitTimestampMillis as number },
    message,
  });

  it('coinbase address', () => {
    const v = vector(V, 'server.coinbase-address');
    const fa = parseKey(v.inputs.fctAddress as string);
    assert.equal(fa.kind, 'FA');
    assertItemEqualsVector(update(v, { kind: 'coinbase-address', rcdHash: fa.payload }), v);
  });

  for (const id of ['server.server-efficiency.0', 'server.server-efficiency.19_89', 'server.server-efficiency.50_1', 'server.server-efficiency.100']) {
    it(`${id}: decimal text → exact hundredths → vector bytes`, () => {
      const v = vector(V, id);
      const eff = parseEfficiencyArg(String(v.inputs.efficiencyPercent));
      assert.equal(eff, v.expected.efficiencyUint16);
      assertItemEqualsVector(update(v, { kind: 'server-efficiency', efficiency: eff }), v);
    });
  }

  it('efficiency 1.005 is refused (3 decimals); the legacy rounded value still reproduces the bytes', () => {
    const v = vector(V, 'server.server-efficiency.1_005');
    assert.throws(() => parseEfficiencyArg('1.005'), /at most 2 decimals/);
    assertItemEqualsVector(update(v, { kind: 'server-efficiency', efficiency: v.expected.efficiencyUint16 as number }), v);
  });

  it('efficiency text rules: no float rounding, range 0–100', () => {
    assert.equal(parseEfficiencyArg('0.29'), 29);
    assert.equal(parseEfficiencyArg('50.1'), 5010);
    assert.equal(parseEfficiencyArg('100'), 10000);
    assert.equal(parseEfficiencyArg('100.00'), 10000);
    for (const bad of ['100.01', '101', '-1', '1e2', 'abc', '', '12.345']) assert.throws(() => parseEfficiencyArg(bad), /efficiency|percentage|decimals|100/, bad);
  });

  it('coinbase cancel', () => {
    const v = vector(V, 'server.coinbase-cancel');
    assertItemEqualsVector(update(v, { kind: 'coinbase-cancel', descriptorHeight: v.inputs.descriptorHeight as number, descriptorIndex: v.inputs.descriptorIndex as number }), v);
  });

  it('new block signing key, bitcoin key, matryoshka hash as updates', () => {
    const bsk = vector(V, 'server.new-block-signing-key');
    assertItemEqualsVector(update(bsk, { kind: 'new-block-signing-key', blockSigningPublicKey: hb(bsk.expected.blockSigningPublicKeyHex as string) }), bsk);
    const btc = vector(V, 'server.new-bitcoin-key');
    assertItemEqualsVector(update(btc, { kind: 'new-bitcoin-key', keyLevel: 0, keyType: 0, hash160: hb(btc.inputs.btcHash160Hex as string) }), btc);
    const mh = vector(V, 'server.new-matryoshka-hash');
    assertItemEqualsVector(update(mh, { kind: 'new-matryoshka-hash', mhash: hb(mh.expected.mhashHex as string) }), mh);
  });

  it('two-stage signing: unsigned items, then sign-commits gives the vector commits', () => {
    const v = vector(V, 'server.coinbase-address');
    const fa = parseKey(v.inputs.fctAddress as string);
    const unsigned = planUpdate({ rootChainId: hb(v.inputs.rootChainId as string), sk1Seed: hb(v.inputs.signerSeedHex as string), timestampSeconds: F.identityTimestampSeconds, signer: undefined, message: { kind: 'coinbase-address', rcdHash: fa.payload } });
    assert.equal(unsigned.commitHex, null);
    const b = assembleBundle({ network: 'mainnet', createdAtMs: 0, identity: { rootChainId: v.inputs.rootChainId as string, idKey1Hex: (vector(V, 'server.identity-root-chain').inputs.identityKeysHex as string[])[0]! }, items: [unsigned] });
    const at = F.commitTimestampMillis;
    const vu = verifyBundle(b, { atMs: at });
    assert.equal(vu.ok, false);
    assert.ok(vu.errors.some((e) => e.code === 'E_BUNDLE_UNSIGNED'));
    const signed = signBundleCommits(b, signer, 0);
    assert.equal(signed.items[0]!.commitHex, v.expected.commitHex);
    assert.equal(verifyBundle(signed, { atMs: at }).ok, true);
  });

  it('key import forms: sk1 human, 78-hex raw, serveridentity .conf LocalServerPrivKey', () => {
    const lv = (vector(V, 'keys.server-identity').expected.levels as { secretKey: string; secretKeyRawHex: string; seedHex: string }[]);
    const text = [
      `sk1: ${lv[0]!.secretKey}`,
      lv[1]!.secretKeyRawHex,
      `${lv[2]!.secretKey} ${lv[3]!.secretKey}`,
      '[app]',
      'IdentityChainID = 8888888c3b2f12ee5a726b0f255fedf2b94a48cc8ae4ce3dfa00096cdab45d63',
      `LocalServerPrivKey = ${F.blockSigningKeySeedHex}`,
      `LocalServerPublicKey = ${vector(V, 'server.new-block-signing-key').expected.blockSigningPublicKeyHex as string}`,
    ].join('\n');
    const k = extractKeysFromText(text, 'test');
    assert.deepEqual(k.identitySeeds.map((s) => Buffer.from(s!).toString('hex')), lv.map((l) => l.seedHex));
    assert.equal(Buffer.from(k.blockSigningSeed!).toString('hex'), F.blockSigningKeySeedHex);
  });

  it('makeItem leaves no secret in an item', () => {
    const v = vector(V, 'server.register-factom-identity');
    const item = makeItem('register-factom-identity', {
      chainId: hb(v.expected.entry!.chainId), extIds: v.expected.entry!.extIdsHex.map(hb), content: new Uint8Array(0),
    }, signer);
    const text = JSON.stringify(item);
    for (const s of [...F.levelSeedsHex, F.ecSeedHex]) assert.ok(!text.includes(s));
  });
});
