/**
 * Token buckets per key (client address or principal name): `rps` tokens per second sustained,
 * holding at most `rps + burst`, so an idle client may send `rps + burst` at once and then `rps`
 * per second. Synchronous and allocation-free on the hot path (one small record per key), which
 * matters at thousands of requests per second: the gateway checks a bucket on every request.
 *
 * Memory is bounded: full buckets carry no information and are swept; past `maxKeys` the oldest
 * keys are dropped first (such a key starts again with a full bucket; an attacker needs that many
 * distinct TCP peers to force it, see docs/gateway.md).
 */
export interface Rate {
  rps: number;
  burst: number;
}

export interface TokenBuckets {
  /** Takes `n` tokens for `key`: 0 when allowed, otherwise the milliseconds until `n` would be available. */
  take(key: string, n: number, nowMs: number): number;
  /** Drops buckets that have refilled completely. */
  sweep(nowMs: number): void;
  size(): number;
}

interface Bucket {
  tokens: number;
  /** when `tokens` was last brought up to date (ms) */
  at: number;
}

export function createTokenBuckets(rate: Rate, maxKeys = 100_000): TokenBuckets {
  const perMs = rate.rps / 1000;
  const capacity = Math.max(1, rate.rps) + rate.burst;
  const buckets = new Map<string, Bucket>();

  const level = (b: Bucket, now: number): number => Math.min(capacity, b.tokens + Math.max(0, now - b.at) * perMs);

  function sweep(now: number): void {
    for (const [k, b] of buckets) if (level(b, now) >= capacity) buckets.delete(k);
  }

  return {
    take(key: string, n: number, now: number): number {
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= maxKeys) {
          sweep(now);
          // Still full: forget the oldest keys (Map iterates in insertion order).
          for (const k of buckets.keys()) {
            if (buckets.size < maxKeys) break;
            buckets.delete(k);
          }
        }
        b = { tokens: capacity, at: now };
        buckets.set(key, b);
      } else {
        b.tokens = level(b, now);
        b.at = now;
      }
      if (b.tokens >= n) {
        b.tokens -= n;
        return 0;
      }
      // A request larger than the bucket can never pass; report the time to a full bucket.
      const missing = Math.min(n, capacity) - b.tokens;
      return Math.max(1, Math.ceil(missing / perMs));
    },
    sweep,
    size: () => buckets.size,
  };
}
