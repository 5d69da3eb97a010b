import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditReport } from '../../src/audit/types.js';
import { ROOT } from '../helpers/cli.js';
import { FIXTURES } from './fixtures.js';
import { createNetns, removeNetns } from './netns.js';

/**
 * Debian's real sshd, started with a bad and a good config inside a private network namespace (so
 * the bad one can have port 22), audited over SSH by the real CLI running in the same namespace.
 * The good config admits root only from loopback through a Match block, which is how the test logs
 * in while `sshd -T` (global values) says PermitRootLogin no.
 */

const GOOD = (dir: string) => `HostKey ${dir}/hostkey
PidFile none
Port 2222
ListenAddress 127.0.0.1
AuthorizedKeysFile ${dir}/authorized_keys
PermitRootLogin no
PubkeyAuthentication yes
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
HostbasedAuthentication no
IgnoreRhosts yes
GSSAPIAuthentication no
KerberosAuthentication no
PermitUserEnvironment no
StrictModes yes
MaxAuthTries 3
MaxSessions 4
MaxStartups 10:30:60
LoginGraceTime 30
ClientAliveInterval 300
ClientAliveCountMax 2
LogLevel VERBOSE
AllowTcpForwarding no
AllowAgentForwarding no
GatewayPorts no
PermitTunnel no
X11Forwarding no
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com
KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com
AllowUsers root@127.0.0.1
Match Address 127.0.0.1
	PermitRootLogin prohibit-password
Match Address *,!127.0.0.1
	DenyUsers *
`;

const BAD = (dir: string) => `HostKey ${dir}/hostkey
PidFile none
Port 22
ListenAddress 127.0.0.1
AuthorizedKeysFile ${dir}/authorized_keys
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
StrictModes no
MaxAuthTries 6
X11Forwarding yes
`;

interface Started { proc: ChildProcess; cfg: string }

function startSshd(ns: string, dir: string, name: string, text: string): Promise<Started> {
  const cfg = join(dir, `${name}.conf`);
  writeFileSync(cfg, text, { mode: 0o644 });
  const proc = spawn('ip', ['netns', 'exec', ns, '/usr/sbin/sshd', '-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`sshd ${name} did not start: ${err}`)); }, 15_000);
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/Server listening on/.test(err)) { clearTimeout(timer); resolve({ proc, cfg }); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`sshd ${name} exited ${code}: ${err}`)); });
  });
}

function stopSshd(s: Started | undefined): Promise<void> {
  if (!s || s.proc.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { s.proc.kill('SIGKILL'); resolve(); }, 5_000);
    s.proc.once('exit', () => { clearTimeout(t); resolve(); });
    s.proc.kill('SIGTERM');
  });
}

function cliInNetns(ns: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', `${ROOT}src/cli/main.ts`, ...args], {
      cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', NO_COLOR: '1', SSH_AUTH_SOCK: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}

describe('audit of a real sshd over SSH, in a network namespace', { timeout: 240_000 }, () => {
  let ns = '';
  let dir = '';
  let fingerprint = '';
  let good: Started | undefined;
  let bad: Started | undefined;

  before(async () => {
    ns = createNetns();
    // Not under /tmp: StrictModes refuses an authorized_keys file below a world-writable directory.
    dir = mkdtempSync('/run/audit-sshd-');
    // sshd refuses to start without its privilege separation directory (created by the service unit).
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')], { timeout: 10_000 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client')], { timeout: 10_000 });
    execFileSync('cp', [join(dir, 'client.pub'), join(dir, 'authorized_keys')], { timeout: 10_000 });
    // The pin comes from ssh-keygen, not from our own fingerprint code.
    fingerprint = /SHA256:\S+/.exec(execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'hostkey.pub')], { timeout: 10_000 }).toString())![0];
    execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', join(FIXTURES, 'nft-good.nft')], { timeout: 10_000 });
    bad = await startSshd(ns, dir, 'bad', BAD(dir));
    good = await startSshd(ns, dir, 'good', GOOD(dir));
  });
  after(async () => {
    await stopSshd(bad);
    await stopSshd(good);
    removeNetns(ns);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const common = (port: number, cfg: string) => [
    'audit', '--ssh', `root@127.0.0.1:${port}`, '--identity-file', join(dir, 'client'), '--host-key', fingerprint,
    '--sshd-config', cfg, '--role', 'authority', '--factomd-conf', join(FIXTURES, 'factomd-good.conf'),
  ];

  it('the bad config fails the SSH checks and --fail-on critical exits 1', async () => {
    const r = await cliInNetns(ns, [...common(22, bad!.cfg), '--json', '--fail-on', 'critical']);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as AuditReport;
    const byId = new Map(report.results.map((x) => [x.id, x]));
    for (const id of ['ANO-SSH-001', 'ANO-SSH-002', 'ANO-SSH-003', 'ANO-SSH-004', 'ANO-SSH-009', 'ANO-SSH-014']) {
      assert.equal(byId.get(id)?.status, 'fail', `${id}: ${byId.get(id)?.detail}`);
    }
    assert.equal(report.profile, 'ano');
  });

  it('the good config passes them, and --fail-on critical exits 0', async () => {
    const r = await cliInNetns(ns, [...common(2222, good!.cfg), '--sarif', '--fail-on', 'critical']);
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(0, 2000)}`);
    const sarif = JSON.parse(r.stdout) as { version: string; runs: { results: { ruleId: string; kind: string; message: { text: string } }[] }[] };
    assert.equal(sarif.version, '2.1.0');
    const res = new Map(sarif.runs[0]!.results.map((x) => [x.ruleId, x]));
    for (const id of ['ANO-SSH-001', 'ANO-SSH-002', 'ANO-SSH-003', 'ANO-SSH-004', 'ANO-SSH-005', 'ANO-SSH-006', 'ANO-SSH-007', 'ANO-SSH-008', 'ANO-SSH-009', 'ANO-SSH-014', 'ANO-FW-001']) {
      assert.equal(res.get(id)?.kind, 'pass', `${id}: ${res.get(id)?.message.text}`);
    }
  });

  it('refuses a host whose key does not match the pin', async () => {
    const args = common(2222, good!.cfg);
    args[args.indexOf(fingerprint)] = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const r = await cliInNetns(ns, args);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /E_AUDIT_HOST_KEY_MISMATCH/);
    assert.equal(r.stdout, '');
  });
});
