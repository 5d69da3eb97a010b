import { request, Agent as HttpsAgent } from 'node:https';
import { AckSchema, type Ack, type Batch } from './payload.js';
import type { Outbox } from './outbox.js';
import type { Logger } from '../log.js';

export interface TlsMaterial {
  /** PEM of the CA that signed the server certificate (our own CA; the system store is not used) */
  ca: string;
  cert: string;
  key: string;
}

export type SendResult =
  | { kind: 'ack'; ack: Ack }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'reject'; status: number; reason: string };

/** Statuses that will never succeed for this body: retrying would block the queue forever. */
const PERMANENT = new Set([400, 413, 415, 422]);

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(v: string | undefined, now: number): number | undefined {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const d = Date.parse(v);
  return Number.isFinite(d) ? Math.max(0, d - now) : undefined;
}

/** Exponential backoff with full jitter (AWS architecture blog): spreads reconnecting agents out. */
export function backoffDelay(attempt: number, random: () => number, baseMs = 1000, maxMs = 60_000): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}

/**
 * HTTPS client of the ingest endpoint with the agent's client certificate. It only connects out;
 * the server certificate must chain to our CA (rejectUnauthorized is never turned off).
 */
export function createShipper(serverUrl: string, tls: TlsMaterial, opts: { timeoutMs?: number } = {}) {
  const url = new URL('/ingest/v1/batch', serverUrl);
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: true });
  const timeoutMs = opts.timeoutMs ?? 30_000;

  /** Sends one batch; `batch` may be the object or its JSON already serialised (the outbox keeps JSON). */
  function send(batch: Batch | string, signal?: AbortSignal): Promise<SendResult> {
    const body = Buffer.from(typeof batch === 'string' ? batch : JSON.stringify(batch));
    return new Promise((resolve) => {
      const req = request(url, {
        method: 'POST', agent, signal, timeout: timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => { size += c.length; if (size <= 65_536) chunks.push(c); });
        res.on('error', (e) => resolve({ kind: 'retry', reason: e.message }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (status === 200 || status === 201) {
            let parsed: unknown;
            try { parsed = JSON.parse(text); } catch { parsed = undefined; }
            const ack = AckSchema.safeParse(parsed);
            resolve(ack.success ? { kind: 'ack', ack: ack.data } : { kind: 'retry', reason: 'malformed ack from server' });
          } else if (PERMANENT.has(status)) {
            resolve({ kind: 'reject', status, reason: text.slice(0, 300) });
          } else {
            const ra = parseRetryAfter(res.headers['retry-after'], Date.now());
            resolve({ kind: 'retry', reason: `HTTP ${status}`, ...(ra !== undefined ? { retryAfterMs: ra } : {}) });
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'retry', reason: e.code ?? e.message }));
      req.end(body);
    });
  }

  return { send, close: () => agent.destroy() };
}

export type Shipper = ReturnType<typeof createShipper>;

export interface DrainOptions {
  agentName: string;
  log?: Logger;
  random?: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  /** waits; tests pass a fast one. Must resolve early when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** called after each attempt (metrics, tests) */
  onResult?: (r: SendResult, seq: number) => void;
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => { signal.removeEventListener('abort', done); resolve(); }, ms);
    function done(): void { clearTimeout(timer); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Sends pending batches oldest first until the outbox is empty or `signal` aborts. Failures back
 * off with jitter; a 503's Retry-After is honoured (the server asks for backpressure). Returns the
 * number of batches the server acknowledged.
 */
export async function drainOutbox(outbox: Outbox, shipper: Shipper, signal: AbortSignal, o: DrainOptions): Promise<number> {
  const random = o.random ?? Math.random;
  const sleep = o.sleep ?? abortableSleep;
  const now = o.now ?? Date.now;
  let attempt = 0;
  let acked = 0;
  while (!signal.aborted) {
    const next = outbox.peekWire(o.agentName, now());
    if (!next) break;
    const r = await shipper.send(next.json, signal);
    o.onResult?.(r, next.seq);
    if (signal.aborted) break;
    if (r.kind === 'ack') {
      attempt = 0;
      // ackedSeq below this batch means the server lost what it had acked (restored backup): resend from there.
      acked += outbox.ack(r.ack.ackedSeq);
      if (r.ack.ackedSeq < next.seq) {
        o.log?.warn({ seq: next.seq, ackedSeq: r.ack.ackedSeq }, 'server acknowledged less than sent; will resend');
        await sleep(backoffDelay(attempt++, random, o.baseDelayMs, o.maxDelayMs), signal);
      }
    } else if (r.kind === 'reject') {
      o.log?.error({ seq: next.seq, status: r.status, reason: r.reason }, 'server refused a batch for good; dropping it (reported as agent.gap)');
      outbox.reject(next.seq, `HTTP ${r.status}`);
    } else {
      const delay = Math.max(r.retryAfterMs ?? 0, backoffDelay(attempt++, random, o.baseDelayMs, o.maxDelayMs));
      o.log?.warn({ seq: next.seq, reason: r.reason, delayMs: delay }, 'shipping failed; backing off');
      await sleep(delay, signal);
    }
  }
  return acked;
}
