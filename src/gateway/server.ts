import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RateLimiterMemory, BurstyRateLimiter, RateLimiterRes } from 'rate-limiter-flexible';
import { REDACT_PATHS } from '../log.js';
import type { GatewayConfig } from './config.js';
import { createAuthenticator, type Principal } from './auth.js';
import { createUpstreamPool, UpstreamError } from './upstream.js';
import { createAnswerCache, type CachedAnswer } from './cache.js';
import { parseRpcBody, serializeCall, errorReply, INTERNAL_ERROR, METHOD_NOT_FOUND, type RpcCall } from './jsonrpc.js';
import { CACHEABLE_METHODS, WRITE_METHODS } from './methods.js';

export interface GatewayOptions {
  /** access log destination; default: asynchronous stdout */
  logger?: Logger;
}

export interface Gateway {
  url: string;
  metricsUrl: string | undefined;
  registry: Registry;
  reloadTls(): void;
  upstreams(): ReturnType<ReturnType<typeof createUpstreamPool>['states']>;
  close(): Promise<void>;
}

const WRITES: ReadonlySet<string> = new Set(WRITE_METHODS);
const JSON_HEADERS = { 'content-type': 'application/json' };

interface Limiter {
  consume(key: string, points?: number): Promise<RateLimiterRes>;
}

/** `rps` per second sustained, plus `burst` extra per second drawn only when the sustained allowance is spent. */
function makeLimiter(rate: { rps: number; burst: number }, prefix: string): Limiter {
  const sustained = new RateLimiterMemory({ keyPrefix: `${prefix}-s`, points: Math.max(1, Math.round(rate.rps)), duration: 1 });
  if (rate.burst <= 0) return sustained;
  const burst = new RateLimiterMemory({ keyPrefix: `${prefix}-b`, points: rate.burst, duration: 1 });
  return new BurstyRateLimiter(sustained, burst);
}

/**
 * Starts the RPC gateway: TLS, authentication, per-IP and per-principal rate limits, connection
 * caps and timeouts against slow senders, strict JSON-RPC validation, a method allow-list, a short
 * cache for hot reads, and failover across several upstream followers. Only POST /v2 is forwarded:
 * /debug and the control panel never are (factomd-ops.md §3.4: /debug leaks the signing key).
 */
