import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { publicKeyFromSeed } from '../../src/factom/ed25519.js';
import { beforeConfs, ID_A } from './helpers.js';
import { listAudit } from '../../src/server/accounts/audit.js';
import { addUser } from '../../src/server/accounts/users.js';
import { fakeFailover, PRIVATE_KEY_PREFIX, type FakeFailover } from '../dashboard/fake-failover.js';
import { OPERATOR, startDashboard } from '../dashboard/harness.js';

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

describe('swap plan|run --server: through the dashboard API (fake controller)', () => {
  let d: Awaited<ReturnType<typeof startDashboard>>;
  let fake: FakeFailover;
  const pw = join(dir, 'olga.pw');
  before(async () => {
    fake = fakeFailover({ stepMs: 30 });
    d = await startDashboard(() => fake);
    writeFileSync(pw, `${OPERATOR.password}\n`, { mode: 0o600 });
  });
  after(async () => { await d?.stop(); });

  test('plan: logs in as an operator, prints the checks and masked previews, audited under the user', async () => {
    const r = await runCli(['--json', 'swap', 'plan', '--server', d.url, '--user', OPERATOR.user, '--password-file', pw, '--standby', 'n3']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, new RegExp(PRIVATE_KEY_PREFIX));
    const p = JSON.parse(r.stdout) as { ok: boolean; planId: string; height: number; preview: { standby: string } };
    assert.equal(p.ok, true);
    assert.match(p.preview.standby, /<redacted>/);
    const a = listAudit(d.db).find((x) => x.action === 'swap.plan' && x.detail.planId === p.planId);
    assert.equal(a?.user, OPERATOR.user);
    assert.equal(a?.detail.standby, 'n3');
    // The CLI logged out: no session of its login is left.
    assert.equal((d.db.prepare('SELECT count(*) AS n FROM sessions WHERE user = ?').get(OPERATOR.user) as { n: number }).n, 0);
  });

  test('plan: a failing check exits 1 and says which', async () => {
    const r = await runCli(['swap', 'plan', '--server', d.url, '--user', OPERATOR.user, '--password-file', pw, '--standby', 'sick']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /FAIL standby-healthy/);
  });

  test('run: password on stdin, follows the journal to "verified", exit 0; not verified → exit 1', async () => {
    const r = await runCli(['--json', 'swap', 'run', '--server', d.url, '--user', OPERATOR.user], { stdin: `${OPERATOR.password}\n` });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { ok: boolean; run: { swapId: string }; swap: { verified: boolean; steps: { state: string }[] } };
    assert.equal(out.ok, true);
    assert.equal(out.swap.verified, true);
    assert.match(r.stderr, /verified/);
    assert.equal(fake.runs.length, 1);
    fake.verify = false;
    try {
      const bad = await runCli(['swap', 'run', '--server', d.url, '--user', OPERATOR.user, '--password-file', pw]);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stdout, /swap NOT done: .*rolled back/);
    } finally {
      fake.verify = true;
    }
  });

  test('refusals: a viewer (exit 1), local-only flags or plain HTTP off loopback (exit 2, field named)', async () => {
    await addUser(d.db, 'vivi', 'viewer', 'viewer password 5678');
    const v = await runCli(['swap', 'run', '--server', d.url, '--user', 'vivi'], { stdin: 'viewer password 5678\n' });
    assert.equal(v.code, 1);
    assert.match(v.stderr, /operator/);
    assert.equal(fake.runs.length, 2, 'nothing ran for the viewer');
    const mixed = await runCli(['swap', 'plan', '--server', d.url, '--user', OPERATOR.user, '--password-file', pw, '--holder-conf', 'x']);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /holder-conf/);
    const http = await runCli(['swap', 'plan', '--server', 'http://192.0.2.1:8080', '--user', OPERATOR.user, '--password-file', pw]);
    assert.equal(http.code, 2);
    assert.match(http.stderr, /server.*plain HTTP/);
    // Local mode keeps its own required flags.
    const local = await runCli(['swap', 'run', '--identity', ID_A, '--holder-conf', 'a', '--standby-conf', 'b']);
    assert.equal(local.code, 2);
    assert.match(local.stderr, /holder-url.*required/);
  });
});
