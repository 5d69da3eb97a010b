import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readGcfg, quoteGcfgValue, type GcfgSchema } from '../../src/factom/gcfg.js';
import { FACTOMD_CONF_SCHEMA } from '../../src/factom/factomd-conf.js';
import { AnoguardError } from '../../src/errors.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const read = (text: string | Uint8Array, filename = '') => readGcfg(FACTOMD_CONF_SCHEMA, text, { filename });
const app = (text: string) => read(text).values.App!;

// factomd-ops.md §1.2: each probe fact of gcfg v1.2.3 as factomd wraps it (FatalOnly).
describe('gcfg: the §1.2 probe facts', () => {
  it('section and key names are case-insensitive ([APP] / changeacksheight accepted)', () => {
    const r = read('[APP]\nchangeacksheight = 9\n');
    assert.equal(r.fatal, undefined);
    assert.equal(r.values.App!.ChangeAcksHeight, 9);
    assert.deepEqual(r.warnings, []);
  });

  it('an inline comment after a value is not part of it (ChangeAcksHeight = 9 ; swap → 9)', () => {
    assert.equal(app('[app]\nChangeAcksHeight = 9 ; swap\n').ChangeAcksHeight, 9);
    assert.equal(app('[app]\nNetwork = LOCAL # the network\n').Network, 'LOCAL');
  });

  it('CRLF line endings parse', () => {
    const r = read('[app]\r\nChangeAcksHeight = 7\r\nNetwork = TEST\r\n');
    assert.equal(r.fatal, undefined);
    assert.equal(r.values.App!.ChangeAcksHeight, 7);
    assert.equal(r.values.App!.Network, 'TEST');
    assert.equal(r.eol, 'crlf');
  });

  it('integers are decimal or 0x hex (0x10 → 16); a leading 0 is still decimal', () => {
    assert.equal(app('[app]\nChangeAcksHeight = 0x10\n').ChangeAcksHeight, 16);
    assert.equal(app('[app]\nPortNumber = 010\n').PortNumber, 10);
    assert.equal(app('[app]\nPortNumber = -0x10\n').PortNumber, -16);
  });

  it('bools accept true/yes/on/1 and false/no/off/0, any case', () => {
    for (const t of ['true', 'yes', 'on', '1', 'TRUE', 'Yes']) assert.equal(app(`[app]\nFactomdTlsEnabled = ${t}\n`).FactomdTlsEnabled, true, t);
    for (const f of ['false', 'no', 'off', '0', 'OFF']) assert.equal(app(`[app]\nFastBoot = ${f}\n`).FastBoot, false, f);
  });

  it('a bare key with no = sets a bool true', () => {
    assert.equal(app('[app]\nFactomdTlsEnabled\n').FactomdTlsEnabled, true);
  });

  it('a duplicate single-valued key: the last one wins', () => {
    assert.equal(app('[app]\nChangeAcksHeight = 1\nChangeAcksHeight = 2\n').ChangeAcksHeight, 2);
  });

  it('multi-valued keys take one line per value; a bare key clears the list', () => {
    const r = app('[app]\nBitcoinAnchorRecordPublicKeys = aa\nBitcoinAnchorRecordPublicKeys = bb\nEthereumAnchorRecordPublicKeys = cc\n');
    assert.deepEqual(r.BitcoinAnchorRecordPublicKeys, ['aa', 'bb']);
    assert.deepEqual(r.EthereumAnchorRecordPublicKeys, ['cc']);
    assert.deepEqual(app('[app]\nBitcoinAnchorRecordPublicKeys = aa\nBitcoinAnchorRecordPublicKeys\nBitcoinAnchorRecordPublicKeys = dd\n').BitcoinAnchorRecordPublicKeys, ['dd']);
  });

  it('a misspelled key is a warning with its line, and is ignored (ChangeAckHeight = 1003)', () => {
    const r = read('[app]\nNetwork = MAIN\nChangeAckHeight = 1003\n');
    assert.equal(r.fatal, undefined);
    assert.equal(r.values.App!.ChangeAcksHeight, 0);
    assert.deepEqual(r.warnings, [{ line: 3, column: 1, section: 'app', name: 'ChangeAckHeight', message: 'can\'t store data at section "app", variable "ChangeAckHeight"' }]);
  });

  it('ChangeAcksHeight appended after [Walletd] is ignored with a warning only', () => {
    const r = read('[app]\nNetwork = LOCAL\n\n[Walletd]\nWalletRpcUser = ""\nChangeAcksHeight = 18\n');
    assert.equal(r.fatal, undefined);
    assert.equal(r.values.App!.ChangeAcksHeight, 0);
    assert.equal(r.warnings.length, 1);
    assert.equal(r.warnings[0]!.line, 6);
    assert.equal(r.warnings[0]!.message, 'can\'t store data at section "Walletd", variable "ChangeAcksHeight"');
  });

  it('an unknown section is a warning, and so is every key in it', () => {
    const r = read('[app]\n[foo]\na = 1\n');
    assert.equal(r.fatal, undefined);
    assert.deepEqual(r.warnings.map((w) => [w.line, w.message]), [[2, 'can\'t store data at section "foo"'], [3, 'can\'t store data at section "foo"']]);
  });

  it('an unparseable value for a uint is fatal (10o3), with gcfg\'s wording', () => {
    const r = read('[app]\nChangeAcksHeight = 10o3\n');
    assert.equal(r.fatal?.kind, 'value');
    assert.equal(r.fatal?.text, 'failed to parse "10o3" as uint32: extra characters');
    assert.equal(r.fatal?.line, 2);
  });
});

