import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTopology } from '../../src/topology/load.js';
import { renderTopology, type RenderedFile } from '../../src/render/render.js';
import { writeRendered } from '../../src/render/write.js';
import { assembleFactomdConf, SECRETS_MARKER } from '../../src/render/factomd-conf.js';
import { loadFactomdConfig } from '../../src/factom/factomd-conf.js';
import { lintFactomdConf } from '../../src/factom/conf-lint.js';
import { EXAMPLE, exampleWith, hostIn } from '../topology/fixture.js';

const topo = loadTopology(EXAMPLE);
const rendered = renderTopology(topo);
const fileOf = (host: string, name: string): string => {
  const f = rendered.find((h) => h.host === host)?.files.find((x: RenderedFile) => x.name === name);
  if (!f) throw new Error(`no ${name} for ${host}`);
  return f.content;
};
const hasFile = (host: string, name: string): boolean => Boolean(rendered.find((h) => h.host === host)?.files.some((x) => x.name === name));

/** A gcfg reading good enough to check our own output: section → key (lower-cased) → raw value. */
function readIni(text: string): { sections: string[]; app: Map<string, string> } {
  const sections: string[] = [];
  const app = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const sec = /^\[([A-Za-z]+)\]$/.exec(line);
    if (sec) { sections.push(sec[1]!.toLowerCase()); continue; }
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    assert.ok(kv, `not a gcfg line: ${line}`);
    if (sections.at(-1) === 'app') app.set(kv[1]!.toLowerCase(), kv[2]!.replace(/^"(.*)"$/, '$1'));
  }
  return { sections, app };
}

