import http from 'node:http';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { AddressInfo, Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { REDACT_PATHS } from '../log.js';
import type { GatewayConfig } from './config.js';
import { createAuthenticator, type AuthResult, type Principal } from './auth.js';
import { createUpstreamPool, UpstreamError } from './upstream.js';
import { createAnswerCache, replyBytes, type CachedAnswer } from './cache.js';
import { createTokenBuckets, type TokenBuckets } from './ratelimit.js';
import { parseRpcBody, serializeCall, errorReply, INTERNAL_ERROR, METHOD_NOT_FOUND, type RpcCall } from './jsonrpc.js';
import { CACHEABLE_METHODS, WRITE_METHODS } from './methods.js';
import { createLeanServer, type HttpRequest, type HttpResponder } from './http-server.js';

export interface GatewayOptions {
  /** event log (upstream health, errors); default: asynchronous stdout */
  logger?: Logger;
  /**
   * Where access-log lines (one JSON object and a newline each) go. Default: the same stdout
   * stream as the event log when no `logger` is given, else the logger's `info` level.
   */
  accessLog?: { write(line: string): unknown };
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
/** Access-log lines waiting for a slow stdout are dropped past this, so a blocked log cannot grow the heap without bound. */
const ACCESS_LOG_MAX_BUFFER = 16 * 1024 * 1024;

interface Reply {
  status: number;
  body: string | Buffer;
  upstream?: string | undefined;
  cache?: 'hit' | 'miss' | undefined;
}

/** What the access log and metrics need about one request, filled in as it goes. */
interface RequestState {
  started: number;
  ip: string;
  label: string;
  principal: string;
  upstream: string | undefined;
  cache: string | undefined;
}

function hasNoParams(params: unknown): boolean {
  if (params === undefined || params === null) return true;
  if (typeof params !== 'object') return false;
  for (const _ in params) return false;
  return true;
}

/**
 * Starts the RPC gateway: TLS, authentication, per-IP and per-principal rate limits, connection
 * caps and timeouts against slow senders, strict JSON-RPC validation, a method allow-list, a short
 * cache for hot reads, and failover across several upstream followers. Only POST /v2 is forwarded:
 * /debug and the control panel never are (factomd-ops.md §3.4: /debug leaks the signing key).
 *
 * The per-request path is kept lean because it competes with TLS for one core: authentication
 * and rate limits are synchronous map lookups, cache hits are a byte copy, upstream answers pass
 * through as bytes, metric children are looked up once per label set, and the access log is one
 * preformatted line into a buffered stream (no per-request logger object or redaction walk: its
 * fields never hold credentials).
 */
export async function startGateway(cfg: GatewayConfig, opts: GatewayOptions = {}): Promise<Gateway> {
  let stdout: ReturnType<typeof pino.destination> | undefined;
  let log: Logger;
  if (opts.logger) log = opts.logger;
  else {
    // Large, infrequent writes: each asynchronous write wakes a thread-pool thread, which on a
    // gateway pinned to one core cost about 5 % of its CPU at 4 KiB per write (profiled). Lines
    // still reach stdout within a second when traffic is light.
    stdout = pino.destination({ dest: 1, sync: false, minLength: 32 * 1024, maxWrite: 64 * 1024, periodicFlush: 1000, maxLength: ACCESS_LOG_MAX_BUFFER });
    log = pino({ base: { component: 'gateway' }, redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' } }, stdout);
  }
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
  const mLogDropped = new Counter({ name: 'anoguard_gateway_access_log_dropped_total', help: 'Access-log writes dropped because the log destination fell behind', registers: [registry] });

  // Label sets are bounded (allowed methods and a few fixed labels, a handful of statuses), so the
  // metric children can be kept: prom-client hashes the label object on every call otherwise.
  const requestChildren = new Map<string, Counter.Internal>();
  const durationChildren = new Map<string, Histogram.Internal<'method'>>();
  const cacheChildren = new Map<string, Counter.Internal>();
  const countRequest = (label: string, status: number, secs: number): void => {
    const k = `${label} ${status}`;
    let c = requestChildren.get(k);
    if (c === undefined) { c = mRequests.labels(label, String(status)); requestChildren.set(k, c); }
    c.inc();
    let h = durationChildren.get(label);
    if (h === undefined) { h = mDuration.labels(label); durationChildren.set(label, h); }
    h.observe(secs);
  };
  const countCache = (method: string, hit: boolean): void => {
    const k = `${method} ${hit ? 'hit' : 'miss'}`;
    let c = cacheChildren.get(k);
    if (c === undefined) { c = mCache.labels(method, hit ? 'hit' : 'miss'); cacheChildren.set(k, c); }
    c.inc();
  };

  const accessSink = opts.accessLog ?? stdout;
  // sonic-boom hands back what it dropped: count its lines.
  if (stdout && accessSink === stdout) stdout.on('drop', (data: unknown) => mLogDropped.inc(typeof data === 'string' ? Math.max(1, data.split('\n').length - 1) : 1));
  // Lines go to stdout 16 KiB or 200 ms at a time: a write costs sonic-boom more than formatting a
  // line costs us (about 2 µs a call, measured), and a small write per event-loop turn made it
  // re-measure its growing buffer each time. A caller's own sink gets each line as it is made.
  const batch = accessSink === stdout ? 16 * 1024 : 0;
  let pendingLog = '';
  let flushTimer: NodeJS.Timeout | undefined;
  const flushAccess = (): void => {
    if (flushTimer) { clearTimeout(flushTimer); flushTimer = undefined; }
    if (pendingLog.length === 0 || !accessSink) return;
    const lines = pendingLog;
    pendingLog = '';
    accessSink.write(lines);
  };
  const accessLog = (st: RequestState, status: number, ms: number): void => {
    if (accessSink) {
      // The same shape pino writes for the event log; every string field goes through JSON.stringify.
      pendingLog += `{"level":30,"time":${Date.now()},"component":"gateway","ip":${JSON.stringify(st.ip)},"principal":${JSON.stringify(st.principal)},"method":${JSON.stringify(st.label)},"status":${status},"ms":${ms}${st.upstream === undefined ? '' : `,"upstream":${JSON.stringify(st.upstream)}`}${st.cache === undefined ? '' : `,"cache":"${st.cache}"`},"msg":"request"}\n`;
      if (pendingLog.length >= batch) flushAccess();
      else if (!flushTimer) { flushTimer = setTimeout(flushAccess, 200); flushTimer.unref(); }
    } else if (log.isLevelEnabled('info')) {
      log.info({ ip: st.ip, principal: st.principal, method: st.label, status, ms, upstream: st.upstream, cache: st.cache }, 'request');
    }
  };

  const authenticate = createAuthenticator(cfg.auth);
  const ipBuckets = createTokenBuckets(cfg.limits.perIp);
  const defaultKeyBuckets = createTokenBuckets(cfg.limits.perKey);
  const ownBuckets = new Map<string, TokenBuckets>();
  const bucketsFor = (p: Principal): TokenBuckets => {
    if (p.kind === 'anonymous') return ipBuckets;
    if (!p.rate) return defaultKeyBuckets;
    let b = ownBuckets.get(p.name);
    if (!b) { b = createTokenBuckets(p.rate); ownBuckets.set(p.name, b); }
    return b;
  };
  const sweeper = setInterval(() => {
    const now = performance.now();
    ipBuckets.sweep(now);
    defaultKeyBuckets.sweep(now);
    for (const b of ownBuckets.values()) b.sweep(now);
  }, 10_000);
  sweeper.unref();

  const allowed = new Set(cfg.methods.allow);
  const cacheable = new Set<string>(cfg.cache.methods.filter((m) => (CACHEABLE_METHODS as readonly string[]).includes(m)));
  const cache = createAnswerCache(cfg.cache.ttlMs);
  const pool = createUpstreamPool(cfg, (s) => {
    log.warn({ upstream: s.name, up: s.up, error: s.lastError }, s.up ? 'upstream back in service' : 'upstream taken out of service');
  });
  const trustProxy = new Set(cfg.trustProxy);

  const clientIp = (req: HttpRequest): string => {
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (trustProxy.size > 0 && trustProxy.has(peer)) {
      const xff = req.headers['x-forwarded-for'];
      const first = typeof xff === 'string' ? xff.split(',').pop()?.trim() : undefined;
      if (first) return first;
    }
    return peer;
  };

  /** Fetches one cacheable answer from an upstream and keeps only what every caller shares. */
  async function loadShared(method: string, params: unknown): Promise<CachedAnswer & { upstream: string }> {
    const r = await pool.send(serializeCall({ id: 0, method, params }), true);
    const parsed = JSON.parse(r.body.toString('utf8')) as { result?: unknown; error?: unknown };
    const isError = r.status !== 200 || parsed.error !== undefined;
    const tail = Buffer.from(`,"${isError ? 'error' : 'result'}":${JSON.stringify(isError ? parsed.error : parsed.result) ?? 'null'}}`);
    return { status: r.status, tail, isError, upstream: r.upstream };
  }

  async function forward(call: RpcCall): Promise<Reply> {
    if (cacheable.has(call.method) && hasNoParams(call.params)) {
      const fresh = cache.peek(call.method, Date.now());
      if (fresh !== undefined) {
        countCache(call.method, true);
        return { status: fresh.status, body: replyBytes(JSON.stringify(call.id), fresh), upstream: 'cache', cache: 'hit' };
      }
      let upstreamName = 'cache';
      const { value, hit } = await cache.get(call.method, async () => {
        const a = await loadShared(call.method, call.params);
        upstreamName = a.upstream;
        return a;
      });
      countCache(call.method, hit);
      return { status: value.status, body: replyBytes(JSON.stringify(call.id), value), upstream: upstreamName, cache: hit ? 'hit' : 'miss' };
    }
    // The upstream echoes the caller's id, so its bytes go back unchanged.
    const r = await pool.send(serializeCall(call), !WRITES.has(call.method));
    return { status: r.status, body: r.body, upstream: r.upstream };
  }

  /** One call → its reply; the method gate runs here so a batch cannot smuggle a forbidden method. */
  async function handleCall(call: RpcCall, principal: Principal): Promise<Reply> {
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

  /** Answers, then counts and logs the request (every answer goes through here). */
  function send(res: HttpResponder, st: RequestState, status: number, body: string | Buffer, extra?: string): void {
    res.send(status, body, extra);
    const ms = performance.now() - st.started;
    countRequest(st.label, status, ms / 1000);
    accessLog(st, status, Math.round(ms * 1000) / 1000);
  }

  function tooMany(res: HttpResponder, st: RequestState, waitMs: number, scope: 'ip' | 'key'): void {
    mLimited.inc({ scope });
    send(res, st, 429, JSON.stringify(errorReply(null, -32000, 'Too many requests')), `retry-after: ${Math.max(1, Math.ceil(waitMs / 1000))}\r\n`);
  }

  async function onRequest(req: HttpRequest, res: HttpResponder, st: RequestState): Promise<void> {
    const url = req.target;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (req.method === 'GET' && path === '/health') {
      const n = pool.healthyCount();
      send(res, st, n > 0 ? 200 : 503, JSON.stringify({ status: n > 0 ? 'ok' : 'no healthy upstream', healthyUpstreams: n }));
      return;
    }
    if (path !== '/v2') { st.label = 'not-found'; send(res, st, 404, '{"error":"not found"}'); return; }
    if (req.method !== 'POST') { st.label = 'bad-method'; send(res, st, 405, '{"error":"use POST"}', 'allow: POST\r\n'); return; }

    const pending = authenticate(req.headers);
    const auth: AuthResult = pending instanceof Promise ? await pending : pending;
    if (!auth.ok) {
      mAuthFail.inc();
      st.label = 'unauthorized';
      // A failed login also spends the address's allowance, so guessing is rate limited too.
      const wait = ipBuckets.take(st.ip, 1, performance.now());
      if (wait > 0) { tooMany(res, st, wait, 'ip'); return; }
      send(res, st, 401, JSON.stringify(errorReply(null, -32000, auth.reason === 'missing' ? 'Authentication required' : 'Authentication failed')), 'www-authenticate: Basic realm="anoguard gateway"\r\n');
      return;
    }
    const principal = auth.principal;
    st.principal = principal.name;
    const buckets = bucketsFor(principal);
    const limitKey = principal.kind === 'anonymous' ? st.ip : principal.name;
    const scope = principal.kind === 'anonymous' ? 'ip' : 'key';
    const wait = buckets.take(limitKey, 1, performance.now());
    if (wait > 0) { st.label = 'rate-limited'; tooMany(res, st, wait, scope); return; }

    // The HTTP layer has already refused bodies over maxBodyBytes (413) before reading them.
    const parsed = parseRpcBody(req.body, cfg.limits);
    if (parsed.kind === 'invalid') { st.label = 'invalid'; send(res, st, 400, JSON.stringify(parsed.reply)); return; }
    if (parsed.kind === 'single') {
      const m = parsed.call.method;
      st.label = !allowed.has(m) ? 'forbidden' : m.length <= 40 ? m : 'long-method';
      const r = await handleCall(parsed.call, principal);
      st.upstream = r.upstream;
      st.cache = r.cache;
      send(res, st, r.status, r.body);
      return;
    }
    st.label = 'batch';
    // Each element of a batch is one request against the allowance.
    if (parsed.items.length > 1) {
      const more = buckets.take(limitKey, parsed.items.length - 1, performance.now());
      if (more > 0) { tooMany(res, st, more, scope); return; }
    }
    const replies = await Promise.all(parsed.items.map(async (item): Promise<unknown> => {
      if ('error' in item) return item;
      const r = await handleCall(item, principal);
      try { return JSON.parse(r.body.toString()) as unknown; } catch { return errorReply(item.id, INTERNAL_ERROR, 'Internal error', 'upstream answer could not be read'); }
    }));
    send(res, st, 200, JSON.stringify(replies));
  }

  const handler = (req: HttpRequest, res: HttpResponder): void => {
    const st: RequestState = { started: performance.now(), ip: clientIp(req), label: '-', principal: '-', upstream: undefined, cache: undefined };
    onRequest(req, res, st).catch((e: unknown) => {
      log.error({ err: (e as Error).message }, 'request failed');
      send(res, st, 500, JSON.stringify(errorReply(null, INTERNAL_ERROR, 'Internal error')));
    });
  };
  // What the HTTP layer refused by itself (framing, sizes, slow senders) is counted and logged too.
  const REFUSAL_LABELS: Record<number, string> = { 408: 'timeout', 411: 'bad-http', 413: 'too-large', 417: 'bad-http', 431: 'too-large', 501: 'bad-http', 505: 'bad-http' };
  const onRefusal = (status: number, sock: Socket): void => {
    const st: RequestState = { started: performance.now(), ip: sock.remoteAddress ?? 'unknown', label: REFUSAL_LABELS[status] ?? 'bad-http', principal: '-', upstream: undefined, cache: undefined };
    countRequest(st.label, status, 0);
    accessLog(st, status, 0);
  };
  const loadTls = () => ({ cert: readFileSync(cfg.tls!.cert), key: readFileSync(cfg.tls!.key) });
  const lean = createLeanServer({
    tls: cfg.tls ? { ...loadTls(), minVersion: 'TLSv1.2' } : undefined,
    maxHeaderBytes: 16 * 1024,
    maxHeaders: 64,
    maxBodyBytes: cfg.limits.maxBodyBytes,
    headersTimeoutMs: cfg.limits.headersTimeoutMs,
    requestTimeoutMs: cfg.limits.requestTimeoutMs,
    keepAliveTimeoutMs: 5_000,
    onRefusal,
  }, handler);
  const server = lean.server;
  server.maxConnections = cfg.limits.maxConnections;

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
      (server as tls.Server).setSecureContext(loadTls());
      log.info('TLS certificate reloaded');
    },
    upstreams: () => { refreshGauges(); return pool.states(); },
    async close(): Promise<void> {
      clearInterval(sweeper);
      pool.close();
      lean.closeAllConnections();
      lean.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      flushAccess();
      log.flush?.();
    },
  };
}
