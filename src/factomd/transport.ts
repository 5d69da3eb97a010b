import http, { type IncomingHttpHeaders } from 'node:http';
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { FactomdError, isFactomdError } from './errors.js';

/** How to reach one factomd/walletd/control-panel endpoint. Credentials never go in the URL. */
export interface ConnectionOptions {
  /** `http://host:8088` or `https://host:8088`; a path other than `/` replaces the default endpoint path. */
  url: string;
  user?: string;
  password?: string;
  /** PEM of the CA (or self-signed certificate) to trust instead of the system store. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** SHA-256 of the server certificate's DER, hex (colons allowed). Replaces CA trust when no `ca` is given. */
  pinnedCertSha256?: string;
  /** Per request, connect to last byte. Default 10 000. */
  timeoutMs?: number;
  /** Extra attempts for idempotent reads only. Default 2. */
  retries?: number;
  /** First backoff delay; doubles per attempt, with jitter, capped at 5 s. Default 250. */
  retryDelayMs?: number;
  /** Larger answers are refused. Default 8 MiB. */
  maxResponseBytes?: number;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Path and query, already encoded. */
  path: string;
  body?: string;
  /** What is being called, for error messages (`heights`, `item=myHeight`). */
  label: string;
}

export interface Transport {
  /** The endpoint without credentials, safe to log and print. */
  readonly origin: string;
  /** The path given in the URL, or undefined when it was `/`. */
  readonly basePath: string | undefined;
  readonly retries: number;
  send(req: HttpRequest): Promise<HttpAnswer>;
  /** Runs `fn`, retrying transient failures when `idempotent`; every other failure passes through once. */
  withRetries<T>(fn: () => Promise<T>, idempotent: boolean): Promise<T>;
}

interface Resolved {
  url: URL;
  host: string;
  port: number;
  https: boolean;
  authHeader: string | undefined;
  ca: ConnectionOptions['ca'];
  pin: string | undefined;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  maxResponseBytes: number;
}

const usage = (field: string, msg: string) => new InputError('E_FACTOMD_OPTIONS', msg, { field, exitCode: 2 });

function intOption(v: number | undefined, field: string, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < min || v > max) throw usage(field, `must be an integer from ${min} to ${max}`);
  return v;
}

