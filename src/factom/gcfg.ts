import { AnoguardError } from '../errors.js';

/**
 * A reader of git-config style files with the semantics of go-gcfg v1.2.3 as factomd uses it
 * (`gcfg.FatalOnly(gcfg.ReadFileInto(cfg, path))`, factomd-ops.md §1.2). It is a re-implementation of
 * gcfg's observable behaviour, not of its code: the same tokens, the same error wording and the same
 * `line:column` (byte columns) in the error, the same typed setters, the same warnings for data that
 * has no place in the target struct. Warnings are what factomd drops silently; we keep them.
 *
 * Pure: the input is text or bytes, the output data. Nothing here reads files.
 */

/** Go types of the target struct's fields, as named in gcfg's error messages. */
export type GcfgType =
  | 'string' | 'bool'
  | 'int' | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint' | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'time.Duration';

export interface GcfgFieldSpec {
  /** The Go field name; keys match it case-insensitively (Unicode simple folding, `-` read as `_`). */
  readonly name: string;
  readonly type: GcfgType;
  /** An unnamed slice (`[]string`): one line per value, a bare key (no `=`) clears the list. */
  readonly multi?: boolean;
}

export interface GcfgSectionSpec {
  readonly name: string;
  readonly fields: readonly GcfgFieldSpec[];
}

export type GcfgSchema = readonly GcfgSectionSpec[];

export type GcfgValue = string | boolean | number | string[];
/** Values by canonical (Go) section name, then canonical field name. */
export type GcfgValues = Record<string, Record<string, GcfgValue>>;

/** One `name [= value]` line (or lines, with continuations), as written and as gcfg resolved it. */
export interface GcfgEntry {
  /** Section and key as written in the file. */
  section: string;
  subsection: string;
  name: string;
  /** Canonical names when the schema knows them; undefined means gcfg ignored the line (a warning). */
  canonicalSection: string | undefined;
  canonicalName: string | undefined;
  /** A key with no `=`: gcfg's "blank" (true for a bool, clears a multi-valued key, an error otherwise). */
  blank: boolean;
  /** The value after gcfg's unquoting ('' when blank). */
  value: string;
  /** 1-based line and byte column of the key name. */
  line: number;
  column: number;
  /** Last line of the entry (differs from `line` when the value continues with `\`). */
  endLine: number;
  /** Byte offsets into the input as given (a skipped BOM included): start of the key's line, key name, value literal, end of the literal, end of the line content (the newline or EOF). */
  lineStart: number;
  nameStart: number;
  nameEnd: number;
  valueStart: number;
  valueEnd: number;
  contentEnd: number;
  /** Offset of an inline `;`/`#` comment after the value, or -1. */
  commentStart: number;
}

export interface GcfgHeader {
  section: string;
  subsection: string;
  canonicalSection: string | undefined;
  line: number;
  lineStart: number;
  contentEnd: number;
}

/** Something gcfg would report as a warning (factomd drops these: the data is silently ignored). */
export interface GcfgWarning {
  line: number;
  column: number;
  section: string;
  subsection?: string;
  name?: string;
  /** gcfg's own wording: `can't store data at section "Walletd", variable "ChangeAcksHeight"`. */
  message: string;
}

/** The error that makes gcfg give up (and factomd fall back to its defaults). */
export interface GcfgFatal {
  kind: 'syntax' | 'value';
  /** The error text exactly as gcfg formats it: `path:11:41: string not terminated` for syntax errors; value errors carry no position in gcfg. */
  text: string;
  /** gcfg's message without the position. */
  message: string;
  /** Where it happened (for value errors: the key's line), for our own reports. */
  line: number;
  column: number;
  /** The key whose value failed, for value errors. */
  name?: string;
  section?: string;
}

export interface GcfgReadResult {
  values: GcfgValues;
  entries: GcfgEntry[];
  headers: GcfgHeader[];
  warnings: GcfgWarning[];
  fatal?: GcfgFatal;
  /** 'crlf' when any line ends in CRLF (the editor keeps the file's style). */
  eol: 'lf' | 'crlf';
}

