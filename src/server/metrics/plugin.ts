import type { FastifyPluginAsync } from 'fastify';
import { timingSafeEqual, createHash } from 'node:crypto';
import { Counter, Gauge, Registry } from 'prom-client';
import type { LatestValue, Store } from '../store/types.js';

export interface MetricsOptions {
  store: Store;
  /** When set, GET /metrics needs `Authorization: Bearer TOKEN`. Required off loopback (see buildWebServer). */
  token?: string;
  /** Extra registries appended to the exposition (the server's own metrics). */
  registries?: Registry[];
  /** Values older than this are left out, so a dead node's last reading does not look current. */
  staleMs?: number;
  now?: () => number;
}

/** Label names Prometheus reserves or that we set ourselves get the usual `exported_` prefix. */
export function exportLabel(k: string): string {
  return k === 'node' || k.startsWith('__') ? `exported_${k}` : k;
}

/**
 * Builds the exposition of the latest value of every series, node_exporter-style: the metric name
 * as the agent sent it (node_load1, node_cpu_seconds_total, factomd_leader_height, …) with a
 * `node="NAME"` label. Names ending in `_total` are typed counters, the rest gauges.
 */
export function renderLatest(values: readonly LatestValue[]): Registry {
  const reg = new Registry();
  const byName = new Map<string, LatestValue[]>();
  for (const v of values) {
    let list = byName.get(v.name);
    if (list === undefined) byName.set(v.name, (list = []));
    list.push(v);
  }
  for (const [name, list] of byName) {
    const labelNames = [...new Set(['node', ...list.flatMap((v) => Object.keys(v.labels).map(exportLabel))])];
    const counter = name.endsWith('_total') && list.every((v) => v.value >= 0);
    const help = `Latest ${name} reported by each node's anoguard agent.`;
    const metric = counter
      ? new Counter({ name, help, labelNames, registers: [reg] })
      : new Gauge({ name, help, labelNames, registers: [reg] });
    for (const v of list) {
      const labels: Record<string, string> = { node: v.node };
      for (const [k, val] of Object.entries(v.labels)) labels[exportLabel(k)] = val;
      if (metric instanceof Counter) metric.inc(labels, v.value);
      else metric.set(labels, v.value);
    }
  }
  return reg;
}

function sameToken(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export const metricsRoutes: FastifyPluginAsync<MetricsOptions> = async (app, opts) => {
  const staleMs = opts.staleMs ?? 10 * 60_000;
  const now = opts.now ?? Date.now;
  app.get('/metrics', async (req, reply) => {
    if (opts.token !== undefined) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (m === null || !sameToken(m[1]!, opts.token)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="anoguard"').send({ error: { code: 'E_UNAUTHORIZED', message: 'bearer token required' } });
      }
    }
    const cutoff = now() - staleMs;
    const latest = (await opts.store.latest()).filter((v) => v.t >= cutoff);
    const reg = Registry.merge([renderLatest(latest), ...(opts.registries ?? [])]);
    return reply.header('content-type', reg.contentType).send(await reg.metrics());
  });
};
