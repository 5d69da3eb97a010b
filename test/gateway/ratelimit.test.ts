import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTokenBuckets } from '../../src/gateway/ratelimit.js';

describe('gateway token buckets', () => {
  it('lets rps + burst through at once, then rps per second', () => {
    const b = createTokenBuckets({ rps: 10, burst: 5 });
    let passed = 0;
    for (let i = 0; i < 40; i++) if (b.take('k', 1, 1000) === 0) passed++;
    assert.equal(passed, 15);
    // 100 ms later: one more token (10 per second).
    assert.equal(b.take('k', 1, 1100), 0);
    assert.ok(b.take('k', 1, 1100) > 0);
    // Keys are independent.
    assert.equal(b.take('other', 1, 1100), 0);
  });

  it('tells how long until the request would fit (Retry-After)', () => {
    const b = createTokenBuckets({ rps: 2, burst: 0 });
    assert.equal(b.take('k', 2, 0), 0);
    assert.equal(b.take('k', 1, 0), 500); // 2 per second: the next token in 500 ms
    assert.equal(b.take('k', 1, 250), 250);
    assert.equal(b.take('k', 1, 500), 0);
    // A batch larger than the bucket never passes; the wait reported is to a full bucket.
    assert.ok(b.take('k', 5, 500) >= 1000);
  });

  it('never admits more than capacity + rps × elapsed in any run of requests', () => {
    fc.assert(fc.property(
      fc.record({ rps: fc.integer({ min: 1, max: 1000 }), burst: fc.integer({ min: 0, max: 1000 }) }),
      fc.array(fc.record({ dt: fc.integer({ min: 0, max: 300 }), n: fc.integer({ min: 1, max: 20 }) }), { maxLength: 300 }),
      (rate, steps) => {
        const b = createTokenBuckets(rate);
        let now = 5_000;
        const start = now;
        let admitted = 0;
        for (const s of steps) {
          now += s.dt;
          if (b.take('k', s.n, now) === 0) admitted += s.n;
        }
        assert.ok(admitted <= Math.max(1, rate.rps) + rate.burst + (rate.rps * (now - start)) / 1000 + 1e-9);
      },
    ), { numRuns: 200 });
  });

  it('keeps memory bounded: refilled buckets are swept and the key count is capped', () => {
    const b = createTokenBuckets({ rps: 10, burst: 0 }, 1000);
    for (let i = 0; i < 5000; i++) b.take(`10.0.${i >> 8}.${i & 255}`, 1, 0);
    assert.ok(b.size() <= 1000, `${b.size()} keys`);
    b.sweep(10_000);
    assert.equal(b.size(), 0);
    // A key still short of tokens survives a sweep (forgetting it would hand it a full bucket).
    for (let i = 0; i < 10; i++) b.take('busy', 1, 20_000);
    b.sweep(20_100);
    assert.equal(b.size(), 1);
    assert.ok(b.take('busy', 5, 20_100) > 0);
  });
});
