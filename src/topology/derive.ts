import type { Host, Topology } from './schema.js';

/** factomd's built-in p2p port per network (MainNetworkPort / TestNetworkPort / CustomNetworkPort). */
export function networkDefaultP2pPort(t: Topology): number {
  return t.network.name === 'MAIN' ? 8108 : 8110;
}

/** The port a host's factomd listens on for p2p. */
export function p2pPortOf(t: Topology, h: Host): number {
  if (h.role === 'follower' && h.p2pPort !== undefined) return h.p2pPort;
  return t.factomd.p2pPort ?? networkDefaultP2pPort(t);
}

/** Whether the host's p2p port is open to the internet (followers yes unless said otherwise). */
export function isP2pPublic(h: Host): boolean {
  return h.publicP2p ?? h.role === 'follower';
}

export function findHost(t: Topology, name: string): Host | undefined {
  return t.hosts.find((h) => h.name === name);
}

export function followersOf(t: Topology): Host[] {
  return t.hosts.filter((h) => h.role === 'follower');
}

export function authoritiesOf(t: Topology): Host[] {
  return t.hosts.filter((h) => h.role === 'authority');
}

export function monitorHost(t: Topology): Host | undefined {
  return t.monitoring ? findHost(t, t.monitoring.host) : t.hosts.find((h) => h.role === 'monitor');
}

/** `master`, `standby`, or undefined for hosts that are not authority nodes. */
export function authorityPosition(t: Topology, h: Host): 'master' | 'standby' | undefined {
  if (t.authority.master === h.name) return 'master';
  if (t.authority.standby === h.name) return 'standby';
  return undefined;
}

/** Runs factomd (authority or follower); the monitor runs the anoguard server instead. */
export function runsFactomd(h: Host): boolean {
  return h.role !== 'monitor';
}

/** Network name as factomd.conf spells it, and the key prefix of the per-network settings. */
export function factomdNetwork(t: Topology): { network: 'MAIN' | 'CUSTOM'; prefix: 'Main' | 'Custom'; customnet?: string } {
  if (t.network.name === 'MAIN') return { network: 'MAIN', prefix: 'Main' };
  return { network: 'CUSTOM', prefix: 'Custom', customnet: t.network.id ?? 'fct_community_test' };
}
