import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { AnoguardError, InputError } from '../errors.js';
import { readSecretFile } from '../util/fs.js';
import type { AuditReport } from './report-schema.js';

/** Where the server takes pushed reports (its mTLS ingest listener, next to the agents' batches). */
export const AUDIT_PUSH_PATH = '/ingest/v1/audit';

/** PEM material of the host's agent certificate and our CA (the system trust store is never used). */
export interface PushTls { ca: string; cert: string; key: string }

/** Where the push's TLS files come from: explicit files, or a PKI directory and a certificate name (as the agent's). */
export interface PushTlsSource { ca?: string; cert?: string; key?: string; pkiDir?: string; certName?: string }

const readPublic = (path: string, field: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError('E_NO_FILE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e, exitCode: 2 });
  }
};

/**
 * Reads the client certificate the host already has: `--cert/--key/--ca` win over the files
 * `--pki-dir` + `--cert-name` name (`ca.crt`, `certs/NAME.crt`, `private/NAME.key`); the key must be 0600.
 */
export function readPushTls(s: PushTlsSource): PushTls {
  if (s.pkiDir !== undefined && s.certName === undefined && (s.cert === undefined || s.key === undefined)) {
    throw new InputError('E_USAGE', '--pki-dir needs --cert-name (the host\'s agent certificate name)', { field: 'cert-name', exitCode: 2 });
  }
  const pick = (v: string | undefined, fromDir: (dir: string, name: string) => string, field: string): string => {
    if (v !== undefined) return v;
    if (s.pkiDir !== undefined && s.certName !== undefined) return fromDir(s.pkiDir, s.certName);
    throw new InputError('E_USAGE', `--push needs --${field} (or --pki-dir with --cert-name)`, { field, exitCode: 2 });
  };
  const ca = pick(s.ca, (d) => join(d, 'ca.crt'), 'ca');
  const cert = pick(s.cert, (d, n) => join(d, 'certs', `${n}.crt`), 'cert');
  const key = pick(s.key, (d, n) => join(d, 'private', `${n}.key`), 'key');
  return { ca: readPublic(ca, 'ca'), cert: readPublic(cert, 'cert'), key: readSecretFile(key, 'key') };
}

/** The server's `https://host:port` (its ingest listener); a path, if any, is replaced by the push path. */
export function pushUrl(server: string): URL {
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    throw new InputError('E_USAGE', `not a URL: ${server}`, { field: 'push', exitCode: 2 });
  }
  if (u.protocol !== 'https:') throw new InputError('E_USAGE', 'must be an https:// URL (the server\'s mTLS ingest listener)', { field: 'push', exitCode: 2 });
  return new URL(AUDIT_PUSH_PATH, u);
}

export interface PushAck { node: string; receivedAt: number; score: number }

/**
 * Sends the report over mutual TLS. The server files it under its certificate's name, so the
 * answer's `node` is who the server believes we are. Any non-200 answer is an error naming the
 * server's code and message.
 */
export function pushReport(server: string, report: AuditReport, tls: PushTls, opts: { timeoutMs?: number } = {}): Promise<PushAck> {
  const url = pushUrl(server);
  const body = Buffer.from(JSON.stringify(report));
  const failed = (msg: string, cause?: unknown) => new AnoguardError('E_AUDIT_PUSH', msg, { field: 'push', ...(cause !== undefined ? { cause } : {}) });
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST', ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: true, timeout: opts.timeoutMs ?? 30_000,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => { size += c.length; if (size <= 65_536) chunks.push(c); });
      res.on('error', (e) => reject(failed(e.message, e)));
      res.on('end', () => {
        let parsed: unknown;
        try { parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { parsed = undefined; }
        const p = parsed as Partial<PushAck> & { error?: { code?: string; message?: string; field?: string }; message?: string } | undefined;
        if (res.statusCode === 200 && typeof p?.node === 'string' && typeof p.receivedAt === 'number' && typeof p.score === 'number') {
          resolve({ node: p.node, receivedAt: p.receivedAt, score: p.score });
          return;
        }
        const why = p?.error ? `${p.error.field ? `${p.error.field}: ` : ''}${p.error.message ?? ''} (${p.error.code ?? '?'})` : p?.message ?? 'unexpected answer';
        reject(failed(`${url.host} answered ${res.statusCode ?? 0}: ${why}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => reject(failed(`cannot push to ${url.host}: ${e.code ?? e.message}`, e)));
    req.end(body);
  });
}
