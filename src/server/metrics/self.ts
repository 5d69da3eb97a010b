import { Counter, Gauge, Registry } from 'prom-client';

/** The server's own health metrics, exposed next to the nodes' values on /metrics. */
export interface ServerMetrics {
  registry: Registry;
  batches: Counter<'result'>;
  samples: Counter;
  events: Counter;
  inFlight: Gauge;
}

export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  return {
    registry,
    batches: new Counter({ name: 'anoguard_ingest_batches_total', help: 'Ingest requests by result (stored, duplicate, invalid, forbidden, revoked, busy, store_error).', labelNames: ['result'], registers: [registry] }),
    samples: new Counter({ name: 'anoguard_ingest_samples_total', help: 'Samples stored.', registers: [registry] }),
    events: new Counter({ name: 'anoguard_ingest_events_total', help: 'Events stored.', registers: [registry] }),
    inFlight: new Gauge({ name: 'anoguard_ingest_in_flight', help: 'Batches being written now.', registers: [registry] }),
  };
}
