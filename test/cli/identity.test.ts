import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { cleanup, loadVectors, tempDir, vector, writeSecret, type Vector } from '../identity/helpers.js';
import { startFakeFactomd } from '../identity/fake-factomd.js';

const V = loadVectors();
const F = V.fixedInputs;
const levels = vector(V, 'keys.server-identity').expected.levels as { secretKey: string; secretKeyRawHex: string; seedHex: string; identityKeyHumanReadable: string }[];
const ecSecret = vector(V, 'address.ec').expected.privateAddress as string;
const root = vector(V, 'server.identity-root-chain').expected.chainId as string;
const mgmt = vector(V, 'server.server-management-chain').expected.chainId as string;
const TIMES = ['--timestamp', String(F.identityTimestampSeconds), '--commit-time', String(F.commitTimestampMillis)];
const AT = String(F.commitTimestampMillis + 60_000);
const PASS = 'a long enough test passphrase\n';

/** Every secret the tests handle, in every form: none may appear in argv, output or bundles. */
const SECRETS = [
  ...levels.flatMap((l) => [l.secretKey, l.seedHex, l.secretKeyRawHex]),
  ecSecret, F.ecSeedHex, F.blockSigningKeySeedHex, F.mhashSeedHex,
  PASS.trim(),
];
const seen: { argv: string[]; out: CliResult }[] = [];
async function cli(args: string[], stdin?: string): Promise<CliResult> {
  const out = await runCli(args, { ...(stdin !== undefined ? { stdin } : {}), timeoutMs: 180_000 });
  seen.push({ argv: args, out });
  return out;
}

interface BundleJson { items: { kind: string; chainId: string; extIdsHex: string[]; contentHex: string; entryHash: string; ecCost: number; commitHex: string | null; revealHex: string }[] }
function readBundle(p: string): BundleJson {
  return JSON.parse(readFileSync(p, 'utf8')) as BundleJson;
}
function assertItem(item: BundleJson['items'][number], v: Vector): void {
  const e = v.expected.entry!;
  assert.equal(item.chainId, e.chainId, v.id);
  assert.deepEqual(item.extIdsHex, e.extIdsHex, v.id);
  assert.equal(item.contentHex, e.contentHex, v.id);
  assert.equal(item.entryHash, e.entryHash, v.id);
  assert.equal(item.ecCost, v.expected.ecCost, v.id);
  assert.equal(item.commitHex, v.expected.commitHex, v.id);
  assert.equal(item.revealHex, v.expected.revealHex, v.id);
}

