import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  REGISTRATION_CHAIN_ID_HEX, buildCoinbaseAddress, buildCoinbaseCancel, buildIdentityRootChain, buildNewBitcoinKey,
  buildNewBlockSigningKey, buildNewMatryoshkaHash, buildRegisterFactomIdentity, buildRegisterServerManagement,
  buildServerEfficiency, buildServerManagementChain, chainIdFromExtIds, expectKind, identityKeyFromSeed,
  isServerIdentityChainId, matryoshkaHashFromSeed, parseChainId, parseEfficiencyPercent, parseIdentityMessage,
  publicKeyFromSeed, sign, verify, verifyIdentityMessage, utf8ToBytes, type Entry,
} from '../../src/factom/index.js';
import { AnoguardError } from '../../src/errors.js';
import { assertCommitMatches, assertEntryMatches } from './assert-vectors.js';
import { VECTORS, hex, unhex, utf8, vector } from './vectors.js';
import type { Json } from './vectors.js';

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const ascii = (n: number): Uint8Array => utf8(String(n));

/** Builds a server-identity vector's entry from its inputs alone. */
function buildFromInputs(v: Json): Entry {
  const i = v.inputs;
  const seed = i.signerSeedHex ? unhex(i.signerSeedHex) : new Uint8Array(0);
  const root = i.rootChainId ? parseChainId(i.rootChainId, 'rootChainId') : new Uint8Array(0);
  const mgmt = parseChainId(i.subchainId ?? i.serverManagementSubchainId ?? '0'.repeat(64));
  const base = { rootChainId: root, managementChainId: mgmt, sk1Seed: seed, timestampSeconds: i.timestampSeconds };
  switch (v.id as string) {
    case 'server.identity-root-chain':
      return buildIdentityRootChain({ identityKeys: i.identityKeysHex.map(unhex), nonce: utf8(v.expected.nonceAscii) });
    case 'server.server-management-chain':
      return buildServerManagementChain({ rootChainId: root, nonce: utf8(v.expected.nonceAscii) });
    case 'server.register-factom-identity':
      return buildRegisterFactomIdentity({ rootChainId: root, sk1Seed: seed });
    case 'server.register-server-management':
      return buildRegisterServerManagement({ rootChainId: root, managementChainId: mgmt, sk1Seed: seed });
    case 'server.new-block-signing-key':
      return buildNewBlockSigningKey({ ...base, blockSigningPublicKey: publicKeyFromSeed(unhex(i.blockSigningKeySeedHex)) });
    case 'server.new-bitcoin-key':
      return buildNewBitcoinKey({ ...base, keyLevel: i.btcKeyLevel, keyType: i.btcKeyType, hash160: unhex(i.btcHash160Hex) });
    case 'server.new-matryoshka-hash':
      return buildNewMatryoshkaHash({ ...base, mhash: matryoshkaHashFromSeed(unhex(i.mhashSeedHex), i.iterations) });
    case 'server.coinbase-address': {
      const fa = expectKind(i.fctAddress, ['FA'], 'fctAddress');
      // the CLI-facing input is the sk1 string: it must agree with the seed
      assert.equal(hex(expectKind(i.sk1, ['sk1']).seed), i.signerSeedHex);
      return buildCoinbaseAddress({ rootChainId: root, rcdHash: fa.rcdHash, sk1Seed: seed, timestampSeconds: i.timestampSeconds });
    }
    case 'server.coinbase-cancel':
      return buildCoinbaseCancel({ ...base, descriptorHeight: i.descriptorHeight, descriptorIndex: i.descriptorIndex });
    default: {
      assert.ok((v.id as string).startsWith('server.server-efficiency'), v.id);
      const p = i.efficiencyPercent as number;
      // factom-identity-lib computes Math.round(p*100) in doubles; with ≤2 decimals our exact parser agrees.
      const text = String(p);
      const eff = /\.\d{3,}/.test(text) ? Math.round(p * 100) : parseEfficiencyPercent(text);
      return buildServerEfficiency({ ...base, efficiency: eff });
    }
  }
}

const serverVectors = (VECTORS.vectors as Json[]).filter((v) => v.category === 'server-identity');

