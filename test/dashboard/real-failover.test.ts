import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startAnoguard, type Started } from '../../src/demo/start.js';
import { createLogger } from '../../src/log.js';
import { initCa, issueCert } from '../../src/pki/ca.js';
import type { FailoverStatus } from '../../src/server/failover/types.js';
import { tlsFilesFromPkiDir } from '../../src/server/tls.js';
import { exampleInput } from '../topology/fixture.js';
import { login } from './harness.js';

/**
 * The dashboard routes over the server's real hosted controller (startAnoguard with a topology and
 * the operator key, no agents connected): the status the pages render is the real shape, and a plan
 * with unreachable agents is a 503 naming the host, not a fake plan. The swap through live agents is
 * test/failover/wiring.test.ts.
 */
const dir = mkdtempSync(join(tmpdir(), 'dash-realfo-'));
let s: Started | undefined;

before(async () => {
  const pki = join(dir, 'pki');
  await initCa({ dir: pki, passphrase: 'dash-realfo-passphrase', scrypt: { N: 1 << 14, r: 8, p: 1 } });
  await issueCert({ dir: pki, passphrase: 'dash-realfo-passphrase', kind: 'server', name: 'server', sans: ['IP:127.0.0.1'] });
  const key = join(dir, 'operator.key');
  writeFileSync(key, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const topo = exampleInput();
  topo.authority.failover = { identity: `888888${randomBytes(29).toString('hex')}`, auto: false, leaseTtl: '6s', renewEvery: '1s', marginBlocks: 2, downBlocks: 3, blockTime: '1s' };
  const file = join(dir, 'topology.yaml');
  writeFileSync(file, stringify(topo));
  s = await startAnoguard({
    dataDir: join(dir, 'data'), demo: false, logger: createLogger('dash-realfo', { level: 'silent' }), web: { host: '127.0.0.1', port: 0 },
    ingest: { host: '127.0.0.1', port: 0 }, tls: tlsFilesFromPkiDir(pki, 'server'), pkiDir: pki, failover: { topologyFile: file, operatorKeyFile: key },
  });
});
after(async () => {
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('real controller: status through /api/failover, no agents → plan is 503 naming the host, history empty', async () => {
  const admin = await login(s!.webUrl, { user: 'admin', password: readFileSync(s!.passwordFile!, 'utf8').trim() });
  const st = await (await fetch(`${s!.webUrl}/api/failover`, { headers: { cookie: admin.cookie } })).json() as { configured: boolean; status: FailoverStatus; run: unknown };
  assert.equal(st.configured, true);
  assert.equal(st.run, null);
  assert.equal(st.status.auto, false);
  assert.equal(st.status.identity, s!.failover!.status().identity);
  assert.ok(st.status.hosts.length >= 2);
  assert.ok(st.status.hosts.every((h) => !h.reachable), 'no agent connected');
  const plan = await fetch(`${s!.webUrl}/api/swap/plan`, { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' }, body: '{}' });
  const body = await plan.json() as { error: { code: string; field?: string } };
  assert.equal(plan.status, 503, JSON.stringify(body));
  assert.equal(body.error.code, 'E_SWAP_UNREACHABLE');
  assert.ok(st.status.hosts.some((h) => h.host === body.error.field), `field ${body.error.field} names a host`);
  assert.deepEqual(await (await fetch(`${s!.webUrl}/api/swaps`, { headers: { cookie: admin.cookie } })).json(), []);
});