export interface GcfgReadOptions {
  /** The file name gcfg puts in front of positions ('' = none, as `ReadStringInto` does). */
  filename?: string;
  /** Values to read on top of (mutated), like reading into an already filled Go struct. */
  into?: GcfgValues;
  /** `ReadFileInto` skips one leading UTF-8 BOM when the file is longer than 3 bytes; `ReadStringInto` does not. Default true. */
  skipBom?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Runes and positions

const EOF = -1;
const RUNE_ERROR = 0xfffd;

/** Go's utf8.DecodeRune: the rune and its width; invalid input gives (RuneError, 1). */
function decodeRune(src: Uint8Array, i: number): [number, number] {
  const b0 = src[i]!;
  if (b0 < 0x80) return [b0, 1];
  const need = b0 >= 0xf0 && b0 <= 0xf4 ? 3 : b0 >= 0xe0 && b0 <= 0xef ? 2 : b0 >= 0xc2 && b0 <= 0xdf ? 1 : 0;
  if (need === 0) return [RUNE_ERROR, 1];
  let cp = b0 & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
  for (let k = 1; k <= need; k++) {
    const b = src[i + k];
    if (b === undefined) return [RUNE_ERROR, 1];
    let lo = 0x80;
    let hi = 0xbf;
    if (k === 1) {
      if (b0 === 0xe0) lo = 0xa0;
      else if (b0 === 0xed) hi = 0x9f;
      else if (b0 === 0xf0) lo = 0x90;
      else if (b0 === 0xf4) hi = 0x8f;
    }
    if (b < lo || b > hi) return [RUNE_ERROR, 1];
    cp = (cp << 6) | (b & 0x3f);
  }
  return [cp, need + 1];
}

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;
const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

function isLetter(ch: number): boolean {
  return (ch >= 0x61 && ch <= 0x7a) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x80 && LETTER.test(String.fromCodePoint(ch)));
}
function isDigit(ch: number): boolean {
  return (ch >= 0x30 && ch <= 0x39) || (ch >= 0x80 && DIGIT.test(String.fromCodePoint(ch)));
}
function isWhiteSpace(ch: number): boolean {
  return ch === 0x20 || ch === 0x09 || ch === 0x0d;
}

/** Go's `%#U`: `U+0031 '1'`, or just `U+0007` for an unprintable rune. */
function formatRune(ch: number): string {
  const hex = `U+${ch.toString(16).toUpperCase().padStart(4, '0')}`;
  const s = String.fromCodePoint(ch);
  return PRINTABLE.test(s) ? `${hex} '${s}'` : hex;
}

/** Go's strconv.Quote, close enough for error messages. */
function goQuote(s: string): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (cp === RUNE_ERROR) out += '\\ufffd';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------
// Scanner (same tokens and error offsets as gcfg's scanner package, comments skipped)

type TokKind = 'EOF' | 'EOL' | 'STRING' | 'IDENT' | 'LBRACK' | 'RBRACK' | 'ASSIGN' | 'ILLEGAL';
interface Tok { kind: TokKind; pos: number; lit: string; end: number }
interface ScanError { offset: number; msg: string }

const decoder = new TextDecoder('utf-8');

