import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { SHARED } from '../helpers/cli.js';
import { getAppKey, removeAppKey, setAppKey } from '../../src/factom/conf-edit.js';
import { readGcfg } from '../../src/factom/gcfg.js';
import { FACTOMD_CONF_SCHEMA } from '../../src/factom/factomd-conf.js';
import { AnoguardError } from '../../src/errors.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const CASES = join(SHARED, 'factomd-samples', 'behaviour');
const values = (text: string) => readGcfg(FACTOMD_CONF_SCHEMA, text).values;

/** Lines present in `a` and not in `b` (as a multiset). */
function minus(a: string[], b: string[]): string[] {
  const rest = [...b];
  return a.filter((l) => {
    const i = rest.indexOf(l);
    if (i < 0) return true;
    rest.splice(i, 1);
    return false;
  });
}

describe('setAppKey', () => {
  it('puts ChangeAcksHeight into [app], not after [Walletd] (the case6 n7 file)', () => {
    const n7 = readFileSync(join(CASES, 'case6-config-errors', 'n7-factomd.conf'), 'utf8');
    const out = setAppKey(n7, 'ChangeAcksHeight', '18');
    const lines = n7.split('\n');
    // Inserted after the last [app] line, aligned like it; every other line unchanged.
    const expected = [...lines.slice(0, 14), 'ChangeAcksHeight                      = 18', ...lines.slice(14)].join('\n');
    assert.equal(out, expected);
    assert.equal(values(out).App!.ChangeAcksHeight, 18);
  });

  it('changes the value in place, keeping its spacing and inline comment', () => {
    const text = '; head\n[app]\nPortNumber   =  8088   ; api port\nNetwork = MAIN\n';
    assert.equal(setAppKey(text, 'portnumber', '9000'), '; head\n[app]\nPortNumber   =  9000   ; api port\nNetwork = MAIN\n');
  });

  it('handles duplicates: the effective (last) line is edited, earlier ones removed, their comments kept', () => {
    const text = '[app]\nChangeAcksHeight = 1 ; first\nNetwork = MAIN\nchangeacksheight = 2\n[log]\nlogLevel = error\n';
    const out = setAppKey(text, 'ChangeAcksHeight', '7');
    assert.equal(out, '[app]\n; first\nNetwork = MAIN\nchangeacksheight = 7\n[log]\nlogLevel = error\n');
    assert.equal(readGcfg(FACTOMD_CONF_SCHEMA, out).entries.filter((e) => e.canonicalName === 'ChangeAcksHeight').length, 1);
  });

  it('keeps CRLF line endings', () => {
    const text = '[app]\r\nNetwork = MAIN\r\n\r\n[Walletd]\r\nWalletRpcUser = ""\r\n';
    assert.equal(setAppKey(text, 'ChangeAcksHeight', '5'), '[app]\r\nNetwork = MAIN\r\nChangeAcksHeight = 5\r\n\r\n[Walletd]\r\nWalletRpcUser = ""\r\n');
    assert.equal(setAppKey('[app]\r\nIdentityChainID =\r\n', 'IdentityChainID', 'ab'), '[app]\r\nIdentityChainID = ab\r\n');
  });

  it('fills an empty value and turns a bare key into key = value', () => {
    assert.equal(setAppKey('[app]\nIdentityChainID =\n', 'IdentityChainID', 'ab'), '[app]\nIdentityChainID = ab\n');
    assert.equal(setAppKey('[app]\nIdentityChainID=\n', 'IdentityChainID', 'ab'), '[app]\nIdentityChainID= ab\n');
    assert.equal(setAppKey('[app]\nFastBoot ; x\n', 'FastBoot', 'false'), '[app]\nFastBoot = false ; x\n');
  });

  it('creates [app] before the first section when missing, or at the end of a file with none', () => {
    assert.equal(setAppKey('; c\n[Walletd]\nWalletRpcUser = ""\n', 'Network', 'TEST'), '; c\n[app]\nNetwork = TEST\n\n[Walletd]\nWalletRpcUser = ""\n');
    assert.equal(setAppKey('; only a comment', 'Network', 'TEST'), '; only a comment\n[app]\nNetwork = TEST\n');
    assert.equal(setAppKey('', 'Network', 'TEST'), '[app]\nNetwork = TEST\n');
  });

  it('appends after a header at the end of the file without a newline', () => {
    assert.equal(setAppKey('[app]', 'Network', 'TEST'), '[app]\nNetwork = TEST\n');
    assert.equal(setAppKey('[app]\nPortNumber = 1', 'Network', 'TEST'), '[app]\nPortNumber = 1\nNetwork = TEST\n');
  });

  it('quotes values gcfg would otherwise misread', () => {
    assert.equal(setAppKey('[app]\n', 'CorsDomains', 'a;b'), '[app]\nCorsDomains = "a;b"\n');
    assert.equal(setAppKey('[app]\n', 'FactomdRpcUser', ''), '[app]\nFactomdRpcUser = ""\n');
    assert.equal(setAppKey('[app]\n', 'FactomdRpcPass', 'p"w\\x #1 '), '[app]\nFactomdRpcPass = "p\\"w\\\\x #1 "\n');
    assert.equal(getAppKey(setAppKey('[app]\n', 'FactomdRpcPass', 'p"w\\x #1 '), 'FactomdRpcPass'), 'p"w\\x #1 ');
  });

  it('leaves [app "sub"] and other sections alone', () => {
    const text = '[app "x"]\nNetwork = TEST\n[app]\nNetwork = MAIN\n';
    assert.equal(setAppKey(text, 'Network', 'LOCAL'), '[app "x"]\nNetwork = TEST\n[app]\nNetwork = LOCAL\n');
  });

  it('refuses unknown keys (with a suggestion), bad values and unparseable files', () => {
    assert.throws(() => setAppKey('[app]\n', 'ChangeAckHeight', '1'), (e: unknown) => e instanceof AnoguardError && e.code === 'E_CONF_UNKNOWN_KEY' && /ChangeAcksHeight/.test(e.shortMessage));
    assert.throws(() => setAppKey('[app]\n', 'ChangeAcksHeight', 'soon'), (e: unknown) => e instanceof AnoguardError && e.code === 'E_CONF_VALUE' && e.field === 'app.ChangeAcksHeight');
    assert.throws(() => setAppKey('[app]\nNetwork = "MAIN\n', 'ChangeAcksHeight', '5'), (e: unknown) => e instanceof AnoguardError && e.code === 'E_CONF_SYNTAX');
    assert.throws(() => setAppKey('[app]\n', 'CorsDomains', 'a\rb'), (e: unknown) => e instanceof AnoguardError);
  });
});