export async function startGateway(cfg: GatewayConfig, opts: GatewayOptions = {}): Promise<Gateway> {
  const log = opts.logger ?? pino({ base: { component: 'gateway' }, redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' } }, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
  const registry = new Registry();
  const mRequests = new Counter({ name: 'anoguard_gateway_requests_total', help: 'Requests by JSON-RPC method and HTTP status', labelNames: ['method', 'status'], registers: [registry] });
  const mDuration = new Histogram({ name: 'anoguard_gateway_request_duration_seconds', help: 'Request duration', labelNames: ['method'], buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [registry] });
  const mLimited = new Counter({ name: 'anoguard_gateway_rate_limited_total', help: 'Requests refused with 429', labelNames: ['scope'], registers: [registry] });
  const mAuthFail = new Counter({ name: 'anoguard_gateway_auth_failures_total', help: 'Requests refused with 401', registers: [registry] });
  const mCache = new Counter({ name: 'anoguard_gateway_cache_total', help: 'Cache lookups', labelNames: ['method', 'result'], registers: [registry] });
  const mUp = new Gauge({ name: 'anoguard_gateway_upstream_up', help: '1 when the upstream passes health checks', labelNames: ['upstream'], registers: [registry] });
  const mHeight = new Gauge({ name: 'anoguard_gateway_upstream_leader_height', help: 'Leader height reported by the upstream', labelNames: ['upstream'], registers: [registry] });
  const mConns = new Gauge({ name: 'anoguard_gateway_open_connections', help: 'Open client connections', registers: [registry] });
  const mRefusedConns = new Counter({ name: 'anoguard_gateway_connections_refused_total', help: 'Connections closed at once (per-IP cap)', registers: [registry] });

  const authenticate = createAuthenticator(cfg.auth);
  const ipLimiter = makeLimiter(cfg.limits.perIp, 'ip');
  const keyLimiters = new Map<string, Limiter>();
  const defaultKeyLimiter = makeLimiter(cfg.limits.perKey, 'key');
  const limiterFor = (p: Principal): Limiter => {
    if (p.kind === 'anonymous') return ipLimiter;
    if (!p.rate) return defaultKeyLimiter;
    let l = keyLimiters.get(p.name);
    if (!l) { l = makeLimiter(p.rate, `key-${p.name}`); keyLimiters.set(p.name, l); }
    return l;
  };
  const allowed = new Set(cfg.methods.allow);
  const cacheable = new Set<string>(cfg.cache.methods.filter((m) => (CACHEABLE_METHODS as readonly string[]).includes(m)));
  const cache = createAnswerCache(cfg.cache.ttlMs);
  const pool = createUpstreamPool(cfg, (s) => {
    log.warn({ upstream: s.name, up: s.up, error: s.lastError }, s.up ? 'upstream back in service' : 'upstream taken out of service');
  });
  const trustProxy = new Set(cfg.trustProxy);

  const clientIp = (req: http.IncomingMessage): string => {
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (trustProxy.has(peer)) {
      const xff = req.headers['x-forwarded-for'];
      const first = typeof xff === 'string' ? xff.split(',').pop()?.trim() : undefined;
      if (first) return first;
    }
    return peer;
  };

  async function forward(call: RpcCall): Promise<{ status: number; body: string; upstream: string; cache?: 'hit' | 'miss' }> {
    const body = serializeCall(call);
    if (cacheable.has(call.method) && (call.params === undefined || call.params === null || (typeof call.params === 'object' && Object.keys(call.params).length === 0))) {
      let upstreamName = 'cache';
      const { value, hit } = await cache.get(call.method, async (): Promise<CachedAnswer> => {
        const r = await pool.send(serializeCall({ id: 0, method: call.method, params: call.params }), true);
        upstreamName = r.upstream;
        const parsed = JSON.parse(r.body.toString('utf8')) as { result?: unknown; error?: unknown };
        const isError = r.status !== 200 || parsed.error !== undefined;
        return { status: r.status, resultJson: JSON.stringify(isError ? parsed.error : parsed.result), isError };
      });
      mCache.inc({ method: call.method, result: hit ? 'hit' : 'miss' });
      const field = value.isError ? 'error' : 'result';
      return { status: value.status, body: `{"jsonrpc":"2.0","id":${JSON.stringify(call.id)},"${field}":${value.resultJson}}`, upstream: upstreamName, cache: hit ? 'hit' : 'miss' };
    }
    const r = await pool.send(body, !WRITES.has(call.method));
    return { status: r.status, body: r.body.toString('utf8'), upstream: r.upstream };
  }

  /** One call → its reply; the method gate runs here so a batch cannot smuggle a forbidden method. */
  async function handleCall(call: RpcCall, principal: Principal): Promise<{ status: number; body: string; upstream?: string; cache?: string }> {
    const method = call.method;
    if (!allowed.has(method) || (WRITES.has(method) && !principal.allowWrites)) {
      return { status: 403, body: JSON.stringify(errorReply(call.id, METHOD_NOT_FOUND, 'Method not found', 'method not allowed by the gateway')) };
    }
    try {
      return await forward(call);
    } catch (e) {
      const msg = e instanceof UpstreamError ? 'upstream unavailable' : 'upstream answer could not be read';
      log.error({ method, upstream: e instanceof UpstreamError ? e.upstream : undefined, err: (e as Error).message }, msg);
      return { status: 502, body: JSON.stringify(errorReply(call.id, INTERNAL_ERROR, 'Internal error', msg)) };
    }
  }

  function send(res: http.ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  }

  function tooMany(res: http.ServerResponse, r: unknown, scope: string): void {
    mLimited.inc({ scope });
    const ms = r instanceof RateLimiterRes ? r.msBeforeNext : 1000;
    send(res, 429, JSON.stringify(errorReply(null, -32000, 'Too many requests')), { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) });
  }

  async function onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const ip = clientIp(req);
    let label = '-';
    let principalName = '-';
    let upstream: string | undefined;
    let cacheState: string | undefined;
    res.on('finish', () => {
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      mRequests.inc({ method: label, status: String(res.statusCode) });
      mDuration.observe({ method: label }, secs);
      log.info({ ip, principal: principalName, method: label, status: res.statusCode, ms: Math.round(secs * 1e6) / 1e3, upstream, cache: cacheState }, 'request');
    });

    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') {
      const n = pool.healthyCount();
      send(res, n > 0 ? 200 : 503, JSON.stringify({ status: n > 0 ? 'ok' : 'no healthy upstream', healthyUpstreams: n }));
      return;
    }
    if (path !== '/v2') { label = 'not-found'; send(res, 404, '{"error":"not found"}'); return; }
    if (req.method !== 'POST') { label = 'bad-method'; send(res, 405, '{"error":"use POST"}', { allow: 'POST' }); return; }

    const auth = await authenticate(req.headers);
    if (!auth.ok) {
      mAuthFail.inc();
      label = 'unauthorized';
      // A failed login also spends the address's allowance, so guessing is rate limited too.
      try { await ipLimiter.consume(ip); } catch (r) { tooMany(res, r, 'ip'); return; }
      send(res, 401, JSON.stringify(errorReply(null, -32000, auth.reason === 'missing' ? 'Authentication required' : 'Authentication failed')), { 'www-authenticate': 'Basic realm="anoguard gateway"' });
      return;
    }
    const principal = auth.principal;
    principalName = principal.name;
    const limiter = limiterFor(principal);
    const limitKey = principal.kind === 'anonymous' ? ip : principal.name;
    try { await limiter.consume(limitKey); } catch (r) { label = 'rate-limited'; tooMany(res, r, principal.kind === 'anonymous' ? 'ip' : 'key'); return; }

    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > cfg.limits.maxBodyBytes) { label = 'too-large'; send(res, 413, JSON.stringify(errorReply(null, -32600, 'Invalid Request', `body larger than ${cfg.limits.maxBodyBytes} bytes`)), { connection: 'close' }); return; }
    const body = await new Promise<Buffer | undefined>((resolve) => {
      const chunks: Buffer[] = [];
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        if (n > cfg.limits.maxBodyBytes) { req.removeAllListeners('data'); req.pause(); resolve(undefined); return; }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', () => resolve(undefined));
      req.on('aborted', () => resolve(undefined));
    });
    if (!body) { label = 'too-large'; if (!res.headersSent && !req.destroyed) send(res, 413, JSON.stringify(errorReply(null, -32600, 'Invalid Request', `body larger than ${cfg.limits.maxBodyBytes} bytes`)), { connection: 'close' }); return; }

    const parsed = parseRpcBody(body, cfg.limits);
    if (parsed.kind === 'invalid') { label = 'invalid'; send(res, 400, JSON.stringify(parsed.reply)); return; }
    if (parsed.kind === 'single') {
      label = parsed.call.method.length <= 40 ? parsed.call.method : 'long-method';
      if (!allowed.has(parsed.call.method)) label = 'forbidden';
      const r = await handleCall(parsed.call, principal);
      upstream = r.upstream;
      cacheState = r.cache;
      send(res, r.status, r.body);
      return;
    }
    label = 'batch';
    // Each element of a batch is one request against the allowance.
    if (parsed.items.length > 1) {
      try { await limiter.consume(limitKey, parsed.items.length - 1); } catch (r) { tooMany(res, r, principal.kind === 'anonymous' ? 'ip' : 'key'); return; }
    }
    const replies = await Promise.all(parsed.items.map(async (item): Promise<unknown> => {
      if ('error' in item) return item;
      const r = await handleCall(item, principal);
      try { return JSON.parse(r.body) as unknown; } catch { return errorReply(item.id, INTERNAL_ERROR, 'Internal error', 'upstream answer could not be read'); }
    }));
    send(res, 200, JSON.stringify(replies));
  }

  const serverOpts: http.ServerOptions = {
    headersTimeout: cfg.limits.headersTimeoutMs,
    requestTimeout: cfg.limits.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    maxHeaderSize: 16 * 1024,
    // Node only enforces headersTimeout/requestTimeout when it sweeps connections (default every
    // 30 s), which would let a slow sender hold a socket far longer than configured.
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(cfg.limits.headersTimeoutMs / 2))),
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    onRequest(req, res).catch((e: unknown) => {
      log.error({ err: (e as Error).message }, 'request failed');
      if (!res.headersSent) send(res, 500, JSON.stringify(errorReply(null, INTERNAL_ERROR, 'Internal error')));
      else res.destroy();
    });
  };
  const loadTls = () => ({ cert: readFileSync(cfg.tls!.cert), key: readFileSync(cfg.tls!.key) });
  const server: http.Server = cfg.tls
    ? https.createServer({ ...serverOpts, ...loadTls(), minVersion: 'TLSv1.2' }, handler)
    : http.createServer(serverOpts, handler);
  server.maxConnections = cfg.limits.maxConnections;
  server.maxHeadersCount = 64;

  const perIp = new Map<string, number>();
  server.on('connection', (sock: Socket) => {
    const ip = sock.remoteAddress ?? 'unknown';
    const n = (perIp.get(ip) ?? 0) + 1;
    if (n > cfg.limits.maxConnectionsPerIp) { mRefusedConns.inc(); sock.destroy(); return; }
    perIp.set(ip, n);
    mConns.inc();
    sock.once('close', () => {
      mConns.dec();
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip); else perIp.set(ip, left);
    });
  });
  // With a clientError listener Node leaves the socket open; a slow sender would keep it half-open
  // by writing on, so answer and then destroy it.
  server.on('clientError', (err: NodeJS.ErrnoException, sock: Socket) => {
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (sock.writable) {
      sock.once('finish', () => sock.destroy());
      sock.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    } else sock.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.listen.port, cfg.listen.host, () => { server.off('error', reject); resolve(); });
  });
  pool.start();

  const refreshGauges = () => {
    for (const s of pool.states()) {
      mUp.set({ upstream: s.name }, s.up ? 1 : 0);
      if (s.leaderHeight !== undefined) mHeight.set({ upstream: s.name }, s.leaderHeight);
    }
  };
  let metricsServer: http.Server | undefined;
  if (cfg.metrics) {
    metricsServer = http.createServer((req, res) => {
      if (req.url !== '/metrics') { res.writeHead(404).end(); return; }
      refreshGauges();
      registry.metrics().then((text) => { res.writeHead(200, { 'content-type': registry.contentType }); res.end(text); }, () => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => metricsServer!.listen(cfg.metrics!.port, cfg.metrics!.host, resolve));
  }

  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const maddr = metricsServer?.address() as AddressInfo | undefined;
  return {
    url: `${cfg.tls ? 'https' : 'http'}://${host}:${addr.port}`,
    metricsUrl: maddr ? `http://${maddr.address}:${maddr.port}/metrics` : undefined,
    registry,
    reloadTls(): void {
      if (!cfg.tls) return;
      (server as https.Server).setSecureContext(loadTls());
      log.info('TLS certificate reloaded');
    },
    upstreams: () => { refreshGauges(); return pool.states(); },
    async close(): Promise<void> {
      pool.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      log.flush?.();
    },
  };
}
