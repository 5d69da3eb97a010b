/**
 * The wire contract between an agent and the server: one batch per POST /ingest/v1/batch over
 * mutual TLS. The agent's identity comes from its client certificate; `agent` in the body must match
 * it. Batches carry a per-agent sequence number so delivery is at-least-once on the agent side and
 * exactly-once in the store (the server ignores a seq it already committed).
 *
 * The server imports this module (and only this one) from src/agent: it is the shared contract.
 */
import { z } from 'zod';

/** Prometheus-style metric name: node_exporter names for host series, `factomd_*` for the node. */
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,127}$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;

export const MAX_SAMPLES_PER_BATCH = 20_000;
export const MAX_EVENTS_PER_BATCH = 1_000;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export const SampleSchema = z
  .object({
    /** e.g. node_load1, node_cpu_seconds_total, factomd_leader_height */
    name: z.string().regex(METRIC_NAME, 'not a Prometheus metric name'),
    labels: z
      .record(z.string().regex(LABEL_NAME, 'bad label name'), z.string().max(256))
      .refine((l) => Object.keys(l).length <= 16, 'at most 16 labels')
      .default({}),
    value: z.number().finite(),
    /** unix milliseconds */
    t: z.number().int().nonnegative(),
  })
  .strict();
export type Sample = z.infer<typeof SampleSchema>;

export const EVENT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export const EventSchema = z
  .object({
    /** dotted kind, e.g. ssh.login.failed, ssh.bruteforce, fim.changed, listener.new, factomd.panic, factomd.duplicate-identity, agent.gap */
    kind: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/),
    severity: z.enum(EVENT_SEVERITIES),
    t: z.number().int().nonnegative(),
    message: z.string().max(2000),
    data: z.record(z.string().max(64), z.unknown()).default({}),
  })
  .strict();
export type AgentEvent = z.infer<typeof EventSchema>;

export const BatchSchema = z
  .object({
    v: z.literal(1),
    /** agent name; must equal the CN of the client certificate */
    agent: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/),
    /** per-agent batch sequence number, starting at 1, contiguous across restarts (kept in the outbox) */
    seq: z.number().int().positive(),
    sentAt: z.number().int().nonnegative(),
    samples: z.array(SampleSchema).max(MAX_SAMPLES_PER_BATCH),
    events: z.array(EventSchema).max(MAX_EVENTS_PER_BATCH),
  })
  .strict();
export type Batch = z.infer<typeof BatchSchema>;

/** The server's answer: everything up to and including `ackedSeq` is durably stored. */
export const AckSchema = z.object({ ackedSeq: z.number().int().nonnegative(), duplicate: z.boolean() }).strict();
export type Ack = z.infer<typeof AckSchema>;