function createScanner(src: Uint8Array, errs: ScanError[]) {
  let ch = 0x20;
  let offset = 0;
  let rdOffset = 0;
  let nextVal = false;
  /** Offset of the last comment skipped, so the reader can tell an entry's inline comment. */
  let lastComment = -1;
  /** End of the last value literal (trimmed), for the editor. */
  let lastValueEnd = -1;

  const error = (offs: number, msg: string): void => { errs.push({ offset: offs, msg }); };

  const next = (): void => {
    if (rdOffset < src.length) {
      offset = rdOffset;
      let r = src[rdOffset]!;
      let w = 1;
      if (r === 0) error(offset, 'illegal character NUL');
      else if (r >= 0x80) {
        [r, w] = decodeRune(src, rdOffset);
        if (r === RUNE_ERROR && w === 1) error(offset, 'illegal UTF-8 encoding');
      }
      rdOffset += w;
      ch = r;
    } else {
      offset = src.length;
      ch = EOF;
    }
  };

  const text = (from: number, to: number): string => decoder.decode(src.subarray(from, to));

  const scanComment = (): void => {
    lastComment = offset - 1;
    next();
    while (ch !== 0x0a && ch >= 0) next();
  };

  const scanIdentifier = (): string => {
    const offs = offset;
    while (isLetter(ch) || isDigit(ch) || ch === 0x2d) next();
    return text(offs, offset);
  };

  /** In a value `\n` and `\t` are escapes too; in a subsection name only `\\` and `\"`. */
  const scanEscape = (val: boolean): void => {
    const offs = offset;
    const c = ch;
    next();
    if (c === 0x5c || c === 0x22) return;
    if (val && (c === 0x6e || c === 0x74)) return;
    error(offs, 'unknown escape sequence');
  };

  const scanString = (): string => {
    const offs = offset - 1;
    while (ch !== 0x22) {
      const c = ch;
      next();
      if (c === 0x0a || c < 0) {
        error(offs, 'string not terminated');
        break;
      }
      if (c === 0x5c) scanEscape(false);
    }
    next();
    return text(offs, offset);
  };

  const scanValString = (): string => {
    const offs = offset;
    let hasCR = false;
    let end = offs;
    let inQuote = false;
    loop: while (inQuote || (ch >= 0 && ch !== 0x0a && ch !== 0x3b && ch !== 0x23)) {
      const c = ch;
      next();
      if (inQuote && c === 0x5c) scanEscape(true);
      else if (!inQuote && c === 0x5c) {
        if (ch === 0x0d) {
          hasCR = true;
          next();
        }
        if (ch !== 0x0a) {
          error(offs, "unquoted '\\' must be followed by new line");
          break loop;
        }
        next();
      } else if (c === 0x22) inQuote = !inQuote;
      else if (c === 0x0d) hasCR = true;
      else if (c < 0 || (inQuote && c === 0x0a)) {
        error(offs, 'string not terminated');
        break loop;
      }
      if (inQuote || !isWhiteSpace(c)) end = offset;
    }
    lastValueEnd = end;
    let lit = src.subarray(offs, end);
    if (hasCR) lit = lit.filter((b) => b !== 0x0d);
    return decoder.decode(lit);
  };

  const scan = (): Tok => {
    for (;;) {
      while (isWhiteSpace(ch)) next();
      const pos = offset;
      if (nextVal) {
        nextVal = false;
        const lit = scanValString();
        return { kind: 'STRING', pos, lit, end: offset };
      }
      if (isLetter(ch)) {
        const lit = scanIdentifier();
        return { kind: 'IDENT', pos, lit, end: offset };
      }
      const c = ch;
      next();
      switch (c) {
        case EOF: return { kind: 'EOF', pos, lit: '', end: pos };
        case 0x0a: return { kind: 'EOL', pos, lit: '\n', end: offset };
        case 0x22: {
          const lit = scanString();
          return { kind: 'STRING', pos, lit, end: offset };
        }
        case 0x5b: return { kind: 'LBRACK', pos, lit: '', end: offset };
        case 0x5d: return { kind: 'RBRACK', pos, lit: '', end: offset };
        case 0x3b: case 0x23:
          scanComment();
          continue;
        case 0x3d:
          nextVal = true;
          return { kind: 'ASSIGN', pos, lit: '', end: offset };
        default:
          error(pos, `illegal character ${formatRune(c)}`);
          return { kind: 'ILLEGAL', pos, lit: String.fromCodePoint(c), end: offset };
      }
    }
  };

  next();
  return {
    scan,
    lastComment: () => lastComment,
    clearComment: () => { lastComment = -1; },
    lastValueEnd: () => lastValueEnd,
  };
}

/** gcfg's unquote: drop quotes, resolve `\\ \" \n \t`, join `\`-newline continuations outside quotes. */
function unquote(s: string): string {
  let u = '';
  let q = false;
  let esc = false;
  for (const c of s) {
    if (esc) {
      const m = c === '\\' ? '\\' : c === '"' ? '"' : c === 'n' ? '\n' : c === 't' ? '\t' : undefined;
      if (m !== undefined) u += m;
      else if (!(!q && c === '\n')) {
        // The scanner rejects these first; reaching here would be our bug, never a crash.
        throw new AnoguardError('E_CONF_SYNTAX', 'invalid escape sequence', { field: 'gcfg' });
      }
      esc = false;
      continue;
    }
    if (c === '"') q = !q;
    else if (c === '\\') esc = true;
    else u += c;
  }
  if (q || esc) throw new AnoguardError('E_CONF_SYNTAX', 'invalid quoting', { field: 'gcfg' });
  return u;
}

