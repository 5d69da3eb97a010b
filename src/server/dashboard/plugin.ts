import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Logger } from '../../log.js';
import { listAudit, recordAudit } from '../accounts/audit.js';
import { createSession, csrfMatches, endSession, readSession, SESSION_COOKIE, SESSION_TTL_MS, type Session } from '../accounts/sessions.js';
import { authenticate } from '../accounts/users.js';
import type { AlertConfig } from '../alerts/config.js';
import { addSilence, alertHistory, listSilences, removeSilence } from '../alerts/history.js';
import type { AlertService } from '../alerts/service.js';
import { recentDeliveries } from '../notify/deliver.js';
import type { AppDb } from '../state/appdb.js';
import { latestAuditReport, summarizeAudit } from '../state/audit-reports.js';
import type { Store } from '../store/types.js';
import { buildChart, CHARTS, type ChartName } from './charts.js';
import { buildOverview } from './overview.js';
import { swapRoutes, type FailoverApi } from './swaps.js';

export interface DashboardOptions {
  store: Store;
  db: AppDb;
  alerts: AlertService;
  alertConfig: AlertConfig;
  logger: Logger;
  /** directory of the built app (web/dist) */
  staticDir: string;
  /** cookies get `Secure` (the listener is HTTPS) */
  secureCookies: boolean;
  /** shown as a banner: the data comes from a simulated network */
  demo?: boolean;
  /** the server's failover controller; undefined (or returning undefined) = not configured */
  failover?: () => FailoverApi | undefined;
  now?: () => number;
  /** server-sent events push period */
  streamIntervalMs?: number;
}

