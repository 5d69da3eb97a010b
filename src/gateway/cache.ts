/**
 * A short-lived cache for answers that are the same for everyone (heights, properties,
 * current-minute): a few hundred milliseconds turn a flood of identical reads into one upstream
 * call. Concurrent misses for one key share a single upstream request.
 */
export interface CachedAnswer {
  status: number;
  /** the JSON text of `result` (or `error`) without the id, so each caller gets its own id back */
  resultJson: string;
  isError: boolean;
}

export function createAnswerCache(ttlMs: number) {
  const entries = new Map<string, { until: number; value: CachedAnswer }>();
  const inflight = new Map<string, Promise<CachedAnswer>>();
  return {
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
