import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { createGrinder, nonceBytes, type Grinder, type NonceLayout } from '../../src/identity/grind-core.js';
import { buildSimdModule, createEngineGrinder, createSimdGrinder, simdSupported } from '../../src/identity/grind-simd.js';
import { planSchedule, sigma0, sigma1 } from '../../src/identity/grind-plan.js';
import { chainIdOf, grindNonce } from '../../src/identity/grind.js';
import { grindFixtures, hb } from './helpers.js';

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const { rootVec, mgmtVec, rootBefore, mgmtBefore } = grindFixtures();

/** The first counter in [from, to) whose chain ID starts with `want`, by node:crypto alone. */
function firstHitByNodeCrypto(before: Uint8Array[], layout: NonceLayout, want: Uint8Array, from: number, to: number): number {
  for (let c = from; c < to; c++) {
    const id = chainIdOf([...before, nonceBytes(layout, c)]);
    if (Buffer.from(id.subarray(0, want.length)).equals(Buffer.from(want))) return c;
  }
  return -1;
}

const engines: [string, (t: { prefixHashes: Uint8Array; want: Uint8Array }) => Grinder][] = [
  ['simd', createSimdGrinder],
  ['scalar', createGrinder],
];

describe('grind SIMD engine (WebAssembly i32x4)', () => {
  it('Node 20 runs the generated SIMD module', () => {
    assert.equal(simdSupported(), true);
    assert.equal(WebAssembly.validate(buildSimdModule({ innerVar: [0, 1, 2], tailHasP: true })), true);
    assert.equal(createEngineGrinder({ prefixHashes: new Uint8Array(32), want: hb('88') }).engine, 'simd');
    assert.equal(createEngineGrinder({ prefixHashes: new Uint8Array(32), want: hb('88') }, 'scalar').engine, 'scalar');
  });

  it('constant folding of the schedule matches a plain expansion', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 0xffff }), (w, varMask) => {
      const full = [...w];
      for (let i = 16; i < 64; i++) full.push((sigma1(full[i - 2]!) + full[i - 7]! + sigma0(full[i - 15]!) + full[i - 16]!) | 0);
      const plan = planSchedule(w.map((x, i) => ((varMask >> i) & 1 ? null : x)));
      for (let i = 0; i < 64; i++) if (plan.full[i] !== null) assert.equal(plan.full[i], full[i]);
    }), { numRuns: 50 });
  });

  for (const [name, make] of engines) {
    it(`${name}: reproduces the vectors' serveridentity nonces and chain IDs (root: 1 outer block, management: 2)`, () => {
      const want = hb('888888');
      const root = make({ prefixHashes: Buffer.concat(rootBefore.map(sha)), want });
      const tries = rootVec.expected.nonceCounterTries as number;
      const r = root.searchRange({ kind: 'ascii' }, tries - 3000, tries + 3000);
      assert.equal(r.hit, tries);
      assert.equal(Buffer.from(chainIdOf([...rootBefore, nonceBytes({ kind: 'ascii' }, r.hit)])).toString('hex'), rootVec.expected.chainId);
      const mgmt = make({ prefixHashes: Buffer.concat(mgmtBefore.map(sha)), want });
      const mt = mgmtVec.expected.nonceCounterTries as number;
      const m = mgmt.searchRange({ kind: 'ascii' }, mt - 3001, mt + 7);
      assert.equal(m.hit, mt);
      assert.equal(m.attempts, 3002);
      assert.equal(Buffer.from(chainIdOf([...mgmtBefore, nonceBytes({ kind: 'ascii' }, m.hit)])).toString('hex'), mgmtVec.expected.chainId);
    });
  }

  it('agrees with node:crypto on random prefixes, nonce layouts and ranges (1-byte target: every attempt is checked)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 7 }),
      fc.uint8Array({ minLength: 32 * 7, maxLength: 32 * 7 }),
      fc.oneof(fc.integer({ min: 0, max: 51 }), fc.constant(-1)),
      fc.uint8Array({ minLength: 51, maxLength: 51 }),
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.integer({ min: 0, max: 700 }),
      fc.uint8Array({ minLength: 1, maxLength: 1 }),
      (nHashes, hashBytes, prefixLen, prefixBytes, from, span, want) => {
        const before = Array.from({ length: nHashes }, (_, i) => hashBytes.subarray(i * 32, i * 32 + 32));
        const prefixHashes = Buffer.concat(before.map(sha));
        const layout: NonceLayout = prefixLen < 0 ? { kind: 'ascii' } : { kind: 'binary', prefix: prefixBytes.subarray(0, prefixLen) };
        const to = from + span;
        const simd = createSimdGrinder({ prefixHashes, want }).searchRange(layout, from, to);
        const expected = firstHitByNodeCrypto(before, layout, want, from, to);
        assert.equal(simd.hit, expected);
        assert.equal(simd.attempts, expected >= 0 ? expected - from + 1 : span);
      },
    ), { numRuns: 25 });
  });

  it('compares the whole first word: a 4-byte target taken from node:crypto is found at exactly its counter', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32 * 6, maxLength: 32 * 6 }),
      fc.boolean(),
      fc.uint8Array({ minLength: 48, maxLength: 48 }),
      fc.integer({ min: 0, max: 5000 }),
      (hashBytes, mgmtShape, prefix, offset) => {
        const before = Array.from({ length: mgmtShape ? 3 : 6 }, (_, i) => hashBytes.subarray(i * 32, i * 32 + 32));
        const layout: NonceLayout = { kind: 'binary', prefix };
        const target = 1000 + offset;
        const want = chainIdOf([...before, nonceBytes(layout, target)]).subarray(0, 4);
        const r = createSimdGrinder({ prefixHashes: Buffer.concat(before.map(sha)), want }).searchRange(layout, 1000, 6001);
        assert.equal(r.hit, target);
      },
    ), { numRuns: 15 });
  });

  it('crosses decimal-length boundaries of the ASCII counter like serveridentity', () => {
    const want = hb('88');
    for (const from of [1, 95, 9990, 99_995, 999_998]) {
      const simd = createSimdGrinder({ prefixHashes: Buffer.concat(mgmtBefore.map(sha)), want });
      let c = from;
      for (let k = 0; k < 3; k++) {
        const r = simd.searchRange({ kind: 'ascii' }, c, c + 2000);
        assert.equal(r.hit, firstHitByNodeCrypto(mgmtBefore, { kind: 'ascii' }, want, c, c + 2000));
        c = r.hit + 1;
      }
    }
  });

  for (const engine of ['simd', 'scalar'] as const) {
    it(`grindNonce with engine ${engine} reproduces serveridentity's root chain nonce`, async () => {
      const r = await grindNonce({ extIdsBeforeNonce: rootBefore, scheme: 'counter', threads: 2, engine });
      assert.equal(r.engine, engine);
      assert.equal(r.counter, rootVec.expected.nonceCounterTries);
      assert.equal(Buffer.from(r.chainId).toString('hex'), rootVec.expected.chainId);
    });
  }

  it('abort cancels a SIMD grind', async () => {
    const ac = new AbortController();
    const p = grindNonce({ extIdsBeforeNonce: mgmtBefore, want: hb('88888888'), threads: 2, engine: 'simd', signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(p, (e: Error & { code?: string }) => e.code === 'E_CANCELLED');
  });
});
