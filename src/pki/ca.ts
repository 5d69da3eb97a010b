import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { AnoguardError, InputError } from '../errors.js';
import { readSecretFile, writeFileAtomic } from '../util/fs.js';
import {
  createCaCertificate, createCrl, createLeafCertificate, exportPkcs8, generateP256, importSigningKey, parseCertificate,
  parseSan, pemEncode, randomSerial, type CaMaterial, type San,
} from './certs.js';
import { openKeystore, sealKeystore } from './keystore.js';
import {
  CERT_NAME, normalizeSerial, pkiPaths, readIndex, writeIndex, type CertKind, type IndexEntry, type PkiIndex,
} from './layout.js';

const DAY_MS = 86_400_000;
export const CA_DAYS = 3650;
/** The CA/Browser Forum's public maximum; short enough that a forgotten cert does not live forever. */
export const LEAF_DAYS = 397;
/** The CRL is re-signed at each revoke; until then it stays valid this long (OpenSSL refuses an expired CRL). */
export const CRL_DAYS = 365;

export interface InitCaOptions {
  dir: string;
  passphrase: string;
  commonName?: string;
  now?: Date;
  days?: number;
  /** scrypt cost; default DEFAULT_SCRYPT. Tests lower it to the floor openKeystore accepts (N 2^14). */
  scrypt?: { N: number; r: number; p: number };
}

export async function initCa(opts: InitCaOptions): Promise<{ dir: string; caCert: string; serial: string; notAfter: string }> {
  const paths = pkiPaths(opts.dir);
  if (existsSync(paths.caCert) || existsSync(paths.caKey)) {
    throw new AnoguardError('E_EXISTS', `a CA already exists in ${opts.dir}`, { field: 'dir' });
  }
  const now = opts.now ?? new Date();
  const keys = await generateP256();
  // Seal first: a weak passphrase must fail before anything is written.
  const keystore = sealKeystore(await exportPkcs8(keys.privateKey), opts.passphrase, opts.scrypt);
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  chmodSync(opts.dir, 0o700);
  mkdirSync(paths.certs, { recursive: true, mode: 0o700 });
  mkdirSync(paths.privateDir, { recursive: true, mode: 0o700 });
  const cert = await createCaCertificate({ commonName: opts.commonName ?? 'anoguard CA', keys, now, days: opts.days ?? CA_DAYS });
  writeFileAtomic(paths.caKey, `${JSON.stringify(keystore, null, 2)}\n`, { mode: 0o600, exclusive: true });
  writeFileAtomic(paths.caCert, cert.toString('pem') + '\n', { mode: 0o644, exclusive: true });
  const serial = normalizeSerial(cert.serialNumber);
  writeIndex(paths, { v: 1, caSerial: serial, certs: [] });
  const ca: CaMaterial = { cert, key: await importSigningKey(await exportPkcs8(keys.privateKey)) };
  await writeCrl(opts.dir, ca, [], now);
  return { dir: opts.dir, caCert: paths.caCert, serial, notAfter: cert.notAfter.toISOString() };
}

export async function unlockCa(dir: string, passphrase: string): Promise<CaMaterial> {
  const paths = pkiPaths(dir);
  readIndex(paths);
  const pkcs8 = openKeystore(readSecretFile(paths.caKey, 'ca key'), passphrase, paths.caKey);
  return { cert: parseCertificate(readFileSync(paths.caCert, 'utf8')), key: await importSigningKey(pkcs8) };
}

async function writeCrl(dir: string, ca: CaMaterial, revoked: IndexEntry[], now: Date): Promise<void> {
  const crl = await createCrl({
    ca, now, days: CRL_DAYS,
    revoked: revoked.map((e) => ({ serial: e.serial.length % 2 ? `0${e.serial}` : e.serial, at: new Date(e.revokedAt ?? now) })),
  });
  // OpenSSL (and so node:tls) only reads the RFC 7468 label "X509 CRL".
  const pem = pemEncode(new Uint8Array(crl.rawData), 'X509 CRL');
  writeFileAtomic(pkiPaths(dir).crl, pem, { mode: 0o644 });
}

export interface IssueOptions {
  dir: string;
  passphrase: string;
  kind: CertKind;
  name: string;
  sans?: string[];
  now?: Date;
  days?: number;
  /** For tests of expiry handling: an explicit validity window. */
  notBefore?: Date;
  notAfter?: Date;
}

export interface IssuedCert extends IndexEntry {
  cert: string;
  key: string;
}

