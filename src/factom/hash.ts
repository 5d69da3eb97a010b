import { createHash } from 'node:crypto';

/** Hashes used by Factom. node:crypto is pure computation here: no I/O, no state. */

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function sha512(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512').update(data).digest());
}

/** sha256(sha256(x)): checksums, RCD hashes, identity keys, chain-ID hash and commit weld. */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}
