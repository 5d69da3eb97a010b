import { InputError, AnoguardError } from '../errors.js';
import { foldEqual, quoteGcfgValue, readGcfg, type GcfgEntry, type GcfgReadResult } from './gcfg.js';
import { FACTOMD_CONF_SCHEMA, suggestFactomdKey, sectionHeaderName } from './factomd-conf.js';

/**
 * A line editor for factomd.conf that changes one key of `[app]` and leaves every other byte alone:
 * comments, blank lines, alignment, other sections, CRLF or LF. It works on the byte offsets the
 * gcfg reader reports, so what it edits is exactly what factomd reads, and it refuses to write a
 * file that gcfg would not parse or that reads differently anywhere but the one key.
 */

const APP_FIELDS = FACTOMD_CONF_SCHEMA[0].fields;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Edit { start: number; end: number; text: string }

function canonicalAppKey(key: string): string {
  const f = APP_FIELDS.find((x) => foldEqual(key.replace(/-/g, '_'), x.name));
  if (f) return f.name;
  const s = suggestFactomdKey(key, 'App');
  const hint = s ? (s.section === 'App' ? `; did you mean ${s.name}?` : `; ${s.name} belongs in [${sectionHeaderName(s.section)}]`) : '';
  throw new InputError('E_CONF_UNKNOWN_KEY', `${key} is not a key of [app]${hint}`, { field: 'key', exitCode: 2 });
}

function parseForEdit(text: string): { bytes: Uint8Array; parsed: GcfgReadResult } {
  if (typeof text !== 'string' || LONE_SURROGATE.test(text)) {
    throw new InputError('E_CONF_SYNTAX', 'the file is not valid UTF-8 text', { field: 'conf' });
  }
  const bytes = encoder.encode(text);
  const parsed = readGcfg(FACTOMD_CONF_SCHEMA, bytes);
  if (parsed.fatal) {
    throw new InputError('E_CONF_SYNTAX', `the file does not parse (${parsed.fatal.line}:${parsed.fatal.column}: ${parsed.fatal.message}); factomd would run on defaults; fix it before editing`, { field: 'conf' });
  }
  return { bytes, parsed };
}

function appEntries(parsed: GcfgReadResult, name: string): GcfgEntry[] {
  return parsed.entries.filter((e) => e.canonicalSection === 'App' && e.subsection === '' && e.canonicalName === name);
}

function applyEdits(bytes: Uint8Array, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let out = bytes;
  for (const e of sorted) {
    const t = encoder.encode(e.text);
    const next = new Uint8Array(out.length - (e.end - e.start) + t.length);
    next.set(out.subarray(0, e.start), 0);
    next.set(t, e.start);
    next.set(out.subarray(e.end), e.start + t.length);
    out = next;
  }
  return decoder.decode(out);
}

/** Removes an entry's lines; an inline comment on it stays, on a line of its own. */
function deleteEntry(bytes: Uint8Array, e: GcfgEntry): Edit {
  const hasNewline = e.contentEnd < bytes.length && bytes[e.contentEnd] === 0x0a;
  const end = hasNewline ? e.contentEnd + 1 : e.contentEnd;
  if (e.commentStart < 0) return { start: e.lineStart, end, text: '' };
  const comment = decoder.decode(bytes.subarray(e.commentStart, e.contentEnd));
  return { start: e.lineStart, end, text: comment + (hasNewline ? '\n' : '') };
}

function eqOffset(bytes: Uint8Array, e: GcfgEntry): number {
  let i = e.nameEnd;
  while (i < bytes.length && bytes[i] !== 0x3d && bytes[i] !== 0x0a) i++;
  return bytes[i] === 0x3d ? i : -1;
}

/** The edit that gives entry `e` the (already quoted) value `v`, keeping its spacing and comment. */
function replaceValue(bytes: Uint8Array, e: GcfgEntry, v: string): Edit {
  if (e.blank) return { start: e.nameEnd, end: e.nameEnd, text: ` = ${v}` };
  if (e.valueEnd > e.valueStart) return { start: e.valueStart, end: e.valueEnd, text: v };
  // Empty value: write right after `=` (and one space), not after a CR the scanner skipped.
  const eq = eqOffset(bytes, e);
  const at = eq + 1;
  if (bytes[at] === 0x20 || bytes[at] === 0x09) return { start: at + 1, end: at + 1, text: v };
  return { start: at, end: at, text: ` ${v}` };
}

/** A new `Key = value` line styled like `like` (indent, `=` column). */
function newLine(bytes: Uint8Array, key: string, v: string, like: GcfgEntry | undefined): string {
  if (!like) return `${key} = ${v}`;
  const indent = decoder.decode(bytes.subarray(like.lineStart, like.nameStart));
  const eq = eqOffset(bytes, like);
  // Align `=` only when the neighbour is visibly aligned (padded), as factomd's template is.
  const pad = eq < 0 || eq - like.nameEnd <= 1 ? 1 : Math.max(1, eq - like.nameStart - key.length);
  return `${/^[ \t]*$/.test(indent) ? indent : ''}${key}${' '.repeat(pad)}= ${v}`;
}

