import { InputError } from '../errors.js';

/** Byte helpers for the protocol core. Everything big-endian, as Factom writes it. */

const HEX_RE = /^[0-9a-fA-F]*$/;

/**
 * Decodes hex with a precise error. Unlike Buffer.from(hex, 'hex'), which silently stops at the
 * first bad pair (factom-identity-lib's 3-byte chain ID bug), any bad character is an error.
 */
export function hexToBytes(hex: string, field = 'hex', expectedLen?: number): Uint8Array {
  if (typeof hex !== 'string') throw new InputError('E_BAD_HEX', 'expected a hex string', { field });
  if (!HEX_RE.test(hex)) {
    const pos = [...hex].findIndex((c) => !/[0-9a-fA-F]/.test(c));
    throw new InputError('E_BAD_HEX', `not hex: character ${JSON.stringify(hex[pos])} at position ${pos + 1}`, { field });
  }
  if (hex.length % 2 !== 0) throw new InputError('E_BAD_HEX', `odd number of hex digits (${hex.length})`, { field });
  const n = hex.length / 2;
  if (expectedLen !== undefined && n !== expectedLen) {
    throw new InputError('E_BAD_LENGTH', `expected ${expectedLen} bytes (${expectedLen * 2} hex digits), got ${n} bytes`, { field });
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function utf8ToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

export function bytesToUtf8(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

function checkUint(value: number | bigint, max: bigint, field: string, what: string): bigint {
  const okType = typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value));
  if (!okType) throw new InputError('E_BAD_INTEGER', `${what}: not an integer (${String(value)})`, { field });
  const v = BigInt(value);
  if (v < 0n || v > max) throw new InputError('E_OUT_OF_RANGE', `${what}: ${v} is outside 0..${max}`, { field });
  return v;
}

function writeBE(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function readBE(b: Uint8Array, off: number, len: number, field: string): bigint {
  if (off < 0 || off + len > b.length) {
    throw new InputError('E_TRUNCATED', `need ${len} bytes at offset ${off}, have ${Math.max(0, b.length - off)}`, { field });
  }
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(b[off + i]!);
  return v;
}

export function u16be(v: number, field = 'uint16'): Uint8Array {
  return writeBE(checkUint(v, 0xffffn, field, 'uint16'), 2);
}
export function u32be(v: number, field = 'uint32'): Uint8Array {
  return writeBE(checkUint(v, 0xffffffffn, field, 'uint32'), 4);
}
/** Low 6 bytes of a 64-bit BE integer: the commit's millisecond timestamp. */
export function u48be(v: number, field = 'uint48'): Uint8Array {
  return writeBE(checkUint(v, 0xffffffffffffn, field, 'uint48'), 6);
}
/** 8-byte BE: the identity messages' timestamp in seconds. */
export function u64be(v: number | bigint, field = 'uint64'): Uint8Array {
  return writeBE(checkUint(v, 0xffffffffffffffffn, field, 'uint64'), 8);
}

export function readU16be(b: Uint8Array, off = 0, field = 'uint16'): number {
  return Number(readBE(b, off, 2, field));
}
export function readU32be(b: Uint8Array, off = 0, field = 'uint32'): number {
  return Number(readBE(b, off, 4, field));
}
export function readU48be(b: Uint8Array, off = 0, field = 'uint48'): number {
  return Number(readBE(b, off, 6, field));
}
export function readU64be(b: Uint8Array, off = 0, field = 'uint64'): bigint {
  return readBE(b, off, 8, field);
}
