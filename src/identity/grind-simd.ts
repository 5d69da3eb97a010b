/**
 * The grinder's SHA-256 on WebAssembly SIMD: 4 attempts per i32x4 lane set.
 *
 * No toolchain: the module bytes are generated here at start-up by a tiny emitter for the handful
 * of opcodes used (i32x4.add/shl/shr_u, v128 and/or/xor/bitselect, loads/stores, locals), fully
 * unrolled, with every constant folded by grind-plan.ts. Constants that depend on the job (midstate,
 * fixed nonce words, padding) are written into the module's memory as pre-splatted v128 slots, so one
 * compiled module serves every job of the same shape. Varying nonce words are filled in by JS for a
 * batch of attempts (1–3 stores per attempt against ~1500 SIMD instructions per 4 attempts), which
 * keeps the ASCII counter scheme and any binary prefix length on the same code path.
 *
 * The caller falls back to the scalar loop of grind-core.ts when `simdSupported()` is false.
 */
import { createGrinder, K, prepareOuter, readWordBE, type Grinder, type GrindTarget, type NonceLayout, type OuterSetup, type RangeResult } from './grind-core.js';
import { firstVaryingRound, IV, planSchedule, runRounds, type BlockWord } from './grind-plan.js';

// ---------------------------------------------------------------------------------------------
// Emitter

