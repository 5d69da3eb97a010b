/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- parsed JSON/YAML under test: the assertions are the type checks */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTopology } from '../../src/topology/load.js';
import { renderTopology } from '../../src/render/render.js';
import { EXAMPLE } from '../topology/fixture.js';

// Structure checks (parse, then assert the rules), not byte-for-byte goldens.
const rendered = renderTopology(loadTopology(EXAMPLE));
const json = (host: string, name: string): any => {
  const f = rendered.find((h) => h.host === host)?.files.find((x) => x.name === name);
  assert.ok(f, `${host}/${name} missing`);
  return JSON.parse(f.content);
};
const has = (host: string, name: string): boolean => Boolean(rendered.find((h) => h.host === host)?.files.some((x) => x.name === name));

interface Perm { FromPort: number; ToPort: number; IpProtocol: string; IpRanges: { CidrIp: string }[]; Ipv6Ranges: { CidrIpv6: string }[] }
const permFor = (perms: Perm[], port: number): Perm | undefined => perms.find((p) => p.FromPort === port && p.ToPort === port);
const v4 = (p: Perm | undefined): string[] => (p?.IpRanges ?? []).map((r) => r.CidrIp).sort();

test('AWS security group of the master: p2p only from followers, SSH only from ops, nothing public', () => {
  const sg = json('auth-a', 'aws-security-group.json');
  assert.equal(sg.GroupName, 'anoguard-auth-a');
  const perms = sg.IpPermissions as Perm[];
  assert.ok(perms.every((p) => p.IpProtocol === 'tcp'));
  assert.deepEqual(v4(permFor(perms, 8108)), ['10.10.1.21/32', '10.20.1.22/32']);
  assert.deepEqual(v4(permFor(perms, 2222)), ['198.51.100.7/32']);
  assert.deepEqual(permFor(perms, 2222)!.Ipv6Ranges.map((r) => r.CidrIpv6), ['2001:db8:7:1::/64']);
  assert.deepEqual(v4(permFor(perms, 8088)), ['10.30.1.30/32', '10.99.0.0/24', '192.0.2.30/32']);
  for (const p of perms) {
    assert.ok(!p.IpRanges.some((r) => r.CidrIp === '0.0.0.0/0'), `port ${p.FromPort} open to the world`);
  }
  for (const closed of [22, 9876, 6060]) assert.equal(permFor(perms, closed), undefined);
});

test('AWS security group of a follower: p2p open to all, API not', () => {
  const perms = json('fol-1', 'aws-security-group.json').IpPermissions as Perm[];
  assert.deepEqual(v4(permFor(perms, 8108)), ['0.0.0.0/0']);
  assert.deepEqual(permFor(perms, 8108)!.Ipv6Ranges.map((r) => r.CidrIpv6), ['::/0']);
  assert.ok(!v4(permFor(perms, 8088)).includes('0.0.0.0/0'));
});

test('AWS Terraform JSON parses and uses one resource per rule (no inline ingress)', () => {
  const tf = json('auth-a', 'aws-security-group.tf.json');
  const sgs = tf.resource.aws_security_group as Record<string, any>;
  assert.equal(Object.keys(sgs).length, 1);
  const [sgName, sg] = Object.entries(sgs)[0]!;
  assert.equal(sg.ingress, undefined);
  assert.equal(sg.vpc_id, '${var.vpc_id}');
  assert.ok(tf.variable.vpc_id);
  const rules = Object.values(tf.resource.aws_vpc_security_group_ingress_rule as Record<string, any>);
  assert.ok(rules.length > 0);
  for (const r of rules) {
    assert.equal(r.security_group_id, `\${aws_security_group.${sgName}.id}`);
    assert.equal(r.from_port, r.to_port);
    assert.ok(r.cidr_ipv4 || r.cidr_ipv6);
    assert.notEqual(r.cidr_ipv4, '0.0.0.0/0');
  }
  assert.deepEqual(rules.filter((r) => r.from_port === 8108).map((r) => r.cidr_ipv4).sort(), ['10.10.1.21/32', '10.20.1.22/32']);
  for (const name of Object.keys(tf.resource.aws_vpc_security_group_ingress_rule as object)) assert.match(name, /^[A-Za-z_][A-Za-z0-9_]*$/);
});

test('GCP firewall of the standby: allows above a default deny, targeted by tag', () => {
  assert.equal(has('auth-b', 'aws-security-group.json'), false);
  const rules = json('auth-b', 'gcp-firewall.json') as any[];
  const allows = rules.filter((r) => r.allowed);
  const denies = rules.filter((r) => r.denied);
  assert.deepEqual(denies.map((r) => r.sourceRanges[0]).sort(), ['0.0.0.0/0', '::/0']);
  for (const a of allows) {
    assert.ok(a.priority < denies[0].priority);
    assert.deepEqual(a.targetTags, ['anoguard-auth-b']);
    assert.equal(a.direction, 'INGRESS');
    assert.ok(!a.sourceRanges.includes('0.0.0.0/0'));
  }
  const p2p = allows.find((r) => r.allowed[0].ports[0] === '8108');
  assert.deepEqual([...p2p.sourceRanges].sort(), ['10.10.1.21/32', '10.20.1.22/32']);
  assert.equal(new Set(rules.map((r) => r.name)).size, rules.length, 'rule names are unique');
});

test('GCP firewall of the follower on 443, and its Terraform JSON', () => {
  const rules = json('fol-2', 'gcp-firewall.json') as any[];
  const p2p = rules.find((r) => r.allowed?.[0].ports[0] === '443' && r.sourceRanges.includes('0.0.0.0/0'));
  assert.ok(p2p, 'moved p2p port open to all');
  const tf = json('fol-2', 'gcp-firewall.tf.json');
  const res = Object.values(tf.resource.google_compute_firewall as Record<string, any>);
  assert.equal(res.length, rules.length);
  for (const r of res) {
    assert.equal(r.network, '${var.network}');
    assert.ok(r.allow || r.deny);
  }
  assert.equal(has('mon-1', 'gcp-firewall.json') || has('mon-1', 'aws-security-group.json'), false, 'provider other: no cloud files');
});
