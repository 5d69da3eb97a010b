import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../log.js';
import { exportLabel } from '../metrics/plugin.js';
import type { LatestValue, Store } from '../store/types.js';
import { encodeRemoteWriteBody, type RemoteSeries } from './proto.js';

export interface RemoteWriteOptions {
  /** http(s)://host/api/v1/write (Prometheus with --web.enable-remote-write-receiver, Mimir, Thanos receive, VictoriaMetrics …) */
  url: string;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  /** PEM CA bundle for an https URL whose certificate is not from a public CA. */
  ca?: string | Buffer;
  /** How often the latest values are read and queued; default 15 s. */
  intervalMs?: number;
  /** Samples per request; default 2 000. */
  maxSamplesPerSend?: number;
  /** Bound of the queue, in samples; the oldest are dropped beyond it. Default 100 000. */
  maxQueue?: number;
  /** Values older than this are not sent (same rule as /metrics); default 10 min. */
  staleMs?: number;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface RemoteWriteDeps {
  store: Store;
  logger: Logger;
  /** The server's own metrics registry: the sender's counters are exposed on /metrics with it. */
  registry?: Registry;
  now?: () => number;
}

export interface RemoteWriter {
  /** Reads the latest values and queues the new ones; resolves when the queue is sent or a send failed. */
  tick(): Promise<void>;
  /** Samples waiting to be sent. */
  queued(): number;
  /** Stops the timer; tries to send what is queued for at most `graceMs` (default 5 s). */
  stop(graceMs?: number): Promise<void>;
}

interface QueuedSample { key: string; labels: readonly (readonly [string, string])[]; value: number; t: number }

/**
 * The labels a series has on /metrics: `__name__`, `node`, and the agent's labels (a label the agent
 * itself called `node` becomes `exported_node`), sorted by name as remote-write requires. Empty
 * values mean "no label" in Prometheus and are left out.
 */
export function remoteLabels(v: LatestValue): [string, string][] {
  const m = new Map<string, string>([['__name__', v.name], ['node', v.node]]);
  for (const [k, val] of Object.entries(v.labels)) {
    const name = exportLabel(k);
    if (val !== '' && !m.has(name)) m.set(name, val);
  }
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

class SendError extends Error {
  constructor(message: string, readonly retry: boolean, readonly retryAfterMs?: number) { super(message); }
}

/**
 * Prometheus remote-write out: every interval the latest value of every series (as on /metrics) that
 * is newer than what was last queued for it goes into a bounded queue; the queue is sent oldest first
 * in requests of at most maxSamplesPerSend samples. A 5xx, a 429 or a network error is retried with
 * exponential backoff and full jitter (Retry-After is honoured), keeping the samples; any other 4xx
 * means the receiver will never take that request, so its samples are dropped and counted.
 */
export function startRemoteWrite(opts: RemoteWriteOptions, deps: RemoteWriteDeps): RemoteWriter {
  const url = new URL(opts.url);
  const intervalMs = opts.intervalMs ?? 15_000;
  const perSend = opts.maxSamplesPerSend ?? 2_000;
  const maxQueue = opts.maxQueue ?? 100_000;
  const staleMs = opts.staleMs ?? 10 * 60_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const minBackoff = opts.minBackoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const now = deps.now ?? Date.now;
  const log = deps.logger;
  const registers = deps.registry ? [deps.registry] : [];
  const m = {
    samples: new Counter({ name: 'anoguard_remote_write_samples_total', help: 'Samples by result: sent, rejected (a 4xx from the receiver), dropped (queue full).', labelNames: ['result'], registers }),
    requests: new Counter({ name: 'anoguard_remote_write_requests_total', help: 'Remote-write requests by result: ok, retried, rejected.', labelNames: ['result'], registers }),
    queue: new Gauge({ name: 'anoguard_remote_write_queue_samples', help: 'Samples waiting to be sent.', registers }),
    lastOk: new Gauge({ name: 'anoguard_remote_write_last_success_timestamp_seconds', help: 'When a request was last accepted.', registers }),
  };

  const headers: Record<string, string> = {
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
    'user-agent': 'anoguard-remote-write',
  };
  if (opts.bearerToken !== undefined) headers.authorization = `Bearer ${opts.bearerToken}`;
  else if (opts.basicAuth !== undefined) headers.authorization = `Basic ${Buffer.from(`${opts.basicAuth.username}:${opts.basicAuth.password}`).toString('base64')}`;

  /** Last timestamp queued per series: only newer values are queued again. */
  const lastQueued = new Map<string, number>();
  let queue: QueuedSample[] = [];
  let stopped = false;
  let sending: Promise<void> | undefined;
  let inFlight: ReturnType<typeof httpRequest> | undefined;
  let wake: (() => void) | undefined;
  let backoffTimer: NodeJS.Timeout | undefined;

  function enqueue(values: readonly LatestValue[]): void {
    const cutoff = now() - staleMs;
    for (const v of values) {
      if (v.t < cutoff) continue;
      const labels = remoteLabels(v);
      const key = JSON.stringify(labels);
      if ((lastQueued.get(key) ?? -Infinity) >= v.t) continue;
      lastQueued.set(key, v.t);
      queue.push({ key, labels, value: v.value, t: v.t });
    }
    if (queue.length > maxQueue) {
      const drop = queue.length - maxQueue;
      queue = queue.slice(drop);
      m.samples.inc({ result: 'dropped' }, drop);
      log.warn({ dropped: drop }, 'remote-write queue full: oldest samples dropped');
    }
    m.queue.set(queue.length);
  }

  function post(body: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, {
        method: 'POST', timeout: timeoutMs,
        headers: { ...headers, 'content-length': String(body.length) },
        ...(url.protocol === 'https:' && opts.ca !== undefined ? { ca: opts.ca } : {}),
      }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => { if (size < 512) chunks.push(c); size += c.length; });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) return resolve();
          const text = Buffer.concat(chunks).toString('utf8', 0, Math.min(size, 512)).trim();
          const ra = Number(res.headers['retry-after']);
          const retry = code >= 500 || code === 429;
          reject(new SendError(`HTTP ${code}${text ? `: ${text}` : ''}`, retry, Number.isFinite(ra) && ra >= 0 ? Math.min(ra * 1000, maxBackoff) : undefined));
        });
        res.on('error', (e) => reject(new SendError(e.message, true)));
      });
      inFlight = req;
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e) => reject(e instanceof SendError ? e : new SendError(e.message, true)));
      req.end(body);
    }).finally(() => { inFlight = undefined; });
  }

  /** The next request's series: up to perSend samples from the head of the queue, grouped per series. */
  function nextRequest(): { series: RemoteSeries[]; count: number } {
    const head = queue.slice(0, perSend);
    const bySeries = new Map<string, { labels: QueuedSample['labels']; samples: { value: number; t: number }[] }>();
    for (const s of head) {
      let e = bySeries.get(s.key);
      if (e === undefined) bySeries.set(s.key, (e = { labels: s.labels, samples: [] }));
      e.samples.push({ value: s.value, t: s.t });
    }
    const series = [...bySeries.values()];
    for (const s of series) s.samples.sort((a, b) => a.t - b.t);
    return { series, count: head.length };
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    wake = resolve;
    backoffTimer = setTimeout(resolve, ms);
  }).finally(() => { wake = undefined; clearTimeout(backoffTimer); });

  async function drain(): Promise<void> {
    let failures = 0;
    while (queue.length > 0 && !stopped) {
      const { series, count } = nextRequest();
      try {
        await post(encodeRemoteWriteBody(series));
        m.requests.inc({ result: 'ok' });
        m.samples.inc({ result: 'sent' }, count);
        m.lastOk.set(now() / 1000);
        queue = queue.slice(count);
        failures = 0;
      } catch (e) {
        const err = e instanceof SendError ? e : new SendError(String(e), true);
        if (!err.retry) {
          m.requests.inc({ result: 'rejected' });
          m.samples.inc({ result: 'rejected' }, count);
          log.warn({ url: redactUrl(url), samples: count, error: err.message }, 'remote-write request rejected: samples dropped');
          queue = queue.slice(count);
        } else {
          m.requests.inc({ result: 'retried' });
          failures++;
          const delay = err.retryAfterMs ?? Math.random() * Math.min(maxBackoff, minBackoff * 2 ** Math.min(failures - 1, 16));
          log.warn({ url: redactUrl(url), samples: count, error: err.message, retryInMs: Math.round(delay) }, 'remote-write failed, will retry');
          await sleep(delay);
        }
      }
      m.queue.set(queue.length);
    }
  }

  function kick(): Promise<void> {
    sending ??= drain().finally(() => { sending = undefined; });
    return sending;
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    try {
      enqueue(await deps.store.latest());
    } catch (e) {
      log.error({ err: e }, 'remote-write: cannot read the latest values');
      return;
    }
    await kick();
  }

  const timer = setInterval(() => { void tick(); }, intervalMs);
  timer.unref();

  return {
    tick,
    queued: () => queue.length,
    async stop(graceMs = 5_000) {
      clearInterval(timer);
      if (stopped) return;
      // One last bounded attempt at what is queued; backoff waits are cut short.
      const deadline = setTimeout(() => { stopped = true; wake?.(); inFlight?.destroy(new Error('stopping')); }, graceMs);
      wake?.();
      try { await (sending ?? kick()); } finally {
        clearTimeout(deadline);
        stopped = true;
        wake?.();
        await sending;
      }
    },
  };
}

/** The URL without user info, for logs. */
function redactUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}
