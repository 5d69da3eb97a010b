import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ROOT, SHARED } from '../helpers/cli.js';
import { CONF_LINT_RULES, lintFactomdConf, lintFails, type LintFinding } from '../../src/factom/conf-lint.js';
import { AnoguardError } from '../../src/errors.js';

const FIX = join(ROOT, 'test', 'fixtures', 'factomd');
const CASES = join(SHARED, 'factomd-samples', 'behaviour');
const fixture = (name: string) => readFileSync(join(FIX, name), 'utf8');
const ids = (fs: LintFinding[]) => fs.map((f) => f.id);
const find = (fs: LintFinding[], id: string, line?: number) => fs.find((f) => f.id === id && (line === undefined || f.line === line));

describe('lintFactomdConf: clean', () => {
  it('the hardened example is clean, also for an authority', () => {
    assert.deepEqual(lintFactomdConf(fixture('good.conf')), []);
    assert.deepEqual(lintFactomdConf(fixture('good.conf'), { role: 'authority' }), []);
  });
});

describe('lintFactomdConf: each rule on a fixture', () => {
  it('syntax-error: the consequence and the kept IdentityChainID (bad-syntax.conf, CRLF)', () => {
    const fs = lintFactomdConf(fixture('bad-syntax.conf'), { path: 'x.conf' });
    const f = find(fs, 'syntax-error', 5);
    assert.ok(f);
    assert.equal(f.severity, 'error');
    assert.match(f.message, /^5:22: string not terminated/);
    assert.match(f.message, /no RPC user\/password/);
    assert.match(f.message, /public default signing key/);
    assert.match(f.message, /Network MAIN/);
    assert.match(f.message, /IdentityChainID \(line 2\) is kept/);
    assert.ok(lintFails(fs));
  });

  it('syntax-error on the case6 n8 sample, with factomd\'s position', () => {
    const fs = lintFactomdConf(readFileSync(join(CASES, 'case6-config-errors', 'n8-factomd.conf'), 'utf8'));
    assert.match(find(fs, 'syntax-error', 11)!.message, /^11:41: string not terminated/);
    assert.ok(find(fs, 'controlpanel-readwrite', 6));
  });

  it('invalid-value', () => {
    const f = find(lintFactomdConf('[app]\nChangeAcksHeight = 10o3\n'), 'invalid-value', 2);
    assert.equal(f?.key, 'ChangeAcksHeight');
    assert.match(f?.message ?? "", /failed to parse "10o3" as uint32/);
  });

  const bad = lintFactomdConf(fixture('bad-keys.conf'));

  it('misspelled-key with the intended name (error for a critical key)', () => {
    const f = find(bad, 'misspelled-key', 5)!;
    assert.equal(f.severity, 'error');
    assert.match(f.message, /Did you mean ChangeAcksHeight\?/);
    assert.equal(find(lintFactomdConf('[app]\nPortNumbr = 1\n'), 'misspelled-key', 2)?.severity, 'warning');
  });

  it('wrong-section: ChangeAcksHeight below [Walletd] and under [app "extra"], logLevel in [app], LogPath in an unknown section', () => {
    assert.equal(find(bad, 'wrong-section', 27)?.key, 'ChangeAcksHeight');
    assert.equal(find(bad, 'wrong-section', 27)?.severity, 'error');
    assert.match(find(bad, 'wrong-section', 27)!.message, /\[Walletd\]/);
    assert.ok(find(bad, 'wrong-section', 23));
    assert.equal(find(bad, 'wrong-section', 14)?.severity, 'warning');
    assert.ok(find(bad, 'wrong-section', 20));
  });

  it('unknown-section with a suggestion, ignored-subsection, unknown-key', () => {
    assert.match(find(bad, 'unknown-section', 19)!.message, /\[log\]/);
    assert.ok(find(bad, 'ignored-subsection', 22));
    assert.equal(find(lintFactomdConf('[app]\nFrobnicate = 1\n'), 'unknown-key', 2)?.severity, 'warning');
  });

  it('duplicate-key names both lines', () => {
    assert.match(find(bad, 'duplicate-key', 11)!.message, /lines 11, 12/);
  });

  it('network-lowercase, controlpanel-readwrite, tls-placeholder-path, special-peers-format, loglevel-invalid', () => {
    assert.equal(find(bad, 'network-lowercase', 8)?.fix, 'Network = MAIN');
    assert.ok(find(bad, 'controlpanel-readwrite', 9));
    assert.deepEqual(bad.filter((f) => f.id === 'tls-placeholder-path').map((f) => f.key), ['FactomdTlsPrivateKey', 'FactomdTlsPublicCert']);
    assert.match(find(bad, 'special-peers-format', 13)!.message, /space-separated/);
    assert.ok(find(bad, 'loglevel-invalid', 17));
  });

  it('pubkey-mismatch shows the derived key (case5: 3838… derives 73c4efe3…)', () => {
    assert.match(find(bad, 'pubkey-mismatch', 4)!.message, /\(73c4efe3/);
  });

  it('the default key\'s public key matches (no mismatch finding)', () => {
    const fs = lintFactomdConf('[app]\nLocalServerPrivKey = 4c38c72fc5cdad68f13b74674d3ffb1f3d63a112710868c9b08946553448d26d\nLocalServerPublicKey = cc1985cdfae4e32b5a454dfda8ce5e1361558482684f3367649c3ad852c8e31a\n');
    assert.equal(find(fs, 'pubkey-mismatch'), undefined);
    assert.equal(find(fs, 'privkey-default')?.severity, 'info');
  });

  it('identity-empty, privkey-default with an authority role, rpc-no-password, changeacks-pending (bad-identity.conf)', () => {
    const fs = lintFactomdConf(fixture('bad-identity.conf'), { role: 'authority' });
    assert.ok(find(fs, 'identity-empty', 2));
    assert.equal(find(fs, 'privkey-default', 3)?.severity, 'error');
    assert.ok(find(fs, 'rpc-no-password'));
    assert.equal(find(fs, 'changeacks-pending', 5)?.severity, 'info');
    assert.ok(find(fs, 'tls-off'));
  });

  it('identity-invalid and privkey-empty (bad-identity-hex.conf, the case5 n3/n4 crashes)', () => {
    const fs = lintFactomdConf(fixture('bad-identity-hex.conf'));
    assert.match(find(fs, 'identity-invalid', 2)!.message, /panics/);
    assert.match(find(fs, 'privkey-empty', 3)!.message, /nil pointer/);
    assert.equal(find(lintFactomdConf('[app]\nIdentityChainID = 8888aa\n'), 'identity-invalid')?.severity, 'error');
    assert.equal(find(lintFactomdConf('[app]\nLocalServerPrivKey = 1234\n'), 'privkey-invalid')?.severity, 'error');
  });

  it('identity-not-authority, identity-missing and privkey-default depend on the role', () => {
    const follower = '[app]\nIdentityChainID = 234004958a1f19c2aa4d29b3f0a5bf9a5d4ad6f5f5e3a8a1d0fd1e8b6c6f3a1a\nFactomdRpcUser = u\nFactomdRpcPass = p\nFactomdTlsEnabled = true\nFactomdTlsPrivateKey = /k\nFactomdTlsPublicCert = /c\n';
    assert.deepEqual(ids(lintFactomdConf(follower)), ['identity-not-authority']);
    assert.equal(lintFails(lintFactomdConf(follower)), false);
    assert.equal(find(lintFactomdConf(follower, { role: 'authority' }), 'identity-not-authority')?.severity, 'error');
    assert.ok(find(lintFactomdConf('[app]\n', { role: 'authority' }), 'identity-missing'));
    assert.equal(find(lintFactomdConf('[app]\n', { role: 'authority' }), 'rpc-no-auth')?.severity, 'error');
    const authId = '[app]\nIdentityChainID = 888888d027c59579fc47a6fc6c4a5c0409c7c39bc38a86cb5fc0069978493762\n';
    assert.equal(find(lintFactomdConf(authId), 'privkey-default')?.severity, 'error');
  });

  it('controlpanel-unknown, network-invalid, loglevel-verbose, rpc-no-auth', () => {
    assert.equal(find(lintFactomdConf('[app]\nControlPanelSetting = ReadWrite\n'), 'controlpanel-unknown')?.severity, 'info');
    assert.ok(find(lintFactomdConf('[app]\nNetwork = MAINNET\n'), 'network-invalid'));
    assert.ok(find(lintFactomdConf('[log]\nlogLevel = debug\n'), 'loglevel-verbose'));
    assert.equal(find(lintFactomdConf('[app]\n'), 'rpc-no-auth')?.severity, 'warning');
  });

  it('special peers in the v6.12 format pass', () => {
    assert.equal(find(lintFactomdConf('[app]\nMainSpecialPeers = "1.2.3.4:8108,node.example.org:8108"\n'), 'special-peers-format'), undefined);
    assert.ok(find(lintFactomdConf('[app]\nLocalSpecialPeers = 1.2.3.4\n'), 'special-peers-format'));
  });

  it('never puts a secret value in a message', () => {
    const text = '[app]\nFactomdRpcUser = u\nFactomdRpcPass = hunter2-secret\nLocalServerPrivKey = 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\nLocalServerPublicKey = 00\n';
    const all = JSON.stringify(lintFactomdConf(text));
    assert.ok(!all.includes('hunter2'));
    assert.ok(!all.includes('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'));
  });

  it('every rule id used is documented in docs/conf-lint.md, and every documented one exists', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'conf-lint.md'), 'utf8');
    for (const id of Object.keys(CONF_LINT_RULES)) assert.ok(doc.includes(`\`${id}\``), `${id} missing from docs/conf-lint.md`);
  });

  it('never throws anything but AnoguardError on arbitrary input', () => {
    const alphabet = fc.constantFrom('[app]\n', '[log]\n', '[Walletd]\n', 'IdentityChainID', 'LocalServerPrivKey', 'Network', 'logLevel', ' = ', '"', ';', '\n', 'abc', '888888', '4c38', '\\', ',');
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')), fc.constantFrom(undefined, 'authority', 'follower'), (s, role) => {
      try {
        lintFactomdConf(s, role ? { role } : {});
      } catch (e) {
        assert.ok(e instanceof AnoguardError, String(e));
      }
    }), { numRuns: 800 });
  });
});
