import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  KEY_KINDS, applyIdentityChains, buildChainCommit, buildEntryCommit, chainIdFromExtIds, checkCommit, checkRevealMatchesCommit,
  encodeKey, expectKind, formatEfficiency, hexToBytes, marshalEntry, parseChainId, parseCommit, parseEfficiencyPercent,
  parseIdentityMessage, parseKey, unmarshalEntry, verifyIdentityMessage, type Entry, type KeyKind,
} from '../../src/factom/index.js';
import { AnoguardError } from '../../src/errors.js';
import { hex } from './vectors.js';

const kinds = Object.keys(KEY_KINDS) as KeyKind[];
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const entryArb: fc.Arbitrary<Entry> = fc.record({
  chainId: bytes32,
  extIds: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
  content: fc.uint8Array({ maxLength: 3000 }),
});

/** Runs `fn` and accepts only success or an AnoguardError (never a TypeError, RangeError, …). */
function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof AnoguardError)) throw e;
    assert.ok(e.code.startsWith('E_') && e.shortMessage.length > 0 && !e.shortMessage.includes('\n'));
  }
}

describe('round trips', () => {
  it('encodeKey → parseKey for every kind and payload', () => {
    fc.assert(fc.property(fc.constantFrom(...kinds), bytes32, (kind, payload) => {
      const s = encodeKey(kind, payload);
      const p = parseKey(s);
      assert.equal(p.kind, kind);
      assert.equal(hex(p.payload), hex(payload));
      assert.ok(s.startsWith(kind));
      assert.equal(expectKind(s, [kind]).kind, kind);
    }), { numRuns: 300 });
  });

  it('marshalEntry → unmarshalEntry', () => {
    fc.assert(fc.property(entryArb, (e) => {
      const back = unmarshalEntry(marshalEntry(e));
      assert.equal(hex(back.chainId), hex(e.chainId));
      assert.deepEqual(back.extIds.map(hex), e.extIds.map(hex));
      assert.equal(hex(back.content), hex(e.content));
      assert.equal(hex(marshalEntry(back)), hex(marshalEntry(e)));
    }), { numRuns: 200 });
  });

  it('build → parse → verify entry and chain commits', () => {
    fc.assert(fc.property(entryArb, bytes32, fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.boolean(), (e, seed, ms, asChain) => {
      const entry = asChain ? { ...e, chainId: chainIdFromExtIds(e.extIds) } : e;
      const bytes = asChain ? buildChainCommit({ entry, ecSeed: seed, milliTime: ms }) : buildEntryCommit({ entry, ecSeed: seed, milliTime: ms });
      const c = parseCommit(bytes);
      assert.equal(c.type, asChain ? 'chain' : 'entry');
      assert.equal(c.milliTime, ms);
      assert.deepEqual(checkCommit(c), { ok: true });
      assert.deepEqual(checkRevealMatchesCommit(c, entry), { ok: true });
    }), { numRuns: 100 });
  });

  it('efficiency hundredths → text → hundredths', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10000 }), (n) => {
      assert.equal(parseEfficiencyPercent(formatEfficiency(n)), n);
    }));
  });
});

describe('parsers throw nothing but AnoguardError', () => {
  const b58string = fc.string({ unit: fc.constantFrom(...B58), maxLength: 70 });
  const mutatedKey = fc.tuple(fc.constantFrom(...kinds), bytes32, fc.nat(), fc.string({ maxLength: 2 })).map(([k, p, i, ins]) => {
    const s = encodeKey(k, p);
    const at = i % (s.length + 1);
    return s.slice(0, at) + ins + s.slice(at + 1);
  });

  it('parseKey / expectKind on arbitrary, base58 and mutated strings', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 60 }), b58string, mutatedKey), (s) => {
      onlyTyped(() => parseKey(s));
      onlyTyped(() => expectKind(s, ['EC']));
    }), { numRuns: 1000 });
  });

  it('hexToBytes, parseChainId, parseEfficiencyPercent on arbitrary strings', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF.%- xz'), maxLength: 70 })), (s) => {
      onlyTyped(() => hexToBytes(s, 'x'));
      onlyTyped(() => hexToBytes(s, 'x', 32));
      onlyTyped(() => parseChainId(s));
      onlyTyped(() => parseEfficiencyPercent(s));
    }), { numRuns: 1000 });
  });

  it('unmarshalEntry and parseCommit on arbitrary bytes', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(new Uint8Array(136), new Uint8Array(200))), (b) => {
      onlyTyped(() => unmarshalEntry(b));
      onlyTyped(() => {
        const c = parseCommit(b);
        checkCommit(c);
      });
    }), { numRuns: 1000 });
  });

  it('identity message parsing and the reducer never throw on hostile entries', () => {
    const identityLike = fc.record({
      chainId: fc.oneof(bytes32, fc.constant(new Uint8Array(32).fill(0x88))),
      extIds: fc.array(fc.oneof(fc.uint8Array({ maxLength: 70 }), fc.constant(new Uint8Array(1)), fc.constantFrom(
        ...['Identity Chain', 'Server Efficiency', 'Coinbase Cancel', 'New Bitcoin Key'].map((s) => new Uint8Array(Buffer.from(s))),
      )), { maxLength: 10 }),
      content: fc.uint8Array({ maxLength: 10 }),
    });
    fc.assert(fc.property(fc.array(identityLike, { maxLength: 6 }), fc.array(identityLike, { maxLength: 6 }), (root, mgmt) => {
      for (const e of [...root, ...mgmt]) {
        parseIdentityMessage(e);
        verifyIdentityMessage(e, { idKey1: new Uint8Array(32), nowSeconds: 0 });
      }
      const s = applyIdentityChains({
        rootEntries: root.map((entry, i) => ({ entry, height: i })),
        mgmtEntries: mgmt.map((entry, i) => ({ entry, height: i })),
        blockTimes: { 0: 0, 1: 1 },
      });
      assert.ok(Array.isArray(s.rejected));
    }), { numRuns: 300 });
  });
});