declare module 'fastify' {
  interface FastifyRequest { session?: Session }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
};
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function cookieOf(req: FastifyRequest, name: string): string | undefined {
  const h = req.headers.cookie;
  if (!h) return undefined;
  for (const part of h.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

function fail(reply: FastifyReply, status: number, code: string, message: string, field?: string) {
  return reply.code(status).send({ error: { code, message, ...(field ? { field } : {}) } });
}

const LoginBody = z.object({ user: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict();
const SilenceBody = z.object({
  rule: z.string().max(64).optional(), node: z.string().max(256).optional(),
  minutes: z.number().int().min(1).max(60 * 24 * 30), comment: z.string().max(500).default(''),
}).strict().refine((s) => s.rule !== undefined || s.node !== undefined, { message: 'give a rule or a node to match', path: ['rule'] });

function bad(reply: FastifyReply, e: z.ZodError) {
  const i = e.issues[0]!;
  return fail(reply, 400, 'E_BAD_INPUT', i.message, i.path.join('.') || 'body');
}

/**
 * The dashboard: the static app, its JSON API and the live stream. Every /api route but login needs
 * a session; every state change needs the session's CSRF token in `x-csrf-token` and a same-origin
 * request; operator actions need the operator role and are written to the audit log.
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, o) => {
  const now = o.now ?? Date.now;
  const db = o.db;
  const limiter = new RateLimiterMemory({ points: 10, duration: 15 * 60 });

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('content-security-policy', CSP);
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.addHook('preHandler', async (req, reply) => {
    if (!req.url.startsWith('/api/')) return;
    const path = req.url.split('?')[0]!;
    if (path === '/api/login') return;
    const s = readSession(db, cookieOf(req, SESSION_COOKIE), now());
    if (!s) return fail(reply, 401, 'E_AUTH', 'log in first');
    req.session = s;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!csrfMatches(s, req.headers['x-csrf-token'] as string | undefined)) return fail(reply, 403, 'E_CSRF', 'missing or wrong CSRF token', 'x-csrf-token');
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== 'null' && new URL(origin).host !== req.headers.host) return fail(reply, 403, 'E_ORIGIN', 'cross-origin request refused', 'origin');
    }
    return undefined;
  });

  const operator = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.session?.role !== 'operator') return fail(reply, 403, 'E_FORBIDDEN', 'operators only');
    return undefined;
  };
  const audit = (req: FastifyRequest, action: string, detail: Record<string, unknown>) =>
    recordAudit(db, { at: now(), user: req.session?.user ?? '?', action, detail, ip: req.ip });

  const cookie = (value: string, maxAgeS: number) =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${o.secureCookies ? '; Secure' : ''}`;

  app.post('/api/login', async (req, reply) => {
    const body = LoginBody.safeParse(req.body);
    if (!body.success) return bad(reply, body.error);
    try {
      await limiter.consume(`${req.ip}|${body.data.user}`);
    } catch {
      return fail(reply, 429, 'E_RATE', 'too many login attempts; wait 15 minutes');
    }
    const user = await authenticate(db, body.data.user, body.data.password);
    if (!user) {
      o.logger.warn({ user: body.data.user, ip: req.ip }, 'login failed');
      return fail(reply, 401, 'E_LOGIN', 'wrong user or password');
    }
    await limiter.delete(`${req.ip}|${body.data.user}`);
    const s = createSession(db, user.name, now());
    recordAudit(db, { at: now(), user: user.name, action: 'login', detail: {}, ip: req.ip });
    reply.header('set-cookie', cookie(s.id, SESSION_TTL_MS / 1000));
    return { user: user.name, role: user.role, csrf: s.csrf, demo: o.demo === true };
  });

  app.post('/api/logout', async (req, reply) => {
    const id = cookieOf(req, SESSION_COOKIE);
    if (id) endSession(db, id);
    reply.header('set-cookie', cookie('', 0));
    return { ok: true };
  });

  app.get('/api/session', async (req) => ({ user: req.session!.user, role: req.session!.role, csrf: req.session!.csrf, demo: o.demo === true }));

  const overview = () => buildOverview(o.store, o.alerts.active(), now(), o.alertConfig.agentSilent.after);
  app.get('/api/overview', async () => ({ ...(await overview()), demo: o.demo === true }));

  const Range = z.object({ from: z.coerce.number().int().nonnegative().optional(), to: z.coerce.number().int().nonnegative().optional() });
  app.get<{ Params: { node: string; chart: string } }>('/api/nodes/:node/charts/:chart', async (req, reply) => {
    if (!(CHARTS as readonly string[]).includes(req.params.chart)) return fail(reply, 404, 'E_NO_CHART', `charts: ${CHARTS.join(', ')}`, 'chart');
    const r = Range.safeParse(req.query);
    if (!r.success) return bad(reply, r.error);
    const to = r.data.to ?? now();
    const from = r.data.from ?? to - 3_600_000;
    if (from >= to) return fail(reply, 400, 'E_BAD_RANGE', 'from must be before to', 'from');
    return buildChart(o.store, req.params.node, req.params.chart as ChartName, from, to);
  });

  app.get<{ Params: { node: string } }>('/api/nodes/:node', async (req) => {
    const node = req.params.node;
    const [latest, events, agents] = await Promise.all([
      o.store.latest({ node }),
      o.store.queryEvents({ node, limit: 100 }),
      o.store.agents(),
    ]);
    // The latest `anoguard audit --push` of this node (score, failed checks by severity, time).
    const pushedAudit = latestAuditReport(db, node);
    const factomd = latest.filter((l) => l.name.startsWith('factomd_')).map((l) => ({ name: l.name, labels: l.labels, value: l.value, t: l.t }));
    return {
      node, lastSeen: agents.find((a) => a.agent === node)?.lastSeen ?? null, factomd,
      security: events.filter((e) => /^(ssh|fim|listener)\./.test(e.kind)),
      audit: pushedAudit ? summarizeAudit(pushedAudit) : events.find((e) => e.kind.startsWith('audit.')) ?? null,
      events, alerts: o.alerts.active().filter((a) => a.node.split(',').includes(node)),
    };
  });

  const EventsQ = z.object({
    node: z.string().max(64).optional(), kind: z.string().max(64).optional(), severity: z.enum(['info', 'warning', 'critical']).optional(),
    limit: z.coerce.number().int().min(1).max(2000).optional(),
  });
  app.get('/api/events', async (req, reply) => {
    const q = EventsQ.safeParse(req.query);
    if (!q.success) return bad(reply, q.error);
    return o.store.queryEvents({
      limit: q.data.limit ?? 300, ...(q.data.node ? { node: q.data.node } : {}), ...(q.data.kind ? { kinds: [q.data.kind] } : {}),
      ...(q.data.severity ? { minSeverity: q.data.severity } : {}),
    });
  });

  app.get('/api/alerts', async () => ({
    active: o.alerts.active(), history: alertHistory(db, 200), silences: listSilences(db, now()), deliveries: recentDeliveries(db, 50),
  }));

  await app.register(swapRoutes, { failover: o.failover ?? (() => undefined), audit, now, logger: o.logger });

  app.post('/api/silences', { preHandler: operator }, async (req, reply) => {
    const b = SilenceBody.safeParse(req.body);
    if (!b.success) return bad(reply, b.error);
    const s = addSilence(db, {
      ...(b.data.rule ? { rule: b.data.rule } : {}), ...(b.data.node ? { node: b.data.node } : {}),
      endsAt: now() + b.data.minutes * 60_000, createdBy: req.session!.user, comment: b.data.comment,
    });
    audit(req, 'silence.add', { id: s.id, rule: s.rule ?? null, node: s.node ?? null, minutes: b.data.minutes, comment: s.comment });
    return s;
  });

  app.delete<{ Params: { id: string } }>('/api/silences/:id', { preHandler: operator }, async (req, reply) => {
    if (!removeSilence(db, req.params.id)) return fail(reply, 404, 'E_NO_SILENCE', 'no such silence', 'id');
    audit(req, 'silence.remove', { id: req.params.id });
    return { ok: true };
  });

  app.post('/api/alerts/evaluate', { preHandler: operator }, async (req) => {
    const t = await o.alerts.evaluate();
    audit(req, 'alerts.evaluate', { transitions: t.length });
    return { transitions: t.length };
  });

  app.get('/api/audit-log', { preHandler: operator }, async () => listAudit(db, 200));

  const streams = new Set<() => void>();
  app.addHook('onClose', async () => { for (const c of [...streams]) c(); });
  app.get('/api/stream', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    let closed = false;
    let busy = false;
    const push = async () => {
      if (closed || busy) return;
      busy = true;
      try {
        if (!readSession(db, cookieOf(req, SESSION_COOKIE), now())) {
          res.write('event: logout\ndata: {}\n\n');
          close();
          return;
        }
        res.write(`event: overview\ndata: ${JSON.stringify(await overview())}\n\n`);
      } catch (e) {
        o.logger.warn({ err: (e as Error).message }, 'stream push failed');
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void push(), o.streamIntervalMs ?? 3000);
    const off = o.alerts.onChange((ts) => {
      if (!closed) res.write(`event: alerts\ndata: ${JSON.stringify(ts.map((t) => ({ type: t.type, key: t.alert.key, summary: t.alert.summary })))}\n\n`);
      void push();
    });
    function close() {
      if (closed) return;
      closed = true;
      streams.delete(close);
      clearInterval(timer);
      off();
      res.end();
    }
    streams.add(close);
    req.raw.on('close', close);
    // No push on connect: the page fetched /api/overview itself just before opening the stream.
  });

  // The static app: the file list is read once; anything else under / falls back to index.html.
  const files = new Map<string, { body: Buffer; type: string }>();
  if (existsSync(o.staticDir)) {
    const walk = (dir: string, prefix: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
        else files.set(`/${prefix}${e.name}`, { body: readFileSync(join(dir, e.name)), type: TYPES[extname(e.name)] ?? 'application/octet-stream' });
      }
    };
    walk(o.staticDir, '');
  }
  app.get('/*', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (path.startsWith('/api/')) return fail(reply, 404, 'E_NOT_FOUND', 'no such API route');
    const f = files.get(path) ?? files.get('/index.html');
    if (!f) return reply.code(503).type('text/plain').send('dashboard not built: run `npm run build`');
    reply.header('cache-control', path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.type(f.type).send(f.body);
  });
};
