import { readFileSync } from 'node:fs';
import { readSecretFile } from '../util/fs.js';
import type { GatewayConfig } from './config.js';
import { createHttp1Pool } from './http1.js';

export interface UpstreamState {
  name: string;
  url: string;
  up: boolean;
  consecutiveFailures: number;
  leaderHeight: number | undefined;
  lastError: string | undefined;
}

export interface UpstreamReply {
  status: number;
  body: Buffer;
  upstream: string;
}

export class UpstreamError extends Error {
  constructor(message: string, readonly upstream: string) {
    super(message);
  }
}

interface Upstream {
  state: UpstreamState;
  client: ReturnType<typeof createHttp1Pool>;
}

/**
 * The followers behind the gateway. Health is judged by a periodic `heights` call: an upstream that
 * fails `failAfter` checks in a row, or falls `maxLagBlocks` behind the best one, is taken out until
 * it recovers. A follower that answers but is stalled serves stale data, which is worse than none.
 */
export function createUpstreamPool(cfg: GatewayConfig, onChange?: (s: UpstreamState) => void) {
  const ups: Upstream[] = cfg.upstreams.map((u, i) => {
    const target = new URL('/v2', u.url);
    const secure = target.protocol === 'https:';
    const password = u.passwordFile ? readSecretFile(u.passwordFile, `upstreams.${i}.passwordFile`).trim() : '';
    const auth = u.user ? `Basic ${Buffer.from(`${u.user}:${password}`).toString('base64')}` : undefined;
    return {
      state: { name: u.name ?? target.host, url: target.origin, up: true, consecutiveFailures: 0, leaderHeight: undefined, lastError: undefined },
      // Keep-alive with room for every concurrent request: a request that waits for a free
      // connection adds its wait to the client's latency.
      client: createHttp1Pool({
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: Number(target.port) || (secure ? 443 : 80),
        tls: secure,
        ca: u.caFile ? readFileSync(u.caFile) : undefined,
        path: target.pathname,
        extraHeaders: auth ? `Authorization: ${auth}\r\n` : '',
      }, { maxSockets: 256, idleTimeoutMs: 30_000 }),
    };
  });
  let rr = 0;
  let timer: NodeJS.Timeout | undefined;

  function post(u: Upstream, body: string, timeoutMs: number, maxBytes: number, idempotent: boolean): Promise<UpstreamReply> {
    return u.client.request(body, timeoutMs, maxBytes, idempotent).then(
      (r) => ({ status: r.status, body: r.body, upstream: u.state.name }),
      (e: unknown) => { throw new UpstreamError((e as Error).message, u.state.name); },
    );
  }

  function markFailure(u: Upstream, msg: string): void {
    u.state.consecutiveFailures++;
    u.state.lastError = msg;
    if (u.state.up && u.state.consecutiveFailures >= cfg.health.failAfter) {
      u.state.up = false;
      onChange?.(u.state);
    }
  }

  async function checkAll(): Promise<void> {
    await Promise.all(ups.map(async (u) => {
      try {
        const r = await post(u, '{"jsonrpc":"2.0","id":0,"method":"heights"}', cfg.health.timeoutMs, 64 * 1024, true);
        const parsed = JSON.parse(r.body.toString('utf8')) as { result?: { leaderheight?: unknown } };
        const h = parsed.result?.leaderheight;
        if (r.status !== 200 || typeof h !== 'number') throw new Error(`bad heights answer (HTTP ${r.status})`);
        u.state.leaderHeight = h;
        u.state.consecutiveFailures = 0;
        u.state.lastError = undefined;
      } catch (e) {
        u.state.leaderHeight = undefined;
        markFailure(u, (e as Error).message);
      }
    }));
    const best = Math.max(-1, ...ups.map((u) => u.state.leaderHeight ?? -1));
    for (const u of ups) {
      const fresh = u.state.leaderHeight !== undefined && best - u.state.leaderHeight <= cfg.health.maxLagBlocks;
      const wasUp = u.state.up;
      if (fresh) u.state.up = true;
      else if (u.state.leaderHeight !== undefined) { u.state.up = false; u.state.lastError = `${best - u.state.leaderHeight} blocks behind`; }
      if (wasUp !== u.state.up) onChange?.(u.state);
    }
  }

  /** Healthy upstreams in round-robin order; all of them if none is healthy (better a try than a certain failure). */
  function order(): Upstream[] {
    const healthy = ups.filter((u) => u.state.up);
    const list = healthy.length > 0 ? healthy : ups;
    const start = rr++ % list.length;
    return [...list.slice(start), ...list.slice(0, start)];
  }

  return {
    states: (): UpstreamState[] => ups.map((u) => ({ ...u.state })),
    healthyCount: (): number => ups.filter((u) => u.state.up).length,
    start(): void {
      void checkAll();
      timer = setInterval(() => void checkAll(), cfg.health.intervalMs);
      timer.unref();
    },
    checkNow: checkAll,
    /**
     * Sends one request. Idempotent reads fail over to the next upstream on a transport error;
     * writes are sent once (a retried commit could be paid twice on another node's view).
     */
    async send(body: string, idempotent: boolean): Promise<UpstreamReply> {
      const candidates = order();
      let lastErr: unknown;
      for (const u of idempotent ? candidates : candidates.slice(0, 1)) {
        try {
          return await post(u, body, cfg.limits.upstreamTimeoutMs, cfg.limits.maxResponseBytes, idempotent);
        } catch (e) {
          lastErr = e;
          markFailure(u, (e as Error).message);
        }
      }
      throw lastErr instanceof UpstreamError ? lastErr : new UpstreamError(String(lastErr), 'none');
    },
    close(): void {
      if (timer) clearInterval(timer);
      for (const u of ups) u.client.close();
    },
  };
}

export type UpstreamPool = ReturnType<typeof createUpstreamPool>;
