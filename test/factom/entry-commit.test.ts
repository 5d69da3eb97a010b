import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildChainCommit, buildEntryCommit, chainCost, chainIdFromExtIds, checkChainCommit, checkCommitWindow, checkEntryCommit,
  checkRevealMatchesCommit, commitTxId, entryCost, entryHash, marshalEntry, parseChainCommit, parseChainId, parseCommit,
  parseEntryCommit, parseKey, payloadSize, sha512, unmarshalEntry,
} from '../../src/factom/index.js';
import { AnoguardError } from '../../src/errors.js';
import { VECTORS, hex, unhex, utf8, vector } from './vectors.js';
import { assertCommitMatches, assertEntryMatches } from './assert-vectors.js';

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof AnoguardError && e.code === code);
}

describe('entries and chains from vectors', () => {
  it('chain.sample: chain ID, first entry, chain commit, txid, reveal', () => {
    const v = vector('chain.sample');
    const extIds = v.inputs.extIdsUtf8.map(utf8);
    const entry = { chainId: chainIdFromExtIds(extIds), extIds, content: utf8(v.inputs.contentUtf8) };
    assert.equal(hex(entry.chainId), v.expected.chainId);
    assertEntryMatches(entry, v.expected.firstEntry);
    assertCommitMatches(entry, v, true);
    const c = parseChainCommit(buildChainCommit({ entry, ecSeed: parseKey(v.expected.ecPrivateAddress).payload, milliTime: v.inputs.commitTimestampMillis }));
    assert.equal(hex(c.chainIdHash), v.expected.chainIdHashHex);
    assert.equal(hex(c.weld), v.expected.commitWeldHex);
  });

  it('entry.sample: entry commit (136 bytes)', () => {
    const v = vector('entry.sample');
    const entry = { chainId: parseChainId(v.inputs.chainId), extIds: v.inputs.extIdsUtf8.map(utf8), content: utf8(v.inputs.contentUtf8) };
    assertEntryMatches(entry, v.expected.entry);
    assertCommitMatches(entry, v, false);
  });

  it('entry.ec-cost: factomd costs (minimum 1, +10 per chain, >10240 rejected)', () => {
    for (const c of vector('entry.ec-cost').expected.cases) {
      const entry = {
        chainId: new Uint8Array(32),
        extIds: c.extIdLengths.map((n: number) => new Uint8Array(n).fill(0x61)),
        content: new Uint8Array(c.contentLength).fill(0x62),
      };
      assert.equal(payloadSize(entry), c.payloadSize);
      if (typeof c.ecCostFactomd === 'number') {
        assert.equal(marshalEntry(entry).length, c.marshalLength);
        assert.equal(entryCost(entry), c.ecCostFactomd);
        assert.equal(chainCost(entry), c.chainCommitCost);
      } else {
        expectCode(() => entryCost(entry), 'E_ENTRY_TOO_LARGE');
        expectCode(() => marshalEntry(entry), 'E_ENTRY_TOO_LARGE');
        expectCode(() => chainCost(entry), 'E_ENTRY_TOO_LARGE');
      }
    }
  });

  it('published entry hash example', () => {
    const e = vector('docs.factomdocs-published-examples').expected.entryHashExample;
    const m = unhex(e.marshalHex);
    assert.equal(hex(sha512(m)), e.sha512Hex);
    assert.equal(hex(entryHash(m)), e.entryHash);
    assert.equal(hex(entryHash(unmarshalEntry(m))), e.entryHash);
  });

  it('published chain IDs (root, management, registration)', () => {
    const e = vector('docs.factomdocs-published-examples').expected;
    assert.equal(hex(chainIdFromExtIds(e.rootChain.extIdsHex.map(unhex))), e.rootChain.chainId);
    assert.equal(hex(chainIdFromExtIds(e.serverManagementChain.extIdsHex.map(unhex))), e.serverManagementChain.chainId);
    assert.equal(hex(chainIdFromExtIds(e.registrationChain.extIdsUtf8.map(utf8))), e.registrationChain.chainId);
  });

  it('zero ExtIDs: chain ID is sha256 of nothing', () => {
    assert.equal(hex(chainIdFromExtIds([])), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('every vector with a commit verifies as factomd would', () => {
    let n = 0;
    for (const v of VECTORS.vectors) {
      if (!v.expected?.commitHex) continue;
      const c = parseCommit(unhex(v.expected.commitHex));
      assert.deepEqual(c.type === 'entry' ? checkEntryCommit(c) : checkChainCommit(c), { ok: true }, v.id);
      assert.equal(commitTxId(c), v.expected.txId, v.id);
      assert.deepEqual(checkRevealMatchesCommit(c, unmarshalEntry(unhex(v.expected.revealHex))), { ok: true }, v.id);
      n++;
    }
    assert.ok(n >= 15);
  });
});

describe('entry and commit errors', () => {
  const sample = unhex(vector('entry.sample').expected.entry.marshalHex);
  const commit = unhex(vector('entry.sample').expected.commitHex);

  it('truncated or inconsistent entries', () => {
    expectCode(() => unmarshalEntry(sample.subarray(0, 20)), 'E_TRUNCATED');
    expectCode(() => unmarshalEntry(sample.subarray(0, 40)), 'E_TRUNCATED');
    const badVersion = sample.slice();
    badVersion[0] = 1;
    expectCode(() => unmarshalEntry(badVersion), 'E_BAD_VERSION');
    const badExt = sample.slice();
    badExt[36] = 0xff; // first ExtID claims 255+ bytes inside a 9-byte ExtID area
    expectCode(() => unmarshalEntry(badExt), 'E_BAD_ENTRY');
    expectCode(() => unmarshalEntry(new Uint8Array(35 + 10241)), 'E_ENTRY_TOO_LARGE');
  });

  it('non-hex and wrong-length chain IDs', () => {
    expectCode(() => parseChainId(`888888zz${'0'.repeat(56)}`), 'E_BAD_HEX');
    expectCode(() => parseChainId('8888'), 'E_BAD_CHAIN_ID');
    expectCode(() => marshalEntry({ chainId: new Uint8Array(3), extIds: [], content: new Uint8Array(0) }), 'E_BAD_CHAIN_ID');
  });

  it('truncated and oversized commits', () => {
    expectCode(() => parseEntryCommit(commit.subarray(0, 135)), 'E_TRUNCATED');
    expectCode(() => parseCommit(commit.subarray(0, 100)), 'E_TRUNCATED');
    expectCode(() => parseChainCommit(commit), 'E_TRUNCATED');
    expectCode(() => parseCommit(new Uint8Array(150)), 'E_BAD_LENGTH');
  });

  it('factomd validity: tampered signature, credits out of range, wrong entry', () => {
    const tampered = commit.slice();
    tampered[100] = tampered[100]! ^ 1;
    assert.equal((checkEntryCommit(parseEntryCommit(tampered)) as { code: string }).code, 'E_BAD_SIGNATURE');
    const c = parseEntryCommit(commit);
    assert.equal((checkEntryCommit({ ...c, credits: 11 }) as { code: string }).code, 'E_BAD_CREDITS');
    assert.equal((checkEntryCommit({ ...c, credits: 0 }) as { code: string }).code, 'E_BAD_CREDITS');
    const other = { ...unmarshalEntry(sample), content: utf8('other') };
    assert.equal((checkRevealMatchesCommit(c, other) as { code: string }).code, 'E_ENTRY_HASH_MISMATCH');
    const big = { chainId: new Uint8Array(32), extIds: [], content: new Uint8Array(2000) };
    const seed = parseKey(vector('entry.sample').expected.ecPrivateAddress).payload;
    const under = parseEntryCommit(buildEntryCommit({ entry: big, ecSeed: seed, milliTime: 1, credits: 2 }));
    assert.deepEqual(checkRevealMatchesCommit(under, big), { ok: true });
    expectCode(() => buildEntryCommit({ entry: big, ecSeed: seed, milliTime: 1, credits: 1 }), 'E_BAD_CREDITS');
    expectCode(() => buildEntryCommit({ entry: big, ecSeed: seed, milliTime: -1 }), 'E_OUT_OF_RANGE');
  });

  it('±1 h commit window', () => {
    const now = 1_700_000_000_000;
    assert.deepEqual(checkCommitWindow(now - 3_600_000, now), { ok: true });
    assert.deepEqual(checkCommitWindow(now + 3_600_000, now), { ok: true });
    assert.equal((checkCommitWindow(now - 3_600_001, now) as { code: string }).code, 'E_COMMIT_WINDOW');
    assert.equal((checkCommitWindow(now + 3_700_000, now) as { code: string }).code, 'E_COMMIT_WINDOW');
  });
});
