import type { Logger } from '../log.js';
import { buildIngestServer, buildWebServer, createServerMetrics, type IngestServerOptions, type WebServerOptions } from './build.js';
import { startMaintenance } from './maintenance.js';
import { startRemoteWrite, type RemoteWriteOptions } from './remote-write/sender.js';
import type { Store } from './store/types.js';
import type { TlsFiles } from './tls.js';

export interface Listen {
  host: string;
  port: number;
}

export interface RunServerOptions {
  store: Store;
  logger: Logger;
  tls: TlsFiles;
  ingest: Listen;
  web: Listen;
  metricsToken?: string;
  maxInFlight?: number;
  maintenanceIntervalMs?: number;
  plugins?: WebServerOptions['plugins'];
  /** Enables `POST /ingest/v1/audit` (pushed audit reports) on the ingest listener. */
  appDb?: IngestServerOptions['appDb'];
  /** The failover control channel on the ingest listener (`POST /v1/control`). */
  control?: IngestServerOptions['control'];
  webHttps?: WebServerOptions['https'];
  /** Pushes the latest values (as on /metrics) to a Prometheus remote-write receiver. */
  remoteWrite?: RemoteWriteOptions;
}

export interface RunningServer {
  ingestUrl: string;
  webUrl: string;
  /** Stops accepting, waits for in-flight batches and maintenance, closes the store. */
  close(): Promise<void>;
}

function url(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The whole server process: ingest listener, web listener, rollup/retention timer. */
export async function runServer(opts: RunServerOptions): Promise<RunningServer> {
  const metrics = createServerMetrics();
  const ingest = await buildIngestServer({
    store: opts.store, tls: opts.tls, logger: opts.logger, metrics,
    ...(opts.maxInFlight !== undefined ? { maxInFlight: opts.maxInFlight } : {}),
    ...(opts.appDb ? { appDb: opts.appDb } : {}),
    ...(opts.control ? { control: opts.control } : {}),
  });
  const web = await buildWebServer({
    store: opts.store, logger: opts.logger, host: opts.web.host, metrics,
    ...(opts.metricsToken !== undefined ? { metricsToken: opts.metricsToken } : {}),
    ...(opts.plugins ? { plugins: opts.plugins } : {}),
    ...(opts.webHttps ? { https: opts.webHttps } : {}),
  });
  try {
    await ingest.listen({ host: opts.ingest.host, port: opts.ingest.port });
    await web.listen({ host: opts.web.host, port: opts.web.port });
  } catch (e) {
    await ingest.close();
    await web.close();
    throw e;
  }
  const stopMaintenance = startMaintenance(opts.store, opts.logger, { intervalMs: opts.maintenanceIntervalMs ?? 60_000 });
  const remoteWrite = opts.remoteWrite ? startRemoteWrite(opts.remoteWrite, { store: opts.store, logger: opts.logger, registry: metrics.registry }) : undefined;
  const port = (s: typeof web | typeof ingest) => {
    const a = s.server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  };
  return {
    ingestUrl: url('https', opts.ingest.host, port(ingest)),
    webUrl: url(opts.webHttps ? 'https' : 'http', opts.web.host, port(web)),
    async close() {
      await Promise.all([ingest.close(), web.close()]);
      await remoteWrite?.stop();
      await stopMaintenance();
      await opts.store.close();
    },
  };
}
