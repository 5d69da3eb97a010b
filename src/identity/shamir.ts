/**
 * Shamir secret sharing over GF(2^8) (AES field, polynomial x^8+x^4+x^3+x+1), byte by byte.
 * k shares reconstruct the secret; k−1 shares carry no information about it. Pure: the caller
 * passes in the randomness.
 */
import { InputError } from '../errors.js';

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
(() => {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    // multiply by the generator 3 = x ⊕ 2x
    let x2 = x << 1;
    if (x2 & 0x100) x2 ^= 0x11b;
    x = x2 ^ x;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
})();

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(256)');
  if (a === 0) return 0;
  return EXP[LOG[a]! + 255 - LOG[b]!]!;
}

export interface Share {
  /** x coordinate, 1..255. */
  x: number;
  /** y values, one per secret byte. */
  y: Uint8Array;
}

/** Splits `secret` into `n` shares, any `k` of which restore it. */
export function splitSecret(secret: Uint8Array, n: number, k: number, randomBytes: (len: number) => Uint8Array): Share[] {
  if (!Number.isInteger(n) || n < 2 || n > 255) throw new InputError('E_BAD_SHARES', `share count ${n} must be 2..255`, { field: 'shares', exitCode: 2 });
  if (!Number.isInteger(k) || k < 2 || k > n) throw new InputError('E_BAD_THRESHOLD', `threshold ${k} must be 2..${n}`, { field: 'threshold', exitCode: 2 });
  const shares: Share[] = [];
  for (let x = 1; x <= n; x++) shares.push({ x, y: new Uint8Array(secret.length) });
  const coeffs = new Uint8Array(k);
  for (let i = 0; i < secret.length; i++) {
    coeffs[0] = secret[i]!;
    coeffs.set(randomBytes(k - 1).subarray(0, k - 1), 1);
    for (const s of shares) {
      // Horner: f(x) = c0 + x(c1 + x(c2 + …))
      let acc = 0;
      for (let j = k - 1; j >= 0; j--) acc = gfMul(acc, s.x) ^ coeffs[j]!;
      s.y[i] = acc;
    }
  }
  coeffs.fill(0);
  return shares;
}

/** Lagrange interpolation at x = 0 over the given shares (exactly the ones to use). */
export function combineShares(shares: readonly Share[]): Uint8Array {
  if (shares.length < 2) throw new InputError('E_TOO_FEW_SHARES', 'at least 2 shares are needed', { field: 'shares' });
  const len = shares[0]!.y.length;
  const xs = new Set<number>();
  for (const s of shares) {
    if (!Number.isInteger(s.x) || s.x < 1 || s.x > 255) throw new InputError('E_BAD_SHARE', `share index ${s.x} must be 1..255`, { field: 'shares' });
    if (xs.has(s.x)) throw new InputError('E_DUPLICATE_SHARE', `share ${s.x} given twice`, { field: 'shares' });
    if (s.y.length !== len) throw new InputError('E_BAD_SHARE', 'shares have different lengths (not from one split)', { field: 'shares' });
    xs.add(s.x);
  }
  // Lagrange basis at 0: l_j = Π_{m≠j} x_m / (x_m ⊕ x_j)
  const basis = shares.map((sj, j) => {
    let num = 1;
    let den = 1;
    shares.forEach((sm, m) => {
      if (m === j) return;
      num = gfMul(num, sm.x);
      den = gfMul(den, sm.x ^ sj.x);
    });
    return gfDiv(num, den);
  });
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    let acc = 0;
    for (let j = 0; j < shares.length; j++) acc ^= gfMul(basis[j]!, shares[j]!.y[i]!);
    out[i] = acc;
  }
  return out;
}
