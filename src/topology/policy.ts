import { toHostCidr } from './cidr.js';
import {
  authorityPosition, followersOf, isP2pPublic, monitorHost, p2pPortOf, runsFactomd,
} from './derive.js';
import type { Host, Role, Topology } from './schema.js';

/**
 * The per-role allow-lists, as data: which listeners a host exposes and who may reach them.
 * Render turns this into nftables, DOCKER-USER and cloud rules; the audit compares a live host with
 * it. Everything not listed is dropped.
 */

export type Service = 'ssh' | 'p2p' | 'api' | 'control-panel' | 'docker-api' | 'ingest';

export interface InboundRule {
  service: Service;
  proto: 'tcp';
  port: number;
  /** `any` = the whole internet; otherwise CIDRs (sorted, host routes for single addresses). */
  sources: 'any' | string[];
  why: string;
}

export interface P2pEgress {
  /** p2p ports this host must not dial except towards `peers` (authority nodes only). */
  blockedPorts: number[];
  peers: { address: string; port: number }[];
}

export interface PortPolicy {
  host: string;
  role: Role;
  inbound: InboundRule[];
  p2pEgress?: P2pEgress;
  /** Listeners factomd opens on all interfaces that must stay unreachable from outside. */
  neverExposed: { port: number; why: string }[];
}

/** factomd's p2p ports on every network: an authority dials none of them except its own followers. */
const P2P_PORTS = [8108, 8109, 8110];

const uniqSorted = (xs: string[]): string[] => [...new Set(xs)].sort();

function addressesOf(h: Host): string[] {
  return [h.privateAddress, ...(h.publicAddress ? [h.publicAddress] : [])].map(toHostCidr);
}

/** Where the monitor and operators over VPN reach the API and control panel from. */
export function monitorSources(t: Topology): string[] {
  const mon = monitorHost(t);
  return uniqSorted([...(mon ? addressesOf(mon) : []), ...t.access.vpnCidrs]);
}

export function opsSources(t: Topology): string[] {
  return uniqSorted(t.access.opsIps);
}

export function portPolicy(t: Topology, host: Host): PortPolicy {
  const inbound: InboundRule[] = [];
  inbound.push({ service: 'ssh', proto: 'tcp', port: host.ssh.port, sources: opsSources(t), why: 'SSH only from the ops IPs' });

  if (runsFactomd(host)) {
    const followers = followersOf(t);
    let p2pSources: 'any' | string[];
    let why: string;
    if (isP2pPublic(host)) {
      p2pSources = 'any';
      why = 'follower p2p is public so the network can reach it';
    } else if (host.role === 'authority') {
      p2pSources = uniqSorted(followers.map((f) => toHostCidr(f.privateAddress)));
      why = 'authority p2p only from its own followers';
    } else {
      p2pSources = uniqSorted(t.hosts.filter((h) => runsFactomd(h) && h.name !== host.name).map((h) => toHostCidr(h.privateAddress)));
      why = 'private follower: p2p only from the operator\'s own nodes';
    }
    inbound.push({ service: 'p2p', proto: 'tcp', port: p2pPortOf(t, host), sources: p2pSources, why });
    inbound.push({ service: 'api', proto: 'tcp', port: t.factomd.apiPort, sources: monitorSources(t), why: 'API only from the monitor and the VPN' });
    if (t.factomd.controlPanel !== 'disabled') {
      inbound.push({ service: 'control-panel', proto: 'tcp', port: t.factomd.controlPanelPort, sources: monitorSources(t), why: 'control panel only from the monitor and the VPN' });
    }
  }
  if (host.docker?.apiPort !== undefined) {
    const sources = t.swarm ? [toHostCidr(t.swarm.manager)] : opsSources(t);
    inbound.push({ service: 'docker-api', proto: 'tcp', port: host.docker.apiPort, sources, why: 'Docker API (root-equivalent) only from the swarm manager, else the ops IPs' });
  }
  if (host.role === 'monitor' && t.monitoring) {
    const agents = uniqSorted(t.hosts.filter((h) => h.name !== host.name).flatMap(addressesOf));
    inbound.push({ service: 'ingest', proto: 'tcp', port: t.monitoring.ingestPort, sources: agents, why: 'agents connect out to the server over mTLS' });
  }

  const policy: PortPolicy = {
    host: host.name,
    role: host.role,
    inbound,
    neverExposed: [],
  };
  if (runsFactomd(host)) {
    policy.neverExposed.push(
      { port: 9876, why: 'factomd Prometheus metrics: hard-coded, no auth' },
      { port: 6060, why: 'pprof' },
      { port: 8093, why: 'debug console: no auth' },
    );
  }
  if (host.ssh.port !== 22) policy.neverExposed.push({ port: 22, why: 'SSH was moved' });

  if (authorityPosition(t, host) !== undefined) {
    const peers = followersOf(t).map((f) => ({ address: f.privateAddress, port: p2pPortOf(t, f) }));
    const own = p2pPortOf(t, host);
    policy.p2pEgress = {
      blockedPorts: [...new Set([...P2P_PORTS, own])].sort((a, b) => a - b),
      peers: peers.sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1)),
    };
  }
  return policy;
}
