import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { AnoguardError, InputError } from '../../errors.js';

/**
 * A logged-in client of the dashboard's JSON API, for CLI commands that act through the server
 * (`anoguard swap plan|run --server`): the same routes, role checks, CSRF token and audit log as
 * the web pages. The password travels only over HTTPS or to a loopback address.
 */
export interface DashboardClient {
  user: string;
  role: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<{ status: number; body: T }>;
  logout(): Promise<void>;
}

export interface ClientOptions {
  url: string;
  user: string;
  password: string;
  /** PEM CA for an HTTPS dashboard with a private certificate */
  ca?: string;
  timeoutMs?: number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function parseServerUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InputError('E_USAGE', `--server is not a URL: ${raw}`, { field: 'server', exitCode: 2 });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InputError('E_USAGE', '--server must be an http(s) URL', { field: 'server', exitCode: 2 });
  const host = u.hostname;
  const loopback = LOOPBACK.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
  if (u.protocol === 'http:' && !loopback) {
    throw new InputError('E_USAGE', `refusing to send a password over plain HTTP to ${host}; use https:// (or an SSH tunnel to 127.0.0.1)`, { field: 'server', exitCode: 2 });
  }
  if (u.username || u.password) throw new InputError('E_USAGE', '--server must not carry credentials; use --user and --password-file', { field: 'server', exitCode: 2 });
  return u;
}

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: unknown }

function send(base: URL, method: string, path: string, headers: Record<string, string>, body: unknown, o: ClientOptions): Promise<Raw> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const target = new URL(path, base);
  const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
    method, headers: { accept: 'application/json', ...headers, ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}) },
    timeout: o.timeoutMs ?? 30_000, ...(o.ca ? { ca: o.ca } : {}),
  });
  return new Promise((resolve, reject) => {
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs ?? 30_000} ms`)));
    req.on('error', (e) => reject(new AnoguardError('E_SERVER_UNREACHABLE', `cannot reach ${base.origin}: ${e.message}`, { field: 'server', cause: e })));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // Bounded: a plan with two previews is a few kB; history is at most a few hundred kB.
        if (size > 8 << 20) req.destroy(new Error('answer larger than 8 MB'));
        else chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try { parsed = text === '' ? {} : JSON.parse(text); } catch { /* not JSON: kept as text for the error */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
      res.on('error', reject);
    });
    req.end(data);
  });
}

/** The server's `{error: {code, message, field}}` as an AnoguardError (exit 1). */
function apiError(r: Raw, what: string): AnoguardError {
  const e = (r.body as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
  const code = typeof e?.code === 'string' && e.code.startsWith('E_') ? e.code as `E_${string}` : 'E_HTTP';
  return new AnoguardError(code, `${what}: ${e?.message ?? `HTTP ${r.status}`}`, { field: e?.field ?? 'server' });
}

export async function loginDashboard(o: ClientOptions): Promise<DashboardClient> {
  const base = parseServerUrl(o.url);
  const r = await send(base, 'POST', '/api/login', {}, { user: o.user, password: o.password }, o);
  if (r.status !== 200) throw apiError(r, 'login refused');
  const setCookie = r.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie : [setCookie ?? '']).map((c) => c.split(';')[0]!).find((c) => c.startsWith('anoguard_session='));
  const me = r.body as { user: string; role: string; csrf: string };
  if (!cookie || typeof me.csrf !== 'string') throw new AnoguardError('E_HTTP', 'the server did not start a session (is --server a anoguard dashboard?)', { field: 'server' });
  const auth = { cookie };
  return {
    user: me.user,
    role: me.role,
    async get<T>(path: string) {
      const x = await send(base, 'GET', path, auth, undefined, o);
      if (x.status !== 200) throw apiError(x, `GET ${path}`);
      return x.body as T;
    },
    async post<T>(path: string, body: unknown) {
      const x = await send(base, 'POST', path, { ...auth, 'x-csrf-token': me.csrf }, body, o);
      if (x.status >= 300) throw apiError(x, `POST ${path}`);
      return { status: x.status, body: x.body as T };
    },
    async logout() {
      await send(base, 'POST', '/api/logout', { ...auth, 'x-csrf-token': me.csrf }, {}, o).catch(() => undefined);
    },
  };
}