function uleb(n: number, out: number[]): void {
  let v = n >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

function sleb(n: number, out: number[]): void {
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

const I32 = 0x7f;
const V128 = 0x7b;
const SIMD_PREFIX = 0xfd;
const S = {
  load: 0x00, store: 0x0b, const: 0x0c, and: 0x4e, or: 0x50, xor: 0x51, bitselect: 0x52, anyTrue: 0x53,
  eq: 0x37, shl: 0xab, shrU: 0xad, add: 0xae,
} as const;

interface Asm {
  code: number[];
  /** v128 locals in use / free (indexes are absolute local indexes). */
  free: number[];
  next: number;
}

const FIRST_V128_LOCAL = 3; // 0 = n (param), 1 = g, 2 = p
const L_N = 0, L_G = 1, L_P = 2;

function newAsm(): Asm { return { code: [], free: [], next: FIRST_V128_LOCAL }; }
function alloc(a: Asm): number { return a.free.pop() ?? a.next++; }
function release(a: Asm, l: number): void { a.free.push(l); }

function get(a: Asm, l: number): void { a.code.push(0x20); uleb(l, a.code); }
function set(a: Asm, l: number): void { a.code.push(0x21); uleb(l, a.code); }
function tee(a: Asm, l: number): void { a.code.push(0x22); uleb(l, a.code); }
function i32c(a: Asm, v: number): void { a.code.push(0x41); sleb(v, a.code); }
function simd(a: Asm, op: number): void { a.code.push(SIMD_PREFIX); uleb(op, a.code); }
function add(a: Asm): void { simd(a, S.add); }
function xor(a: Asm): void { simd(a, S.xor); }
/** v128.load from an absolute address (align 16). */
function loadAbs(a: Asm, addr: number): void { i32c(a, 0); simd(a, S.load); uleb(4, a.code); uleb(addr, a.code); }
function splatConst(a: Asm, v: number): void {
  simd(a, S.const);
  for (let l = 0; l < 4; l++) a.code.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}
function rotr(a: Asm, x: number, n: number): void {
  get(a, x); i32c(a, n); simd(a, S.shrU);
  get(a, x); i32c(a, 32 - n); simd(a, S.shl);
  simd(a, S.or);
}
function bigSigma(a: Asm, x: number, r: readonly [number, number, number]): void {
  rotr(a, x, r[0]); rotr(a, x, r[1]); xor(a); rotr(a, x, r[2]); xor(a);
}
function smallSigma(a: Asm, x: number, r1: number, r2: number, s: number): void {
  rotr(a, x, r1); rotr(a, x, r2); xor(a); get(a, x); i32c(a, s); simd(a, S.shrU); xor(a);
}

// ---------------------------------------------------------------------------------------------
// Memory layout (bytes). Every constant is a v128 slot holding the same word in all 4 lanes.

const SLOTS_PER_BLOCK = 80; // +0..7 feed-forward state, +8..15 cached state, +16+i round/schedule constant
const SLOT_MASK = 3 * SLOTS_PER_BLOCK;
const SLOT_WANT = SLOT_MASK + 1;
const SLOT_RESULT = SLOT_MASK + 2;
const INPUT_BASE = 4096;
/** Groups of 4 attempts per call into the module. */
export const SIMD_BATCH_GROUPS = 2048;
const MAX_VAR_WORDS = 4;
const MEMORY_PAGES = Math.ceil((INPUT_BASE + SIMD_BATCH_GROUPS * MAX_VAR_WORDS * 16) / 65536);

const slotAddr = (slot: number): number => slot * 16;

/**
 * Emits one compression. `inState` null means the incoming state is a constant (slots: feed-forward
 * at +0, state after the cached rounds at +8); otherwise the 8 locals hold it (not released: the
 * caller owns them). `words[i]` is the local of varying word i, or null for a constant word.
 * Returns the 8 output locals, or only the first when `firstOnly`.
 */
function emitBlock(a: Asm, blk: number, inState: number[] | null, words: (number | null)[], firstOnly: boolean): number[] {
  const base = blk * SLOTS_PER_BLOCK;
  const plan = planSchedule(words.map((l) => (l === null ? 0 : null)));
  const r0 = inState === null ? firstVaryingRound(plan.full.slice(0, 16)) : 0;
  let st: number[];
  if (inState === null) {
    st = [];
    for (let j = 0; j < 8; j++) { const l = alloc(a); loadAbs(a, slotAddr(base + 8 + j)); set(a, l); st.push(l); }
  } else st = [...inState];
  const owned = new Set<number>(inState === null ? st : []);

  // Last use of each varying schedule word, so its local can be reused.
  const wl: (number | null)[] = new Array<number | null>(64).fill(null);
  for (let i = 0; i < 16; i++) wl[i] = words[i] ?? null;
  const lastUse = new Array<number>(64).fill(-1);
  for (let i = 0; i < 64; i++) {
    if (plan.full[i] !== null) continue;
    lastUse[i] = Math.max(lastUse[i]!, i);
    if (i >= 16) for (const t of plan.varTerms[i]!) { const src = i - [2, 7, 15, 16][t]!; lastUse[src] = Math.max(lastUse[src]!, i); }
  }

  for (let i = r0; i < 64; i++) {
    const varW = plan.full[i] === null;
    if (varW && i >= 16) {
      const terms = plan.varTerms[i]!;
      terms.forEach((t, k) => {
        const src = wl[i - [2, 7, 15, 16][t]!]!;
        if (t === 0) smallSigma(a, src, 17, 19, 10);
        else if (t === 2) smallSigma(a, src, 7, 18, 3);
        else get(a, src);
        if (k > 0) add(a);
      });
      if (plan.constPart[i] !== null) { loadAbs(a, slotAddr(base + 16 + i)); add(a); }
      const l = alloc(a);
      set(a, l);
      wl[i] = l;
    }
    const [A, B, C, D, E, F, G, H] = st as [number, number, number, number, number, number, number, number];
    const t1 = alloc(a);
    get(a, H); bigSigma(a, E, [6, 11, 25]); add(a);
    get(a, F); get(a, G); get(a, E); simd(a, S.bitselect); add(a);
    if (varW) { splatConst(a, K[i]!); add(a); get(a, wl[i]!); add(a); } else { loadAbs(a, slotAddr(base + 16 + i)); add(a); }
    set(a, t1);
    const last = i === 63;
    let newE = -1;
    if (!(firstOnly && last)) { newE = alloc(a); get(a, D); get(a, t1); add(a); set(a, newE); }
    const newA = alloc(a);
    get(a, t1); bigSigma(a, A, [2, 13, 22]); add(a);
    get(a, C); get(a, B); get(a, A); get(a, B); xor(a); simd(a, S.bitselect); add(a);
    set(a, newA);
    release(a, t1);
    // D and H leave the working state; the caller's incoming locals stay alive for the feed-forward.
    if (owned.has(D)) { owned.delete(D); release(a, D); }
    if (owned.has(H)) { owned.delete(H); release(a, H); }
    owned.add(newA);
    if (newE >= 0) owned.add(newE);
    st = [newA, A, B, C, newE, E, F, G];
    // Free schedule words past their last use.
    for (let j = 0; j <= i; j++) if (wl[j] !== null && lastUse[j] === i) { release(a, wl[j]!); wl[j] = null; }
  }
  const outs: number[] = [];
  for (let j = 0; j < (firstOnly ? 1 : 8); j++) {
    const l = alloc(a);
    if (inState === null) loadAbs(a, slotAddr(base + j)); else get(a, inState[j]!);
    get(a, st[j]!); add(a); set(a, l);
    outs.push(l);
  }
  for (const l of st) if (l >= 0 && owned.has(l)) release(a, l);
  return outs;
}

/** Shape of a module: which inner words vary, and the outer layout. */
export interface SimdShape {
  innerVar: number[];
  tailHasP: boolean;
}

export function buildSimdModule(shape: SimdShape): Uint8Array<ArrayBuffer> {
  const nVar = shape.innerVar.length;
  if (nVar < 1 || nVar > MAX_VAR_WORDS) throw new RangeError('1..4 varying inner words');
  const a = newAsm();
  const c = a.code;
  // p = INPUT_BASE
  i32c(a, INPUT_BASE); set(a, L_P);
  c.push(0x02, 0x40); // block
  c.push(0x03, 0x40); // loop
  get(a, L_G); get(a, L_N); c.push(0x4f); c.push(0x0d); uleb(1, c); // br_if 1 when g >= n (unsigned)

  const innerWords: (number | null)[] = new Array<number | null>(16).fill(null);
  shape.innerVar.forEach((wi, k) => {
    const l = alloc(a);
    get(a, L_P); simd(a, S.load); uleb(4, c); uleb(k * 16, c); set(a, l);
    innerWords[wi] = l;
  });
  const h = emitBlock(a, 0, null, innerWords, false);
  let out0: number;
  if (!shape.tailHasP) {
    const w = [...h, ...new Array<null>(8).fill(null)];
    [out0] = emitBlock(a, 1, null, w, true) as [number];
  } else {
    const w = [...new Array<null>(8).fill(null), ...h];
    const mid = emitBlock(a, 1, null, w, false);
    [out0] = emitBlock(a, 2, mid, new Array<null>(16).fill(null), true) as [number];
    for (const l of mid) release(a, l);
  }
  const hit = alloc(a);
  get(a, out0); loadAbs(a, slotAddr(SLOT_MASK)); simd(a, S.and); loadAbs(a, slotAddr(SLOT_WANT)); simd(a, S.eq);
  tee(a, hit); simd(a, S.anyTrue);
  c.push(0x04, 0x40); // if
  i32c(a, 0); get(a, hit); simd(a, S.store); uleb(4, c); uleb(slotAddr(SLOT_RESULT), c);
  get(a, L_G); c.push(0x0f); // return g
  c.push(0x0b); // end if
  get(a, L_G); i32c(a, 1); c.push(0x6a); set(a, L_G);
  get(a, L_P); i32c(a, nVar * 16); c.push(0x6a); set(a, L_P);
  c.push(0x0c); uleb(0, c); // br loop
  c.push(0x0b, 0x0b); // end loop, end block
  i32c(a, -1);
  c.push(0x0b); // end function

  const body: number[] = [];
  uleb(2, body);
  uleb(2, body); body.push(I32);
  uleb(a.next - FIRST_V128_LOCAL, body); body.push(V128);
  body.push(...c);

  const mod: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, payload: number[]): void => { mod.push(id); uleb(payload.length, mod); mod.push(...payload); };
  section(1, [1, 0x60, 1, I32, 1, I32]);
  section(3, [1, 0]);
  const mem: number[] = [1, 0x00]; uleb(MEMORY_PAGES, mem); section(5, mem);
  section(7, [2, 3, 0x72, 0x75, 0x6e, 0x00, 0, 1, 0x6d, 0x02, 0]);
  const code: number[] = [1]; uleb(body.length, code); code.push(...body); section(10, code);
  return Uint8Array.from(mod);
}

let supported: boolean | undefined;
/** Whether this runtime compiles the SIMD module (checked once, on a real module). */
export function simdSupported(): boolean {
  if (supported === undefined) {
    try {
      supported = typeof WebAssembly === 'object' && WebAssembly.validate(buildSimdModule({ innerVar: [12], tailHasP: false }));
    } catch {
      supported = false;
    }
  }
  return supported;
}

// ---------------------------------------------------------------------------------------------
// Grinder

interface Instance {
  run: (groups: number) => number;
  mem: Int32Array;
}

const moduleCache = new Map<string, WebAssembly.Module>();

function instantiate(shape: SimdShape): Instance {
  const key = `${shape.innerVar.join(',')}/${shape.tailHasP}`;
  let mod = moduleCache.get(key);
  if (!mod) { mod = new WebAssembly.Module(buildSimdModule(shape)); moduleCache.set(key, mod); }
  const inst = new WebAssembly.Instance(mod, {});
  const exp = inst.exports as { run: (n: number) => number; m: WebAssembly.Memory };
  return { run: exp.run, mem: new Int32Array(exp.m.buffer) };
}

function setSlot(mem: Int32Array, slot: number, v: number): void {
  const i = slot * 4;
  mem[i] = v; mem[i + 1] = v; mem[i + 2] = v; mem[i + 3] = v;
}

/** Writes the constants of one block: feed-forward and cached state (constant state) and folded words. */
function writeBlockParams(mem: Int32Array, blk: number, state: ArrayLike<number> | null, words: BlockWord[]): void {
  const base = blk * SLOTS_PER_BLOCK;
  const plan = planSchedule(words);
  if (state !== null) {
    const r0 = firstVaryingRound(words);
    const cached = runRounds(state, words, r0);
    for (let j = 0; j < 8; j++) { setSlot(mem, base + j, state[j]!); setSlot(mem, base + 8 + j, cached[j]!); }
  }
  for (let i = 0; i < 64; i++) {
    const w = plan.full[i];
    if (w !== null && w !== undefined) setSlot(mem, base + 16 + i, (K[i]! + w) | 0);
    else if (plan.constPart[i] !== null) setSlot(mem, base + 16 + i, plan.constPart[i]!);
  }
}

function outerWords(o: OuterSetup): { first: BlockWord[]; pad: BlockWord[] } {
  const lenBits = o.totalLen * 8;
  const pad: BlockWord[] = [0x80000000 | 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, lenBits];
  if (!o.tailHasP) return { first: [...new Array<null>(8).fill(null), 0x80000000 | 0, 0, 0, 0, 0, 0, 0, lenBits], pad };
  return { first: [...Array.from(o.tailP), ...new Array<null>(8).fill(null)], pad };
}

/** A segment of the search where the inner block has one fixed shape. */
interface Segment {
  innerWords: BlockWord[];
  innerVar: number[];
  /** Writes the varying words of attempt `c` into lane `lane` of group `g`. */
  fill: (mem: Int32Array, g: number, lane: number, c: number) => void;
}

function binarySegment(prefix: Uint8Array): Segment {
  const n = prefix.length + 4;
  if (n > 55) throw new RangeError('nonce too long for one block');
  const buf = new Uint8Array(64);
  buf.set(prefix, 0);
  buf[n] = 0x80;
  const fixed: BlockWord[] = [];
  for (let i = 0; i < 16; i++) fixed.push(readWordBE(buf, i * 4));
  fixed[15] = n * 8;
  const p = prefix.length;
  const wi = p >> 2;
  const sh = (p & 3) * 8;
  const innerVar = sh === 0 ? [wi] : [wi, wi + 1];
  const f0 = fixed[wi]!, f1 = sh === 0 ? 0 : fixed[wi + 1]!;
  for (const i of innerVar) fixed[i] = null;
  const nVar = innerVar.length;
  const base0 = INPUT_BASE / 4;
  const fill = sh === 0
    ? (mem: Int32Array, g: number, lane: number, c: number): void => { mem[base0 + g * 4 + lane] = c | 0; }
    : (mem: Int32Array, g: number, lane: number, c: number): void => {
      const i = base0 + g * nVar * 4 + lane;
      mem[i] = f0 | (c >>> sh);
      mem[i + 4] = f1 | (c << (32 - sh));
    };
  return { innerWords: fixed, innerVar, fill };
}

function asciiSegment(len: number): Segment {
  const nVar = Math.ceil(len / 4);
  const buf = new Uint8Array(64);
  buf[len] = 0x80;
  const words: BlockWord[] = [];
  for (let i = 0; i < 16; i++) words.push(readWordBE(buf, i * 4));
  words[15] = len * 8;
  const innerVar: number[] = [];
  for (let k = 0; k < nVar; k++) { innerVar.push(k); words[k] = null; }
  const base0 = INPUT_BASE / 4;
  // The digits and 0x80 terminator of the varying words; advanced in place for consecutive counters.
  const bytes = new Uint8Array(nVar * 4);
  let last = -2;
  const fill = (mem: Int32Array, g: number, lane: number, c: number): void => {
    if (c === last + 1) {
      let k = len - 1;
      while (k >= 0 && bytes[k] === 0x39) { bytes[k] = 0x30; k--; }
      bytes[k] = bytes[k]! + 1; // no carry out: c has `len` digits like last
    } else if (c !== last) {
      const s = String(c);
      for (let b = 0; b < bytes.length; b++) bytes[b] = b < len ? s.charCodeAt(b) : b === len ? 0x80 : 0;
    }
    last = c;
    const i = base0 + g * nVar * 4 + lane;
    for (let k = 0; k < nVar; k++) mem[i + k * 4] = readWordBE(bytes, k * 4);
  };
  return { innerWords: words, innerVar, fill };
}

export function createSimdGrinder(target: GrindTarget): Grinder {
  const outer = prepareOuter(target);
  const ow = outerWords(outer);
  const instances = new Map<string, Instance>();

  function instanceFor(innerVar: number[]): Instance {
    const key = innerVar.join(',');
    let inst = instances.get(key);
    if (!inst) {
      inst = instantiate({ innerVar, tailHasP: outer.tailHasP });
      writeBlockParams(inst.mem, 1, outer.mid, ow.first);
      if (outer.tailHasP) writeBlockParams(inst.mem, 2, null, ow.pad);
      setSlot(inst.mem, SLOT_MASK, outer.mask);
      setSlot(inst.mem, SLOT_WANT, outer.wantWord & outer.mask);
      instances.set(key, inst);
    }
    return inst;
  }

  /** Searches [from, to) within one segment; returns the first hit or -1. */
  function searchSegment(seg: Segment, from: number, to: number): number {
    const inst = instanceFor(seg.innerVar);
    writeBlockParams(inst.mem, 0, IV, seg.innerWords);
    const mem = inst.mem;
    const resultIdx = SLOT_RESULT * 4;
    for (let start = from; start < to; start += SIMD_BATCH_GROUPS * 4) {
      const count = Math.min(to - start, SIMD_BATCH_GROUPS * 4);
      const groups = Math.ceil(count / 4);
      for (let k = 0; k < groups * 4; k++) {
        // Lanes past the end repeat the last attempt; their hits are ignored below.
        const c = start + Math.min(k, count - 1);
        seg.fill(mem, k >> 2, k & 3, c);
      }
      const g = inst.run(groups);
      if (g >= 0) {
        for (let lane = 0; lane < 4; lane++) {
          const c = start + g * 4 + lane;
          if (mem[resultIdx + lane] !== 0 && c < to) return c;
        }
      }
    }
    return -1;
  }

  return {
    searchRange(layout: NonceLayout, from: number, to: number): RangeResult {
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from) throw new RangeError('bad range');
      if (layout.kind === 'binary') {
        if (to > 0x1_0000_0000) throw new RangeError('binary counter is 32 bits');
        const hit = searchSegment(binarySegment(layout.prefix), from, to);
        return hit >= 0 ? { hit, attempts: hit - from + 1 } : { hit: -1, attempts: to - from };
      }
      if (from < 1) throw new RangeError('ascii counter starts at 1');
      let c = from;
      while (c < to) {
        const len = String(c).length;
        const end = Math.min(to, 10 ** len);
        const hit = searchSegment(asciiSegment(len), c, end);
        if (hit >= 0) return { hit, attempts: hit - from + 1 };
        c = end;
      }
      return { hit: -1, attempts: to - from };
    },
  };
}

/** Which SHA-256 loop a grinder runs: `auto` takes SIMD when the runtime has it. */
export type GrindEngine = 'auto' | 'simd' | 'scalar';

/** The grinder for an engine choice, and which engine it actually is. */
export function createEngineGrinder(target: GrindTarget, engine: GrindEngine = 'auto'): { grinder: Grinder; engine: 'simd' | 'scalar' } {
  if (engine === 'scalar' || (engine === 'auto' && !simdSupported())) return { grinder: createGrinder(target), engine: 'scalar' };
  if (!simdSupported()) throw new RangeError('WebAssembly SIMD is not available in this runtime');
  return { grinder: createSimdGrinder(target), engine: 'simd' };
}
