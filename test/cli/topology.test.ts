import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';

const EXAMPLE = join(ROOT, 'examples', 'topology.yaml');
const dir = mkdtempSync(join(tmpdir(), 'topo-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('topology lint: the example is clean (exit 0), text and JSON', async () => {
  const text = await runCli(['topology', 'lint', EXAMPLE]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /no findings/);
  const json = await runCli(['topology', 'lint', EXAMPLE, '--json']);
  assert.equal(json.code, 0);
  const out = JSON.parse(json.stdout);
  assert.equal(out.ok, true);
  assert.deepEqual(out.findings, []);
});

test('topology lint: findings at warning or above exit 1', async () => {
  const bad = join(dir, 'ssh22.yaml');
  writeFileSync(bad, readFileSync(EXAMPLE, 'utf8').replaceAll('port: 2222', 'port: 22'));
  const r = await runCli(['topology', 'lint', bad, '--json']);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, false);
  assert.ok(out.findings.some((f: { id: string; field: string }) => f.id === 'TOPO-SSH-22' && f.field === 'hosts.0.ssh.port'));
});

test('an invalid topology gives one line naming the field, the file and the line', async () => {
  const bad = join(dir, 'badport.yaml');
  const text = readFileSync(EXAMPLE, 'utf8').replace('  ingestPort: 8443', '  ingestPort: 0');
  writeFileSync(bad, text);
  const line = text.split('\n').findIndex((l) => l.includes('ingestPort: 0')) + 1;
  const r = await runCli(['render', bad, '--out', join(dir, 'never')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^anoguard: monitoring\\.ingestPort: .*badport\\.yaml:${line}\\)`, 'm'));
  assert.equal(existsSync(join(dir, 'never')), false, 'nothing written');
});

test('render writes DIR/<host>/ files and prints a JSON summary', async () => {
  const out = join(dir, 'out');
  const r = await runCli(['render', EXAMPLE, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(summary.hosts.map((h: { host: string }) => h.host), ['auth-a', 'auth-b', 'fol-1', 'fol-2', 'mon-1']);
  for (const h of summary.hosts as { host: string; files: string[] }[]) {
    for (const f of h.files) assert.ok(existsSync(join(out, h.host, f)), `${h.host}/${f}`);
  }
  assert.ok(existsSync(join(out, 'auth-a', 'factomd.conf')));
  assert.ok(!existsSync(join(out, 'mon-1', 'factomd.conf')));
});

test('render --out is required (usage error)', async () => {
  const r = await runCli(['render', EXAMPLE]);
  assert.equal(r.code, 2);
});

test('topology schema matches the committed schemas/topology.schema.json', async () => {
  const r = await runCli(['topology', 'schema']);
  assert.equal(r.code, 0, r.stderr);
  const schema = JSON.parse(r.stdout);
  assert.deepEqual(schema, JSON.parse(readFileSync(join(ROOT, 'schemas', 'topology.schema.json'), 'utf8')));
  assert.equal(schema.type, 'object');
  assert.ok(schema.properties.hosts);
  assert.deepEqual(schema.properties.hosts.items.properties.role.enum, ['authority', 'follower', 'monitor']);
});
