import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { runCli, ROOT } from '../helpers/cli.js';
import { parseAgentConfig, loadAgentConfig } from '../../src/agent/config.js';
import { renderExposition } from '../../src/agent/metrics.js';
import { isAnoguardError } from '../../src/errors.js';
import { FIXTURE_PROC } from './helpers/ctx.js';
import { makeTestPki, writeAgentTls } from './helpers/tls.js';

const base = { name: 'fed1', server: 'https://mon.example:8443', tls: { ca: '/etc/a/ca.pem', cert: '/etc/a/agent.pem', key: '/etc/a/agent.key' } };

function fieldOf(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) { if (isAnoguardError(e)) return e.field; throw e; }
  return undefined;
}

describe('agent config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-cfg-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults: 10 s interval, /proc, state dir, bruteforce 6 in 120 s', () => {
    const c = parseAgentConfig(base);
    assert.equal(c.interval, 10_000);
    assert.equal(c.procRoot, '/proc');
    assert.equal(c.bruteforce.failures, 6);
    assert.equal(c.bruteforce.window, 120_000);
    assert.equal(parseAgentConfig({ ...base, interval: '1m' }).interval, 60_000);
  });

  it('names the offending field', () => {
    assert.equal(fieldOf(() => parseAgentConfig({ ...base, server: 'http://mon.example' })), 'server');
    assert.equal(fieldOf(() => parseAgentConfig({ ...base, tls: { ...base.tls, key: 'agent.key' } })), 'tls.key');
    assert.equal(fieldOf(() => parseAgentConfig({ ...base, opsCidrs: ['10.0.0.0/8', '10.0.0.0/33'] })), 'opsCidrs.1');
    assert.equal(fieldOf(() => parseAgentConfig({ ...base, metrics: { listen: '0.0.0.0:9101' } })), 'metrics.listen');
    assert.equal(fieldOf(() => parseAgentConfig({ ...base, interval: '10 parsecs' })), 'interval');
    assert.equal(fieldOf(() => parseAgentConfig({ ...base, factomd: [{ name: 'm', url: 'nope' }] })), 'factomd.0.url');
    assert.equal(fieldOf(() => parseAgentConfig({ ...base, tyop: 1 })), 'config');
  });

  it('YAML syntax errors carry the file and line', () => {
    const p = join(dir, 'bad.yaml');
    writeFileSync(p, 'name: fed1\nserver: [oops\n');
    assert.match(fieldOf(() => loadAgentConfig(p)) ?? '', /bad\.yaml:\d+$/);
  });

  it('renders a Prometheus exposition of the latest samples', () => {
    const text = renderExposition([
      { name: 'node_load1', labels: {}, value: 0.5, t: 1 },
      { name: 'node_cpu_seconds_total', labels: { cpu: '0', mode: 'idle' }, value: 12, t: 1 },
      { name: 'factomd_version_info', labels: { factomd: 'a', version: 'v"1\\' }, value: 1, t: 1 },
    ]);
    assert.match(text, /^# TYPE node_cpu_seconds_total counter\nnode_cpu_seconds_total\{cpu="0",mode="idle"\} 12$/m);
    assert.match(text, /^node_load1 0\.5$/m);
    assert.match(text, /^factomd_version_info\{factomd="a",version="v\\"1\\\\"\} 1$/m);
  });
});

describe('anoguard agent (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('bad config → exit 2 with the field on one line', async () => {
    const p = join(dir, 'a.yaml');
    writeFileSync(p, 'name: fed1\nserver: http://x\ntls: {ca: /a, cert: /b, key: /c}\n');
    const r = await runCli(['agent', '--config', p]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /server: must be an https:\/\/ URL/);
  });

  it('a group-readable key is refused', async () => {
    const pki = await makeTestPki('fed1');
    const tls = writeAgentTls(dir, pki);
    const { chmodSync } = await import('node:fs');
    chmodSync(tls.key, 0o640);
    const p = join(dir, 'perm.yaml');
    writeFileSync(p, `name: fed1\nserver: https://127.0.0.1:1\ntls: {ca: ${tls.ca}, cert: ${tls.cert}, key: ${tls.key}}\nstateDir: ${join(dir, 'st')}\nprocRoot: ${FIXTURE_PROC}\n`);
    const r = await runCli(['agent', '--config', p]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tls\.key: .*must be 0600/);
    chmodSync(tls.key, 0o600);
  });

  it('--once --json collects on the fixture /proc and prints samples without storing anything', async () => {
    const p = join(dir, 'once.yaml');
    const watched = join(dir, 'w.conf');
    writeFileSync(watched, 'x');
    writeFileSync(p, `name: fed1\nserver: https://127.0.0.1:1\ntls: {ca: /nonexistent/ca, cert: /nonexistent/c, key: /nonexistent/k}\nstateDir: ${join(dir, 'never')}\nprocRoot: ${FIXTURE_PROC}\nwatch: {files: [${watched}]}\n`);
    const r = await runCli(['agent', '--config', p, '--once', '--json']);
    const out = JSON.parse(r.stdout) as { samples: { name: string; value: number }[]; errors: Record<string, string> };
    // fixture mounts that do not exist here become node_filesystem_device_error samples, not probe failures
    assert.deepEqual(Object.keys(out.errors), []);
    assert.equal(r.code, 0);
    assert.equal(out.samples.find((s) => s.name === 'node_load1')!.value, 0.52);
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(join(dir, 'never')), false);
  });

  it('runs as a daemon with /metrics on loopback and stops cleanly on SIGTERM', async () => {
    const pki = await makeTestPki('fed1');
    const sub = join(dir, 'daemon');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    const tls = writeAgentTls(sub, pki);
    const watched = join(sub, 'w.conf');
    writeFileSync(watched, 'x');
    const p = join(sub, 'd.yaml');
    writeFileSync(p, `name: fed1\nserver: https://127.0.0.1:1\ntls: {ca: ${tls.ca}, cert: ${tls.cert}, key: ${tls.key}}\nstateDir: ${join(sub, 'state')}\nprocRoot: ${FIXTURE_PROC}\nwatch: {files: [${watched}]}\nmetrics: {listen: "127.0.0.1:0"}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}src/cli/main.ts`, 'agent', '--config', p, '--json'], {
      cwd: ROOT, env: { ...process.env, NODE_ENV: 'test' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    try {
      for (let i = 0; i < 1200 && !/metrics on/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
      const m = /metrics on ([\d.]+):(\d+)/.exec(stderr);
      assert.ok(m, stderr);
      let text = '';
      for (let i = 0; i < 100 && !text.includes('node_load1'); i++) {
        text = await (await fetch(`http://${m[1]}:${m[2]}/metrics`)).text();
        if (!text.includes('node_load1')) await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(text, /^node_load1 0\.52$/m);
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      assert.equal(code, 0, stderr);
      const res = JSON.parse(stdout) as { stopped: boolean; pending: number; nextSeq: number };
      assert.equal(res.stopped, true);
      // the server never answered: every collection (the first, maybe one at a 10 s boundary) waits in the outbox
      assert.ok(res.pending >= 1);
      assert.equal(res.nextSeq, res.pending + 1);
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
