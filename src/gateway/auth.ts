import { createHash, createHmac, hash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import type { GatewayConfig } from './config.js';

const scrypt = promisify(scryptCb) as (pw: string | Buffer, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export interface Principal {
  /** key or user name: safe to log */
  name: string;
  kind: 'apiKey' | 'basic' | 'anonymous';
  rate: { rps: number; burst: number } | undefined;
  allowWrites: boolean;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: 'missing' | 'invalid' };

/** A new API key: 32 random bytes, base64url. Only its SHA-256 goes into the config. */
export function newApiKey(): { key: string; sha256: string } {
  const key = `agk_${randomBytes(32).toString('base64url')}`;
  return { key, sha256: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const SCRYPT = { N: 1 << 15, r: 8, p: 1 };

export async function hashPassword(password: string): Promise<string> {
  if (password.length < 12) throw new InputError('E_WEAK_PASSWORD', 'passwords must be at least 12 characters', { field: 'password' });
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, { ...SCRYPT, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('hex')}$${hash.toString('hex')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [tag, n, r, p, saltHex, hashHex] = stored.split('$');
  if (tag !== 'scrypt' || !n || !r || !p || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const got = await scrypt(password, Buffer.from(saltHex, 'hex'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 });
  return timingSafeEqual(got, expected);
}

/**
 * Authenticates a request from its headers alone (before the body is read, so a flood of bad
 * requests costs us no body parsing). API keys are looked up by their SHA-256: the map is keyed by
 * the digest of the presented key, so lookup time depends on a hash the caller cannot steer, not
 * on how much of a real key it guessed. Basic passwords need scrypt, which is deliberately slow; a
 * verified header is remembered (keyed by an HMAC under a per-process secret, never the header
 * itself) so a legitimate client pays once. Returns synchronously except when scrypt must run, so
 * the common case costs the request no extra turn of the event loop.
 */
export function createAuthenticator(cfg: GatewayConfig['auth']) {
  // One result object per key, shared by all its requests (nothing is allocated per request).
  const byDigest = new Map<string, AuthResult>(cfg.apiKeys.map((k) => [k.sha256, { ok: true, principal: { name: k.name, kind: 'apiKey', rate: k.rate, allowWrites: k.allowWrites } }]));
  const users = new Map(cfg.basic.map((u) => [u.user, u]));
  const cacheKey = randomBytes(32);
  const verified = new Map<string, { principal: Principal; until: number }>();
  const CACHE_MS = 5 * 60_000;
  const CACHE_MAX = 10_000;
  const anonymous: AuthResult = { ok: true, principal: { name: 'anonymous', kind: 'anonymous', rate: undefined, allowWrites: false } };
  const invalid: AuthResult = { ok: false, reason: 'invalid' };
  const missing: AuthResult = { ok: false, reason: 'missing' };
  const apiKeyPrincipal = (token: string): AuthResult => byDigest.get(hash('sha256', token, 'hex')) ?? invalid;

  async function verifyBasic(value: string, ck: string, now: number): Promise<AuthResult> {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return invalid;
    const user = users.get(decoded.slice(0, colon));
    if (!user || !(await verifyPassword(decoded.slice(colon + 1), user.scrypt))) return invalid;
    const principal: Principal = { name: user.user, kind: 'basic', rate: user.rate, allowWrites: user.allowWrites };
    if (verified.size >= CACHE_MAX) verified.clear();
    verified.set(ck, { principal, until: now + CACHE_MS });
    return { ok: true, principal };
  }

  return function authenticate(headers: Record<string, string | string[] | undefined>): AuthResult | Promise<AuthResult> {
    const xKey = headers['x-api-key'];
    const authz = headers.authorization;
    if (typeof xKey === 'string' && xKey.length > 0) return xKey.length > 256 ? invalid : apiKeyPrincipal(xKey);
    if (typeof authz === 'string' && authz.length > 0) {
      if (authz.length > 1024) return invalid;
      const sp = authz.indexOf(' ');
      const [scheme, value] = [authz.slice(0, sp).toLowerCase(), authz.slice(sp + 1).trim()];
      if (scheme === 'bearer') return apiKeyPrincipal(value);
      if (scheme === 'basic') {
        const ck = createHmac('sha256', cacheKey).update(value).digest('base64');
        const hit = verified.get(ck);
        const now = Date.now();
        if (hit && hit.until > now) return { ok: true, principal: hit.principal };
        return verifyBasic(value, ck, now);
      }
      return invalid;
    }
    return cfg.required ? missing : anonymous;
  };
}
