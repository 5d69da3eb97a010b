import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ROOT, runCli } from '../helpers/cli.js';
import { exampleInput } from '../topology/fixture.js';
import { initCa, issueCert } from '../../src/pki/ca.js';
import { beforeConfs, ID_A } from './helpers.js';

describe('failover wiring: flags and the agent control section (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fo-wcli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'factomd.conf');
  writeFileSync(conf, beforeConfs().holder, { mode: 0o600 });
  const agentYaml = (control: Record<string, unknown>): string => {
    const p = join(dir, `agent-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(p, stringify({
      name: 'auth-a', server: 'https://127.0.0.1:1', tls: { ca: '/nonexistent/ca', cert: '/nonexistent/c', key: '/nonexistent/k' },
      factomd: [{ name: 'n', url: 'http://127.0.0.1:1' }],
      control: { factomdConf: conf, stateFile: join(dir, 'fence.json'), replayFile: join(dir, 'replay.json'), identity: ID_A, trustedKeys: ['cd'.repeat(32)], ...control },
    }));
    return p;
  };

  it('server: --topology without --operator-key (and --etcd alone) are usage errors naming the flag', async () => {
    const a = await runCli(['server', '--pki-dir', join(dir, 'nopki'), '--data-dir', join(dir, 'd'), '--topology', join(dir, 't.yaml')]);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /operator-key/);
    const b = await runCli(['start', '--no-demo', '--data-dir', join(dir, 'd'), '--etcd', 'http://127.0.0.1:2379']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /etcd/);
  });

  it('agent fence-check reads the control section of the agent YAML: refuses and demotes a holder without a lease', async () => {
    const r = await runCli(['agent', 'fence-check', '--config', agentYaml({})]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /REFUSED: no valid lease — the identity was removed/);
    assert.doesNotMatch(readFileSync(conf, 'utf8'), new RegExp(ID_A));
    const again = await runCli(['agent', 'fence-check', '--config', agentYaml({})]);
    assert.equal(again.code, 0, again.stderr);
  });

  it('a bad control section is refused with its field: a shell string instead of argv, a short key', async () => {
    const a = await runCli(['agent', 'fence-check', '--config', agentYaml({ restartCommand: 'systemctl restart factomd' })]);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /control\.restartCommand/);
    const b = await runCli(['agent', 'fence-check', '--config', agentYaml({ trustedKeys: ['abc'] })]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /control\.trustedKeys\.0/);
  });

  it('server: --topology + --operator-key start the controller; --json says so', async () => {
    const pki = join(dir, 'pki');
    await initCa({ dir: pki, passphrase: 'fo-wcli-pass', scrypt: { N: 1 << 14, r: 8, p: 1 } });
    await issueCert({ dir: pki, passphrase: 'fo-wcli-pass', kind: 'server', name: 'server', sans: ['IP:127.0.0.1'] });
    const topo = exampleInput();
    topo.authority.failover = { identity: ID_A, leaseTtl: '6s', blockTime: '1s' };
    writeFileSync(join(dir, 'topo.yaml'), stringify(topo));
    writeFileSync(join(dir, 'op.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'server', '--json', '--pki-dir', pki, '--data-dir', join(dir, 'srv'),
      '--store', `sqlite:${join(dir, 'srv.db')}`, '--listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0', '--topology', join(dir, 'topo.yaml'), '--operator-key', join(dir, 'op.key')],
    { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((res, rej) => {
        let out = '';
        let err = '';
        const t = setTimeout(() => rej(new Error(`no output: ${err}`)), 60_000);
        p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
        // Pretty-printed JSON: complete once it parses.
        p.stdout.on('data', (d: Buffer) => { out += d.toString(); try { JSON.parse(out); clearTimeout(t); res(out); } catch { /* more to come */ } });
        p.once('exit', (c) => { clearTimeout(t); rej(new Error(`exited ${c}: ${err}`)); });
      });
      const v = JSON.parse(line) as { failover: { identity: string; auto: boolean; ha: string } | null };
      assert.deepEqual(v.failover, { identity: ID_A, auto: false, ha: 'local' });
    } finally {
      p.kill('SIGTERM');
    }
  });
});
