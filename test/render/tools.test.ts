import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTopology } from '../../src/topology/load.js';
import { renderTopology } from '../../src/render/render.js';
import type { Topology } from '../../src/topology/schema.js';
import { EXAMPLE, exampleWith, hostIn } from '../topology/fixture.js';

// The real tools judge the output: Debian's nft and OpenSSH's sshd.
const run = promisify(execFile);

/** Runs a tool; resolves to its exit status and output instead of throwing. */
async function tool(cmd: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const r = await run(cmd, args, { encoding: 'utf8', timeout: 20_000 });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(e) };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'topo-tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const variants: [string, Topology][] = [
  ['example', loadTopology(EXAMPLE)],
  ['ipv6-ops-docker-api-swarm', exampleWith((r) => {
    r.access.opsIps = ['2001:db8:1::/48'];
    r.swarm = { manager: '10.30.1.40' };
    hostIn(r, 'fol-1').docker = { apiPort: 2376 };
    hostIn(r, 'auth-a').docker = { rootless: true };
  })],
  ['testnet-cp-disabled-private-follower', exampleWith((r) => {
    r.network = { name: 'TESTNET' };
    r.factomd.controlPanel = 'disabled';
    hostIn(r, 'fol-1').publicP2p = false;
    r.access.vpnCidrs = [];
  })],
];

test('every rendered nftables.conf passes nft -c -f', async () => {
  const checks = variants.flatMap(([name, t]) => renderTopology(t).map(async (h) => {
    const path = join(dir, `${name}-${h.host}.nft`);
    writeFileSync(path, h.files.find((f) => f.name === 'nftables.conf')!.content);
    const r = await tool('nft', ['-c', '-f', path]);
    assert.equal(r.status, 0, `${name}/${h.host}: ${r.stderr}`);
  }));
  await Promise.all(checks);
});

test('every rendered sshd drop-in passes sshd -t under a minimal main config that Includes it', async () => {
  // sshd -t insists on its privilege separation directory, which the service normally creates.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], { timeout: 20_000 });
  const checks = variants.flatMap(([name, t]) => renderTopology(t).map(async (h) => {
    const dropin = join(dir, `${name}-${h.host}-50-anoguard.conf`);
    writeFileSync(dropin, h.files.find((f) => f.name === 'sshd-50-anoguard.conf')!.content);
    const main = join(dir, `${name}-${h.host}-sshd_config`);
    writeFileSync(main, `Include ${dropin}\nHostKey ${hostKey}\nUsePAM yes\nSubsystem sftp /usr/lib/openssh/sftp-server\n`);
    const r = await tool('/usr/sbin/sshd', ['-t', '-f', main]);
    assert.equal(r.status, 0, `${name}/${h.host}: ${r.stderr}`);
    // What sshd will actually do, for an ops address and for a stranger.
    const topo = t.hosts.find((x) => x.name === h.host)!;
    const user = topo.ssh.users[0]!;
    const ops = t.access.opsIps[0]!.split('/')[0]!;
    const eff = async (addr: string): Promise<string> => {
      const res = await tool('/usr/sbin/sshd', ['-T', '-f', main, '-C', `user=${user},addr=${addr},host=h,laddr=10.0.0.1,lport=${topo.ssh.port}`]);
      assert.equal(res.status, 0, res.stderr);
      return res.stdout;
    };
    const [fromOps, fromStranger] = await Promise.all([eff(ops), eff('203.0.113.250')]);
    assert.match(fromOps, new RegExp(`^port ${topo.ssh.port}$`, 'm'));
    assert.match(fromOps, /^permitrootlogin no$/m);
    assert.match(fromOps, /^passwordauthentication no$/m);
    assert.match(fromOps, /^maxauthtries 3$/m);
    assert.doesNotMatch(fromOps, /^denyusers/m);
    assert.match(fromStranger, /^denyusers \*$/m);
  }));
  await Promise.all(checks);
});
