import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTopology } from '../../src/topology/load.js';
import { portPolicy } from '../../src/topology/policy.js';
import { findHost } from '../../src/topology/derive.js';
import { EXAMPLE, exampleWith, hostIn } from './fixture.js';

const t = loadTopology(EXAMPLE);
const policyOf = (name: string) => portPolicy(t, findHost(t, name)!);
const rule = (name: string, service: string) => policyOf(name).inbound.find((r) => r.service === service);

test('authority: p2p only from its followers, SSH only from ops, API only from monitor + VPN', () => {
  assert.deepEqual(rule('auth-a', 'p2p'), { service: 'p2p', proto: 'tcp', port: 8108, sources: ['10.10.1.21/32', '10.20.1.22/32'], why: rule('auth-a', 'p2p')!.why });
  assert.deepEqual(rule('auth-a', 'ssh')!.sources, ['198.51.100.7/32', '2001:db8:7:1::/64']);
  assert.equal(rule('auth-a', 'ssh')!.port, 2222);
  assert.deepEqual(rule('auth-a', 'api')!.sources, ['10.30.1.30/32', '10.99.0.0/24', '192.0.2.30/32']);
  assert.deepEqual(rule('auth-a', 'control-panel')!.sources, rule('auth-a', 'api')!.sources);
  assert.deepEqual(policyOf('auth-a').neverExposed.map((n) => n.port).sort((a, b) => a - b), [22, 6060, 8093, 9876]);
});

test('authority egress: p2p ports blocked except towards its own followers', () => {
  assert.deepEqual(policyOf('auth-b').p2pEgress, {
    blockedPorts: [8108, 8109, 8110],
    peers: [{ address: '10.10.1.21', port: 8108 }, { address: '10.20.1.22', port: 443 }],
  });
  assert.equal(policyOf('fol-1').p2pEgress, undefined);
});

test('followers: p2p public on their own port; a private follower only from own nodes', () => {
  assert.equal(rule('fol-1', 'p2p')!.sources, 'any');
  assert.equal(rule('fol-2', 'p2p')!.port, 443);
  const priv = exampleWith((r) => { hostIn(r, 'fol-1').publicP2p = false; });
  const p = portPolicy(priv, findHost(priv, 'fol-1')!).inbound.find((r) => r.service === 'p2p')!;
  assert.deepEqual(p.sources, ['10.10.1.10/32', '10.20.1.10/32', '10.20.1.22/32']);
});

test('monitor: SSH from ops and ingest from the agents, nothing of factomd', () => {
  const mon = policyOf('mon-1');
  assert.deepEqual(mon.inbound.map((r) => r.service).sort(), ['ingest', 'ssh']);
  const ingest = rule('mon-1', 'ingest')!;
  assert.equal(ingest.port, 8443);
  assert.ok((ingest.sources as string[]).includes('10.10.1.10/32'));
  assert.ok((ingest.sources as string[]).includes('203.0.113.21/32'));
});

test('control panel disabled: no rule for it', () => {
  const off = exampleWith((r) => { r.factomd.controlPanel = 'disabled'; });
  assert.equal(portPolicy(off, findHost(off, 'auth-a')!).inbound.some((r) => r.service === 'control-panel'), false);
});
