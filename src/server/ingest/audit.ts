import type { FastifyPluginAsync } from 'fastify';
import { AuditReportSchema } from '../../audit/report-schema.js';
import type { AppDb } from '../state/appdb.js';
import { saveAuditReport } from '../state/audit-reports.js';
import { peerIdentity } from '../tls.js';

/** A report of the 41 checks is ~13 KB; 1 MiB leaves room for long details without letting a host fill the database. */
export const MAX_AUDIT_BYTES = 1 << 20;

export interface AuditIngestOptions {
  db: AppDb;
  isRevoked?: (serial: string) => boolean;
  now?: () => number;
}

const fail = (code: string, message: string, field?: string) => ({ error: { code, message, ...(field ? { field } : {}) } });

/**
 * POST /ingest/v1/audit: `anoguard audit --push` sends its JSON report here with the host's agent
 * certificate. The node it is stored under is the certificate's CN, never the body's `host` (which
 * is only what the audited machine calls itself), so a host can only report about itself.
 */
export const auditIngestRoutes: FastifyPluginAsync<AuditIngestOptions> = async (app, o) => {
  const now = o.now ?? Date.now;
  app.post('/ingest/v1/audit', {
    bodyLimit: MAX_AUDIT_BYTES,
    onRequest: async (req, reply) => {
      const peer = peerIdentity(req.raw.socket);
      if (peer === undefined) return reply.code(401).send(fail('E_NO_CLIENT_CERT', 'a client certificate issued by the anoguard CA is required'));
      if (o.isRevoked?.(peer.serial) === true) return reply.code(403).send(fail('E_CERT_REVOKED', 'this certificate has been revoked'));
      return undefined;
    },
  }, async (req, reply) => {
    const peer = peerIdentity(req.raw.socket)!;
    const r = AuditReportSchema.safeParse(req.body);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      return reply.code(400).send(fail('E_BAD_AUDIT', issue.message, ['body', ...issue.path].join('.')));
    }
    const receivedAt = now();
    try {
      saveAuditReport(o.db, peer.cn, r.data, receivedAt);
    } catch (e) {
      req.log.error({ err: e, node: peer.cn }, 'audit report write failed');
      return reply.code(503).header('retry-after', '5').send(fail('E_STORE', 'store unavailable, retry later'));
    }
    req.log.info({ node: peer.cn, score: r.data.score }, 'audit report stored');
    return { node: peer.cn, receivedAt, score: r.data.score };
  });
};
