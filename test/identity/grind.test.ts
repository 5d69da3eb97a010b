import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { compress, createGrinder, nonceBytes, SHA256_IV } from '../../src/identity/grind-core.js';
import { chainIdOf, grindNonce } from '../../src/identity/grind.js';
import { grindFixtures, hb } from './helpers.js';

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const { rootVec, mgmtVec, rootBefore, mgmtBefore } = grindFixtures();

describe('grind core (specialised SHA-256)', () => {
  it('compress of one padded block equals node:crypto for random short messages', () => {
    for (let n = 0; n < 200; n++) {
      const len = n % 56;
      const msg = randomBytes(len);
      const block = new Uint8Array(64);
      block.set(msg);
      block[len] = 0x80;
      new DataView(block.buffer).setUint32(60, len * 8);
      const w = new Int32Array(64);
      for (let i = 0; i < 16; i++) w[i] = new DataView(block.buffer).getInt32(i * 4);
      const out = new Int32Array(8);
      compress(Int32Array.from(SHA256_IV), w, out);
      const got = Buffer.alloc(32);
      for (let i = 0; i < 8; i++) got.writeInt32BE(out[i]!, i * 4);
      assert.deepEqual(got, sha(msg));
    }
  });

  it('the hash path reproduces the vectors\' known nonces (ASCII counter layout, 1 and 2 outer blocks)', () => {
    const want = hb('888888');
    const root = createGrinder({ prefixHashes: Buffer.concat(rootBefore.map(sha)), want });
    const tries = rootVec.expected.nonceCounterTries as number;
    assert.deepEqual(root.searchRange({ kind: 'ascii' }, tries, tries + 1), { hit: tries, attempts: 1 });
    assert.equal(root.searchRange({ kind: 'ascii' }, tries - 1000, tries).hit, -1);
    assert.equal(Buffer.from(nonceBytes({ kind: 'ascii' }, tries)).toString('hex'), rootVec.expected.nonceHex);
    const mgmt = createGrinder({ prefixHashes: Buffer.concat(mgmtBefore.map(sha)), want });
    const mt = mgmtVec.expected.nonceCounterTries as number;
    assert.equal(mgmt.searchRange({ kind: 'ascii' }, mt - 2000, mt + 5).hit, mt);
  });

  it('every reported hit is a real prefix match under node:crypto (binary layout, straddling counter)', () => {
    for (const prefixLen of [7, 8, 9, 10]) {
      const prefix = randomBytes(prefixLen);
      const g = createGrinder({ prefixHashes: Buffer.concat(mgmtBefore.map(sha)), want: hb('88') });
      let from = 0;
      for (let k = 0; k < 3; k++) {
        const r = g.searchRange({ kind: 'binary', prefix }, from, from + 5000);
        assert.ok(r.hit >= 0, 'a 1-byte prefix turns up within 5000 tries');
        const id = chainIdOf([...mgmtBefore, nonceBytes({ kind: 'binary', prefix }, r.hit)]);
        assert.equal(id[0], 0x88);
        // and nothing before it in the range matched
        for (let c = from; c < r.hit; c++) assert.notEqual(chainIdOf([...mgmtBefore, nonceBytes({ kind: 'binary', prefix }, c)])[0], 0x88);
        from = r.hit + 1;
      }
    }
  });
});

describe('grindNonce (worker threads)', () => {
  it('random scheme finds a 2-byte prefix with 2 workers; the nonce is 48 random bytes and a counter', async () => {
    const r = await grindNonce({ extIdsBeforeNonce: rootBefore, want: hb('8888'), threads: 2, chunkSize: 1 << 14 });
    assert.equal(r.nonce.length, 52);
    assert.equal(Buffer.from(chainIdOf([...rootBefore, r.nonce])).subarray(0, 2).toString('hex'), '8888');
    assert.deepEqual(r.chainId, chainIdOf([...rootBefore, r.nonce]));
  });

  it('counter scheme gives the lowest counter whatever the thread count', async () => {
    const a = await grindNonce({ extIdsBeforeNonce: mgmtBefore, want: hb('8888'), scheme: 'counter', threads: 1, chunkSize: 4096 });
    const b = await grindNonce({ extIdsBeforeNonce: mgmtBefore, want: hb('8888'), scheme: 'counter', threads: 2, chunkSize: 1000 });
    assert.equal(a.counter, b.counter);
    assert.equal(Buffer.from(a.nonce).toString(), String(a.counter));
    for (let c = 1; c < a.counter; c++) {
      assert.notEqual(Buffer.from(chainIdOf([...mgmtBefore, new TextEncoder().encode(String(c))])).subarray(0, 2).toString('hex'), '8888');
    }
  });

  it('counter scheme reproduces serveridentity\'s root chain nonce', async () => {
    const r = await grindNonce({ extIdsBeforeNonce: rootBefore, scheme: 'counter', threads: 2 });
    assert.equal(r.counter, rootVec.expected.nonceCounterTries);
    assert.equal(Buffer.from(r.chainId).toString('hex'), rootVec.expected.chainId);
  });

  it('abort cancels and terminates the workers', async () => {
    const ac = new AbortController();
    const p = grindNonce({ extIdsBeforeNonce: rootBefore, want: hb('88888888'), threads: 2, signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    await assert.rejects(p, (e: Error & { code?: string }) => e.code === 'E_CANCELLED');
  });

  it('maxAttempts bounds a hopeless search', async () => {
    await assert.rejects(
      grindNonce({ extIdsBeforeNonce: rootBefore, want: hb('88888888'), threads: 1, chunkSize: 5000, maxAttempts: 10000 }),
      (e: Error & { code?: string }) => e.code === 'E_GRIND_EXHAUSTED',
    );
  });
});
