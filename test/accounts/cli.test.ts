import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'accounts-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('user add / passwd / list / remove with the password on stdin', async () => {
  const add = await runCli(['--json', 'user', 'add', 'olga', '--role', 'operator', '--data-dir', dir], { stdin: 'a long operator password\n' });
  assert.equal(add.code, 0, add.stderr);
  assert.deepEqual(JSON.parse(add.stdout), { user: 'olga', role: 'operator' });
  const weak = await runCli(['user', 'add', 'vic', '--data-dir', dir], { stdin: 'short\n' });
  assert.equal(weak.code, 2);
  assert.match(weak.stderr, /password/);
  const role = await runCli(['user', 'add', 'vic', '--role', 'admin', '--data-dir', dir], { stdin: 'a long viewer password\n' });
  assert.equal(role.code, 2);
  assert.match(role.stderr, /role/);
  const pw = await runCli(['user', 'passwd', 'olga', '--data-dir', dir], { stdin: 'another long password\n' });
  assert.equal(pw.code, 0, pw.stderr);
  const list = await runCli(['--json', 'user', 'list', '--data-dir', dir]);
  assert.deepEqual((JSON.parse(list.stdout) as { name: string; role: string }[]).map((u) => [u.name, u.role]), [['olga', 'operator']]);
  const rm = await runCli(['user', 'remove', 'olga', '--data-dir', dir]);
  assert.equal(rm.code, 0);
  const again = await runCli(['user', 'remove', 'olga', '--data-dir', dir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no user olga/);
});

test('start refuses a non-loopback dashboard without TLS, naming the flag', async () => {
  const r = await runCli(['start', '--data-dir', dir, '--web-listen', '0.0.0.0:0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /web-listen/);
  assert.match(r.stderr, /TLS/);
});

test('grafana export is valid dashboard JSON over the server\'s metric names', async () => {
  const r = await runCli(['grafana', 'export']);
  assert.equal(r.code, 0, r.stderr);
  const d = JSON.parse(r.stdout) as { panels: { targets: { expr: string }[] }[] };
  const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
  for (const m of ['factomd_leader_height', 'node_cpu_seconds_total', 'node_disk_read_bytes_total', 'node_network_receive_bytes_total', 'node_load1']) assert.ok(exprs.includes(m), m);
});
