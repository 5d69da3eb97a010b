/**
 * The hot loop of chain-ID grinding: a SHA-256 specialised for
 * `chainId = sha256( sha256(ext_0) ‖ … ‖ sha256(ext_{m-1}) ‖ sha256(nonce) )`.
 *
 * Per attempt it runs one compression for `sha256(nonce)` (nonce ≤ 55 bytes, fixed layout) and one
 * or two for the outer hash, starting from a cached midstate of the fixed prefix. Nothing is
 * allocated inside the loop: node:crypto spends ~95 % of a 100-byte hash in call overhead
 * (dependencies.md), which is why this is pure JS. Pure module: no I/O, the caller passes in the
 * random nonce prefix.
 *
 * This is the scalar engine: the fallback when the runtime has no WebAssembly SIMD, and the
 * reference the SIMD engine (grind-simd.ts, the default, 3.5–4.5× faster) is tested against.
 */

export const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export const SHA256_IV: readonly number[] = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/**
 * One SHA-256 compression: `out = compress(state, block)`. `block` holds 16 big-endian words in its
 * first 16 slots and is used as the 64-word schedule (so it must have length 64). `state` and `out`
 * may be the same array.
 */
export function compress(state: Int32Array, w: Int32Array, out: Int32Array): void {
  expandSchedule(w);
  compressScheduled(state, w, out);
}

/** Fills schedule words 16..63 from words 0..15. */
export function expandSchedule(w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
}

/** The 64 rounds over an already expanded schedule (a constant block is expanded once). */
export function compressScheduled(state: Int32Array, w: Int32Array, out: Int32Array): void {
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  out[0] = (state[0]! + a) | 0; out[1] = (state[1]! + b) | 0;
  out[2] = (state[2]! + c) | 0; out[3] = (state[3]! + d) | 0;
  out[4] = (state[4]! + e) | 0; out[5] = (state[5]! + f) | 0;
  out[6] = (state[6]! + g) | 0; out[7] = (state[7]! + h) | 0;
}

/** How the nonce bytes of each attempt are produced. */
export type NonceLayout =
  /** `prefix ‖ uint32 BE counter` (random prefix chosen by the caller). */
  | { kind: 'binary'; prefix: Uint8Array }
  /** ASCII decimal of the counter, no leading zeros: serveridentity's scheme. */
  | { kind: 'ascii' };

export interface GrindTarget {
  /** sha256 of each ExtID before the nonce, concatenated (32 bytes each). */
  prefixHashes: Uint8Array;
  /** Required leading bytes of the chain ID (1..4 bytes; 888888 is 3). */
  want: Uint8Array;
}

export interface RangeResult {
  /** First counter in [from, to) whose chain ID matches, or -1. */
  hit: number;
  attempts: number;
}

export function readWordBE(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) | 0;
}

/**
 * Precomputed state for one grinding job: the midstate over the whole 64-byte blocks of the prefix
 * hashes and the fixed words of the last one or two outer blocks.
 */
export interface Grinder {
  /** Searches counters [from, to) and returns the first hit. */
  searchRange(layout: NonceLayout, from: number, to: number): RangeResult;
}

/** What every engine needs of a target: the outer midstate and the fixed words of its tail. */
export interface OuterSetup {
  /** State after the whole 64-byte blocks of the prefix hashes. */
  mid: Int32Array;
  /**
   * The tail is either [32 bytes of P, nonce hash] (a full block, then a constant padding block)
   * or [nonce hash, padding] (one block).
   */
  tailHasP: boolean;
  /** The last 32 bytes of P as words when `tailHasP`. */
  tailP: Int32Array;
  /** Length of the outer message in bytes. */
  totalLen: number;
  wantWord: number;
  mask: number;
}

export function prepareOuter(target: GrindTarget): OuterSetup {
  const P = target.prefixHashes;
  if (P.length % 32 !== 0 || P.length === 0) throw new RangeError('prefixHashes must be a non-empty multiple of 32 bytes');
  const wantLen = target.want.length;
  if (wantLen < 1 || wantLen > 4) throw new RangeError('want must be 1..4 bytes');
  const wantWord = readWordBE(new Uint8Array([...target.want, 0, 0, 0, 0]), 0);
  const mask = wantLen === 4 ? -1 : (~(0xffffffff >>> (wantLen * 8))) | 0;
  const totalLen = P.length + 32;
  const fullBlocks = Math.floor(P.length / 64);
  const mid = Int32Array.from(SHA256_IV);
  const w = new Int32Array(64);
  for (let blk = 0; blk < fullBlocks; blk++) {
    for (let i = 0; i < 16; i++) w[i] = readWordBE(P, blk * 64 + i * 4);
    compress(mid, w, mid);
  }
  const tailHasP = P.length % 64 === 32;
  const tailP = new Int32Array(8);
  if (tailHasP) for (let i = 0; i < 8; i++) tailP[i] = readWordBE(P, fullBlocks * 64 + i * 4);
  return { mid, tailHasP, tailP, totalLen, wantWord, mask };
}