test('rendering is deterministic: same topology, same bytes, twice and through the writer', () => {
  const again = renderTopology(loadTopology(EXAMPLE));
  assert.deepEqual(again, rendered);
  const a = mkdtempSync(join(tmpdir(), 'topo-render-a-'));
  const b = mkdtempSync(join(tmpdir(), 'topo-render-b-'));
  try {
    const wa = writeRendered(a, rendered);
    writeRendered(b, again);
    for (const h of wa) {
      for (const f of h.files) assert.equal(readFileSync(join(a, h.host, f)).compare(readFileSync(join(b, h.host, f))), 0, `${h.host}/${f}`);
    }
    // Secrets-adjacent files are not world-readable.
    assert.equal(statSync(join(a, 'auth-a', 'factomd.conf')).mode & 0o007, 0);
    assert.equal(statSync(join(a, 'auth-a', 'nftables.conf')).mode & 0o077, 0);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('no rendered file carries a timestamp or a secret', () => {
  for (const h of rendered) {
    for (const f of h.files) {
      assert.doesNotMatch(f.content, /\b20\d\d-\d\d-\d\d/, `${h.host}/${f.name} has a date`);
      assert.doesNotMatch(f.content, /^\s*(IdentityChainID|LocalServerPrivKey|FactomdRpcPass)\s*=/im, `${h.host}/${f.name} has a secret line`);
    }
  }
});

test('factomd.conf: [app] last, ends with the secrets marker, role-correct settings', () => {
  for (const host of ['auth-a', 'auth-b', 'fol-1', 'fol-2']) {
    const text = fileOf(host, 'factomd.conf');
    const { sections, app } = readIni(text);
    assert.equal(sections.at(-1), 'app', `${host}: secrets appended after another section would be ignored`);
    assert.ok(text.endsWith(`${SECRETS_MARKER}\n`));
    assert.equal(app.get('network'), 'MAIN');
    assert.ok(['readonly', 'disabled'].includes(app.get('controlpanelsetting') ?? ''));
    assert.equal(app.get('factomdtlsenabled'), 'true');
    assert.match(app.get('factomdtlsprivatekey') ?? '', /^\/etc\/factomd\/tls\//);
    assert.match(app.get('factomdtlspubliccert') ?? '', /^\/etc\/factomd\/tls\//);
    assert.equal(app.get('factomdrpcuser'), 'anoguard');
    assert.equal(app.get('portnumber'), '8088');
  }
  // Authority nodes keep their followers as special peers (comma-separated: factomd >= 6.12).
  for (const host of ['auth-a', 'auth-b']) {
    const { app } = readIni(fileOf(host, 'factomd.conf'));
    assert.deepEqual(app.get('mainspecialpeers')?.split(',').sort(), ['10.10.1.21:8108', '10.20.1.22:443']);
    assert.equal(app.get('mainnetworkport'), '8108');
  }
  // Followers keep the authority nodes; fol-2 moved its p2p port to 443.
  assert.deepEqual(readIni(fileOf('fol-1', 'factomd.conf')).app.get('mainspecialpeers')?.split(',').sort(), ['10.10.1.10:8108', '10.20.1.10:8108']);
  assert.equal(readIni(fileOf('fol-2', 'factomd.conf')).app.get('mainnetworkport'), '443');
  // The standby is told to carry its own follower identity, the master the authority one.
  assert.match(fileOf('auth-a', 'factomd.conf'), /the authority identity/);
  assert.match(fileOf('auth-b', 'factomd.conf'), /OWN follower identity/);
  assert.equal(hasFile('mon-1', 'factomd.conf'), false);
});

test('special peers are space-separated for factomd before 6.12', () => {
  const old = exampleWith((r) => { r.factomd.version = '6.11.0'; });
  const f = renderTopology(old, 'auth-a')[0]!.files.find((x) => x.name === 'factomd.conf')!;
  assert.match(f.content, /^MainSpecialPeers = "10\.10\.1\.21:8108 10\.20\.1\.22:443"$/m);
});

test('assembling appends only secret keys inside [app]', () => {
  const base = fileOf('auth-a', 'factomd.conf');
  const secrets = `; identity\nIdentityChainID = 8888880000000000000000000000000000000000000000000000000000000000\nLocalServerPrivKey = ${'11'.repeat(32)}\nFactomdRpcPass = "pw"\n`;
  const full = assembleFactomdConf(base, secrets);
  const { app } = readIni(full);
  assert.equal(app.get('identitychainid'), '8888880000000000000000000000000000000000000000000000000000000000');
  assert.equal(app.get('factomdrpcpass'), 'pw');
  assert.throws(() => assembleFactomdConf(base, '[Walletd]\nFactomdRpcPass = x\n'), /secrets file/);
  assert.throws(() => assembleFactomdConf(base, 'ControlPanelSetting = readwrite\n'), /secrets file/);
  assert.throws(() => assembleFactomdConf(`${base}extra\n`, secrets), /marker/);
});

test('systemd: factomd stops on SIGINT; authority nodes fence first, followers do not', () => {
  for (const host of ['auth-a', 'auth-b', 'fol-1', 'fol-2']) {
    const unit = fileOf(host, 'factomd.service');
    assert.match(unit, /^KillSignal=SIGINT$/m);
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/factomd -config=\/etc\/factomd\/factomd\.conf -startdelay=600 -faulttimeout=120/m);
    assert.doesNotMatch(unit, /-rpcpass|-rpcuser/, 'credentials never on the command line');
  }
  for (const host of ['auth-a', 'auth-b']) {
    const unit = fileOf(host, 'factomd.service');
    assert.match(unit, /^Requires=anoguard-fence\.service$/m);
    assert.match(unit, /^After=.*anoguard-fence\.service/m);
    assert.match(fileOf(host, 'anoguard-fence.service'), /^Type=oneshot$/m);
  }
  assert.doesNotMatch(fileOf('fol-1', 'factomd.service'), /anoguard-fence/);
  // 443 needs the bind capability, 8108 does not.
  assert.match(fileOf('fol-2', 'factomd.service'), /^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
  assert.doesNotMatch(fileOf('fol-1', 'factomd.service'), /AmbientCapabilities/);
  for (const h of rendered) assert.match(fileOf(h.host, 'anoguard-agent.service'), /^ExecStart=\/usr\/local\/bin\/anoguard agent --config \/etc\/anoguard\/agent\.yaml$/m);
});

test('docker daemon.json follows the CIS daemon settings', () => {
  const d = JSON.parse(fileOf('fol-1', 'daemon.json'));
  assert.equal(d.icc, false);
  assert.equal(d['no-new-privileges'], true);
  assert.equal(d['live-restore'], true);
  assert.equal(d['userns-remap'], 'default');
  assert.ok(d['log-opts']['max-size']);
  assert.deepEqual(d.hosts, ['unix:///var/run/docker.sock']);
  assert.equal(hasFile('auth-a', 'daemon.json'), false);

  const withApi = exampleWith((r) => { hostIn(r, 'fol-1').docker = { apiPort: 2376, rootless: true }; r.swarm = { manager: '10.30.1.40' }; });
  const files = renderTopology(withApi, 'fol-1')[0]!.files;
  const d2 = JSON.parse(files.find((f) => f.name === 'daemon.json')!.content);
  assert.equal(d2.tlsverify, true);
  assert.ok(d2.tlscacert && d2.tlscert && d2.tlskey);
  assert.deepEqual(d2.hosts, ['unix:///var/run/docker.sock', 'tcp://10.10.1.21:2376']);
  assert.equal(d2['live-restore'], undefined, 'dockerd refuses live-restore in swarm mode');
  assert.equal(d2['userns-remap'], undefined, 'rootless Docker does not use userns-remap');
  assert.match(files.find((f) => f.name === 'DOCKER-NOTES.md')!.content, /[Rr]ootless/);
  const nft = files.find((f) => f.name === 'nftables.conf')!.content;
  assert.match(nft, /ip saddr \{ 10\.30\.1\.40\/32 \} tcp dport 2376 accept/);
});

test('factomd reads every rendered factomd.conf (and the assembled one) without warning or fallback', () => {
  const secrets = `IdentityChainID = 888888${'ab'.repeat(29)}\nLocalServerPrivKey = ${'22'.repeat(32)}\nFactomdRpcPass = "s3cret"\n`;
  for (const host of ['auth-a', 'auth-b', 'fol-1', 'fol-2']) {
    const text = fileOf(host, 'factomd.conf');
    for (const [what, conf] of [['rendered', text], ['assembled', assembleFactomdConf(text, secrets)]] as const) {
      const load = loadFactomdConfig(conf, { path: `/etc/factomd/${host}.conf` });
      assert.equal(load.fallback, undefined, `${host} ${what}: ${load.fallback?.error}`);
      assert.deepEqual(load.warnings, [], `${host} ${what}`);
      const app = load.config.App;
      assert.equal(app.Network, 'MAIN');
      assert.equal(app.ControlPanelSetting, 'readonly');
      assert.equal(app.FactomdTlsEnabled, true);
      assert.equal(app.FactomdRpcUser, 'anoguard');
      if (what === 'assembled') {
        assert.equal(app.FactomdRpcPass, 's3cret');
        assert.equal(app.IdentityChainID, `888888${'ab'.repeat(29)}`);
      } else {
        assert.equal(app.FactomdRpcPass, '');
      }
    }
  }
});

test('conf lint: every assembled factomd.conf is clean; the rendered part alone lacks only the password', () => {
  const pass = 'FactomdRpcPass = "a-long-random-password-from-secrets"\n';
  const secrets: Record<string, string> = {
    'auth-a': `IdentityChainID = 888888${'ab'.repeat(29)}\nLocalServerPrivKey = ${'22'.repeat(32)}\n${pass}`,
    // The standby carries its own identity, never the master's.
    'auth-b': `IdentityChainID = 888888${'cd'.repeat(29)}\nLocalServerPrivKey = ${'33'.repeat(32)}\n${pass}`,
    'fol-1': pass,
    'fol-2': pass,
  };
  for (const [host, sec] of Object.entries(secrets)) {
    const role = host === 'auth-a' ? 'authority' : 'follower';
    const text = fileOf(host, 'factomd.conf');
    assert.deepEqual(lintFactomdConf(assembleFactomdConf(text, sec), { role }), [], host);
    // By design the password is only on the host: that is the one thing the rendered part misses.
    assert.deepEqual(lintFactomdConf(text, { role: 'follower' }).map((f) => f.id), ['rpc-no-password'], host);
  }
});

test('TESTNET renders the community testnet as a CUSTOM network, in the config and the unit', () => {
  const testnet = exampleWith((r) => { r.network = { name: 'TESTNET' }; });
  const files = renderTopology(testnet, 'fol-1')[0]!.files;
  const conf = files.find((f) => f.name === 'factomd.conf')!.content;
  const app = loadFactomdConfig(conf, { path: 'factomd.conf' }).config.App;
  assert.equal(app.Network, 'CUSTOM');
  assert.equal(app.CustomNetworkPort, '8110');
  assert.deepEqual(app.CustomSpecialPeers.split(',').sort(), ['10.10.1.10:8110', '10.20.1.10:8110']);
  assert.equal(app.MainSpecialPeers, '');
  assert.match(files.find((f) => f.name === 'factomd.service')!.content, / -network=CUSTOM -customnet=fct_community_test$/m);
});
