/**
 * `anoguard server` (the production entry, no demo) serves the dashboard on its web listener next
 * to /metrics: a generated admin password in a 0600 file, login, the overview API; and it refuses
 * a non-loopback dashboard without TLS.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCa, issueCert } from '../../src/pki/ca.js';
import { runCli } from '../helpers/cli.js';
import { spawnJsonCommand } from '../helpers/server-process.js';

const PASS = 'server dashboard test passphrase';
const root = mkdtempSync(join(tmpdir(), 'anoguard-srv-dash-'));
const pki = join(root, 'pki');
const data = join(root, 'data');
let child: ChildProcess | undefined;

before(async () => {
  await initCa({ dir: pki, passphrase: PASS, scrypt: { N: 1 << 14, r: 8, p: 1 } });
  await issueCert({ dir: pki, passphrase: PASS, kind: 'server', name: 'localhost', sans: ['IP:127.0.0.1'] });
});

after(() => {
  child?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

async function startServer(): Promise<{ web: string; passwordFile: string }> {
  const { proc, json } = await spawnJsonCommand<{ web: string; passwordFile: string }>([
    'server', '--data-dir', data, '--store', `sqlite:${join(data, 'anoguard.db')}`,
    '--listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0', '--pki-dir', pki, '--cert-name', 'localhost',
  ]);
  child = proc;
  return json;
}

describe('anoguard server serves the dashboard', () => {
  it('writes a 0600 admin password, serves the app, and logs in to the API', async () => {
    const s = await startServer();
    assert.equal(statSync(s.passwordFile).mode & 0o777, 0o600);
    const page = await fetch(`${s.web}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.equal((await fetch(`${s.web}/api/overview`)).status, 401);
    const password = readFileSync(s.passwordFile, 'utf8').trim();
    const login = await fetch(`${s.web}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password }) });
    assert.equal(login.status, 200, await login.clone().text());
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const overview = await fetch(`${s.web}/api/overview`, { headers: { cookie } });
    assert.equal(overview.status, 200);
    const body = await overview.json() as { demo: boolean; nodes: unknown[] };
    assert.equal(body.demo, false);
    assert.deepEqual(body.nodes, []);
    const metrics = await fetch(`${s.web}/metrics`);
    assert.equal(metrics.status, 200);
  });

  it('refuses a dashboard off loopback without TLS (exit 2, field web-listen)', async () => {
    const r = await runCli(['server', '--data-dir', join(root, 'other'), '--web-listen', '0.0.0.0:0', '--listen', '127.0.0.1:0', '--pki-dir', pki, '--cert-name', 'localhost']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /web-listen/);
  });
});
