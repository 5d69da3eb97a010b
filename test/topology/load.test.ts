import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadTopology, parseTopology } from '../../src/topology/load.js';
import { InputError } from '../../src/errors.js';
import { EXAMPLE } from './fixture.js';

const example = readFileSync(EXAMPLE, 'utf8');

function lineNumberOf(text: string, needle: string, nth = 0): number {
  const lines = text.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.includes(needle)) {
      if (seen === nth) return i + 1;
      seen++;
    }
  }
  throw new Error(`needle ${needle} not found`);
}

function loadError(text: string): InputError {
  try {
    parseTopology(text, 'topo.yaml');
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the topology to be refused');
}

test('the example loads, with defaults filled in', () => {
  const t = loadTopology(EXAMPLE);
  assert.equal(t.hosts.length, 5);
  assert.equal(t.factomd.apiPort, 8088);
  assert.equal(t.factomd.configDir, '/etc/factomd');
  assert.equal(t.authority.master, 'auth-a');
});

test('a bad port names the file, its line and the field path', () => {
  const bad = example.replace('      port: 2222\n      users: [ops]\n      hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICyX', '      port: 99999\n      users: [ops]\n      hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICyX');
  assert.notEqual(bad, example);
  const e = loadError(bad);
  assert.equal(e.field, 'hosts.1.ssh.port');
  assert.match(e.shortMessage, new RegExp(`topo\\.yaml:${lineNumberOf(bad, 'port: 99999')}\\b`));
});

test('an unknown site reference points at the host\'s site line', () => {
  const bad = example.replace('    site: ams1\n    provider: gcp\n    publicAddress', '    site: nowhere\n    provider: gcp\n    publicAddress');
  const e = loadError(bad);
  assert.equal(e.field, 'hosts.3.site');
  assert.match(e.shortMessage, /unknown site "nowhere"/);
  assert.match(e.shortMessage, new RegExp(`topo\\.yaml:${lineNumberOf(bad, 'site: nowhere')}\\b`));
});

test('an unknown key is refused (typos are not silently ignored)', () => {
  const bad = example.replace('  controlPanel: readonly', '  controlPanel: readonly\n  controlPanelSetting: readwrite');
  const e = loadError(bad);
  assert.equal(e.field, 'factomd');
  assert.match(e.shortMessage, /controlPanelSetting/);
});

test('a YAML syntax error names the line', () => {
  const bad = example.replace('network:\n  name: MAIN', 'network:\n  name: [MAIN');
  const e = loadError(bad);
  assert.equal(e.code, 'E_TOPOLOGY_SYNTAX');
  assert.match(e.shortMessage, /topo\.yaml:\d+/);
});

test('master must be an authority host', () => {
  const bad = example.replace('  master: auth-a', '  master: fol-1');
  const e = loadError(bad);
  assert.equal(e.field, 'authority.master');
  assert.match(e.shortMessage, new RegExp(`topo\\.yaml:${lineNumberOf(bad, 'master: fol-1')}\\b`));
});

test('a missing file is a usage error', () => {
  assert.throws(() => loadTopology('/nonexistent/topo.yaml'), (e: unknown) => e instanceof InputError && e.exitCode === 2);
});
