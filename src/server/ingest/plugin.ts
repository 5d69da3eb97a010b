import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import { AckSchema, BatchSchema, MAX_BATCH_BYTES, type Ack, type Batch } from '../../agent/payload.js';
import type { Store } from '../store/types.js';
import { peerIdentity, type PeerIdentity } from '../tls.js';
import { fastParseBatch } from './fast-batch.js';
import type { ServerMetrics } from '../metrics/self.js';

export interface IngestOptions {
  store: Store;
  /** Batches being written at once; beyond it the server answers 503 + Retry-After before reading the body. */
  maxInFlight?: number;
  isRevoked?: (serial: string) => boolean;
  metrics?: ServerMetrics;
  now?: () => number;
  retryAfterSeconds?: number;
}

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}
const fail = (code: string, message: string, field?: string): ErrorBody => ({ error: { code, message, ...(field ? { field } : {}) } });

/**
 * POST /ingest/v1/batch. The caller is whoever the TLS handshake proved (the CN of a client
 * certificate issued by our CA, not revoked); the body may only speak for that agent.
 */
export const ingestRoutes: FastifyPluginAsync<IngestOptions> = async (app, opts) => {
  const maxInFlight = opts.maxInFlight ?? 8;
  const now = opts.now ?? Date.now;
  const retryAfter = String(opts.retryAfterSeconds ?? 1);
  let inFlight = 0;
  // A keep-alive connection carries many batches; its certificate is decoded once, not per request.
  const peers = new WeakMap<object, PeerIdentity>();
  const peerOf = (socket: object): PeerIdentity | undefined => {
    let p = peers.get(socket);
    if (p === undefined && (p = peerIdentity(socket)) !== undefined) peers.set(socket, p);
    return p;
  };

  app.post<{ Body: Batch; Reply: Ack | ErrorBody }>('/ingest/v1/batch', {
    bodyLimit: MAX_BATCH_BYTES,
    schema: { body: BatchSchema },
    attachValidation: true,
    validatorCompiler: ({ schema }) => (data: unknown) => {
      const fast = fastParseBatch(data);
      if (fast !== undefined) return { value: fast };
      const r = (schema as z.ZodType).safeParse(data);
      if (r.success) return { value: r.data };
      const issue = r.error.issues[0];
      return { error: Object.assign(new Error(issue?.message ?? 'invalid batch'), { field: issue?.path.join('.') ?? '' }) };
    },
    // Refuse before the body is read: under overload we must not buffer 4 MiB per waiting agent.
    onRequest: async (req, reply) => {
      const peer = peerOf(req.raw.socket);
      if (peer === undefined) return reply.code(401).send(fail('E_NO_CLIENT_CERT', 'a client certificate issued by the anoguard CA is required'));
      if (opts.isRevoked?.(peer.serial) === true) {
        opts.metrics?.batches.inc({ result: 'revoked' });
        return reply.code(403).send(fail('E_CERT_REVOKED', 'this certificate has been revoked'));
      }
      if (inFlight >= maxInFlight) {
        opts.metrics?.batches.inc({ result: 'busy' });
        return reply.code(503).header('retry-after', retryAfter).send(fail('E_BUSY', 'server busy, retry later'));
      }
      inFlight++;
      opts.metrics?.inFlight.set(inFlight);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        inFlight--;
        opts.metrics?.inFlight.set(inFlight);
      };
      reply.raw.once('finish', release);
      reply.raw.once('close', release);
    },
  }, async (req, reply) => {
    const peer = peerOf(req.raw.socket)!;
    if (req.validationError) {
      opts.metrics?.batches.inc({ result: 'invalid' });
      const field = (req.validationError as Error & { field?: string }).field;
      return reply.code(400).send(fail('E_BAD_BATCH', req.validationError.message, field === undefined || field === '' ? undefined : `body.${field}`));
    }
    const batch = req.body;
    if (batch.agent !== peer.cn) {
      opts.metrics?.batches.inc({ result: 'forbidden' });
      return reply.code(403).send(fail('E_AGENT_MISMATCH', `certificate is for ${peer.cn}, batch claims ${batch.agent}`, 'body.agent'));
    }
    let ack: Ack;
    try {
      const r = await opts.store.writeBatch(batch.agent, batch.seq, batch.samples, batch.events, now());
      ack = AckSchema.parse({ ackedSeq: r.ackedSeq, duplicate: r.duplicate });
      opts.metrics?.batches.inc({ result: r.duplicate ? 'duplicate' : 'stored' });
      opts.metrics?.samples.inc(r.samples);
      opts.metrics?.events.inc(r.events);
    } catch (e) {
      // The agent keeps the batch in its outbox and retries: a store hiccup loses nothing.
      req.log.error({ err: e, agent: batch.agent, seq: batch.seq }, 'store write failed');
      opts.metrics?.batches.inc({ result: 'store_error' });
      return reply.code(503).header('retry-after', retryAfter).send(fail('E_STORE', 'store unavailable, retry later'));
    }
    return reply.code(200).send(ack);
  });
};