describe('removeAppKey / getAppKey', () => {
  it('removes every occurrence, keeps inline comments and every other byte', () => {
    const text = '[app]\nIdentityChainID = 8888 ; the id\nNetwork = MAIN\nIdentityChainID = 9999\n[log]\nlogLevel = error\n';
    assert.equal(removeAppKey(text, 'identitychainid'), '[app]\n; the id\nNetwork = MAIN\n[log]\nlogLevel = error\n');
    assert.equal(removeAppKey(text, 'ChangeAcksHeight'), text);
  });

  it('removes a continued value entirely', () => {
    assert.equal(removeAppKey('[app]\nCorsDomains = a,\\\n  b\nNetwork = MAIN\n', 'CorsDomains'), '[app]\nNetwork = MAIN\n');
  });

  it('getAppKey reads what factomd reads', () => {
    const text = '[APP]\nchangeacksheight = 1\nChangeAcksHeight = 2 ; swap\nFastBoot\n[Walletd]\nNetwork = X\n';
    assert.equal(getAppKey(text, 'ChangeAcksHeight'), '2');
    assert.equal(getAppKey(text, 'FastBoot'), 'true');
    assert.equal(getAppKey(text, 'Network'), undefined);
  });
});

// Random valid factomd.conf files: sections, known and unknown keys, comments, alignment, CRLF or LF.
const safeText = fc.string({ maxLength: 12 }).filter((s) => !/[\r\0]/.test(s) && !LONE_SURROGATE.test(s));
const appKeys = FACTOMD_CONF_SCHEMA[0].fields;
const appLine = fc.record({
  field: fc.constantFrom(...appKeys),
  pad: fc.integer({ min: 1, max: 12 }),
  text: safeText,
  n: fc.integer({ min: 0, max: 100_000 }),
  b: fc.boolean(),
  comment: fc.option(fc.constantFrom('; c', '# note', ';x=1'), { nil: undefined }),
  quote: fc.boolean(),
}).map(({ field, pad, text, n, b, comment, quote }) => {
  const v = field.type === 'string' ? (quote || text === '' || /[\s;#"\\]/.test(text) ? `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"` : text)
    : field.type === 'bool' ? String(b) : String(n);
  return `${field.name}${' '.repeat(pad)}= ${v}${comment ? ` ${comment}` : ''}`;
});
const otherLine = fc.constantFrom('', '; comment', '# another', '   ', 'UnknownKey = 1', 'logLevel = error');
const section = fc.tuple(fc.constantFrom('[app]', '[APP]', '[log]', '[Walletd]', '[LiveFeedAPI]', '[foo]', '[app "x"]'), fc.array(fc.oneof(appLine, otherLine), { maxLength: 8 }))
  .map(([h, lines]) => [h, ...(h.startsWith('[log]') || h === '[LiveFeedAPI]' ? lines.filter((l) => l.trim() === '' || /^[;#]/.test(l)) : lines)]);
const confFile = fc.tuple(fc.array(fc.constantFrom('; header', ''), { maxLength: 2 }), fc.array(section, { maxLength: 5 }), fc.boolean(), fc.boolean())
  .map(([pre, secs, crlf, finalNl]) => {
    const nl = crlf ? '\r\n' : '\n';
    const body = [...pre, ...secs.flat()].join(nl);
    return finalNl && body !== '' ? body + nl : body;
  });
const editValue = fc.record({ field: fc.constantFrom(...appKeys.filter((f) => !('multi' in f))), text: safeText, n: fc.integer({ min: 0, max: 4_000_000 }), b: fc.boolean() })
  .map(({ field, text, n, b }) => ({ key: field.name, value: field.type === 'string' ? text : field.type === 'bool' ? String(b) : String(n), type: field.type }));

describe('editor properties', () => {
  it('random valid file → set → the key reads back as set, every other value and line unchanged', () => {
    fc.assert(fc.property(confFile, editValue, (text, { key, value, type }) => {
      const before = readGcfg(FACTOMD_CONF_SCHEMA, text);
      fc.pre(!before.fatal);
      const out = setAppKey(text, key, value);
      const after = readGcfg(FACTOMD_CONF_SCHEMA, out);
      assert.equal(after.fatal, undefined);
      assert.equal(getAppKey(out, key), value);
      const expected = type === 'string' ? value : type === 'bool' ? value === 'true' : Number(value);
      assert.deepEqual(after.values.App![key], expected);
      for (const [sec, fields] of Object.entries(before.values)) {
        for (const [k, v] of Object.entries(fields)) if (!(sec === 'App' && k === key)) assert.deepEqual(after.values[sec]![k], v, `${sec}.${k}`);
      }
      const nl = /\r\n/.test(text) ? '\r\n' : '\n';
      const keyLine = (l: string) => new RegExp(`^\\s*${key}\\b`, 'i').test(l);
      const commentOnly = (l: string) => /^[;#]/.test(l);
      const a = text.split(nl);
      const b = out.split(nl);
      for (const l of minus(a, b)) assert.ok(keyLine(l) || l === '', `removed line ${JSON.stringify(l)}`);
      for (const l of minus(b, a)) assert.ok(keyLine(l) || commentOnly(l) || l === '[app]' || l === '', `added line ${JSON.stringify(l)}`);
    }), { numRuns: 400 });
  });

  it('random valid file → remove → the key is gone, every other value unchanged', () => {
    fc.assert(fc.property(confFile, fc.constantFrom(...appKeys), (text, field) => {
      const before = readGcfg(FACTOMD_CONF_SCHEMA, text);
      fc.pre(!before.fatal);
      const out = removeAppKey(text, field.name);
      const after = readGcfg(FACTOMD_CONF_SCHEMA, out);
      assert.equal(after.fatal, undefined);
      assert.equal(getAppKey(out, field.name), undefined);
      for (const [sec, fields] of Object.entries(before.values)) {
        for (const [k, v] of Object.entries(fields)) if (!(sec === 'App' && k === field.name)) assert.deepEqual(after.values[sec]![k], v, `${sec}.${k}`);
      }
    }), { numRuns: 300 });
  });
});
