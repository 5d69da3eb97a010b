import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { InputError } from '../errors.js';

/**
 * RFC 8032 Ed25519 over node:crypto (OpenSSL). A Factom secret is the 32-byte seed; node needs it
 * wrapped in PKCS8 DER, and gives the public key as SPKI DER whose last 32 bytes are the raw key.
 */

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function privateKeyObject(seed: Uint8Array, field: string): KeyObject {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new InputError('E_BAD_LENGTH', `an ed25519 seed is 32 bytes, got ${seed instanceof Uint8Array ? seed.length : typeof seed}`, { field });
  }
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyFromSeed(seed: Uint8Array, field = 'seed'): Uint8Array {
  const der = createPublicKey(privateKeyObject(seed, field)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

/** 64-byte signature R‖S. Deterministic (RFC 8032), so vectors reproduce. */
export function sign(seed: Uint8Array, message: Uint8Array, field = 'seed'): Uint8Array {
  return new Uint8Array(nodeSign(null, message, privateKeyObject(seed, field)));
}

/** False for a bad signature and for a public key that is not a valid curve point; never throws on bad bytes. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}
