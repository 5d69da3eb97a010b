import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../helpers/cli.js';
import { loadSimConf } from '../../src/sim/conf.js';

const CASE6 = join(SHARED, 'factomd-samples/behaviour/case6-config-errors');

test('a syntax error gives factomd\'s 4-line fallback with the real line:column, and defaults', () => {
  const text = readFileSync(join(CASE6, 'n8-factomd.conf'), 'utf8');
  const r = loadSimConf(text, 'HOME/n8/.factom/m2/factomd.conf');
  assert.ok(r.fallback);
  // Exact text from behaviour/case6 n8-startup.log.
  assert.equal(r.fallback.message, "Reading from 'HOME/n8/.factom/m2/factomd.conf'\nCannot open custom config file,\nStarting with default settings.\nHOME/n8/.factom/m2/factomd.conf:11:41: string not terminated\n");
  // RPC auth lost, default public key, but IdentityChainID (not in the defaults) kept (case 6 summary).
  assert.equal(r.config.FactomdRpcUser, '');
  assert.equal(r.config.FactomdRpcPass, '');
  assert.equal(r.config.LocalServerPublicKey, 'cc1985cdfae4e32b5a454dfda8ce5e1361558482684f3367649c3ad852c8e31a');
  assert.equal(r.config.ControlPanelSetting, 'readonly');
  assert.equal(r.config.IdentityChainID, '8888887020255b631764fc0fd524dac89ae96db264c572391a3f19fcf0f8991e');
});

test('gcfg rules: case-insensitive names, inline comments, hex ints, last duplicate wins', () => {
  const r = loadSimConf('[APP]\nchangeacksheight = 9 ; swap\nPortNumber = 0x10\nPortNumber = 8089\nFactomdTlsEnabled = yes\n', 'f');
  assert.equal(r.fallback, undefined);
  assert.equal(r.config.ChangeAcksHeight, 9);
  assert.equal(r.config.PortNumber, 8089);
  assert.equal(r.config.FactomdTlsEnabled, true);
  assert.equal(loadSimConf('[app]\nPortNumber = 0x10\n', 'f').config.PortNumber, 16);
});

test('misspelled or misplaced ChangeAcksHeight is silently ignored (§1.2)', () => {
  for (const text of ['[app]\nChangeAckHeight = 1003\n', '[app]\nPortNumber = 1\n[Walletd]\nChangeAcksHeight = 1003\n']) {
    const r = loadSimConf(text, 'f');
    assert.equal(r.fallback, undefined);
    assert.equal(r.config.ChangeAcksHeight, 0);
  }
});

test('an unparseable integer is fatal: fallback to defaults', () => {
  const r = loadSimConf('[app]\nChangeAcksHeight = 10o3\nFactomdRpcUser = admin\n', 'f');
  assert.ok(r.fallback);
  assert.equal(r.config.ChangeAcksHeight, 0);
  assert.equal(r.config.FactomdRpcUser, '');
});

test('a missing file is treated like a fatal error (defaults, message)', () => {
  const r = loadSimConf(undefined, '/nope/factomd.conf');
  assert.ok(r.fallback?.message.startsWith("Reading from '/nope/factomd.conf'\nCannot open custom config file,\nStarting with default settings.\n"));
  assert.equal(r.config.Network, 'MAIN');
});
