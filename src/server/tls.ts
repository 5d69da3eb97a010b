import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { AnoguardError, InputError } from '../errors.js';
import type { Logger } from '../log.js';
import { readCrlSerials } from '../pki/certs.js';
import { normalizeSerial } from '../pki/layout.js';
import { readSecretFile } from '../util/fs.js';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  /** CRL signed by the CA; enforced in the TLS handshake and again per request. */
  crl?: string;
}

/** The files `anoguard pki` lays out for a server certificate named `name`. */
export function tlsFilesFromPkiDir(dir: string, name: string): TlsFiles {
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'certs', `${name}.crt`), key: join(dir, 'private', `${name}.key`), crl: join(dir, 'crl.pem') };
}

function read(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError('E_NO_FILE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e });
  }
}

export function loadSecureContext(files: TlsFiles): SecureContextOptions {
  return {
    ca: read(files.ca, 'tls.ca'),
    cert: read(files.cert, 'tls.cert'),
    key: readSecretFile(files.key, 'tls.key'),
    ...(files.crl !== undefined ? { crl: read(files.crl, 'tls.crl') } : {}),
    minVersion: 'TLSv1.3',
  };
}

export interface Revocation {
  isRevoked(serial: string): boolean;
  /** Re-reads the CRL if its file changed; returns true when it did. */
  refresh(): Promise<boolean>;
  close(): void;
}

/**
 * Keeps the revoked serials of the CRL in memory and re-reads the file when its mtime changes, so
 * `anoguard pki revoke` takes effect on a running server within `pollMs` without a restart. A CRL
 * that stops verifying keeps the last good list and is logged: an attacker who can write the file
 * must not be able to clear it.
 */
export async function watchRevocations(files: TlsFiles, logger: Logger, onChange: () => void, pollMs = 2000): Promise<Revocation> {
  let revoked = new Set<string>();
  let stamp = '';
  const caPem = read(files.ca, 'tls.ca');
  const refresh = async (): Promise<boolean> => {
    if (files.crl === undefined) return false;
    let st;
    try { st = statSync(files.crl); } catch { return false; }
    const next = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (next === stamp) return false;
    const set = await readCrlSerials(read(files.crl, 'tls.crl'), caPem);
    revoked = new Set([...set].map(normalizeSerial));
    const first = stamp === '';
    stamp = next;
    if (!first) {
      logger.info({ revoked: revoked.size }, 'CRL reloaded');
      onChange();
    }
    return true;
  };
  if (files.crl !== undefined) {
    try {
      await refresh();
    } catch (e) {
      throw new AnoguardError('E_CRL', `cannot load the CRL: ${(e as Error).message}`, { field: 'tls.crl', cause: e });
    }
  }
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    refresh().catch((e: unknown) => logger.error({ err: e }, 'CRL reload failed; keeping the previous list')).finally(() => { busy = false; });
  }, pollMs);
  timer.unref();
  return { isRevoked: (serial) => revoked.has(normalizeSerial(serial)), refresh, close: () => clearInterval(timer) };
}

export interface PeerIdentity {
  cn: string;
  serial: string;
}

/** The verified client certificate of a request's socket, or undefined when there is none. */
export function peerIdentity(socket: unknown): PeerIdentity | undefined {
  const s = socket as Partial<TLSSocket>;
  if (typeof s.getPeerCertificate !== 'function' || s.authorized !== true) return undefined;
  const cert = s.getPeerCertificate(false);
  const cn = cert?.subject?.CN;
  if (typeof cn !== 'string' || typeof cert.serialNumber !== 'string') return undefined;
  return { cn, serial: cert.serialNumber };
}
