import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { BatchSchema, type Batch } from '../../../src/agent/payload.js';

/**
 * A minimal stand-in for the server's POST /ingest/v1/batch: mutual TLS, CN must equal `agent`,
 * schema check, idempotent on seq (a seq at or below the last one is acknowledged as duplicate).
 */
export function createTestIngest(tls: { ca: string; cert: string; key: string }) {
  const received: Batch[] = [];
  let lastSeq = 0;
  let mode: 'ok' | '503' = 'ok';
  let server: Server | undefined;
  let port = 0;

  function handler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === '503') {
        res.writeHead(503, { 'retry-after': '1' }).end();
        return;
      }
      const parsed = BatchSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      if (!parsed.success) { res.writeHead(400).end('bad batch'); return; }
      const b = parsed.data;
      if (b.agent !== peer.subject?.CN) { res.writeHead(403).end('agent name does not match certificate'); return; }
      const duplicate = b.seq <= lastSeq;
      if (!duplicate) { received.push(b); lastSeq = b.seq; }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ackedSeq: lastSeq, duplicate }));
    });
  }

  return {
    received,
    setMode(m: 'ok' | '503') { mode = m; },
    get port() { return port; },
    async start(): Promise<number> {
      server = createServer({ ca: tls.ca, cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: true }, handler);
      // fastify's default (the real server): an agent's keep-alive connection outlives a 10 s interval.
      server.keepAliveTimeout = 72_000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
      const a = server.address();
      if (a && typeof a === 'object') port = a.port;
      return port;
    },
    async stop(): Promise<void> {
      if (!server) return;
      const s = server;
      server = undefined;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    },
  };
}
