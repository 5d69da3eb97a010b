import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AnoguardError, InputError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';

/**
 * On-disk layout of a PKI directory (mode 0700):
 *   ca.crt            CA certificate (public)
 *   ca.key.json       CA private key in an encrypted keystore (0600)
 *   crl.pem           CRL signed by the CA; the server enforces it
 *   index.json        every issued certificate (public facts only)
 *   certs/NAME.crt    issued certificates (leaf, then CA: a ready chain)
 *   private/NAME.key  their unencrypted PKCS#8 keys (0600; services must start unattended)
 */
export function pkiPaths(dir: string) {
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key.json'),
    crl: join(dir, 'crl.pem'),
    index: join(dir, 'index.json'),
    certs: join(dir, 'certs'),
    privateDir: join(dir, 'private'),
    cert: (name: string) => join(dir, 'certs', `${name}.crt`),
    key: (name: string) => join(dir, 'private', `${name}.key`),
  };
}
export type PkiPaths = ReturnType<typeof pkiPaths>;

export const CERT_KINDS = ['server', 'agent', 'gateway'] as const;
export type CertKind = (typeof CERT_KINDS)[number];
/** Same alphabet as an agent name on the wire, so a CN can be compared with the batch's `agent`. */
export const CERT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

export const IndexEntrySchema = z
  .object({
    name: z.string(),
    kind: z.enum(CERT_KINDS),
    /** lowercase hex, no leading zeros (the form used for comparisons) */
    serial: z.string(),
    sans: z.array(z.string()),
    notBefore: z.string(),
    notAfter: z.string(),
    revokedAt: z.string().optional(),
  })
  .strict();
export type IndexEntry = z.infer<typeof IndexEntrySchema>;
export const IndexSchema = z.object({ v: z.literal(1), caSerial: z.string(), certs: z.array(IndexEntrySchema) }).strict();
export type PkiIndex = z.infer<typeof IndexSchema>;

export function normalizeSerial(hex: string): string {
  const s = hex.replace(/[:\s]/g, '').toLowerCase().replace(/^0+/, '');
  return s === '' ? '0' : s;
}

export function assertPkiDir(paths: PkiPaths): void {
  if (!existsSync(paths.caCert) || !existsSync(paths.index)) {
    throw new InputError('E_NO_PKI', `no CA in ${paths.dir} (run anoguard pki init --dir ${paths.dir})`, { field: 'dir' });
  }
  const mode = statSync(paths.dir).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new AnoguardError('E_SECRET_PERMS', `${paths.dir} has mode ${mode.toString(8)}; a PKI directory must be 0700`, { field: 'dir' });
  }
}

export function readIndex(paths: PkiPaths): PkiIndex {
  assertPkiDir(paths);
  const r = IndexSchema.safeParse(JSON.parse(readFileSync(paths.index, 'utf8')));
  if (!r.success) throw new AnoguardError('E_PKI_INDEX', 'index.json is damaged', { field: paths.index, cause: r.error });
  return r.data;
}

export function writeIndex(paths: PkiPaths, index: PkiIndex): void {
  writeFileAtomic(paths.index, `${JSON.stringify(index, null, 2)}\n`, { mode: 0o644 });
}
