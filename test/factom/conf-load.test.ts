import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../helpers/cli.js';
import { loadFactomdConfig, factomdDefaultConfig, suggestFactomdKey, DEFAULT_LOCAL_SERVER_PRIV_KEY } from '../../src/factom/factomd-conf.js';

const CASES = join(SHARED, 'factomd-samples', 'behaviour');
const sample = (p: string) => readFileSync(join(CASES, p));
const sampleText = (p: string) => readFileSync(join(CASES, p), 'utf8');
const N8_PATH = 'HOME/n8/.factom/m2/factomd.conf';
const debugConfig = JSON.parse(sampleText('case6-config-errors/api-n8-210008-debug-configuration.json')).result as {
  App: Record<string, unknown>; Log: Record<string, unknown>; Walletd: Record<string, unknown>; LiveFeedAPI: Record<string, unknown>;
};
/** Keys of /debug configuration that factomd rewrites after ReadConfig (paths), so they cannot be compared raw. */
const PATH_KEYS = new Set(['HomeDir', 'ControlPanelFilesPath', 'LdbPath', 'BoltDBPath', 'DataStorePath', 'ExportDataSubpath', 'FastBootLocation', 'PeersFile', 'LogPath']);

describe('loadFactomdConfig: factomd\'s fallback to defaults (case6 samples)', () => {
  const load = loadFactomdConfig(sample('case6-config-errors/n8-factomd.conf'), { path: N8_PATH });

  it('prints the same four lines as factomd at startup (n8-startup.log)', () => {
    const log = sampleText('case6-config-errors/n8-startup.log').split('\n');
    const at = log.indexOf(`Reading from '${N8_PATH}'`);
    assert.ok(at > 0);
    assert.deepEqual(load.fallback?.lines, log.slice(at, at + 4));
  });

  it('and the runtime variant with an error on line 2 (n5-runtime-syntax-error.log)', () => {
    const path = 'HOME/n5/.factom/m2/factomd.conf';
    const r = loadFactomdConfig(sample('case6-config-errors/n5-factomd.conf'), { path });
    assert.deepEqual(r.fallback?.lines, sampleText('case6-config-errors/n5-runtime-syntax-error.log').trimEnd().split('\n'));
    assert.equal(r.config.App.ChangeAcksHeight, 0, 'the running ChangeAcksHeight reads as 0: no swap');
  });

  it('keeps IdentityChainID read above the error and resets everything in the defaults (/debug configuration)', () => {
    const app = load.config.App as Record<string, unknown>;
    assert.equal(app.IdentityChainID, debugConfig.App.IdentityChainID);
    for (const [k, v] of Object.entries(debugConfig.App)) {
      if (PATH_KEYS.has(k)) continue;
      assert.deepEqual(app[k], v, `App.${k}`);
    }
    assert.equal(load.config.Log.LogLevel, debugConfig.Log.LogLevel);
    assert.equal(load.config.Log.ConsoleLogLevel, debugConfig.Log.ConsoleLogLevel);
    for (const [k, v] of Object.entries(debugConfig.Walletd)) {
      if (k.endsWith('Location') || !PATH_KEYS.has(k)) assert.deepEqual((load.config.Walletd as Record<string, unknown>)[k], v, `Walletd.${k}`);
    }
    assert.deepEqual(load.config.LiveFeedAPI, debugConfig.LiveFeedAPI);
  });

  it('drops the RPC credentials and the readwrite control panel the file asked for', () => {
    assert.equal(load.config.App.FactomdRpcUser, '');
    assert.equal(load.config.App.FactomdRpcPass, '');
    assert.equal(load.config.App.ControlPanelSetting, 'readonly');
    assert.equal(load.config.App.LocalServerPrivKey, DEFAULT_LOCAL_SERVER_PRIV_KEY);
    assert.equal(load.config.App.Network, 'MAIN');
  });

  it('resolves HomeDir and FastBootLocation like ReadConfig when the home dir is given', () => {
    const r = loadFactomdConfig(sample('case6-config-errors/n8-factomd.conf'), { path: N8_PATH, homeDir: 'HOME/n8' });
    assert.equal(r.config.App.HomeDir, debugConfig.App.HomeDir);
    assert.equal(r.config.App.FastBootLocation, debugConfig.App.FastBootLocation);
  });

  it('a misspelled key or a key under [Walletd] loads without a message (n6, n7): warnings only', () => {
    for (const [f, line] of [['n6-factomd.conf', 4], ['n7-factomd.conf', 18]] as const) {
      const r = loadFactomdConfig(sample(`case6-config-errors/${f}`), { path: f });
      assert.equal(r.fallback, undefined, f);
      assert.equal(r.config.App.ChangeAcksHeight, 0, f);
      assert.equal(r.config.App.IdentityChainID, '8888887020255b631764fc0fd524dac89ae96db264c572391a3f19fcf0f8991e');
      assert.deepEqual(r.warnings.map((w) => w.line), [line], f);
    }
  });

  it('an empty IdentityChainID loads as an empty string (case5 n2), not as the default', () => {
    const r = loadFactomdConfig(sample('case5-swap-bad-identity/n2-factomd.conf'), { path: 'n2' });
    assert.equal(r.fallback, undefined);
    assert.equal(r.config.App.IdentityChainID, '');
    assert.equal(r.config.App.ChangeAcksHeight, 6);
    assert.equal(r.config.App.PortNumber, 8188);
  });

  it('a missing file falls back with the os.Open error', () => {
    const r = loadFactomdConfig(undefined, { path: '/x/factomd.conf' });
    assert.deepEqual(r.fallback?.lines, ["Reading from '/x/factomd.conf'", 'Cannot open custom config file,', 'Starting with default settings.', 'open /x/factomd.conf: no such file or directory']);
    assert.equal(r.config.App.PortNumber, 8088);
  });

  it('a fatal value error also falls back, keeping only keys outside the defaults', () => {
    const r = loadFactomdConfig('[app]\nIdentityChainID = 888888aa\nExchangeRate = 5\nFactomdRpcUser = u\nBitcoinAnchorRecordPublicKeys = k1\nChangeAcksHeight = 10o3\n', { path: 'p' });
    assert.equal(r.fallback?.error, 'failed to parse "10o3" as uint32: extra characters');
    assert.equal(r.config.App.IdentityChainID, '888888aa');
    assert.equal(r.config.App.ExchangeRate, 5);
    assert.deepEqual(r.config.App.BitcoinAnchorRecordPublicKeys, ['k1']);
    assert.equal(r.config.App.FactomdRpcUser, '');
  });

  it('selects the exchange-rate key of the network (exact case only)', () => {
    const d = factomdDefaultConfig().App;
    assert.equal(loadFactomdConfig('[app]\nNetwork = LOCAL\n', { path: 'p' }).config.App.ExchangeRateAuthorityPublicKey, d.ExchangeRateAuthorityPublicKeyLocalNet);
    assert.equal(loadFactomdConfig('[app]\nNetwork = local\n', { path: 'p' }).config.App.ExchangeRateAuthorityPublicKey, '');
  });
});

describe('suggestFactomdKey', () => {
  it('finds typos and keys of other sections', () => {
    assert.deepEqual(suggestFactomdKey('ChangeAckHeight', 'App'), { section: 'App', name: 'ChangeAcksHeight', distance: 1 });
    assert.deepEqual(suggestFactomdKey('changeacksheight', 'Walletd'), { section: 'App', name: 'ChangeAcksHeight', distance: 0 });
    assert.deepEqual(suggestFactomdKey('IdentityChainId'), { section: 'App', name: 'IdentityChainID', distance: 0 });
    assert.deepEqual(suggestFactomdKey('FactomdRpcPasswd'), { section: 'App', name: 'FactomdRpcPass', distance: 2 });
    assert.equal(suggestFactomdKey('Completely'), undefined);
  });
});
