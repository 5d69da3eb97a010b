import { cidrFamily } from '../topology/cidr.js';
import { portPolicy, type InboundRule } from '../topology/policy.js';
import type { Host, Topology } from '../topology/schema.js';

/**
 * The host firewall. Only anoguard's own tables are replaced (no `flush ruleset`), so Docker's and
 * anyone else's rules survive a reload. Input is default drop; the allow-list comes from portPolicy.
 * Published Docker ports are DNATed and reach containers through FORWARD, never INPUT, so the same
 * allow-list is repeated in Docker's DOCKER-USER chain (table `ip filter`), matching on the port the
 * client dialled (`ct original proto-dst`), which is what the operator thinks of as the port.
 */

export const NFT_TABLE = 'anoguard';

function split(cidrs: string[]): { v4: string[]; v6: string[] } {
  return { v4: cidrs.filter((c) => cidrFamily(c) === 4), v6: cidrs.filter((c) => cidrFamily(c) === 6) };
}

const set = (xs: string[]): string => `{ ${xs.join(', ')} }`;
const comment = (s: string): string => `comment "${s.replace(/"/g, "'")}"`;

function inputRules(rule: InboundRule): string[] {
  const tail = `${rule.proto} dport ${rule.port} accept ${comment(`${rule.service}: ${rule.why}`)}`;
  if (rule.sources === 'any') return [tail];
  const { v4, v6 } = split(rule.sources);
  // A rule with no allowed source is simply absent: default drop covers it.
  return [...(v4.length ? [`ip saddr ${set(v4)} ${tail}`] : []), ...(v6.length ? [`ip6 saddr ${set(v6)} ${tail}`] : [])];
}

function dockerUserRules(rule: InboundRule): string[] {
  const head = `ct status dnat meta l4proto ${rule.proto} ct original proto-dst ${rule.port}`;
  if (rule.sources === 'any') return [`${head} return`];
  const { v4 } = split(rule.sources);
  return v4.length ? [`${head} ip saddr ${set(v4)} return`] : [];
}

export function renderNftables(t: Topology, h: Host): string {
  const policy = portPolicy(t, h);
  const ind = (n: number) => (s: string) => `${'\t'.repeat(n)}${s}`;
  const out: string[] = [
    '#!/usr/sbin/nft -f',
    `# ${h.name} (${h.role}): rendered by anoguard; do not edit, change the topology.`,
    `# Load: nft -f nftables.conf   Check: nft -c -f nftables.conf`,
    '',
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy drop;',
    ...[
      'ct state invalid drop',
      'ct state established,related accept',
      'iif "lo" accept',
      // ICMPv6 neighbour discovery is how IPv6 works at all; ICMP errors keep PMTU discovery working.
      'meta l4proto ipv6-icmp accept',
      'icmp type { destination-unreachable, time-exceeded, parameter-problem } accept',
      'icmp type echo-request limit rate 5/second accept',
      ...policy.neverExposed.map((n) => `tcp dport ${n.port} drop ${comment(`never exposed: ${n.why}`)}`),
      ...policy.inbound.flatMap(inputRules),
      'counter comment "dropped by default"',
    ].map(ind(2)),
    '\t}',
  ];
  if (!h.docker) {
    // Without Docker nothing routes through this host; with Docker, FORWARD belongs to DOCKER-USER below.
    out.push('\tchain forward {', '\t\ttype filter hook forward priority filter; policy drop;', '\t}');
  }
  out.push('\tchain output {', '\t\ttype filter hook output priority filter; policy accept;');
  if (policy.p2pEgress) {
    const e = policy.p2pEgress;
    const peers = [...e.peers];
    const rules = [
      'ct state established,related accept',
      ...peers.map((p) => `${cidrFamily(p.address) === 6 ? 'ip6' : 'ip'} daddr ${p.address} tcp dport ${p.port} accept ${comment('p2p to own follower')}`),
      `tcp dport ${set(e.blockedPorts.map(String))} counter drop ${comment('authority dials p2p only to its own followers')}`,
    ];
    out.push(...rules.map(ind(2)));
  }
  out.push('\t}', '}', '');

  const docker = policy.inbound.filter((r) => r.service === 'p2p' || r.service === 'api' || r.service === 'control-panel');
  out.push(
    '# Docker: published ports bypass INPUT. The chain is flushed and refilled; Docker jumps to it from FORWARD.',
    'table ip filter {',
    '\tchain DOCKER-USER {',
    '\t}',
    '}',
    'flush chain ip filter DOCKER-USER',
    'table ip filter {',
    '\tchain DOCKER-USER {',
    ...[
      'ct state established,related counter return',
      ...docker.flatMap(dockerUserRules),
      `ct status dnat counter drop ${comment('any other published port, or a source not allowed')}`,
      'counter return',
    ].map(ind(2)),
    '\t}',
    '}',
    '',
  );
  return out.join('\n');
}
