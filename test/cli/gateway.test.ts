import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { runCli, ROOT } from '../helpers/cli.js';
import { selfSignedCert } from '../helpers/tls.js';
import { startFakeFactomd } from '../helpers/fake-factomd.js';
import { verifyPassword } from '../../src/gateway/auth.js';

const dir = mkdtempSync(join(tmpdir(), 'ag-gwcli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function peerFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? '';
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

describe('anoguard gateway (CLI)', () => {
  it('new-key prints a key once and its SHA-256 for the config', async () => {
    const r = await runCli(['gateway', 'new-key', '--name', 'explorer', '--json']);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.stdout) as { key: string; sha256: string };
    assert.match(j.sha256, /^[0-9a-f]{64}$/);
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(j.key).digest('hex'), j.sha256);
  });

  it('hash-password reads the password from stdin, not argv', async () => {
    const r = await runCli(['gateway', 'hash-password'], { stdin: 'a long enough password\n' });
    assert.equal(r.code, 0);
    assert.ok(!r.stdout.includes('a long enough password'));
    assert.ok(await verifyPassword('a long enough password', r.stdout.trim()));
    const weak = await runCli(['gateway', 'hash-password'], { stdin: 'short\n' });
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /at least 12/);
  });

  it('reports a config error with file, line and field (exit 1), exit 2 for a missing file', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'listen:\n  host: 127.0.0.1\n  port: 99999\nupstreams:\n  - url: http://127.0.0.1:1\n');
    const r = await runCli(['gateway', '--config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml:3: listen\.port/);
    const missing = await runCli(['gateway', '--config', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
  });

  it('runs, reloads its certificate on SIGHUP and stops on SIGTERM', async () => {
    const c1 = selfSignedCert('one');
    const c2 = selfSignedCert('two');
    const up = await startFakeFactomd();
    const certPath = join(dir, 'cert.pem');
    const keyPath = join(dir, 'key.pem');
    copyFileSync(c1.certPath, certPath);
    copyFileSync(c1.keyPath, keyPath);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const cfg = join(dir, 'gw.yaml');
    writeFileSync(cfg, [
      'listen: { host: 127.0.0.1, port: ' + port + ' }',
      `tls: { cert: ${certPath}, key: ${keyPath} }`,
      `upstreams: [ { url: "${up.url}" } ]`,
      'auth: { required: false }',
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'gateway', '--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('listening on')) resolve(); });
        child.on('exit', (code) => reject(new Error(`gateway exited ${code}: ${err}`)));
        setTimeout(() => reject(new Error(`gateway did not start: ${err}`)), 20_000).unref();
      });
      const fp1 = await peerFingerprint(port);
      assert.equal(fp1, new X509Certificate(c1.cert).fingerprint256);
      copyFileSync(c2.certPath, certPath);
      copyFileSync(c2.keyPath, keyPath);
      child.kill('SIGHUP');
      let fp2 = fp1;
      for (let i = 0; i < 50 && fp2 === fp1; i++) {
        await new Promise((r) => setTimeout(r, 100));
        fp2 = await peerFingerprint(port);
      }
      assert.equal(fp2, new X509Certificate(c2.cert).fingerprint256);
      const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exit, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await up.close();
      rmSync(c1.dir, { recursive: true, force: true });
      rmSync(c2.dir, { recursive: true, force: true });
    }
  });
});
