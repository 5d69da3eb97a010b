/* eslint-disable @typescript-eslint/no-explicit-any -- YAML fixtures as plain data */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { ROOT } from '../helpers/cli.js';
import { renderTopology } from '../../src/render/render.js';
import { TopologySchema } from '../../src/topology/schema.js';
import { loadTopology } from '../../src/topology/load.js';
import { exampleInput, hostIn } from '../topology/fixture.js';

/**
 * apply against a real OpenSSH sshd in a network namespace, driven by the real CLI from a second
 * namespace: files land (under a staging --root), the firewall loads for real, a confirmation works,
 * a ruleset that locks the ops IP out is reverted by the host on its own, and a wrong host key is refused.
 */

const run = promisify(execFile);
const id = randomBytes(3).toString('hex');
const HOST_NS = `topo-${id}-host`;
const CLI_NS = `topo-${id}-cli`;
const HOST_IP = '10.214.0.10';
const CLI_IP = '10.214.0.5';
const dir = mkdtempSync(join(tmpdir(), 'topo-apply-'));
const stage = join(dir, 'root');
let sshd: ChildProcess | undefined;
const namespaces: string[] = [];

const SECRET_KEY = 'a1'.repeat(32);

function topologyFile(name: string, change: (raw: Record<string, any>) => void = () => {}): string {
  const raw = exampleInput();
  const h = hostIn(raw, 'auth-a');
  h.privateAddress = HOST_IP;
  h.ssh = { port: 2222, users: ['root'], hostKey: readFileSync(join(dir, 'hostkey.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ') };
  raw.access.opsIps = [`${CLI_IP}/32`];
  change(raw);
  TopologySchema.parse(raw);
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(raw));
  return path;
}

async function nsRun(ns: string, cmd: string, args: string[]): Promise<string> {
  return (await run('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: 20_000, encoding: 'utf8' })).stdout;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', CLI_NS, process.execPath, '--import', 'tsx', `${ROOT}src/cli/main.ts`, ...args], {
      cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', SSH_AUTH_SOCK: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'topo-host', '-f', join(dir, 'hostkey')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'topo-ops', '-f', join(dir, 'opskey')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'topo-other', '-f', join(dir, 'otherkey')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'opskey.pub')), { mode: 0o600 });
  writeFileSync(join(dir, 'sshd_config'), [
    'Port 2222', `ListenAddress ${HOST_IP}`, `HostKey ${join(dir, 'hostkey')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', '',
  ].join('\n'));
  for (const ns of [HOST_NS, CLI_NS]) {
    await run('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  await run('ip', ['-n', CLI_NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', HOST_NS]);
  await run('ip', ['-n', CLI_NS, 'addr', 'add', `${CLI_IP}/24`, 'dev', 'eth0']);
  await run('ip', ['-n', HOST_NS, 'addr', 'add', `${HOST_IP}/24`, 'dev', 'eth0']);
  await run('ip', ['-n', CLI_NS, 'link', 'set', 'eth0', 'up']);
  await run('ip', ['-n', HOST_NS, 'link', 'set', 'eth0', 'up']);
  sshd = spawn('ip', ['netns', 'exec', HOST_NS, '/usr/sbin/sshd', '-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if ((await nsRun(HOST_NS, 'ss', ['-ltnH', 'sport = :2222'])).includes('2222')) break;
    await sleep(100);
  }
  // A secret that exists only on the host.
  mkdirSync(join(stage, 'etc/factomd'), { recursive: true });
  writeFileSync(join(stage, 'etc/factomd/secrets.conf'), `FactomdRpcPass = "pw-${id}"\nLocalServerPrivKey = ${SECRET_KEY}\n`, { mode: 0o600 });
});

after(async () => {
  sshd?.kill('SIGTERM');
  for (const ns of namespaces.reverse()) {
    try { await run('ip', ['netns', 'del', ns]); } catch { /* gone */ }
  }
  rmSync(dir, { recursive: true, force: true });
});

const baseArgs = (topo: string): string[] => ['apply', 'auth-a', '--topology', topo, '--identity', join(dir, 'opskey'), '--root', stage];
const liveTable = (): Promise<string> => nsRun(HOST_NS, 'nft', ['list', 'table', 'inet', 'anoguard']);

test('apply installs atomically, assembles factomd.conf on the host, loads and confirms the firewall', async () => {
  const topo = topologyFile('good');
  const t0 = Date.now();
  const r = await cli([...baseArgs(topo), '--confirm', '--revert-after', '20', '--json']);
  assert.equal(r.code, 0, `${Date.now() - t0} ms ${r.stderr} ${r.stdout}`);
  const report = JSON.parse(r.stdout);
  assert.equal(report.firewall, 'confirmed');
  assert.ok(report.changed.includes('/etc/factomd/factomd.conf'));
  assert.match(report.diff, /^\+MainSpecialPeers = /m);
  assert.ok(!r.stdout.includes(SECRET_KEY) && !r.stderr.includes(SECRET_KEY), 'secrets never leave the host');

  const rendered = renderTopology(loadTopology(topo), 'auth-a')[0]!.files;
  const want = (name: string) => rendered.find((f) => f.name === name)!.content;
  const conf = readFileSync(join(stage, 'etc/factomd/factomd.conf'), 'utf8');
  assert.ok(conf.startsWith(want('factomd.conf')));
  assert.match(conf, new RegExp(`^LocalServerPrivKey = ${SECRET_KEY}$`, 'm'));
  assert.equal(readFileSync(join(stage, 'etc/nftables.d/anoguard.nft'), 'utf8'), want('nftables.conf'));
  assert.equal(readFileSync(join(stage, 'etc/ssh/sshd_config.d/50-anoguard.conf'), 'utf8'), want('sshd-50-anoguard.conf'));
  assert.match(await liveTable(), /tcp dport 2222 accept/);

  // Second run: nothing to do (the secret lines are not part of the comparison).
  const again = await cli([...baseArgs(topo), '--dry-run', '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout).changed, []);
});

test('a firewall that locks the ops IP out is reverted by the host itself', async () => {
  const before = await liveTable();
  const persisted = readFileSync(join(stage, 'etc/nftables.d/anoguard.nft'), 'utf8');
  const locked = topologyFile('lockout', (raw) => { raw.access.opsIps = ['10.214.0.99/32']; });
  const r = await cli([...baseArgs(locked), '--confirm', '--revert-after', '6']);
  assert.equal(r.code, 1);
  // The reconnection was dropped: the new ruleset was live and shut the ops IP out.
  assert.match(r.stderr, /cannot reconnect/);
  let live = '';
  for (let i = 0; i < 40; i++) {
    await sleep(500);
    live = await liveTable();
    if (!live.includes('10.214.0.99')) break;
  }
  assert.equal(live, before, 'previous ruleset restored');
  assert.equal(readFileSync(join(stage, 'etc/nftables.d/anoguard.nft'), 'utf8'), persisted, 'the unconfirmed ruleset was never persisted');
  assert.ok(existsSync(join(stage, 'var/lib/anoguard/apply/last-revert')));
  // And the operator gets back in.
  const check = await cli([...baseArgs(topologyFile('good2')), '--dry-run', '--json']);
  assert.equal(check.code, 0, check.stderr);
});

test('a host presenting another host key is refused', async () => {
  const wrong = topologyFile('wrongkey', (raw) => {
    hostIn(raw, 'auth-a').ssh.hostKey = readFileSync(join(dir, 'otherkey.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  });
  const r = await cli([...baseArgs(wrong), '--dry-run']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /host key .* differs/);
});
