import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { publicKeyFromSeed } from '../../src/factom/ed25519.js';
import { beforeConfs, ID_A } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'fo-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('swap keygen: 0600 key, public key printed, never overwrites', async () => {
  const out = join(dir, 'op.key');
  const r = await runCli(['--json', 'swap', 'keygen', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const seed = Buffer.from(readFileSync(out, 'utf8').trim(), 'hex');
  assert.equal((JSON.parse(r.stdout) as { publicKey: string }).publicKey, Buffer.from(publicKeyFromSeed(new Uint8Array(seed))).toString('hex'));
  const again = await runCli(['swap', 'keygen', '--out', out]);
  assert.equal(again.code, 1);
  assert.equal(readFileSync(out).equals(Buffer.from(`${seed.toString('hex')}\n`)), true);
});

test('swap plan: a bad --mode is a usage error (exit 2)', async () => {
  const r = await runCli(['swap', 'plan', '--identity', ID_A, '--holder-url', 'http://127.0.0.1:1', '--standby-url', 'http://127.0.0.1:1', '--holder-conf', 'a', '--standby-conf', 'b', '--mode', 'sideways']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /mode/);
});

test('agent fence-check: exit 1 and demotes without a lease; exit 0 on the next start', async () => {
  const conf = join(dir, 'factomd.conf');
  writeFileSync(conf, beforeConfs().holder, { mode: 0o600 });
  const cfg = join(dir, 'fence.yaml');
  writeFileSync(cfg, `factomdConf: ${conf}\nstateFile: ${join(dir, 'fence.json')}\nidentity: ${ID_A}\n`);
  const r1 = await runCli(['agent', 'fence-check', '--config', cfg]);
  assert.equal(r1.code, 1, r1.stderr);
  assert.doesNotMatch(readFileSync(conf, 'utf8'), /IdentityChainID/);
  const r2 = await runCli(['agent', 'fence-check', '--config', cfg]);
  assert.equal(r2.code, 0, r2.stderr);
});