describe('gcfg: values', () => {
  it('quotes: ; and # inside quotes are not comments; escapes \\" \\\\ \\n \\t', () => {
    assert.equal(app('[app]\nCorsDomains = "a;b#c"\n').CorsDomains, 'a;b#c');
    assert.equal(app('[app]\nCorsDomains = "q\\"b\\\\s\\nn\\tt"\n').CorsDomains, 'q"b\\s\nn\tt');
    assert.equal(app('[app]\nCorsDomains = a "b ; c" d ; x\n').CorsDomains, 'a b ; c d');
  });

  it('surrounding whitespace is trimmed outside quotes and kept inside', () => {
    assert.equal(app('[app]\nCorsDomains =    x y   \n').CorsDomains, 'x y');
    assert.equal(app('[app]\nCorsDomains = " x "\n').CorsDomains, ' x ');
  });

  it('key = (nothing) is an empty string, not blank', () => {
    const r = read('[app]\nIdentityChainID =\n');
    assert.equal(r.fatal, undefined);
    assert.equal(r.values.App!.IdentityChainID, '');
    assert.equal(r.entries[0]!.blank, false);
  });

  it('a line ending in \\ continues the value on the next line (outside quotes)', () => {
    assert.equal(app('[app]\nCorsDomains = a \\\n  b\nNetwork = TEST\n').CorsDomains, 'a   b');
    assert.equal(app('[app]\r\nCorsDomains = a\\\r\nb\r\n').CorsDomains, 'ab');
  });

  it('hyphens in key names read as underscores (no factomd key has one, so they are ignored)', () => {
    const r = read('[app]\nChange-Acks-Height = 1\n');
    assert.equal(r.fatal, undefined);
    assert.equal(r.warnings.length, 1);
  });

  it('a subsection of a struct section is a warning; its keys are ignored', () => {
    const r = read('[app "x"]\nChangeAcksHeight = 5\n');
    assert.equal(r.fatal, undefined);
    assert.equal(r.values.App!.ChangeAcksHeight, 0);
    assert.equal(r.warnings[0]!.message, 'can\'t store data at section "app", subsection "x"');
  });

  it('integer edge cases follow Go\'s fmt.Sscanf', () => {
    const fatal = (v: string, key = 'ChangeAcksHeight') => read(`[app]\n${key} = ${v}\n`).fatal?.text;
    assert.equal(fatal('-5'), 'failed to parse "-5" as uint32: expected integer');
    assert.equal(fatal('4294967296'), 'failed to parse "4294967296" as uint32: unsigned integer overflow on token 4294967296');
    assert.equal(fatal('4294967295'), undefined);
    assert.equal(fatal('abc', 'PortNumber'), 'failed to parse "abc" as int: expected integer');
    assert.equal(fatal('', 'PortNumber'), 'failed to parse "" as int: EOF');
    assert.equal(fatal('0X10'), 'failed to parse "0X10" as uint32: extra characters');
    assert.equal(fatal('1_000', 'PortNumber'), 'failed to parse "1_000" as int: extra characters');
    assert.equal(fatal('9223372036854775808', 'PortNumber'), 'failed to parse "9223372036854775808" as int: strconv.ParseInt: parsing "9223372036854775808": value out of range');
  });

  it('bool errors and blank non-bools are fatal with gcfg\'s wording', () => {
    assert.equal(read('[app]\nFastBoot = maybe\n').fatal?.text, 'failed to parse bool `maybe`');
    assert.equal(read('[app]\nIdentityChainID\n').fatal?.text, 'blank value not supported for type');
    assert.equal(read('[app]\nPortNumber\n').fatal?.text, 'blank value not supported for type');
  });
});

