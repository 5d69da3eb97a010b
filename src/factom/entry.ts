import { InputError } from '../errors.js';
import { bytesToHex, concatBytes, hexToBytes, readU16be, u16be } from './bytes.js';
import { sha256, sha512 } from './hash.js';

/** A Factom entry (factom-protocol.md §2). The reveal payload is its marshalled form. */
export interface Entry {
  chainId: Uint8Array;
  extIds: Uint8Array[];
  content: Uint8Array;
}

export const ENTRY_HEADER_SIZE = 35;
/** factomd constants.MaxEntrySizeInBytes: payload = ExtIDs (with their 2-byte lengths) + content. */
export const MAX_ENTRY_PAYLOAD = 10240;
export const MAX_ENTRY_SIZE = ENTRY_HEADER_SIZE + MAX_ENTRY_PAYLOAD;

/** Parses a 64-hex-digit chain ID (or entry hash) with an error naming the field. */
export function parseChainId(hex: string, field = 'chainId'): Uint8Array {
  if (typeof hex !== 'string') throw new InputError('E_BAD_CHAIN_ID', 'expected 64 hex digits', { field });
  if (hex.length !== 64) throw new InputError('E_BAD_CHAIN_ID', `a chain ID is 64 hex digits, got ${hex.length} characters`, { field });
  return hexToBytes(hex, field, 32);
}

export function payloadSize(entry: Entry): number {
  let n = entry.content.length;
  for (const x of entry.extIds) n += 2 + x.length;
  return n;
}

function checkEntry(entry: Entry, field: string): void {
  if (!(entry.chainId instanceof Uint8Array) || entry.chainId.length !== 32) {
    throw new InputError('E_BAD_CHAIN_ID', `chain ID must be 32 bytes, got ${entry.chainId?.length ?? 'none'}`, { field: `${field}.chainId` });
  }
  const size = payloadSize(entry);
  if (size > MAX_ENTRY_PAYLOAD) {
    throw new InputError('E_ENTRY_TOO_LARGE', `entry payload is ${size} bytes; the limit is ${MAX_ENTRY_PAYLOAD}`, { field });
  }
}

/** Version 0 ‖ chainId ‖ uint16 ExtIDs size ‖ (uint16 len ‖ ExtID)* ‖ content. */
export function marshalEntry(entry: Entry, field = 'entry'): Uint8Array {
  checkEntry(entry, field);
  const extSize = entry.extIds.reduce((n, x) => n + 2 + x.length, 0);
  const parts: Uint8Array[] = [Uint8Array.of(0), entry.chainId, u16be(extSize, `${field}.extIds`)];
  for (const x of entry.extIds) parts.push(u16be(x.length, `${field}.extIds`), x);
  parts.push(entry.content);
  return concatBytes(...parts);
}

/** Inverse of marshalEntry; truncated, oversized or inconsistent input is an InputError naming the field. */
export function unmarshalEntry(data: Uint8Array, field = 'entry'): Entry {
  if (data.length < ENTRY_HEADER_SIZE) {
    throw new InputError('E_TRUNCATED', `entry is ${data.length} bytes; the header alone is ${ENTRY_HEADER_SIZE}`, { field });
  }
  if (data.length > MAX_ENTRY_SIZE) {
    throw new InputError('E_ENTRY_TOO_LARGE', `entry payload is ${data.length - ENTRY_HEADER_SIZE} bytes; the limit is ${MAX_ENTRY_PAYLOAD}`, { field });
  }
  if (data[0] !== 0) throw new InputError('E_BAD_VERSION', `entry version ${data[0]}; only 0 exists`, { field });
  const chainId = data.slice(1, 33);
  const extSize = readU16be(data, 33, field);
  const extEnd = ENTRY_HEADER_SIZE + extSize;
  if (extEnd > data.length) {
    throw new InputError('E_TRUNCATED', `ExtIDs declare ${extSize} bytes but only ${data.length - ENTRY_HEADER_SIZE} follow the header`, { field });
  }
  const extIds: Uint8Array[] = [];
  let off = ENTRY_HEADER_SIZE;
  while (off < extEnd) {
    if (off + 2 > extEnd) throw new InputError('E_BAD_ENTRY', `ExtID length field crosses the ExtIDs end at offset ${off}`, { field });
    const len = readU16be(data, off, field);
    off += 2;
    if (off + len > extEnd) {
      throw new InputError('E_BAD_ENTRY', `ExtID ${extIds.length} of ${len} bytes overruns the declared ExtIDs size`, { field });
    }
    extIds.push(data.slice(off, off + len));
    off += len;
  }
  return { chainId, extIds, content: data.slice(extEnd) };
}

/** sha256(sha512(marshal) ‖ marshal). Accepts an entry or its marshalled bytes. */
export function entryHash(entry: Entry | Uint8Array): Uint8Array {
  const m = entry instanceof Uint8Array ? entry : marshalEntry(entry);
  return sha256(concatBytes(sha512(m), m));
}

/** sha256(sha256(ExtID_0) ‖ sha256(ExtID_1) ‖ …) over a chain's first entry. */
export function chainIdFromExtIds(extIds: readonly Uint8Array[]): Uint8Array {
  return sha256(concatBytes(...extIds.map((x) => sha256(x))));
}

/** Entry Credits for one entry: ceil(payload / 1024), at least 1 (factomd util.EntryCost). */
export function entryCost(entryOrPayloadSize: Entry | number, field = 'entry'): number {
  const size = typeof entryOrPayloadSize === 'number' ? entryOrPayloadSize : payloadSize(entryOrPayloadSize);
  if (!Number.isSafeInteger(size) || size < 0) throw new InputError('E_BAD_INTEGER', `payload size ${size} is not a byte count`, { field });
  if (size > MAX_ENTRY_PAYLOAD) {
    throw new InputError('E_ENTRY_TOO_LARGE', `entry payload is ${size} bytes; the limit is ${MAX_ENTRY_PAYLOAD}`, { field });
  }
  return Math.max(1, Math.ceil(size / 1024));
}

/** A new chain costs 10 EC plus its first entry. */
export function chainCost(firstEntry: Entry | number, field = 'entry'): number {
  return 10 + entryCost(firstEntry, field);
}

/** Hex of the reveal (reveal-entry / reveal-chain `entry` param). */
export function revealHex(entry: Entry): string {
  return bytesToHex(marshalEntry(entry));
}

/** True when a chain ID begins with 888888, which factomd requires for server-identity chains. */
export function isServerIdentityChainId(chainId: Uint8Array): boolean {
  return chainId.length === 32 && chainId[0] === 0x88 && chainId[1] === 0x88 && chainId[2] === 0x88;
}