export function createGrinder(target: GrindTarget): Grinder {
  const { mid, tailHasP, tailP, totalLen, wantWord, mask } = prepareOuter(target);
  const padBlock = new Int32Array(64);
  padBlock[0] = 0x80000000 | 0;
  padBlock[15] = totalLen * 8;
  expandSchedule(padBlock);

  const inner = new Int32Array(64);
  const h = new Int32Array(8);
  const outerW = new Int32Array(64);
  const st = new Int32Array(8);
  const digits = new Uint8Array(24);

  function outerMatches(): boolean {
    if (tailHasP) {
      for (let i = 0; i < 8; i++) { outerW[i] = tailP[i]!; outerW[i + 8] = h[i]!; }
      compress(mid, outerW, st);
      compressScheduled(st, padBlock, st);
    } else {
      for (let i = 0; i < 8; i++) outerW[i] = h[i]!;
      outerW[8] = 0x80000000 | 0;
      for (let i = 9; i < 15; i++) outerW[i] = 0;
      outerW[15] = totalLen * 8;
      compress(mid, outerW, st);
    }
    return (st[0]! & mask) === (wantWord & mask);
  }

  const iv = Int32Array.from(SHA256_IV);

  function searchBinary(prefix: Uint8Array, from: number, to: number): RangeResult {
    const n = prefix.length + 4;
    if (n > 55) throw new RangeError('nonce too long for one block');
    const buf = new Uint8Array(64);
    buf.set(prefix, 0);
    buf[n] = 0x80;
    const fixed = new Int32Array(16);
    for (let i = 0; i < 16; i++) fixed[i] = readWordBE(buf, i * 4);
    fixed[15] = n * 8;
    // The counter occupies bytes [p, p+4) which may straddle two words.
    const p = prefix.length;
    const wi = p >> 2;
    const sh = (p & 3) * 8;
    for (let c = from; c < to; c++) {
      for (let i = 0; i < 16; i++) inner[i] = fixed[i]!;
      if (sh === 0) inner[wi] = c | 0;
      else {
        inner[wi] = fixed[wi]! | (c >>> sh);
        inner[wi + 1] = fixed[wi + 1]! | (c << (32 - sh));
      }
      compress(iv, inner, h);
      if (outerMatches()) return { hit: c, attempts: c - from + 1 };
    }
    return { hit: -1, attempts: to - from };
  }

  function searchAscii(from: number, to: number): RangeResult {
    let c = from;
    while (c < to) {
      // Within one decimal length the layout is fixed; increment the ASCII digits in place.
      const s = String(c);
      const len = s.length;
      const end = Math.min(to, 10 ** len);
      for (let i = 0; i < len; i++) digits[i] = s.charCodeAt(i);
      for (; c < end; c++) {
        inner.fill(0, 0, 16);
        for (let i = 0; i < len; i++) inner[i >> 2] = inner[i >> 2]! | (digits[i]! << (24 - (i & 3) * 8));
        inner[len >> 2] = inner[len >> 2]! | (0x80 << (24 - (len & 3) * 8));
        inner[15] = len * 8;
        compress(iv, inner, h);
        if (outerMatches()) return { hit: c, attempts: c - from + 1 };
        let k = len - 1;
        while (k >= 0 && digits[k] === 0x39) { digits[k] = 0x30; k--; }
        if (k >= 0) digits[k] = digits[k]! + 1;
      }
    }
    return { hit: -1, attempts: to - from };
  }

  return {
    searchRange(layout, from, to) {
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from) throw new RangeError('bad range');
      if (layout.kind === 'binary') {
        if (to > 0x1_0000_0000) throw new RangeError('binary counter is 32 bits');
        return searchBinary(layout.prefix, from, to);
      }
      if (from < 1) throw new RangeError('ascii counter starts at 1');
      return searchAscii(from, to);
    },
  };
}

/** The nonce bytes for a counter value under a layout (outside the hot loop). */
export function nonceBytes(layout: NonceLayout, counter: number): Uint8Array {
  if (layout.kind === 'ascii') return new TextEncoder().encode(String(counter));
  const out = new Uint8Array(layout.prefix.length + 4);
  out.set(layout.prefix, 0);
  new DataView(out.buffer).setUint32(layout.prefix.length, counter >>> 0, false);
  return out;
}