// ---------------------------------------------------------------------------------------------
// Typed setters (gcfg's types package over Go's fmt.Sscanf)

/** Unicode simple folding of `a` against the ASCII Go identifier `b` (KELVIN SIGN = k, LONG S = s). */
export function foldEqual(a: string, b: string): boolean {
  const ra = [...a];
  const rb = [...b];
  if (ra.length !== rb.length) return false;
  for (let i = 0; i < ra.length; i++) {
    const x = ra[i]!;
    const y = rb[i]!.toLowerCase();
    const fx = x === '\u212a' ? 'k' : x === '\u017f' ? 's' : x.length === 1 && x.charCodeAt(0) < 0x80 ? x.toLowerCase() : x;
    if (fx !== y) return false;
  }
  return true;
}

/** gcfg's fieldFold: `-` maps to `_`; a leading letter with no case gets an `X` prefix (Go export rule). */
function fieldFoldName(name: string): string {
  const first = [...name][0] ?? '';
  const caseless = first !== '' && isLetter(first.codePointAt(0)!) && first.toLowerCase() === first.toUpperCase();
  return (caseless ? 'X' : '') + name.replace(/-/g, '_');
}

const INT_BITS: Record<string, { bits: number; signed: boolean }> = {
  'int': { bits: 64, signed: true }, 'int8': { bits: 8, signed: true }, 'int16': { bits: 16, signed: true },
  'int32': { bits: 32, signed: true }, 'int64': { bits: 64, signed: true }, 'time.Duration': { bits: 64, signed: true },
  'uint': { bits: 64, signed: false }, 'uint8': { bits: 8, signed: false }, 'uint16': { bits: 16, signed: false },
  'uint32': { bits: 32, signed: false }, 'uint64': { bits: 64, signed: false },
};

class ScanFail extends Error {}

function underscoreOK(s0: string): boolean {
  let s = s0;
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1]!)) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) { saw = '0'; continue; }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseUint / ParseInt(s, base, 64): the value or Go's error text. */
function strconvParse(s: string, base0: number, signed: boolean): bigint {
  const fn = signed ? 'strconv.ParseInt' : 'strconv.ParseUint';
  const syntax = (): never => { throw new ScanFail(`${fn}: parsing ${goQuote(s)}: invalid syntax`); };
  const range = (): never => { throw new ScanFail(`${fn}: parsing ${goQuote(s)}: value out of range`); };
  let body = s;
  let neg = false;
  if (signed && body.length > 0 && (body[0] === '+' || body[0] === '-')) {
    neg = body[0] === '-';
    body = body.slice(1);
  }
  if (body === '') syntax();
  let base = base0;
  const isBase0 = base === 0;
  let digits = body;
  if (isBase0) {
    base = 10;
    if (digits[0] === '0') {
      const p = digits[1]?.toLowerCase();
      if (digits.length >= 3 && p === 'b') { base = 2; digits = digits.slice(2); }
      else if (digits.length >= 3 && p === 'o') { base = 8; digits = digits.slice(2); }
      else if (digits.length >= 3 && p === 'x') { base = 16; digits = digits.slice(2); }
      else { base = 8; digits = digits.slice(1); }
    }
  }
  let n = 0n;
  let underscores = false;
  let overflow = false;
  const max = 1n << 64n;
  for (const c of digits) {
    if (c === '_' && isBase0) { underscores = true; continue; }
    const d = /[0-9]/.test(c) ? c.charCodeAt(0) - 48 : /[a-z]/i.test(c) ? c.toLowerCase().charCodeAt(0) - 87 : 99;
    if (d >= base) syntax();
    n = n * BigInt(base) + BigInt(d);
    if (n >= max) overflow = true;
  }
  if (underscores && !underscoreOK(body)) syntax();
  if (overflow) range();
  if (!signed) return n;
  const cutoff = 1n << 63n;
  if (!neg && n >= cutoff) range();
  if (neg && n > cutoff) range();
  return neg ? -n : n;
}

