/* eslint-disable @typescript-eslint/no-explicit-any -- YAML fixtures as plain data: the schema under test is the type check */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintTopology, TOPOLOGY_LINTS, isBlocking } from '../../src/topology/lint.js';
import { loadTopology } from '../../src/topology/load.js';
import { EXAMPLE, exampleWith, hostIn } from './fixture.js';

test('the example topology lints clean (not even info)', () => {
  assert.deepEqual(lintTopology(loadTopology(EXAMPLE)), []);
});

type Raw = Record<string, any>;
const dropHost = (raw: Raw, name: string): void => { raw.hosts = (raw.hosts as Raw[]).filter((h) => h.name !== name); };

/** One broken topology per lint: [lint id, expected field, change]. */
const cases: [string, string, (raw: Raw) => void][] = [
  ['TOPO-SAME-SITE', 'hosts.1.site', (r) => { hostIn(r, 'auth-b').site = 'fra1'; }],
  ['TOPO-SAME-PROVIDER', 'hosts.1.provider', (r) => { hostIn(r, 'auth-b').provider = 'aws'; }],
  ['TOPO-NO-STANDBY', 'authority.standby', (r) => { delete r.authority.standby; dropHost(r, 'auth-b'); }],
  ['TOPO-AUTHORITY-PUBLIC-P2P', 'hosts.0.publicP2p', (r) => { hostIn(r, 'auth-a').publicP2p = true; }],
  ['TOPO-FEW-FOLLOWERS', 'hosts', (r) => { dropHost(r, 'fol-2'); }],
  ['TOPO-FOLLOWERS-ONE-SITE', 'hosts', (r) => { hostIn(r, 'fol-2').site = 'fra1'; }],
  ['TOPO-SSH-22', 'hosts.0.ssh.port', (r) => { hostIn(r, 'auth-a').ssh.port = 22; }],
  ['TOPO-SSH-ROOT', 'hosts.2.ssh.users', (r) => { hostIn(r, 'fol-1').ssh.users = ['root']; }],
  ['TOPO-NO-HOST-KEY', 'hosts.4.ssh.hostKey', (r) => { delete hostIn(r, 'mon-1').ssh.hostKey; }],
  ['TOPO-CP-READWRITE', 'factomd.controlPanel', (r) => { r.factomd.controlPanel = 'readwrite'; }],
  ['TOPO-OPS-ANY', 'access.opsIps.0', (r) => { r.access.opsIps = ['0.0.0.0/0']; }],
  ['TOPO-OPS-ANY', 'access.opsIps.1', (r) => { r.access.opsIps = ['198.51.100.7/32', '::/0']; }],
  ['TOPO-OPS-ANY', 'access.vpnCidrs.0', (r) => { r.access.vpnCidrs = ['0.0.0.0/0']; }],
  ['TOPO-OPS-WIDE', 'access.opsIps.0', (r) => { r.access.opsIps = ['198.51.0.0/16']; }],
  ['TOPO-NO-OPS', 'access.opsIps', (r) => { r.access.opsIps = []; }],
  ['TOPO-NO-MONITOR', 'monitoring', (r) => { delete r.monitoring; dropHost(r, 'mon-1'); }],
  ['TOPO-RPC-NO-TLS', 'factomd.tls', (r) => { r.factomd.tls = false; }],
  ['TOPO-RPC-NO-AUTH', 'factomd.rpcUser', (r) => { delete r.factomd.rpcUser; }],
  ['TOPO-PORT-CLASH', 'factomd.p2pPort', (r) => { r.factomd.p2pPort = 2222; }],
  ['TOPO-PORT-CLASH', 'hosts.3.p2pPort', (r) => { hostIn(r, 'fol-2').p2pPort = 8090; }],
  ['TOPO-PORT-CLASH', 'hosts.2.p2pPort', (r) => { hostIn(r, 'fol-1').p2pPort = 9876; }],
  ['TOPO-DOCKER-API', 'hosts.2.docker.apiPort', (r) => { hostIn(r, 'fol-1').docker.apiPort = 2376; }],
  ['TOPO-DUP-ADDRESS', 'hosts.3', (r) => { hostIn(r, 'fol-2').privateAddress = '10.10.1.21'; }],
  ['TOPO-AUTHORITY-PUBLIC-ADDR', 'hosts.0.publicAddress', (r) => { hostIn(r, 'auth-a').publicAddress = '203.0.113.10'; }],
  ['TOPO-FOLLOWER-NO-PUBLIC', 'hosts.2.publicAddress', (r) => { delete hostIn(r, 'fol-1').publicAddress; }],
  ['TOPO-OLD-FACTOMD', 'factomd.version', (r) => { r.factomd.version = '6.11.2'; }],
  ['TOPO-FAILOVER-NO-STANDBY', 'authority.failover.auto', (r) => { delete r.authority.standby; dropHost(r, 'auth-b'); r.authority.failover = { identity: 'ab'.repeat(32), auto: true }; }],
  ['TOPO-FAILOVER-MARGIN', 'authority.failover.marginBlocks', (r) => { r.authority.failover = { identity: 'ab'.repeat(32), marginBlocks: 1 }; }],
  ['TOPO-FAILOVER-LEASE', 'authority.failover.leaseTtl', (r) => { r.authority.failover = { identity: 'ab'.repeat(32), leaseTtl: '10s', renewEvery: '6s', blockTime: '1s' }; }],
  ['TOPO-FAILOVER-LEASE', 'authority.failover.leaseTtl', (r) => { r.authority.failover = { identity: 'ab'.repeat(32), leaseTtl: '20m' }; }],
];

for (const [id, field, change] of cases) {
  test(`${id} fires on ${field}`, () => {
    const findings = lintTopology(exampleWith(change));
    const hit = findings.find((f) => f.id === id);
    assert.ok(hit, `expected ${id}, got ${JSON.stringify(findings.map((f) => f.id))}`);
    assert.equal(hit.field, field);
    assert.equal(hit.severity, TOPOLOGY_LINTS[id]!.severity);
  });
}

test('every lint in the table has a firing case', () => {
  const covered = new Set(cases.map(([id]) => id));
  assert.deepEqual(Object.keys(TOPOLOGY_LINTS).filter((id) => !covered.has(id)), []);
});

test('the issue\'s named problems are blocking (warning or error)', () => {
  for (const id of ['TOPO-SAME-SITE', 'TOPO-AUTHORITY-PUBLIC-P2P', 'TOPO-FEW-FOLLOWERS', 'TOPO-SSH-22', 'TOPO-CP-READWRITE', 'TOPO-OPS-ANY', 'TOPO-NO-OPS', 'TOPO-NO-MONITOR', 'TOPO-RPC-NO-TLS', 'TOPO-PORT-CLASH', 'TOPO-DOCKER-API']) {
    assert.ok(isBlocking({ id, severity: TOPOLOGY_LINTS[id]!.severity, field: '', message: '' }), id);
  }
});