function insertKey(bytes: Uint8Array, parsed: GcfgReadResult, key: string, v: string): Edit {
  const nl = parsed.eol === 'crlf' ? '\r\n' : '\n';
  const endsWithNewline = bytes.length === 0 || bytes[bytes.length - 1] === 0x0a;
  const header = parsed.headers.find((h) => h.canonicalSection === 'App' && h.subsection === '');
  if (!header) {
    // Before the first section, so the key can never land under [Walletd] or [log].
    const first = parsed.headers[0];
    if (first) return { start: first.lineStart, end: first.lineStart, text: `[app]${nl}${key} = ${v}${nl}${nl}` };
    return { start: bytes.length, end: bytes.length, text: `${endsWithNewline ? '' : nl}[app]${nl}${key} = ${v}${nl}` };
  }
  const nextHeader = parsed.headers.find((h) => h.lineStart > header.lineStart);
  const blockEnd = nextHeader ? nextHeader.lineStart : bytes.length + 1;
  const inBlock = parsed.entries.filter((e) => e.lineStart > header.lineStart && e.lineStart < blockEnd);
  const last = inBlock[inBlock.length - 1];
  const after = last ? last.contentEnd : header.contentEnd;
  if (after >= bytes.length) {
    return { start: bytes.length, end: bytes.length, text: `${endsWithNewline ? '' : nl}${newLine(bytes, key, v, last)}${nl}` };
  }
  return { start: after + 1, end: after + 1, text: `${newLine(bytes, key, v, last)}${nl}` };
}

/** Every other value must read the same after the edit; anything else is our bug, never written. */
function verify(before: GcfgReadResult, text: string, key: string, expect: string | undefined): string {
  const after = readGcfg(FACTOMD_CONF_SCHEMA, encoder.encode(text));
  if (after.fatal) {
    throw new InputError('E_CONF_VALUE', after.fatal.message, { field: `app.${key}`, exitCode: 2 });
  }
  const got = lastValue(after, key);
  const b = before.values;
  const a = after.values;
  for (const [sec, fields] of Object.entries(b)) {
    for (const [name, val] of Object.entries(fields)) {
      if (sec === 'App' && name === key) continue;
      if (JSON.stringify(val) !== JSON.stringify(a[sec]?.[name])) {
        throw new AnoguardError('E_CONF_EDIT', `editing ${key} would change ${sec}.${name}; refusing`, { field: `app.${key}` });
      }
    }
  }
  if (got !== expect) throw new AnoguardError('E_CONF_EDIT', `the edited file would not read ${key} back as set; refusing`, { field: `app.${key}` });
  return text;
}

function lastValue(parsed: GcfgReadResult, key: string): string | undefined {
  const list = appEntries(parsed, key);
  const e = list[list.length - 1];
  if (!e) return undefined;
  return e.blank ? 'true' : e.value;
}

/**
 * The value factomd reads for `key` in `[app]` (the last one wins), unquoted; undefined when the
 * file does not set it (factomd then uses its default). A bare bool key reads as 'true'.
 */
export function getAppKey(text: string, key: string): string | undefined {
  const name = canonicalAppKey(key);
  return lastValue(parseForEdit(text).parsed, name);
}

/**
 * Sets `key` in `[app]` to `value`: the last occurrence is changed in place (its comment and
 * spacing kept), earlier duplicates are removed, and a missing key is added at the end of the
 * `[app]` block (a missing `[app]` is created before the first section). Quotes the value when gcfg
 * needs it. Throws InputError for an unknown key, an unparseable file, or a value gcfg rejects.
 */
export function setAppKey(text: string, key: string, value: string): string {
  const name = canonicalAppKey(key);
  if (typeof value !== 'string') throw new InputError('E_CONF_VALUE', 'the value must be a string', { field: `app.${name}`, exitCode: 2 });
  const v = quoteGcfgValue(value, `app.${name}`);
  const { bytes, parsed } = parseForEdit(text);
  const matches = appEntries(parsed, name);
  const edits: Edit[] = [];
  const keep = matches[matches.length - 1];
  if (keep) {
    edits.push(replaceValue(bytes, keep, v));
    for (const e of matches.slice(0, -1)) edits.push(deleteEntry(bytes, e));
  } else {
    edits.push(insertKey(bytes, parsed, name, v));
  }
  return verify(parsed, applyEdits(bytes, edits), name, value);
}

/** Removes every occurrence of `key` from `[app]` (factomd then uses its default). Inline comments stay. */
export function removeAppKey(text: string, key: string): string {
  const name = canonicalAppKey(key);
  const { bytes, parsed } = parseForEdit(text);
  const matches = appEntries(parsed, name);
  if (matches.length === 0) return text;
  return verify(parsed, applyEdits(bytes, matches.map((e) => deleteEntry(bytes, e))), name, undefined);
}
