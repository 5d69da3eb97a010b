import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import { isIP } from 'node:net';
import { MAX_BATCH_BYTES } from '../agent/payload.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log.js';
import { auditIngestRoutes } from './ingest/audit.js';
import { ingestRoutes } from './ingest/plugin.js';
import { controlRoutes } from './failover/routes.js';
import type { ControlHub } from './failover/hub.js';
import { metricsRoutes } from './metrics/plugin.js';
import { createServerMetrics, type ServerMetrics } from './metrics/self.js';
import type { AppDb } from './state/appdb.js';
import type { Store } from './store/types.js';
import { loadSecureContext, watchRevocations, type TlsFiles } from './tls.js';

export interface IngestServerOptions {
  store: Store;
  tls: TlsFiles;
  logger: Logger;
  metrics?: ServerMetrics;
  maxInFlight?: number;
  crlPollMs?: number;
  /** The server's app database: with it, `POST /ingest/v1/audit` stores each host's latest `anoguard audit --push`. */
  appDb?: AppDb;
  /** The failover control channel: with it, `POST /v1/control` (agents' leases, commands, status). */
  control?: ControlHub;
}

/**
 * The agents' listener: HTTPS with mandatory client certificates from our CA (TLS 1.3 only). The
 * CRL is enforced in the handshake (OpenSSL refuses a revoked certificate) and per request (a
 * connection opened before the revoke is refused at its next batch).
 */
export async function buildIngestServer(opts: IngestServerOptions): Promise<FastifyInstance<HttpsServer>> {
  let ctx = loadSecureContext(opts.tls);
  const log: FastifyBaseLogger = opts.logger.child({ listener: 'ingest' });
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BATCH_BYTES,
    https: { ...ctx, requestCert: true, rejectUnauthorized: true },
    // Agents keep one connection open between batches.
    keepAliveTimeout: 75_000,
    requestTimeout: 30_000,
  });
  const revocation = await watchRevocations(opts.tls, opts.logger, () => {
    ctx = loadSecureContext(opts.tls);
    (app.server).setSecureContext({ ...ctx });
  }, opts.crlPollMs);
  app.addHook('onClose', async () => revocation.close());
  await app.register(ingestRoutes, {
    store: opts.store,
    isRevoked: (serial: string) => revocation.isRevoked(serial),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.maxInFlight !== undefined ? { maxInFlight: opts.maxInFlight } : {}),
  });
  if (opts.control) await app.register(controlRoutes, { hub: opts.control, isRevoked: (serial: string) => revocation.isRevoked(serial) });
  if (opts.appDb) await app.register(auditIngestRoutes, { db: opts.appDb, isRevoked: (serial: string) => revocation.isRevoked(serial) });
  return app;
}

export interface WebServerOptions {
  store: Store;
  logger: Logger;
  /** The address it will listen on: decides whether /metrics may be open. */
  host: string;
  metricsToken?: string;
  metrics?: ServerMetrics;
  /** PEM certificate chain and key: the web listener speaks HTTPS (required off loopback by `start`). */
  https?: { cert: string; key: string };
  /** Route groups added by other parts (dashboard API, auth, static app), each a fastify plugin. */
  plugins?: { plugin: FastifyPluginAsync<Record<string, unknown>>; options?: Record<string, unknown> }[];
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * The operators' listener (plain HTTP on loopback by default): /metrics now, the dashboard later.
 * Off loopback, /metrics must be token-protected; the caller decides about TLS for the dashboard.
 */
export async function buildWebServer(opts: WebServerOptions): Promise<FastifyInstance> {
  if (!isLoopback(opts.host) && opts.metricsToken === undefined) {
    throw new InputError('E_METRICS_OPEN', `listening on ${opts.host} needs a metrics token (--metrics-token-file)`, { field: 'web-listen', exitCode: 2 });
  }
  const log: FastifyBaseLogger = opts.logger.child({ listener: 'web' });
  const app = (opts.https
    ? Fastify({ loggerInstance: log, logController: new LogController({ disableRequestLogging: true }), https: { ...opts.https, minVersion: 'TLSv1.2' } })
    : Fastify({ loggerInstance: log, logController: new LogController({ disableRequestLogging: true }) })) as unknown as FastifyInstance;
  await app.register(metricsRoutes, {
    store: opts.store,
    ...(opts.metricsToken !== undefined ? { token: opts.metricsToken } : {}),
    ...(opts.metrics ? { registries: [opts.metrics.registry] } : {}),
  });
  for (const p of opts.plugins ?? []) await app.register(p.plugin, p.options ?? {});
  return app;
}

export { createServerMetrics };
