/**
 * Constant folding for the grinder's SHA-256 blocks, shared by the scalar precomputation and the
 * WebAssembly SIMD code generator (grind-simd.ts), so both agree on what is constant.
 *
 * In a block whose 16 words are partly fixed (nonce prefix, padding, length) and partly varying
 * (the counter, a digest), every schedule word that depends only on fixed words is a constant, and
 * a varying one still has constant terms that fold into one number. When the incoming state is
 * fixed too, the rounds before the first varying word are the same for every attempt and are run
 * once here.
 */
import { K, SHA256_IV } from './grind-core.js';

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
export const sigma0 = (x: number): number => rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
export const sigma1 = (x: number): number => rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10);

/** A block word: its value when fixed, `null` when it varies per attempt. */
export type BlockWord = number | null;

/** The four terms of schedule word i ≥ 16, in order: σ1(W[i-2]), W[i-7], σ0(W[i-15]), W[i-16]. */
export const TERM_OFFSETS = [2, 7, 15, 16] as const;

export interface SchedulePlan {
  /** W[0..63]: the value when constant, `null` when it varies. */
  full: BlockWord[];
  /** For a varying W[i] (i ≥ 16): which of its 4 terms vary (indexes into TERM_OFFSETS). */
  varTerms: number[][];
  /** For a varying W[i] (i ≥ 16): the sum of its constant terms, or `null` when all terms vary. */
  constPart: (number | null)[];
}

export function planSchedule(words: readonly BlockWord[]): SchedulePlan {
  if (words.length !== 16) throw new RangeError('a block has 16 words');
  const full: BlockWord[] = [...words];
  const varTerms: number[][] = Array.from({ length: 64 }, () => []);
  const constPart: (number | null)[] = new Array<number | null>(64).fill(null);
  for (let i = 16; i < 64; i++) {
    let sum = 0;
    let anyConst = false;
    TERM_OFFSETS.forEach((off, t) => {
      const src = full[i - off]!;
      if (src === null) { varTerms[i]!.push(t); return; }
      anyConst = true;
      sum = (sum + (t === 0 ? sigma1(src) : t === 2 ? sigma0(src) : src)) | 0;
    });
    if (varTerms[i]!.length === 0) full.push(sum);
    else { full.push(null); constPart[i] = anyConst ? sum : null; }
  }
  return { full, varTerms, constPart };
}

/** The first round that uses a varying word (16 if none). */
export function firstVaryingRound(words: readonly BlockWord[]): number {
  const i = words.findIndex((w) => w === null);
  return i < 0 ? 16 : i;
}

/** Runs rounds [0, n) of a compression on a fixed state with fixed words; returns a..h after them. */
export function runRounds(state: ArrayLike<number>, w: readonly BlockWord[], n: number): Int32Array {
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    if (wi === null || wi === undefined) throw new RangeError(`round ${i} needs a fixed word`);
    const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[i]! + wi) | 0;
    const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + S0 + maj) | 0;
  }
  return Int32Array.of(a, b, c, d, e, f, g, h);
}

export const IV = Int32Array.from(SHA256_IV);