/** `fmt.Sscanf(val, "%d%c")` / `"%v%c"` into an integer of `bits`: the number or gcfg's error text. */
function scanInt(val: string, verb: 'd' | 'v', type: GcfgType): number {
  const { bits, signed } = INT_BITS[type]!;
  const chars = [...val];
  let i = 0;
  let buf = '';
  const peek = (set: string): boolean => i < chars.length && set.includes(chars[i]!);
  const accept = (set: string): boolean => {
    if (peek(set)) { buf += chars[i]!; i++; return true; }
    return false;
  };
  let n = 0;
  try {
    if (i >= chars.length) throw new ScanFail('EOF');
    if (signed) accept('+-');
    let base = 10;
    let digits = '0123456789';
    let haveDigits = false;
    if (verb === 'v') {
      base = 0;
      if (!peek('0')) digits = '0123456789_';
      else {
        accept('0');
        haveDigits = true;
        if (accept('bB')) digits = '01_';
        else if (accept('oO')) digits = '01234567_';
        else if (accept('xX')) digits = '0123456789aAbBcCdDeEfF_';
        else digits = '01234567_';
      }
    }
    while (accept(digits)) haveDigits = true;
    if (!haveDigits) throw new ScanFail('expected integer');
    const v = strconvParse(buf, base, signed);
    const lim = 1n << BigInt(bits - (signed ? 1 : 0));
    if (signed ? v < -lim || v >= lim : v >= lim) {
      throw new ScanFail(`${signed ? 'integer' : 'unsigned integer'} overflow on token ${buf}`);
    }
    n = Number(v);
  } catch (e) {
    if (e instanceof ScanFail) throw new ScanFail(`failed to parse ${goQuote(val)} as ${type}: ${e.message}`);
    throw e;
  }
  if (i < chars.length) throw new ScanFail(`failed to parse ${goQuote(val)} as ${type}: extra characters`);
  return n;
}

/** Go's `%#q`: backquoted when possible. */
function goBackquote(s: string): string {
  const ok = [...s].every((c) => {
    const cp = c.codePointAt(0)!;
    return c !== '`' && (cp === 9 || (cp >= 0x20 && cp !== 0x7f)) && cp !== 0xfeff && cp !== RUNE_ERROR;
  });
  return ok ? `\`${s}\`` : goQuote(s);
}

const BOOLS: Record<string, boolean> = { true: true, yes: true, on: true, '1': true, false: false, no: false, off: false, '0': false };

/** One value into one field, as gcfg's setters do; throws ScanFail with gcfg's message. */
function convert(field: GcfgFieldSpec, blank: boolean, value: string): GcfgValue {
  const t = field.type;
  if (t === 'bool') {
    if (blank) return true;
    const k = value.toLowerCase();
    const b = BOOLS[k];
    if (b === undefined) throw new ScanFail(`failed to parse bool ${goBackquote(k)}`);
    return b;
  }
  if (blank) throw new ScanFail('blank value not supported for type');
  if (t === 'string') return value;
  const v = value.trim();
  // Dec|Hex for the sized ints (0x only, lower case); Dec|Hex|Oct for other integer types.
  const verb = t === 'time.Duration' ? 'v' : v.startsWith('0x') || v.startsWith('-0x') ? 'v' : 'd';
  return scanInt(v, verb, t);
}

// ---------------------------------------------------------------------------------------------
// Reader

function findSection(schema: GcfgSchema, name: string): GcfgSectionSpec | undefined {
  const n = fieldFoldName(name);
  const hits = schema.filter((s) => foldEqual(n, s.name));
  return hits.length === 1 ? hits[0] : undefined;
}

function findField(section: GcfgSectionSpec, name: string): GcfgFieldSpec | undefined {
  const n = fieldFoldName(name);
  const hits = section.fields.filter((f) => foldEqual(n, f.name));
  return hits.length === 1 ? hits[0] : undefined;
}

