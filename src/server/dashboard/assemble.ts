import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../log.js';
import { listCerts } from '../../pki/ca.js';
import type { AlertConfig } from '../alerts/config.js';
import { startAlertService, type AlertService } from '../alerts/service.js';
import type { CertInput } from '../alerts/rules.js';
import { createChannel } from '../notify/channels.js';
import type { RetryOptions } from '../notify/deliver.js';
import type { AppDb } from '../state/appdb.js';
import type { Store } from '../store/types.js';
import { dashboardRoutes, type DashboardOptions } from './plugin.js';
import { swapHistory, type FailoverApi } from './swaps.js';

/** web/dist next to src/ or dist/: the same depth from this file either way. */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export interface DashboardParts {
  alerts: AlertService;
  plugin: { plugin: FastifyPluginAsync<Record<string, unknown>>; options: Record<string, unknown> };
  stop(): Promise<void>;
}

/**
 * Everything the web listener needs besides /metrics: the alert service (timer, notifiers) and the
 * dashboard routes, as one plugin entry for runServer's `plugins`.
 */
export function assembleDashboard(o: {
  store: Store; db: AppDb; alertConfig: AlertConfig; logger: Logger; secureCookies: boolean; demo?: boolean; pkiDir?: string;
  staticDir?: string; failover?: () => FailoverApi | undefined; retry?: RetryOptions; streamIntervalMs?: number; dashboardUrl?: string;
}): DashboardParts {
  const channels = o.alertConfig.notifiers.map(createChannel);
  const certs = (): CertInput[] => {
    if (o.pkiDir === undefined || !existsSync(o.pkiDir)) return [];
    try {
      return listCerts(o.pkiDir).certs.map((c) => ({ name: c.name, kind: c.kind, notAfter: Date.parse(c.notAfter), revoked: c.revokedAt !== undefined }));
    } catch {
      return [];
    }
  };
  // The alert rules' view of the journal: open swaps keep their state; finished ones read "done"/"failed".
  const swaps = () => {
    const f = o.failover?.();
    if (!f) return undefined;
    return swapHistory(f.journal()).map((r) => ({
      id: r.id, state: r.final ? (r.verified || r.rolledBack || r.state === 'aborted' ? 'done' : 'failed') : r.state, startedAt: r.startedAt,
      ...(r.endedAt !== undefined ? { endedAt: r.endedAt } : {}),
    }));
  };
  const alerts = startAlertService({
    store: o.store, db: o.db, cfg: o.alertConfig, channels, logger: o.logger.child({ component: 'alerts' }),
    extra: () => {
      const s = swaps();
      return { certs: certs(), ...(s ? { swaps: s } : {}) };
    },
    ...(o.retry ? { retry: o.retry } : {}), ...(o.dashboardUrl ? { dashboardUrl: o.dashboardUrl } : {}),
  });
  const options: DashboardOptions = {
    store: o.store, db: o.db, alerts, alertConfig: o.alertConfig, logger: o.logger, staticDir: o.staticDir ?? DEFAULT_STATIC_DIR,
    secureCookies: o.secureCookies, demo: o.demo === true,
    ...(o.failover ? { failover: o.failover } : {}), ...(o.streamIntervalMs !== undefined ? { streamIntervalMs: o.streamIntervalMs } : {}),
  };
  return {
    alerts,
    plugin: { plugin: dashboardRoutes as unknown as FastifyPluginAsync<Record<string, unknown>>, options: options as unknown as Record<string, unknown> },
    stop: () => alerts.stop(),
  };
}
