// @peculiar/x509 2 resolves its services through tsyringe, which needs the Reflect polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { isIP } from 'node:net';
import { randomBytes, webcrypto } from 'node:crypto';
import { InputError } from '../errors.js';
import type { CertKind } from './layout.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const subtle = webcrypto.subtle as unknown as SubtleCrypto;

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export function generateP256(): Promise<CryptoKeyPair> {
  return subtle.generateKey(EC_ALG, true, ['sign', 'verify']);
}

export async function exportPkcs8(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('pkcs8', key));
}

export function importSigningKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  return subtle.importKey('pkcs8', new Uint8Array(pkcs8), EC_ALG, false, ['sign']);
}

export function pemEncode(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** 128 random bits, top bit cleared so the DER INTEGER stays positive, never starting with a zero byte. */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

export type San = { type: 'dns' | 'ip'; value: string };

/** `DNS:host`, `IP:addr` or a bare host/address. */
export function parseSan(s: string): San {
  const m = /^(dns|ip):(.+)$/i.exec(s.trim());
  const value = m ? m[2]! : s.trim();
  const type = m ? (m[1]!.toLowerCase() as 'dns' | 'ip') : isIP(value) ? 'ip' : 'dns';
  if (type === 'ip' && isIP(value) === 0) throw new InputError('E_BAD_SAN', `not an IP address: ${value}`, { field: 'san', exitCode: 2 });
  if (type === 'dns' && !/^(\*\.)?[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}))*$/.test(value)) {
    throw new InputError('E_BAD_SAN', `not a DNS name: ${value}`, { field: 'san', exitCode: 2 });
  }
  return { type, value };
}

export interface CaMaterial {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

export async function createCaCertificate(opts: { commonName: string; keys: CryptoKeyPair; now: Date; days: number }): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [opts.commonName] }, { O: ['anoguard'] }],
    notBefore: new Date(opts.now.getTime() - 60_000),
    notAfter: new Date(opts.now.getTime() + opts.days * DAY_MS),
    keys: opts.keys,
    signingAlgorithm: SIGN_ALG,
    extensions: [
      // pathlen 0: this CA signs leaves only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(opts.keys.publicKey),
    ],
  });
}

const EKU: Record<CertKind, string[]> = {
  server: [x509.ExtendedKeyUsage.serverAuth],
  agent: [x509.ExtendedKeyUsage.clientAuth],
  // The gateway terminates TLS for its clients and authenticates itself to the server.
  gateway: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
};

export async function createLeafCertificate(opts: {
  ca: CaMaterial;
  kind: CertKind;
  name: string;
  sans: San[];
  publicKey: CryptoKey;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(EKU[opts.kind], false),
    await x509.SubjectKeyIdentifierExtension.create(opts.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(opts.ca.cert.publicKey),
  ];
  if (opts.sans.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(opts.sans.map((s) => ({ type: s.type, value: s.value })), false));
  }
  return x509.X509CertificateGenerator.create({
    serialNumber: opts.serial,
    subject: [{ CN: [opts.name] }, { O: ['anoguard'] }, { OU: [opts.kind] }],
    issuer: opts.ca.cert.subjectName,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    publicKey: opts.publicKey,
    signingKey: opts.ca.key,
    signingAlgorithm: SIGN_ALG,
    extensions,
  });
}

export async function createCrl(opts: { ca: CaMaterial; now: Date; days: number; revoked: { serial: string; at: Date }[] }): Promise<x509.X509Crl> {
  return x509.X509CrlGenerator.create({
    issuer: opts.ca.cert.subjectName,
    thisUpdate: opts.now,
    nextUpdate: new Date(opts.now.getTime() + opts.days * DAY_MS),
    signingAlgorithm: SIGN_ALG,
    signingKey: opts.ca.key,
    entries: opts.revoked.map((r) => ({ serialNumber: r.serial, revocationDate: r.at, reason: x509.X509CrlReason.keyCompromise })),
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(opts.ca.cert.publicKey)],
  });
}

export function parseCertificate(pem: string): x509.X509Certificate {
  return new x509.X509Certificate(pem);
}

/**
 * Serials revoked by a CRL, after checking that the CA signed it. A CRL that does not verify is an
 * error, not an empty list: failing open would let a revoked agent back in.
 */
export async function readCrlSerials(crlPem: string, caPem: string): Promise<Set<string>> {
  const crl = new x509.X509Crl(crlPem);
  const ca = new x509.X509Certificate(caPem);
  if (!(await crl.verify({ publicKey: ca.publicKey }))) {
    throw new InputError('E_CRL_SIGNATURE', 'CRL is not signed by the CA', { field: 'crl' });
  }
  return new Set(crl.entries.map((e) => e.serialNumber.toLowerCase().replace(/^0+/, '')));
}

export { x509 };