/** Zero values of every field (Go's `new(T)`), for building a target. */
export function zeroGcfgValues(schema: GcfgSchema): GcfgValues {
  const out: GcfgValues = {};
  for (const s of schema) {
    const sec: Record<string, GcfgValue> = {};
    for (const f of s.fields) sec[f.name] = f.multi ? [] : f.type === 'string' ? '' : f.type === 'bool' ? false : 0;
    out[s.name] = sec;
  }
  return out;
}

/**
 * Reads gcfg text into `values` the way `gcfg.ReadFileInto` + `gcfg.FatalOnly` does: entries are
 * applied in order until the first fatal error; everything read before it stays applied (that is why
 * factomd keeps an IdentityChainID parsed above a syntax error). Never throws on any input.
 */
export function readGcfg(schema: GcfgSchema, input: string | Uint8Array, opts: GcfgReadOptions = {}): GcfgReadResult {
  let src = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  let base = 0;
  if ((opts.skipBom ?? true) && src.length > 3 && src[0] === 0xef && src[1] === 0xbb && src[2] === 0xbf) {
    src = src.subarray(3);
    base = 3;
  }
  const values = opts.into ?? zeroGcfgValues(schema);
  const entries: GcfgEntry[] = [];
  const headers: GcfgHeader[] = [];
  const warnings: GcfgWarning[] = [];
  const filename = opts.filename ?? '';

  const lineStarts: number[] = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === 0x0a) lineStarts.push(i + 1);
  const position = (offs: number): { line: number; column: number } => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offs) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offs - lineStarts[lo]! + 1 };
  };
  const lineEnd = (offs: number): number => {
    let i = offs;
    while (i < src.length && src[i] !== 0x0a) i++;
    return i;
  };
  const posText = (p: { line: number; column: number }): string => `${filename ? `${filename}:` : ''}${p.line}:${p.column}`;
  const eol: 'lf' | 'crlf' = /\r\n/.test(decoder.decode(src)) ? 'crlf' : 'lf';

  const errs: ScanError[] = [];
  const s = createScanner(src, errs);
  const result = (fatal?: GcfgFatal): GcfgReadResult => ({ values, entries, headers, warnings, eol, ...(fatal ? { fatal } : {}) });
  const errList = (): GcfgFatal => {
    const first = errs[0]!;
    const p = position(first.offset);
    const more = errs.length > 1 ? ` (and ${errs.length - 1} more errors)` : '';
    return { kind: 'syntax', text: `${posText(p)}: ${first.msg}${more}`, message: first.msg, ...p };
  };
  const errfn = (t: Tok, msg: string): GcfgFatal => {
    const p = position(t.pos);
    return { kind: 'syntax', text: `${posText(p)}: ${msg}`, message: msg, ...p };
  };

  let sect = '';
  let sectsub = '';
  let sectSpec: GcfgSectionSpec | undefined;
  let t = s.scan();
  for (;;) {
    if (errs.length > 0) return result(errList());
    switch (t.kind) {
      case 'EOF':
        return result();
      case 'EOL':
        s.clearComment();
        t = s.scan();
        break;
      case 'LBRACK': {
        const open = t;
        t = s.scan();
        if (errs.length > 0) return result(errList());
        if (t.kind !== 'IDENT') return result(errfn(t, 'expected section name'));
        sect = t.lit;
        sectsub = '';
        t = s.scan();
        if (errs.length > 0) return result(errList());
        if (t.kind === 'STRING') {
          sectsub = unquote(t.lit);
          if (sectsub === '') return result(errfn(t, 'empty subsection name'));
          t = s.scan();
          if (errs.length > 0) return result(errList());
        }
        if (t.kind !== 'RBRACK') {
          return result(errfn(t, sectsub === '' ? 'expected subsection name or right bracket' : 'expected right bracket'));
        }
        t = s.scan();
        if (t.kind !== 'EOL' && t.kind !== 'EOF') return result(errfn(t, 'expected EOL, EOF, or comment'));
        sectSpec = findSection(schema, sect);
        const p = position(open.pos);
        const lineStart = lineStarts[p.line - 1]!;
        headers.push({ section: sect, subsection: sectsub, canonicalSection: sectSpec?.name, line: p.line, lineStart: lineStart + base, contentEnd: lineEnd(open.pos) + base });
        if (!sectSpec) warnings.push({ ...p, section: sect, message: `can't store data at section ${goQuote(sect)}` });
        else if (sectsub !== '') {
          warnings.push({ ...p, section: sect, subsection: sectsub, message: `can't store data at section ${goQuote(sect)}, subsection ${goQuote(sectsub)}` });
        }
        break;
      }
      case 'IDENT': {
        if (sect === '') return result(errfn(t, 'expected section header'));
        const nameTok = t;
        s.clearComment();
        t = s.scan();
        if (errs.length > 0) return result(errList());
        const blank = t.kind === 'EOF' || t.kind === 'EOL';
        let v = '';
        let valueStart = -1;
        let valueEnd = -1;
        if (!blank) {
          if (t.kind !== 'ASSIGN') return result(errfn(t, "expected '='"));
          t = s.scan();
          if (errs.length > 0) return result(errList());
          if (t.kind !== 'STRING') return result(errfn(t, 'expected value'));
          valueStart = t.pos;
          valueEnd = s.lastValueEnd();
          v = unquote(t.lit);
          t = s.scan();
          if (errs.length > 0) return result(errList());
          if (t.kind !== 'EOL' && t.kind !== 'EOF') return result(errfn(t, 'expected EOL, EOF, or comment'));
        }
        const p = position(nameTok.pos);
        const contentEnd = t.pos;
        const field = sectSpec && sectsub === '' ? findField(sectSpec, nameTok.lit) : undefined;
        const comment = s.lastComment();
        entries.push({
          section: sect, subsection: sectsub, name: nameTok.lit,
          canonicalSection: sectSpec?.name, canonicalName: field?.name,
          blank, value: v, line: p.line, column: p.column, endLine: position(contentEnd).line,
          lineStart: lineStarts[p.line - 1]! + base, nameStart: nameTok.pos + base, nameEnd: nameTok.end + base,
          valueStart: valueStart < 0 ? -1 : valueStart + base, valueEnd: valueEnd < 0 ? -1 : valueEnd + base,
          contentEnd: contentEnd + base, commentStart: comment >= 0 && comment > nameTok.pos ? comment + base : -1,
        });
        if (!sectSpec) {
          warnings.push({ ...p, section: sect, ...(sectsub ? { subsection: sectsub } : {}), name: nameTok.lit, message: `can't store data at section ${goQuote(sect)}` });
        } else if (sectsub !== '') {
          warnings.push({ ...p, section: sect, subsection: sectsub, name: nameTok.lit, message: `can't store data at section ${goQuote(sect)}, subsection ${goQuote(sectsub)}` });
        } else if (!field) {
          warnings.push({ ...p, section: sect, name: nameTok.lit, message: `can't store data at section ${goQuote(sect)}, variable ${goQuote(nameTok.lit)}` });
        } else {
          const target = (values[sectSpec.name] ??= {});
          try {
            if (field.multi) {
              const list = Array.isArray(target[field.name]) ? (target[field.name] as string[]) : [];
              if (blank) target[field.name] = [];
              else target[field.name] = [...list, convert({ ...field, multi: false }, false, v) as string];
            } else {
              target[field.name] = convert(field, blank, v);
            }
          } catch (e) {
            if (!(e instanceof ScanFail)) throw e;
            return result({ kind: 'value', text: e.message, message: e.message, ...p, name: field.name, section: sectSpec.name });
          }
        }
        break;
      }
      default:
        if (sect === '') return result(errfn(t, 'expected section header'));
        return result(errfn(t, 'expected section header or variable declaration'));
    }
  }
}

/**
 * A value as gcfg text: bare when gcfg reads it back unchanged, otherwise double-quoted with gcfg's
 * escapes. Throws for what gcfg cannot represent (CR, which it strips; NUL).
 */
export function quoteGcfgValue(value: string, field = 'value'): string {
  if (/[\r\0]/.test(value)) {
    throw new AnoguardError('E_CONF_VALUE', 'a factomd.conf value cannot contain CR or NUL characters', { field, exitCode: 2 });
  }
  if (value !== '' && /^[^\s;#"\\](?:[^\n;#"\\]*[^\s;#"\\])?$/u.test(value) && !/[\t]/.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}