export async function issueCert(opts: IssueOptions): Promise<IssuedCert> {
  if (!CERT_NAME.test(opts.name)) {
    throw new InputError('E_BAD_NAME', 'name must be 1-64 of [A-Za-z0-9_.-], starting with a letter or digit', { field: 'name', exitCode: 2 });
  }
  const paths = pkiPaths(opts.dir);
  const index = readIndex(paths);
  if (index.certs.some((c) => c.name === opts.name && c.revokedAt === undefined)) {
    throw new AnoguardError('E_EXISTS', `an unrevoked certificate named ${opts.name} exists (revoke it first)`, { field: 'name' });
  }
  const sans: San[] = (opts.sans ?? []).map(parseSan);
  // A server or gateway is reached by name, so its own name is always a SAN (clients check SANs, not CN).
  if (opts.kind !== 'agent' && !sans.some((s) => s.value === opts.name)) sans.unshift(parseSan(opts.name));
  const ca = await unlockCa(opts.dir, opts.passphrase);
  const now = opts.now ?? new Date();
  const notBefore = opts.notBefore ?? new Date(now.getTime() - 60_000);
  const notAfter = opts.notAfter ?? new Date(now.getTime() + (opts.days ?? LEAF_DAYS) * DAY_MS);
  if (notAfter.getTime() > ca.cert.notAfter.getTime()) {
    throw new InputError('E_VALIDITY', 'certificate would outlive the CA', { field: 'days', exitCode: 2 });
  }
  const keys = await generateP256();
  const serial = randomSerial();
  const cert = await createLeafCertificate({ ca, kind: opts.kind, name: opts.name, sans, publicKey: keys.publicKey, serial, notBefore, notAfter });
  const keyPem = pemEncode(await exportPkcs8(keys.privateKey), 'PRIVATE KEY');
  const certPem = cert.toString('pem') + '\n';
  const entry: IndexEntry = {
    name: opts.name, kind: opts.kind, serial: normalizeSerial(serial),
    sans: sans.map((s) => `${s.type.toUpperCase()}:${s.value}`),
    notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString(),
  };
  writeFileAtomic(paths.key(opts.name), keyPem, { mode: 0o600 });
  // The chain file carries the CA too, so a TLS peer can be handed one file.
  writeFileAtomic(paths.cert(opts.name), certPem + ca.cert.toString('pem') + '\n', { mode: 0o644 });
  writeIndex(paths, { ...index, certs: [...index.certs.filter((c) => c.name !== opts.name || c.revokedAt !== undefined), entry] });
  return { ...entry, cert: paths.cert(opts.name), key: paths.key(opts.name) };
}

export interface RevokeOptions {
  dir: string;
  passphrase: string;
  /** a certificate name (its unrevoked certificate) or a serial in hex */
  target: string;
  now?: Date;
}

export async function revokeCert(opts: RevokeOptions): Promise<IndexEntry> {
  const paths = pkiPaths(opts.dir);
  const index = readIndex(paths);
  const serial = /^[0-9a-fA-F:]+$/.test(opts.target) ? normalizeSerial(opts.target) : undefined;
  const entry =
    index.certs.find((c) => c.name === opts.target && c.revokedAt === undefined) ??
    (serial === undefined ? undefined : index.certs.find((c) => c.serial === serial));
  if (entry === undefined) throw new InputError('E_NOT_FOUND', `no unrevoked certificate with name or serial ${opts.target}`, { field: 'target', exitCode: 1 });
  if (entry.revokedAt !== undefined) throw new AnoguardError('E_ALREADY_REVOKED', `${entry.name} (${entry.serial}) is already revoked`, { field: 'target' });
  const ca = await unlockCa(opts.dir, opts.passphrase);
  const now = opts.now ?? new Date();
  const revoked: IndexEntry = { ...entry, revokedAt: now.toISOString() };
  const next: PkiIndex = { ...index, certs: index.certs.map((c) => (c === entry ? revoked : c)) };
  // CRL before index: if we crash in between, the cert is refused but still listed as active, which
  // a second `revoke` repairs. The other order would list it revoked while the server accepts it.
  await writeCrl(opts.dir, ca, next.certs.filter((c) => c.revokedAt !== undefined), now);
  writeIndex(paths, next);
  return revoked;
}

export interface ListedCert extends IndexEntry {
  status: 'valid' | 'revoked' | 'expired';
}

export function listCerts(dir: string, now: Date = new Date()): { ca: { serial: string; notAfter: string; modeOk: boolean }; certs: ListedCert[] } {
  const paths = pkiPaths(dir);
  const index = readIndex(paths);
  const ca = parseCertificate(readFileSync(paths.caCert, 'utf8'));
  return {
    ca: { serial: index.caSerial, notAfter: ca.notAfter.toISOString(), modeOk: (statSync(paths.caKey).mode & 0o077) === 0 },
    certs: index.certs.map((c) => ({
      ...c,
      status: c.revokedAt !== undefined ? 'revoked' : Date.parse(c.notAfter) < now.getTime() ? 'expired' : 'valid',
    })),
  };
}