describe('gcfg: syntax errors', () => {
  const fatal = (text: string, file = 'f.conf') => read(text, file).fatal;

  it('an unterminated quote: "string not terminated" at the start of the value (the case6 n8 sample: 11:41)', () => {
    const line = 'LocalServerPrivKey                    = "3838383838383730323032353562363331373634666330666435323464616338';
    const text = `[app]\n${'Network = LOCAL\n'.repeat(9)}${line}\nPortNumber = 1\n`;
    const f = fatal(text, 'HOME/n8/.factom/m2/factomd.conf');
    assert.equal(f?.kind, 'syntax');
    assert.equal(f?.text, 'HOME/n8/.factom/m2/factomd.conf:11:41: string not terminated');
  });

  it('positions are byte columns and lines; no filename gives line:col', () => {
    assert.equal(read('[app]\nIdentityChainID = "é\n').fatal?.text, '2:19: string not terminated');
    assert.equal(read('[app]\nCorsDomains = "é" x "\n').fatal?.text, '2:15: string not terminated');
  });

  it('gcfg\'s grammar errors', () => {
    assert.equal(fatal('x = 1\n')?.text, 'f.conf:1:1: expected section header');
    assert.equal(fatal('[app\n')?.text, 'f.conf:1:5: expected subsection name or right bracket');
    assert.equal(fatal('[app "x"\n')?.text, 'f.conf:1:9: expected right bracket');
    assert.equal(fatal('[]\n')?.text, 'f.conf:1:2: expected section name');
    assert.equal(fatal('[app ""]\n')?.text, 'f.conf:1:6: empty subsection name');
    assert.equal(fatal('[app] x\n')?.text, 'f.conf:1:7: expected EOL, EOF, or comment');
    assert.equal(fatal('[app]\nPortNumber 8088\n')?.text, 'f.conf:2:12: illegal character U+0038 \'8\'');
    assert.equal(fatal('[app]\nPortNumber x\n')?.text, 'f.conf:2:12: expected \'=\'');
    assert.equal(fatal('[app]\n= 1\n')?.text, 'f.conf:2:1: expected section header or variable declaration');
    assert.equal(fatal('[app]\n1 = 2\n')?.text, 'f.conf:2:1: illegal character U+0031 \'1\'');
    assert.equal(fatal('[app]\nPortNumber: 1\n')?.text, 'f.conf:2:11: illegal character U+003A \':\'');
    assert.equal(fatal('[app]\nCorsDomains = a\\b\n')?.text, 'f.conf:2:15: unquoted \'\\\' must be followed by new line');
    assert.equal(fatal('[app]\nCorsDomains = "a\\qb"\n')?.text, 'f.conf:2:18: unknown escape sequence');
    assert.equal(fatal('[app]\nCorsDomains = "a\\qb\\q"\n')?.text, 'f.conf:2:18: unknown escape sequence (and 1 more errors)');
    assert.equal(fatal('[app]\nCorsDomains = a\0b\n')?.text, 'f.conf:2:16: illegal character NUL');
  });

  it('invalid UTF-8 is fatal', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('[app]\nCorsDomains = a'), 0xff, 0x0a]);
    assert.equal(read(bytes, 'f').fatal?.text, 'f:2:16: illegal UTF-8 encoding');
  });

  it('a UTF-8 BOM is skipped as ReadFileInto does', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('[app]\nPortNumber = 1\n')]);
    const r = read(bytes);
    assert.equal(r.fatal, undefined);
    assert.equal(r.values.App!.PortNumber, 1);
    assert.equal(r.entries[0]!.lineStart, 9);
  });

  it('everything read before a fatal error stays applied', () => {
    const r = read('[app]\nIdentityChainID = 8888\nPortNumber = "x\nNetwork = TEST\n');
    assert.equal(r.fatal?.line, 3);
    assert.equal(r.values.App!.IdentityChainID, '8888');
    assert.equal(r.values.App!.Network, '');
  });
});

describe('gcfg: positions for lint and the editor', () => {
  it('reports each key\'s line, column and byte offsets', () => {
    const text = '; c\n[app]\n  Network = TEST ; n\nFastBoot\n';
    const r = read(text);
    const [net, fb] = r.entries;
    assert.equal(net!.line, 3);
    assert.equal(net!.column, 3);
    assert.equal(text.slice(net!.lineStart, net!.contentEnd), '  Network = TEST ; n');
    assert.equal(text.slice(net!.valueStart, net!.valueEnd), 'TEST');
    assert.equal(text.slice(net!.commentStart, net!.contentEnd), '; n');
    assert.equal(fb!.blank, true);
    assert.equal(fb!.line, 4);
    assert.equal(r.headers[0]!.line, 2);
  });
});

describe('gcfg: properties', () => {
  it('never throws on arbitrary text or bytes (or only AnoguardError)', () => {
    const check = (input: string | Uint8Array) => {
      try {
        readGcfg(FACTOMD_CONF_SCHEMA, input);
      } catch (e) {
        assert.ok(e instanceof AnoguardError, `threw ${String(e)}`);
      }
    };
    const alphabet = fc.constantFrom('[', ']', '"', '\\', ';', '#', '=', ' ', '\t', '\r', '\n', 'a', 'P', '0', 'x', '-', '.', 'é', '\0');
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 80 }).map((a) => a.join('')), (s) => check(`[app]\n${s}`)), { numRuns: 1500 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), check), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ maxLength: 100 }), check), { numRuns: 500 });
  });

  it('a quoted value always reads back as itself', () => {
    const schema: GcfgSchema = [{ name: 'S', fields: [{ name: 'V', type: 'string' }] }];
    fc.assert(fc.property(fc.string({ maxLength: 40 }).filter((s) => !/[\r\0]/.test(s) && !LONE_SURROGATE.test(s)), (v) => {
      const r = readGcfg(schema, `[s]\nv = ${quoteGcfgValue(v)} ; c\n`);
      assert.equal(r.fatal, undefined);
      assert.equal(r.values.S!.V, v);
    }), { numRuns: 1000 });
  });
});
