import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { summarizeKey } from '../../src/factom/index.js';
import { vector } from '../factom/vectors.js';

// Each CLI spawn costs ~1-2 s of CPU through tsx, so the CLI is exercised end to end on a few
// representative cases; the key variety is covered in-process (test/factom/keys.test.ts).

let dir = '';
before(() => { dir = mkdtempSync(join(tmpdir(), 'anoguard-keycli-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const noStack = (s: string): void => assert.doesNotMatch(s, /\n\s+at /);

describe('anoguard key generate', () => {
  it('fct / ec / identity: 0600 secret file, only the public form printed', async () => {
    const cases = [['fct', 'Fs', 'FA'], ['ec', 'Es', 'EC'], ['identity', 'sk1', 'id1']] as const;
    const results = await Promise.all(cases.map(([type]) => runCli(['key', 'generate', '--type', type, '--out', join(dir, `${type}.key`), '--json'])));
    cases.forEach(([type, secretPrefix, publicPrefix], i) => {
      const r = results[i]!;
      assert.equal(r.code, 0, r.stderr);
      const out = join(dir, `${type}.key`);
      assert.equal(statSync(out).mode & 0o777, 0o600);
      const secret = readFileSync(out, 'utf8').trim();
      assert.ok(secret.startsWith(secretPrefix));
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'secret leaked to output');
      const j = JSON.parse(r.stdout);
      assert.ok(j.public.startsWith(publicPrefix));
      // The stored secret derives exactly the printed public form and key.
      const s = summarizeKey(secret);
      assert.equal(s.kind, secretPrefix);
      assert.equal(j.public, s.public);
      assert.equal(j.publicKeyHex, s.publicKeyHex);
    });
  });

  it('human output for identity: id1 and public key hex, no secret', async () => {
    const out = join(dir, 'id-human.key');
    const r = await runCli(['key', 'generate', '--type', 'identity', '--out', out]);
    assert.equal(r.code, 0);
    const secret = readFileSync(out, 'utf8').trim();
    const s = summarizeKey(secret);
    assert.equal(r.stdout, `${s.public}\npublic key: ${s.publicKeyHex}\n`);
  });

  it('refuses to overwrite; usage errors exit 2', async () => {
    const out = join(dir, 'exists.key');
    writeFileSync(out, 'keep me\n', { mode: 0o600 });
    const [r, badType, noOut] = await Promise.all([
      runCli(['key', 'generate', '--type', 'ec', '--out', out]),
      runCli(['key', 'generate', '--type', 'btc', '--out', join(dir, 'x')]),
      runCli(['key', 'generate', '--type', 'ec']),
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to overwrite/);
    assert.equal(readFileSync(out, 'utf8'), 'keep me\n');
    noStack(r.stderr);
    assert.equal(badType.code, 2);
    assert.equal(noOut.code, 2);
  });
});

describe('anoguard key inspect', () => {
  const fct = vector('address.fct').expected;
  const ec = vector('address.ec').expected;
  const sk = vector('keys.server-identity').expected.levels[0];

  it('a secret: kind, derived public form and key, never the secret', async () => {
    const [j, human] = await Promise.all([
      runCli(['key', 'inspect', '--json'], { stdin: `  ${sk.secretKey}\n` }),
      runCli(['key', 'inspect'], { stdin: ec.privateAddress }),
    ]);
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), { kind: 'sk1', public: sk.identityKeyHumanReadable, publicKeyHex: sk.ed25519PublicKeyHex });
    assert.ok(!(j.stdout + j.stderr).includes(sk.secretKey));
    assert.equal(human.code, 0);
    assert.match(human.stdout, new RegExp(`public: +${ec.publicAddress}`));
    assert.ok(!(human.stdout + human.stderr).includes(ec.privateAddress));
  });

  it('FA: no derivable raw key', async () => {
    const r = await runCli(['key', 'inspect', '--json'], { stdin: fct.publicAddress });
    assert.deepEqual(JSON.parse(r.stdout), { kind: 'FA', public: fct.publicAddress });
  });

  it('bad input: one line naming the field and reason, exit 1, no stack, no secret echoed', async () => {
    const typo = `${ec.privateAddress.slice(0, -1)}${ec.privateAddress.endsWith('a') ? 'b' : 'a'}`;
    const [bad, two, json, argv] = await Promise.all([
      runCli(['key', 'inspect'], { stdin: typo }),
      runCli(['key', 'inspect'], { stdin: `${fct.publicAddress} ${ec.publicAddress}` }),
      runCli(['key', 'inspect', '--json'], { stdin: fct.publicAddress.slice(0, -1) }),
      runCli(['key', 'inspect', ec.privateAddress]),
    ]);
    assert.equal(argv.code, 2);
    assert.match(argv.stderr, /argv: keys are read from stdin/);
    assert.ok(!(argv.stdout + argv.stderr).includes(ec.privateAddress));
    for (const [r, code] of [[bad, 'E_BAD_CHECKSUM'], [two, 'E_BAD_INPUT'], [json, 'E_BAD_LENGTH']] as const) {
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`stdin: .*\\(${code}\\)`));
      noStack(r.stderr);
    }
    assert.equal(bad.stdout, '');
    assert.ok(!bad.stderr.includes(typo.slice(4)));
    assert.equal(JSON.parse(json.stdout).error.code, 'E_BAD_LENGTH');
  });
});
