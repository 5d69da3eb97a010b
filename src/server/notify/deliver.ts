import type { AppDb } from '../state/appdb.js';
import type { Channel, Notification } from './types.js';

export interface DeliveryResult { channel: string; ok: boolean; attempts: number; error?: string }

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends with exponential backoff (base·2^n, capped); the last error is kept for the dashboard. */
export async function sendWithRetry(ch: Channel, n: Notification, o: RetryOptions = {}): Promise<DeliveryResult> {
  const attempts = o.attempts ?? 5;
  const base = o.baseDelayMs ?? 1000;
  const max = o.maxDelayMs ?? 60_000;
  const sleep = o.sleep ?? realSleep;
  let error = '';
  for (let i = 1; i <= attempts; i++) {
    try {
      await ch.send(n, AbortSignal.timeout(o.timeoutMs ?? 15_000));
      return { channel: ch.name, ok: true, attempts: i };
    } catch (e) {
      error = (e as Error).message.slice(0, 500);
      if (i < attempts) await sleep(Math.min(max, base * 2 ** (i - 1)));
    }
  }
  return { channel: ch.name, ok: false, attempts, error };
}

export function recordDelivery(db: AppDb, r: DeliveryResult, groupKey: string, now: number): void {
  db.prepare('INSERT INTO notify_log (at, notifier, group_key, ok, attempts, error) VALUES (?, ?, ?, ?, ?, ?)')
    .run(now, r.channel, groupKey, r.ok ? 1 : 0, r.attempts, r.error ?? '');
}

export interface DeliveryRow { id: number; at: number; notifier: string; group_key: string; ok: number; attempts: number; error: string }

export function recentDeliveries(db: AppDb, limit = 100): DeliveryRow[] {
  return db.prepare('SELECT * FROM notify_log ORDER BY id DESC LIMIT ?').all(Math.min(limit, 1000)) as DeliveryRow[];
}

/** Sends one notification to every channel at once; results (failures too) are recorded. */
export async function deliverAll(channels: readonly Channel[], n: Notification, db: AppDb | undefined, o: RetryOptions & { now?: () => number } = {}): Promise<DeliveryResult[]> {
  const results = await Promise.all(channels.map((c) => sendWithRetry(c, n, o)));
  if (db) for (const r of results) recordDelivery(db, r, n.groupKey, (o.now ?? Date.now)());
  return results;
}