describe('anoguard identity / bundle (CLI)', () => {
  let dir = '';
  let keysDir = '';
  let sk1File = '';
  let ecFile = '';
  before(() => {
    dir = tempDir('cli');
    keysDir = join(dir, 'keys');
    // Key files as operators have them: serveridentity-style lines, the 78-hex raw form, a .conf.
    mkdirSync(keysDir, { mode: 0o700 });
    writeSecret(keysDir, 'identity-keys.txt', `sk1: ${levels[0]!.secretKey}\nsk2: ${levels[1]!.secretKey}\n${levels[2]!.secretKeyRawHex}\n${levels[3]!.secretKey}\n`);
    writeSecret(keysDir, 'node.conf', `[app]\nLocalServerPrivKey = ${F.blockSigningKeySeedHex}\n`);
    writeSecret(keysDir, 'matryoshka-seed', `${F.mhashSeedHex}\n`);
    sk1File = writeSecret(dir, 'sk1', `${levels[0]!.secretKey}\n`);
    ecFile = writeSecret(dir, 'ec', `${ecSecret}\n`);
  });
  after(() => {
    // The secret scan covers every command run in this file.
    for (const { argv, out } of seen) {
      for (const s of SECRETS) {
        assert.ok(!argv.join(' ').includes(s), 'secret on argv');
        assert.ok(!out.stdout.includes(s), `secret on stdout of ${argv.slice(0, 2).join(' ')}`);
        assert.ok(!out.stderr.includes(s), `secret on stderr of ${argv.slice(0, 2).join(' ')}`);
      }
    }
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.json')) continue;
      const text = readFileSync(join(dir, f), 'utf8');
      for (const s of SECRETS) assert.ok(!text.includes(s), `secret in ${f}`);
    }
    cleanup(dir);
  });

  it('identity create --nonce-scheme counter reproduces all seven identity vectors; bundle verify', async () => {
    const out = join(dir, 'create.json');
    // The root chain is ground with the counter scheme (263825 tries); the management nonce
    // (8147497 tries, seconds of CPU) is given, its grinding is covered in test/identity/grind.test.ts.
    const r = await cli(['identity', 'create', '--keys', keysDir, '--ec-key', ecFile, '--nonce-scheme', 'counter',
      '--management-nonce-hex', vector(V, 'server.server-management-chain').expected.nonceHex as string,
      '--btc-hash160', F.btcHash160Hex, ...TIMES, '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { rootChainId: string; managementChainId: string };
    assert.equal(summary.rootChainId, root);
    assert.equal(summary.managementChainId, mgmt);
    const ids = ['server.identity-root-chain', 'server.register-factom-identity', 'server.server-management-chain', 'server.register-server-management',
      'server.new-block-signing-key', 'server.new-bitcoin-key', 'server.new-matryoshka-hash'];
    const b = readBundle(out);
    assert.deepEqual(b.items.map((i) => i.kind), ['identity-root-chain', 'register-factom-identity', 'server-management-chain', 'register-server-management', 'new-block-signing-key', 'new-bitcoin-key', 'new-matryoshka-hash']);
    b.items.forEach((item, i) => assertItem(item, vector(V, ids[i]!)));

    const ok = await cli(['bundle', 'verify', out, '--at', AT, '--json']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal((JSON.parse(ok.stdout) as { ok: boolean }).ok, true);
    const expired = await cli(['bundle', 'verify', out]);
    assert.equal(expired.code, 1);
    assert.match(expired.stdout, /expired/);
  });

  it('update commands reproduce their vectors (coinbase, efficiency, coinbase-cancel, signing-key)', async () => {
    const seedFile = writeSecret(dir, 'signing.seed', `${F.blockSigningKeySeedHex}\n`);
    const common = ['--key', sk1File, '--ec-key', ecFile, ...TIMES];
    const runs: [string, string[]][] = [
      ['server.coinbase-address', ['identity', 'coinbase', '--identity', root, '--address', vector(V, 'server.coinbase-address').inputs.fctAddress as string]],
      ['server.server-efficiency.19_89', ['identity', 'efficiency', '--identity', root, '--efficiency', '19.89', '--subchain', mgmt]],
      ['server.coinbase-cancel', ['identity', 'coinbase-cancel', '--identity', root, '--height', '39945', '--index', '4', '--subchain', mgmt]],
      ['server.new-block-signing-key', ['identity', 'signing-key', '--identity', root, '--signing-key', seedFile, '--subchain', mgmt]],
    ];
    const results = await Promise.all(runs.map(([id, args], n) => cli([...args, ...common, '--out', join(dir, `u${n}.json`)]).then((r) => ({ id, r, n }))));
    for (const { id, r, n } of results) {
      assert.equal(r.code, 0, `${id}: ${r.stderr}`);
      const b = readBundle(join(dir, `u${n}.json`));
      assert.equal(b.items.length, 1);
      assertItem(b.items[0]!, vector(V, id));
    }
  });

  it('bad input: clear one-line errors naming the flag, exit 2, nothing written', async () => {
    const idKeyFile = writeSecret(dir, 'id1', `${levels[0]!.identityKeyHumanReadable}\n`);
    const ecPublic = writeSecret(dir, 'ecpub', `${vector(V, 'address.ec').expected.publicAddress as string}\n`);
    const cases: [string[], RegExp][] = [
      [['identity', 'efficiency', '--identity', root, '--efficiency', '1.005', '--subchain', mgmt, '--key', sk1File, '--ec-key', ecFile], /--efficiency: .*2 decimals/],
      [['identity', 'coinbase', '--identity', `888888zz${root.slice(8)}`, '--address', 'FA3DheGZCBu3nVKmkYtwLUTN2pvFezRGo7Tynof7QnGrdkdmJfGn', '--key', sk1File], /--identity: .*888888/],
      [['identity', 'coinbase', '--identity', root, '--address', 'FA3DheGZCBu3nVKmkYtwLUTN2pvFezRGo7Tynof7QnGrdkdmJfGn', '--key', idKeyFile, '--ec-key', ecFile], /--key: found only the public id1/],
      [['identity', 'coinbase', '--identity', root, '--address', 'FA3DheGZCBu3nVKmkYtwLUTN2pvFezRGo7Tynof7QnGrdkdmJfGn', '--key', sk1File, '--ec-key', ecPublic], /--ec-key: found only the public EC/],
    ];
    const results = await Promise.all(cases.map(([args], n) => cli([...args, ...TIMES, '--out', join(dir, `bad${n}.json`)])));
    results.forEach((r, n) => {
      assert.equal(r.code, 2, `case ${n}: ${r.stderr}`);
      assert.match(r.stderr, cases[n]![1]);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!existsSync(join(dir, `bad${n}.json`)));
    });
  });

  it('keys generate / export-public / split / restore; wrong passphrase fails cleanly', async () => {
    const ks = join(dir, 'ks');
    const g = await cli(['identity', 'keys', 'generate', '--dir', ks, '--with-ec', '--json'], PASS);
    assert.equal(g.code, 0, g.stderr);
    const pub = JSON.parse(g.stdout) as { identityKeys: { idKey: string }[]; ecAddress: string };
    assert.equal(pub.identityKeys.length, 4);
    assert.match(pub.ecAddress, /^EC/);
    assert.equal(statSync(ks).mode & 0o777, 0o700);
    assert.equal(statSync(join(ks, 'keystore.json')).mode & 0o777, 0o600);
    const e = await cli(['identity', 'keys', 'export-public', '--dir', ks, '--json']);
    assert.deepEqual(JSON.parse(e.stdout), JSON.parse(g.stdout));

    const wrong = await cli(['identity', 'keys', 'split', '--dir', ks, '--shares', '3', '--threshold', '2', '--out', join(dir, 'sh')], 'not the passphrase\n');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /wrong passphrase/);
    assert.ok(!existsSync(join(dir, 'sh')));

    const s = await cli(['identity', 'keys', 'split', '--dir', ks, '--shares', '3', '--threshold', '2', '--out', join(dir, 'sh'), '--json'], PASS);
    assert.equal(s.code, 0, s.stderr);
    const files = (JSON.parse(s.stdout) as { files: string[] }).files;
    const r1 = await cli(['identity', 'keys', 'restore', '--from', files[0]!, files[2]!, '--dir', join(dir, 'ks2'), '--json'], PASS);
    assert.equal(r1.code, 0, r1.stderr);
    assert.deepEqual(JSON.parse(r1.stdout).identityKeys, pub.identityKeys);
    const r2 = await cli(['identity', 'keys', 'restore', '--from', files[1]!, '--dir', join(dir, 'ks3')], PASS);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /need 2 different shares/);

    // A keystore works as SK1FILE and ECFILE (one passphrase on stdin).
    const u = await cli(['identity', 'coinbase', '--identity', root, '--address', 'FA3DheGZCBu3nVKmkYtwLUTN2pvFezRGo7Tynof7QnGrdkdmJfGn',
      '--key', join(ks, 'keystore.json'), '--ec-key', join(ks, 'keystore.json'), '--out', join(dir, 'ks-coinbase.json')], PASS);
    assert.equal(u.code, 0, u.stderr);
    const v = await cli(['bundle', 'verify', join(dir, 'ks-coinbase.json')]);
    assert.equal(v.code, 0, v.stdout);
  });

  it('two-stage: unsigned bundle, then bundle sign-commits with the online EC key', async () => {
    const out = join(dir, 'twostage.json');
    const a = await cli(['identity', 'coinbase', '--identity', root, '--address', vector(V, 'server.coinbase-address').inputs.fctAddress as string, '--key', sk1File, '--timestamp', String(F.identityTimestampSeconds), '--out', out]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(readBundle(out).items[0]!.commitHex, null);
    const unsigned = await cli(['bundle', 'verify', out, '--at', AT]);
    assert.equal(unsigned.code, 1);
    const s = await cli(['bundle', 'sign-commits', out, '--ec-key', ecFile, '--commit-time', String(F.commitTimestampMillis)]);
    assert.equal(s.code, 0, s.stderr);
    assertItem(readBundle(out).items[0]!, vector(V, 'server.coinbase-address'));
    assert.equal((await cli(['bundle', 'verify', out, '--at', AT])).code, 0);
  });

  it('bundle submit against a local fake factomd: applied, receipt written, re-run submits nothing', async () => {
    const fake = await startFakeFactomd({ blockTimeSeconds: Math.floor(Date.now() / 1000) });
    try {
      const out = join(dir, 'live.json');
      const c = await cli(['identity', 'create', '--keys', keysDir, '--ec-key', ecFile,
        '--nonce-hex', vector(V, 'server.identity-root-chain').expected.nonceHex as string,
        '--management-nonce-hex', vector(V, 'server.server-management-chain').expected.nonceHex as string,
        '--btc-hash160', F.btcHash160Hex, '--out', out]);
      assert.equal(c.code, 0, c.stderr);
      const s1 = await cli(['bundle', 'submit', out, '--factomd', fake.url, '--json']);
      assert.equal(s1.code, 0, s1.stderr);
      const r1 = JSON.parse(s1.stdout) as { submitted: number[]; effect: { applied: string[]; rejected: unknown[] } };
      assert.equal(r1.submitted.length, 7);
      assert.equal(r1.effect.applied.length, 7);
      assert.ok(existsSync(`${out}.receipt.json`));
      const s2 = await cli(['bundle', 'submit', out, '--factomd', fake.url, '--json']);
      assert.equal(s2.code, 0, s2.stderr);
      assert.deepEqual((JSON.parse(s2.stdout) as { submitted: number[] }).submitted, []);
      for (const n of fake.commitRequests.values()) assert.equal(n, 1);
      const show = await cli(['identity', 'show', root, '--factomd', fake.url, '--json']);
      assert.equal(show.code, 0, show.stderr);
      const st = JSON.parse(show.stdout) as { managementChainId: string; missingForPromotion: string[] };
      assert.equal(st.managementChainId, mgmt);
      assert.deepEqual(st.missingForPromotion, []);
    } finally {
      await fake.close();
    }
  });

  it('Ctrl-C during grinding cancels cleanly: exit 1, workers stopped, no bundle', async () => {
    const out = join(dir, 'cancelled.json');
    const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}src/cli/main.ts`, 'identity', 'create', '--keys', keysDir, '--out', out], {
      cwd: ROOT, env: { ...process.env, NODE_ENV: 'test' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/grinding/.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    clearTimeout(killer);
    seen.push({ argv: ['identity', 'create', '--keys', keysDir], out: { code: code ?? -1, stdout: '', stderr } });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /cancelled/);
    assert.ok(!existsSync(out));
  });
});
