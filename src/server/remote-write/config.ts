import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { InputError } from '../../errors.js';
import { readSecretFile } from '../../util/fs.js';
import type { RemoteWriteOptions } from './sender.js';

export interface RemoteWriteFlags {
  remoteWrite?: string;
  remoteWriteTokenFile?: string;
  remoteWriteBasicAuthFile?: string;
  remoteWriteCa?: string;
  remoteWriteInterval?: string;
}

function loopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || (isIP(h) === 4 && h.startsWith('127.')) || h === '::1';
}

/**
 * `anoguard server --remote-write URL [--remote-write-token-file F | --remote-write-basic-auth-file F]
 * [--remote-write-ca F] [--remote-write-interval 15s]` → the sender's options, or undefined without
 * --remote-write. Secrets come from 0600 files; credentials never travel in clear text off the
 * machine (http:// with credentials is loopback only), and the URL may not carry them itself.
 */
export function remoteWriteFromFlags(o: RemoteWriteFlags): RemoteWriteOptions | undefined {
  const field = 'remote-write';
  if (o.remoteWrite === undefined) {
    const stray = (['remoteWriteTokenFile', 'remoteWriteBasicAuthFile', 'remoteWriteCa', 'remoteWriteInterval'] as const).find((k) => o[k] !== undefined);
    if (stray !== undefined) throw new InputError('E_REMOTE_WRITE', 'needs --remote-write URL', { field: stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), exitCode: 2 });
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(o.remoteWrite);
  } catch {
    throw new InputError('E_REMOTE_WRITE', 'not a URL (want e.g. https://prom.example:9090/api/v1/write)', { field, exitCode: 2 });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError('E_REMOTE_WRITE', 'must be an http:// or https:// URL', { field, exitCode: 2 });
  if (url.username !== '' || url.password !== '') {
    throw new InputError('E_REMOTE_WRITE', 'no credentials in the URL (it shows in ps): use --remote-write-basic-auth-file', { field, exitCode: 2 });
  }
  if (o.remoteWriteTokenFile !== undefined && o.remoteWriteBasicAuthFile !== undefined) {
    throw new InputError('E_REMOTE_WRITE', 'give a bearer token or basic auth, not both', { field: 'remote-write-basic-auth-file', exitCode: 2 });
  }
  const out: RemoteWriteOptions = { url: url.toString() };
  if (o.remoteWriteTokenFile !== undefined) {
    const token = readSecretFile(o.remoteWriteTokenFile, 'remote-write-token-file').trim();
    if (token === '' || /\s/.test(token)) throw new InputError('E_REMOTE_WRITE', 'token file must hold one token', { field: 'remote-write-token-file', exitCode: 2 });
    out.bearerToken = token;
  }
  if (o.remoteWriteBasicAuthFile !== undefined) {
    const line = readSecretFile(o.remoteWriteBasicAuthFile, 'remote-write-basic-auth-file').replace(/\r?\n$/, '');
    const i = line.indexOf(':');
    if (i < 1 || line.includes('\n')) throw new InputError('E_REMOTE_WRITE', 'basic auth file must hold one line USER:PASSWORD', { field: 'remote-write-basic-auth-file', exitCode: 2 });
    out.basicAuth = { username: line.slice(0, i), password: line.slice(i + 1) };
  }
  if ((out.bearerToken !== undefined || out.basicAuth !== undefined) && url.protocol === 'http:' && !loopback(url.hostname)) {
    throw new InputError('E_REMOTE_WRITE', 'credentials are only sent over https:// (or http:// on loopback)', { field, exitCode: 2 });
  }
  if (o.remoteWriteCa !== undefined) {
    if (url.protocol !== 'https:') throw new InputError('E_REMOTE_WRITE', '--remote-write-ca needs an https:// URL', { field: 'remote-write-ca', exitCode: 2 });
    try {
      out.ca = readFileSync(o.remoteWriteCa);
    } catch (e) {
      throw new InputError('E_REMOTE_WRITE', `cannot read ${o.remoteWriteCa}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field: 'remote-write-ca', exitCode: 2, cause: e });
    }
    if (!out.ca.includes('-----BEGIN CERTIFICATE-----')) throw new InputError('E_REMOTE_WRITE', 'not a PEM certificate', { field: 'remote-write-ca', exitCode: 2 });
  }
  if (o.remoteWriteInterval !== undefined) {
    const m = /^(\d+)(ms|s|m)?$/.exec(o.remoteWriteInterval);
    const ms = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? 's'] ?? 1000) : NaN;
    if (!(ms >= 1000 && ms <= 3_600_000)) throw new InputError('E_REMOTE_WRITE', 'expected 1s..60m (e.g. 15s)', { field: 'remote-write-interval', exitCode: 2 });
    out.intervalMs = ms;
  }
  return out;
}