describe('server identity messages from vectors', () => {
  it('covers every message of the catalogue', () => {
    assert.ok(serverVectors.length >= 10);
  });

  for (const v of serverVectors) {
    it(v.id, () => {
      const entry = buildFromInputs(v);
      const e = v.expected;
      assertEntryMatches(entry, e.entry);
      if (e.chainId) {
        assert.equal(hex(entry.chainId), e.chainId);
        assert.ok(isServerIdentityChainId(entry.chainId));
        assert.equal(hex(entry.extIds.at(-1)!), e.nonceHex);
      }
      if (e.signedDataHex) {
        const parsed = parseIdentityMessage(entry);
        assert.ok(parsed.ok);
        assert.equal(hex(parsed.value.signedData), e.signedDataHex);
        assert.equal(hex(parsed.value.signature), e.signatureHex);
        const idKey1 = identityKeyFromSeed(unhex(v.inputs.signerSeedHex));
        const ts = v.inputs.timestampSeconds as number | undefined;
        const res = verifyIdentityMessage(entry, { idKey1, ...(ts ? { nowSeconds: ts } : {}) });
        assert.ok(res.ok, res.ok ? '' : res.reason);
      }
      if (e.timestampHex) assert.ok(hex(concatExt(entry)).includes(e.timestampHex));
      if (e.mhashHex) assert.equal(hex(entry.extIds[3]!), e.mhashHex);
      if (e.rcdHashHex) assert.equal(hex(entry.extIds[3]!), e.rcdHashHex);
      if (e.efficiencyHex) assert.equal(hex(entry.extIds[3]!), e.efficiencyHex);
      if (e.blockSigningPublicKeyHex) assert.equal(hex(entry.extIds[3]!), e.blockSigningPublicKeyHex);
      assertCommitMatches(entry, v, Boolean(e.chainId));
    });
  }

  it('the counter nonce scheme finds the vector nonce for the root chain', () => {
    const v = vector('server.identity-root-chain');
    const tries = v.expected.nonceCounterTries as number;
    if (tries > 1_000_000) return; // too slow for a unit test; the 888888 chain-ID check of the vector test still holds
    const keys = v.inputs.identityKeysHex.map(unhex);
    // The efficient form of the grind: sha256(sha256(e0)‖…‖sha256(e5) ‖ sha256(nonce)).
    const fixed = Buffer.concat(buildIdentityRootChain({ identityKeys: keys, nonce: new Uint8Array(0) }).extIds.slice(0, 6).map(sha));
    let found = 0;
    for (let c = 1; c <= tries; c++) {
      const id = sha(Buffer.concat([fixed, sha(ascii(c))]));
      if (id[0] === 0x88 && id[1] === 0x88 && id[2] === 0x88) { found = c; break; }
    }
    assert.ok(isServerIdentityChainId(buildIdentityRootChain({ identityKeys: keys, nonce: ascii(found) }).chainId));
    assert.equal(found, tries);
    assert.equal(String(found), v.expected.nonceAscii);
  });

  it('registration chain ID constant is the hash of its ExtIDs', () => {
    const id = chainIdFromExtIds([utf8ToBytes('Factom Identity Registration Chain'), utf8ToBytes('44079090249')]);
    assert.equal(hex(id), REGISTRATION_CHAIN_ID_HEX);
  });

  it('published FactomDocs signatures reproduce and verify', () => {
    const d = vector('docs.factomdocs-published-examples');
    const seed = unhex(d.inputs.levelSeedsHex[0]);
    for (const m of d.expected.signedMessages) {
      assert.equal(hex(sign(seed, unhex(m.signedDataHex))), m.publishedSignatureHex, m.functionName);
      assert.ok(verify(publicKeyFromSeed(seed), unhex(m.signedDataHex), unhex(m.publishedSignatureHex)));
    }
  });

  it('published FactomDocs messages rebuilt by our builders sign the same bytes', () => {
    const d = vector('docs.factomdocs-published-examples');
    const seed = unhex(d.inputs.levelSeedsHex[0]);
    const root = parseChainId(d.expected.rootChain.chainId);
    const mgmt = parseChainId(d.expected.serverManagementChain.chainId);
    const ts = Number(BigInt(`0x${d.inputs.timestampHex}`));
    const byName = new Map<string, string>((d.expected.signedMessages as Json[]).map((m): [string, string] => [String(m.functionName), String(m.signedDataHex)]));
    const signedOf = (e: Entry): string => {
      const p = parseIdentityMessage(e);
      assert.ok(p.ok);
      return hex(p.value.signedData);
    };
    const field = (name: string, off: number, len: number): Uint8Array => unhex(byName.get(name)!.slice(off * 2, (off + len) * 2));
    const base = { rootChainId: root, managementChainId: mgmt, sk1Seed: seed, timestampSeconds: ts };
    assert.equal(signedOf(buildRegisterFactomIdentity({ rootChainId: root, sk1Seed: seed })), byName.get('Register Factom Identity'));
    assert.equal(signedOf(buildRegisterServerManagement(base)), byName.get('Register Server Management'));
    assert.equal(signedOf(buildCoinbaseAddress({ ...base, rcdHash: field('Coinbase Address', 49, 32) })), byName.get('Coinbase Address'));
    assert.equal(signedOf(buildNewBlockSigningKey({ ...base, blockSigningPublicKey: field('New Block Signing Key', 54, 32) })), byName.get('New Block Signing Key'));
    assert.equal(signedOf(buildNewBitcoinKey({ ...base, keyLevel: 0, keyType: 0, hash160: field('New Bitcoin Key', 50, 20) })), byName.get('New Bitcoin Key'));
    assert.equal(signedOf(buildNewMatryoshkaHash({ ...base, mhash: field('New Matryoshka Hash', 52, 32) })), byName.get('New Matryoshka Hash'));
    assert.equal(signedOf(buildServerEfficiency({ ...base, efficiency: parseEfficiencyPercent('49.52') })), byName.get('Server Efficiency'));
    assert.equal(signedOf(buildCoinbaseCancel({ ...base, descriptorHeight: 200000, descriptorIndex: 5 })), byName.get('Coinbase Cancel'));
  });
});

function concatExt(e: Entry): Uint8Array {
  return new Uint8Array(Buffer.concat(e.extIds));
}

describe('efficiency percent parser', () => {
  it('parses exactly, in hundredths', () => {
    assert.equal(parseEfficiencyPercent('19.89'), 1989);
    assert.equal(parseEfficiencyPercent('0'), 0);
    assert.equal(parseEfficiencyPercent('100'), 10000);
    assert.equal(parseEfficiencyPercent('100.00'), 10000);
    assert.equal(parseEfficiencyPercent('50.1'), 5010);
    assert.equal(parseEfficiencyPercent('1.01'), 101);
    assert.equal(parseEfficiencyPercent(' 49.52% '), 4952);
  });
  it('rejects more than 2 decimals, above 100, negatives and junk', () => {
    for (const bad of ['1.005', '100.01', '101', '-1', 'abc', '', '1e2', '0x10', '12.3.4']) {
      assert.throws(() => parseEfficiencyPercent(bad, 'efficiency'), (e: unknown) => e instanceof AnoguardError && e.field === 'efficiency', bad);
    }
  });
});
