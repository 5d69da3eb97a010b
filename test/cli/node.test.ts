import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { replaySamples, startFakeServer, type FakeServer } from '../factomd/fake-server.js';

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe('anoguard node status', () => {
  let srv: FakeServer;
  let dir: string;
  before(async () => {
    srv = await startFakeServer();
    dir = mkdtempSync(join(tmpdir(), 'factomd-cli-'));
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => { srv.handler = replaySamples; srv.seen.length = 0; });

  it('--json prints the combined status of a replayed v6.17.1 node', async () => {
    const r = await runCli(['node', 'status', '--url', srv.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Record<string, unknown> & { sync: Record<string, unknown> };
    assert.equal(s.height, 1);
    assert.equal(s.minute, 3);
    assert.equal(s.role, 'Leader');
    assert.equal(s.identity, '38bab1455b7bd7e5efd15c53c777c79d0c988e9210f1da49a99d95b3a6417be9');
    assert.equal(s.version, 'BuiltWithoutVersion');
    assert.equal(s.sync.status, 'Processing');
    assert.equal(s.sync.stalled, false);
  });

  it('prints height, minute, role, identity, version and sync state for humans', async () => {
    const r = await runCli(['node', 'status', '--url', srv.url], { env: { NO_COLOR: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /height\s+1 /);
    assert.match(r.stdout, /minute\s+3/);
    assert.match(r.stdout, /role\s+Leader/);
    assert.match(r.stdout, /identity\s+38bab145/);
    assert.match(r.stdout, /version\s+BuiltWithoutVersion/);
    assert.match(r.stdout, /sync\s+synced: Processing/);
  });

  it('exits 1 with one line when the node is unreachable', async () => {
    const port = await closedPort();
    const j = await runCli(['node', 'status', '--url', `http://127.0.0.1:${port}`, '--timeout', '2000', '--json']);
    assert.equal(j.code, 1);
    assert.match(j.stderr, /^anoguard: url: cannot reach .*ECONNREFUSED.*\(E_FACTOMD_UNREACHABLE\)\n$/);
    assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'E_FACTOMD_UNREACHABLE');
  });

  it('exits 1 with "authentication required" on HTTP 401', async () => {
    srv.handler = (_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="factomd RPC"' });
      res.end('401 Unauthorized.\n');
    };
    const r = await runCli(['node', 'status', '--url', srv.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /authentication required/);
  });

  it('reads the password from a 0600 file only, and sends it as Basic auth', async () => {
    const pw = join(dir, 'rpc-pass');
    writeFileSync(pw, 'hunter2\n');
    chmodSync(pw, 0o644);
    const loose = await runCli(['node', 'status', '--url', srv.url, '--user', 'ops', '--password-file', pw]);
    assert.equal(loose.code, 2);
    assert.match(loose.stderr, /0600/);
    assert.equal(srv.seen.length, 0);
    chmodSync(pw, 0o600);
    const ok = await runCli(['node', 'status', '--url', srv.url, '--user', 'ops', '--password-file', pw, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(srv.seen[0]?.headers.authorization, `Basic ${Buffer.from('ops:hunter2').toString('base64')}`);
    assert.doesNotMatch(ok.stdout + ok.stderr, /hunter2/);
  });

  it('usage errors exit 2: no --url, credentials in the URL', async () => {
    assert.equal((await runCli(['node', 'status'])).code, 2);
    const creds = await runCli(['node', 'status', '--url', 'http://ops:pw@127.0.0.1:1']);
    assert.equal(creds.code, 2);
    assert.match(creds.stderr, /--url: credentials in the URL/);
  });
});
