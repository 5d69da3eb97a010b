import type { Logger } from '../log.js';
import type { Store } from './store/types.js';

/**
 * Runs rollup then retention every `intervalMs`, one run at a time (a slow run is never overlapped
 * by the next). Returns a stop function that waits for a run in progress.
 */
export function startMaintenance(store: Store, logger: Logger, opts: { intervalMs?: number; now?: () => number } = {}): () => Promise<void> {
  const now = opts.now ?? Date.now;
  let running: Promise<void> | undefined;
  const run = () => {
    if (running !== undefined) return;
    running = (async () => {
      try {
        const t = now();
        const r = await store.rollup(t);
        const d = await store.applyRetention(t);
        logger.debug({ rollup: r, retention: d }, 'maintenance done');
      } catch (e) {
        logger.error({ err: e }, 'maintenance failed; retrying next interval');
      } finally {
        running = undefined;
      }
    })();
  };
  const timer = setInterval(run, opts.intervalMs ?? 60_000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
