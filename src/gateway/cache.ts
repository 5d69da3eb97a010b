/**
 * A short-lived cache for answers that are the same for everyone (heights, properties,
 * current-minute): a few hundred milliseconds turn a flood of identical reads into one upstream
 * call. Concurrent misses for one key share a single upstream request.
 */
export interface CachedAnswer {
  status: number;
  /**
   * The reply's bytes after the id: `,"result":…}` (or `,"error":…}`). Each caller gets its own id
   * in front, and a hit costs one copy instead of a JSON round trip.
   */
  tail: Buffer;
  isError: boolean;
}

const HEAD = Buffer.from('{"jsonrpc":"2.0","id":');

/** The full reply for one caller: head, the caller's id (already JSON), cached tail. */
export function replyBytes(idJson: string, answer: CachedAnswer): Buffer {
  const idLen = Buffer.byteLength(idJson);
  const out = Buffer.allocUnsafe(HEAD.length + idLen + answer.tail.length);
  HEAD.copy(out, 0);
  out.write(idJson, HEAD.length);
  answer.tail.copy(out, HEAD.length + idLen);
  return out;
}

export function createAnswerCache(ttlMs: number) {
  const entries = new Map<string, { until: number; value: CachedAnswer }>();
  const inflight = new Map<string, Promise<CachedAnswer>>();
  return {
    /** A fresh entry, synchronously (the hot path: no promise for a hit). */
    peek(key: string, now: number): CachedAnswer | undefined {
      const e = entries.get(key);
      return e !== undefined && e.until > now ? e.value : undefined;
    },
    async get(key: string, load: () => Promise<CachedAnswer>): Promise<{ value: CachedAnswer; hit: boolean }> {
      const now = Date.now();
      const e = entries.get(key);
      if (e && e.until > now) return { value: e.value, hit: true };
      const pending = inflight.get(key);
      if (pending) return { value: await pending, hit: true };
      const p = load();
      inflight.set(key, p);
      try {
        const value = await p;
        if (!value.isError && ttlMs > 0) entries.set(key, { until: Date.now() + ttlMs, value });
        return { value, hit: false };
      } finally {
        inflight.delete(key);
      }
    },
    clear(): void { entries.clear(); },
  };
}