function resolveOptions(o: ConnectionOptions): Resolved {
  if (typeof o.url !== 'string' || o.url.length === 0) throw usage('url', 'a URL is required, e.g. http://127.0.0.1:8088');
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw usage('url', 'not a valid URL (expected e.g. http://127.0.0.1:8088)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage('url', `unsupported scheme ${url.protocol} (use http or https)`);
  // A password in the URL ends up in shell history, process lists and logs.
  if (url.username || url.password) throw usage('url', 'credentials in the URL are refused; use --user and --password-file');
  if (url.search || url.hash) throw usage('url', 'the URL must not have a query or fragment');
  const https = url.protocol === 'https:';
  let pin: string | undefined;
  if (o.pinnedCertSha256 !== undefined) {
    pin = o.pinnedCertSha256.replace(/:/g, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(pin)) throw usage('pinnedCertSha256', 'expected the SHA-256 of the certificate DER as 64 hex digits');
    if (!https) throw usage('pinnedCertSha256', 'a pinned certificate needs an https URL');
  }
  if (o.ca !== undefined && !https) throw usage('ca', 'a CA needs an https URL');
  if (o.user !== undefined && o.user.includes(':')) throw usage('user', 'a Basic-auth user name cannot contain ":"');
  if (o.password !== undefined && o.user === undefined) throw usage('user', 'a password was given without a user');
  const authHeader = o.user !== undefined
    ? `Basic ${Buffer.from(`${o.user}:${o.password ?? ''}`, 'utf8').toString('base64')}`
    : undefined;
  return {
    url,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : https ? 443 : 80,
    https,
    authHeader,
    ca: o.ca,
    pin,
    timeoutMs: intOption(o.timeoutMs, 'timeoutMs', 10_000, 1, 600_000),
    retries: intOption(o.retries, 'retries', 2, 0, 10),
    retryDelayMs: intOption(o.retryDelayMs, 'retryDelayMs', 250, 0, 60_000),
    maxResponseBytes: intOption(o.maxResponseBytes, 'maxResponseBytes', 8 * 1024 * 1024, 1, 256 * 1024 * 1024),
  };
}

/** Strips control characters (terminal escapes) from text a remote server chose, and bounds it. */
export function sanitizeText(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

export function certSha256(cert: PeerCertificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

const TLS_ERROR = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|EPROTO$)/;

function networkError(e: unknown, label: string, origin: string): FactomdError {
  if (isFactomdError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (TLS_ERROR.test(code) || (err instanceof Error && /certificate|SSL|TLS/i.test(err.message) && code !== 'ECONNRESET')) {
    const field = code === 'ERR_TLS_CERT_PIN_MISMATCH' ? 'pinnedCertSha256' : 'url';
    return new FactomdError('E_FACTOMD_TLS', `TLS failure talking to ${origin}: ${sanitizeText(code || err.message, 120)}`, { field, method: label, cause: e });
  }
  return new FactomdError('E_FACTOMD_UNREACHABLE', `cannot reach ${origin}: ${sanitizeText(code || String(err?.message ?? e), 120)}`, {
    field: 'url', method: label, cause: e, transient: true,
  });
}

function realmOf(header: string | string[] | undefined): string {
  const h = Array.isArray(header) ? header[0] : header;
  const m = h ? /realm="([^"]{0,100})"/i.exec(h) : null;
  return m?.[1] ? ` (realm "${sanitizeText(m[1], 60)}")` : '';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The HTTP(S) transport on node:http and node:tls. One request per connection (no keep-alive pool
 * left behind), an overall deadline per request, a hard response-size cap, and TLS that is checked
 * before a single byte (credentials included) is written.
 */
export function createTransport(opts: ConnectionOptions): Transport {
  const o = resolveOptions(opts);
  const origin = `${o.url.protocol}//${o.url.host}`;
  const basePath = o.url.pathname && o.url.pathname !== '/' ? o.url.pathname.replace(/\/+$/, '') : undefined;

  const checkPin = (_host: string, cert: PeerCertificate): Error | undefined =>
    o.pin !== undefined && certSha256(cert) !== o.pin
      ? Object.assign(new Error('server certificate does not match the pinned SHA-256'), { code: 'ERR_TLS_CERT_PIN_MISMATCH' })
      : undefined;

  function send(req: HttpRequest): Promise<HttpAnswer> {
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      let socket: TLSSocket | undefined;
      let request: http.ClientRequest | undefined;
      const finish = (err: FactomdError | undefined, answer?: HttpAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          request?.destroy();
          socket?.destroy();
          reject(err);
        } else resolve(answer as HttpAnswer);
      };
      const timer = setTimeout(() => {
        finish(new FactomdError('E_FACTOMD_TIMEOUT', `no complete answer from ${origin} within ${o.timeoutMs} ms`, {
          field: 'url', method: req.label, transient: true,
        }));
      }, o.timeoutMs);

      const startHttp = (tlsSocket?: TLSSocket) => {
        const headers: Record<string, string | number> = { accept: 'application/json' };
        if (o.authHeader) headers.authorization = o.authHeader;
        if (req.body !== undefined) {
          headers['content-type'] = 'application/json';
          headers['content-length'] = Buffer.byteLength(req.body);
        }
        const path = `${basePath ?? ''}${req.path}`;
        request = http.request({
          host: o.host,
          port: o.port,
          method: req.method,
          path,
          headers,
          ...(tlsSocket ? { createConnection: () => tlsSocket } : { agent: false }),
        });
        request.on('error', (e) => finish(networkError(e, req.label, origin)));
        request.on('response', (res) => {
          const status = res.statusCode ?? 0;
          const declared = Number(res.headers['content-length']);
          const tooLarge = () => new FactomdError('E_FACTOMD_TOO_LARGE', `answer larger than ${o.maxResponseBytes} bytes refused`, {
            field: 'body', method: req.label, httpStatus: status,
          });
          if (Number.isFinite(declared) && declared > o.maxResponseBytes) {
            finish(tooLarge());
            return;
          }
          const chunks: Buffer[] = [];
          let total = 0;
          res.on('data', (c: Buffer) => {
            total += c.length;
            if (total > o.maxResponseBytes) finish(tooLarge());
            else chunks.push(c);
          });
          res.on('error', (e) => finish(new FactomdError('E_FACTOMD_BAD_RESPONSE', 'answer cut off before its end (truncated)', {
            field: 'body', method: req.label, httpStatus: status, cause: e, transient: true,
          })));
          res.on('end', () => {
            if (!res.complete) {
              finish(new FactomdError('E_FACTOMD_BAD_RESPONSE', 'answer cut off before its end (truncated)', {
                field: 'body', method: req.label, httpStatus: status, transient: true,
              }));
              return;
            }
            if (status === 401) {
              const what = o.authHeader ? 'authentication failed: user or password rejected' : 'authentication required: give --user and --password-file';
              finish(new FactomdError('E_FACTOMD_AUTH', `${what}${realmOf(res.headers['www-authenticate'])}`, {
                field: o.authHeader ? 'password' : 'user', method: req.label, httpStatus: 401,
              }));
              return;
            }
            let body: string;
            try {
              body = utf8.decode(Buffer.concat(chunks));
            } catch (e) {
              finish(new FactomdError('E_FACTOMD_BAD_RESPONSE', 'answer is not valid UTF-8', { field: 'body', method: req.label, httpStatus: status, cause: e }));
              return;
            }
            finish(undefined, { status, headers: res.headers, body });
          });
        });
        request.end(req.body);
      };

      if (!o.https) {
        startHttp();
        return;
      }
      const pinOnly = o.pin !== undefined && o.ca === undefined;
      try {
        socket = tls.connect({
          host: o.host,
          port: o.port,
          ...(isIP(o.host) === 0 ? { servername: o.host } : {}),
          ...(o.ca !== undefined ? { ca: o.ca } : {}),
          // Pin without CA: the chain of a self-signed cert cannot verify, so the pin is the trust
          // decision and is checked below before anything is written; with a CA, both must hold.
          rejectUnauthorized: !pinOnly,
          ...(o.pin !== undefined ? { checkServerIdentity: checkPin } : {}),
          ALPNProtocols: ['http/1.1'],
        });
      } catch (e) {
        finish(networkError(e, req.label, origin));
        return;
      }
      socket.on('error', (e) => finish(networkError(e, req.label, origin)));
      socket.once('secureConnect', () => {
        if (settled || !socket) return;
        if (o.pin !== undefined) {
          const mismatch = checkPin(o.host, socket.getPeerCertificate(true));
          if (mismatch) {
            finish(new FactomdError('E_FACTOMD_TLS', `server certificate of ${origin} does not match the pinned SHA-256`, {
              field: 'pinnedCertSha256', method: req.label,
            }));
            return;
          }
        }
        startHttp(socket);
      });
    });
  }

  async function withRetries<T>(fn: () => Promise<T>, idempotent: boolean): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (isFactomdError(e)) e.attempts = attempt;
        if (!idempotent || attempt > o.retries || !isFactomdError(e) || !e.transient) throw e;
        const base = Math.min(5_000, o.retryDelayMs * 2 ** (attempt - 1));
        // Jitter so that many agents polling one node do not retry in lockstep.
        await new Promise((r) => setTimeout(r, base / 2 + Math.random() * (base / 2)));
      }
    }
  }

  return { origin: `${origin}${basePath ?? ''}`, basePath, retries: o.retries, send, withRetries };
}
