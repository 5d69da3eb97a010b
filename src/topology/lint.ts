import { cidrFamily, cidrPrefix, isAnyCidr } from './cidr.js';
import { findHost, followersOf, isP2pPublic, monitorHost, p2pPortOf, runsFactomd } from './derive.js';
import type { Topology } from './schema.js';

export type Severity = 'error' | 'warning' | 'info';

export interface TopologyFinding {
  id: string;
  severity: Severity;
  /** Field path in the topology, e.g. `hosts.1.ssh.port`. */
  field: string;
  message: string;
}

/** Every lint, for docs and `--json` consumers: id → severity and what it guards against. */
export const TOPOLOGY_LINTS: Record<string, { severity: Severity; title: string }> = {
  'TOPO-SAME-SITE': { severity: 'error', title: 'master and standby on one site (no disaster recovery)' },
  'TOPO-SAME-PROVIDER': { severity: 'warning', title: 'master and standby with one provider' },
  'TOPO-NO-STANDBY': { severity: 'warning', title: 'no standby authority node (brain swaps impossible)' },
  'TOPO-AUTHORITY-PUBLIC-P2P': { severity: 'error', title: 'authority node with a public p2p port' },
  'TOPO-FEW-FOLLOWERS': { severity: 'warning', title: 'fewer than two followers' },
  'TOPO-FOLLOWERS-ONE-SITE': { severity: 'info', title: 'all followers on one site' },
  'TOPO-SSH-22': { severity: 'warning', title: 'SSH on port 22' },
  'TOPO-SSH-ROOT': { severity: 'error', title: 'root allowed to log in over SSH' },
  'TOPO-NO-HOST-KEY': { severity: 'info', title: 'host key not pinned (apply refuses the host)' },
  'TOPO-CP-READWRITE': { severity: 'error', title: 'control panel readwrite' },
  'TOPO-OPS-ANY': { severity: 'error', title: 'ops or VPN CIDR covers the whole internet' },
  'TOPO-OPS-WIDE': { severity: 'warning', title: 'ops CIDR wider than /24 (IPv4) or /48 (IPv6)' },
  'TOPO-NO-OPS': { severity: 'error', title: 'no ops IPs: nobody can reach SSH' },
  'TOPO-NO-MONITOR': { severity: 'warning', title: 'no monitoring host' },
  'TOPO-RPC-NO-TLS': { severity: 'error', title: 'RPC API without TLS' },
  'TOPO-RPC-NO-AUTH': { severity: 'error', title: 'RPC API without a user (and so without a password)' },
  'TOPO-PORT-CLASH': { severity: 'error', title: 'two services on one port of a host' },
  'TOPO-DOCKER-API': { severity: 'error', title: 'Docker API on TCP without a swarm manager to restrict it to' },
  'TOPO-DUP-ADDRESS': { severity: 'error', title: 'two hosts with one address' },
  'TOPO-AUTHORITY-PUBLIC-ADDR': { severity: 'info', title: 'authority node has a public address' },
  'TOPO-FOLLOWER-NO-PUBLIC': { severity: 'warning', title: 'public follower without a public address' },
  'TOPO-FAILOVER-NO-STANDBY': { severity: 'error', title: 'automatic failover without a standby' },
  'TOPO-FAILOVER-MARGIN': { severity: 'error', title: 'failover margin under 2 blocks' },
  'TOPO-FAILOVER-LEASE': { severity: 'error', title: 'lease shorter than two renewals (plus the agent\'s 2-block demotion)' },
  'TOPO-OLD-FACTOMD': { severity: 'warning', title: 'factomd older than 6.12 (old p2p; sentry flags changed)' },
};

function finding(id: string, field: string, message: string): TopologyFinding {
  const meta = TOPOLOGY_LINTS[id];
  if (!meta) throw new Error(`unknown lint ${id}`);
  return { id, severity: meta.severity, field, message };
}

const FACTOMD_FIXED_PORTS: { port: number; what: string }[] = [
  { port: 9876, what: 'factomd metrics' },
  { port: 6060, what: 'factomd pprof' },
];

/**
 * What an ANO would want to hear about before rendering: failures of the sentry arrangement,
 * disaster recovery and access control. Findings are sorted (severity, then field) so output is stable.
 */
export function lintTopology(t: Topology): TopologyFinding[] {
  const out: TopologyFinding[] = [];
  const hostIndex = (name: string): number => t.hosts.findIndex((h) => h.name === name);
  const master = findHost(t, t.authority.master);
  const standby = t.authority.standby === undefined ? undefined : findHost(t, t.authority.standby);

  if (!standby) {
    out.push(finding('TOPO-NO-STANDBY', 'authority.standby', 'no standby authority node: a brain swap or failover has nowhere to go'));
  } else if (master) {
    if (master.site === standby.site) {
      out.push(finding('TOPO-SAME-SITE', `hosts.${hostIndex(standby.name)}.site`, `master "${master.name}" and standby "${standby.name}" are both on site "${master.site}"`));
    }
    if (master.provider === standby.provider && master.provider !== 'other') {
      out.push(finding('TOPO-SAME-PROVIDER', `hosts.${hostIndex(standby.name)}.provider`, `master and standby are both on ${master.provider}: one provider outage takes both`));
    }
  }

  const followers = followersOf(t);
  if (followers.length < 2) {
    out.push(finding('TOPO-FEW-FOLLOWERS', 'hosts', `${followers.length} follower(s): the authority nodes need at least two to stay connected`));
  } else if (new Set(followers.map((f) => f.site)).size === 1) {
    out.push(finding('TOPO-FOLLOWERS-ONE-SITE', 'hosts', `all followers are on site "${followers[0]?.site ?? ''}"`));
  }

  const seenAddr = new Map<string, string>();
  t.hosts.forEach((h, i) => {
    const at = `hosts.${i}`;
    if (h.role === 'authority' && isP2pPublic(h)) {
      out.push(finding('TOPO-AUTHORITY-PUBLIC-P2P', `${at}.publicP2p`, `authority node "${h.name}" opens p2p to the internet; it must talk only to its followers`));
    }
    if (h.role === 'authority' && h.publicAddress !== undefined) {
      out.push(finding('TOPO-AUTHORITY-PUBLIC-ADDR', `${at}.publicAddress`, `authority node "${h.name}" has a public address; keep it on the private network if you can`));
    }
    if (h.role === 'follower' && isP2pPublic(h) && h.publicAddress === undefined) {
      out.push(finding('TOPO-FOLLOWER-NO-PUBLIC', `${at}.publicAddress`, `follower "${h.name}" has public p2p but no public address`));
    }
    if (h.ssh.port === 22) out.push(finding('TOPO-SSH-22', `${at}.ssh.port`, `"${h.name}" runs SSH on 22; move it (scanners hammer 22)`));
    if (h.ssh.users.includes('root')) out.push(finding('TOPO-SSH-ROOT', `${at}.ssh.users`, `"${h.name}" allows root over SSH; log in as a user and use sudo`));
    if (h.ssh.hostKey === undefined) out.push(finding('TOPO-NO-HOST-KEY', `${at}.ssh.hostKey`, `"${h.name}" has no pinned host key; apply will refuse it`));
    if (h.docker?.apiPort !== undefined && !t.swarm) {
      out.push(finding('TOPO-DOCKER-API', `${at}.docker.apiPort`, `"${h.name}" exposes the Docker API (root on the host) on TCP ${h.docker.apiPort}; keep it on the unix socket unless a swarm manager needs it`));
    }
    for (const a of [h.privateAddress, h.publicAddress]) {
      if (a === undefined) continue;
      const other = seenAddr.get(a);
      if (other !== undefined && other !== h.name) out.push(finding('TOPO-DUP-ADDRESS', at, `"${h.name}" and "${other}" share address ${a}`));
      seenAddr.set(a, h.name);
    }
    // A service moved onto a port another one already uses fails to bind, or worse, the firewall opens
    // the port for the wrong service.
    const used: { port: number; what: string; field: string }[] = [{ port: h.ssh.port, what: 'SSH', field: `${at}.ssh.port` }];
    if (runsFactomd(h)) {
      used.push(
        ...FACTOMD_FIXED_PORTS.map((p) => ({ ...p, field: 'factomd' })),
        { port: t.factomd.apiPort, what: 'API', field: 'factomd.apiPort' },
        { port: t.factomd.controlPanelPort, what: 'control panel', field: 'factomd.controlPanelPort' },
      );
    }
    if (h.docker?.apiPort !== undefined) used.push({ port: h.docker.apiPort, what: 'Docker API', field: `${at}.docker.apiPort` });
    if (t.monitoring && h.name === t.monitoring.host) used.push({ port: t.monitoring.ingestPort, what: 'anoguard ingest', field: 'monitoring.ingestPort' });
    // p2p last: the port an operator moves is the one the finding should point at.
    if (runsFactomd(h)) used.push({ port: p2pPortOf(t, h), what: 'p2p', field: h.p2pPort !== undefined ? `${at}.p2pPort` : 'factomd.p2pPort' });
    const byPort = new Map<number, string>();
    for (const u of used) {
      const prev = byPort.get(u.port);
      if (prev !== undefined) out.push(finding('TOPO-PORT-CLASH', u.field, `"${h.name}": ${u.what} on port ${u.port}, already used by ${prev}`));
      else byPort.set(u.port, u.what);
    }
  });

  if (t.factomd.controlPanel === 'readwrite') {
    out.push(finding('TOPO-CP-READWRITE', 'factomd.controlPanel', 'readwrite lets anyone with the RPC password change logging (which leaks the signing key) and more; use readonly or disabled'));
  }
  if (!t.factomd.tls) out.push(finding('TOPO-RPC-NO-TLS', 'factomd.tls', 'the RPC password would cross the network in clear text'));
  if (t.factomd.rpcUser === undefined) out.push(finding('TOPO-RPC-NO-AUTH', 'factomd.rpcUser', 'factomd runs its API and control panel without authentication when no user is set'));

  if (t.access.opsIps.length === 0) out.push(finding('TOPO-NO-OPS', 'access.opsIps', 'no ops IPs: SSH would be closed to everyone'));
  const checkCidrs = (list: string[], field: string, wideToo: boolean): void => {
    list.forEach((c, i) => {
      if (isAnyCidr(c)) out.push(finding('TOPO-OPS-ANY', `${field}.${i}`, `${c} lets the whole internet in`));
      else if (wideToo && cidrPrefix(c) < (cidrFamily(c) === 4 ? 24 : 48)) out.push(finding('TOPO-OPS-WIDE', `${field}.${i}`, `${c} is a wide range for SSH access`));
    });
  };
  checkCidrs(t.access.opsIps, 'access.opsIps', true);
  checkCidrs(t.access.vpnCidrs, 'access.vpnCidrs', false);

  if (!monitorHost(t)) out.push(finding('TOPO-NO-MONITOR', 'monitoring', 'no monitoring host: nobody notices a stalled node or a failed swap'));

  const fo = t.authority.failover;
  if (fo) {
    if (fo.auto && !standby) out.push(finding('TOPO-FAILOVER-NO-STANDBY', 'authority.failover.auto', 'auto failover needs authority.standby: there is nobody to promote'));
    if (fo.marginBlocks < 2) out.push(finding('TOPO-FAILOVER-MARGIN', 'authority.failover.marginBlocks', `a margin of ${fo.marginBlocks} block(s) cannot cover a demotion that lands at the next block; use at least 2`));
    const renew = fo.renewEvery ?? fo.leaseTtl / 4;
    if (fo.leaseTtl < 2 * renew) {
      out.push(finding('TOPO-FAILOVER-LEASE', 'authority.failover.leaseTtl', `lease ${fo.leaseTtl / 1000}s is shorter than two renewals (${renew / 1000}s each): one lost renewal would fence the master`));
    } else if (fo.leaseTtl - renew < 2 * fo.blockTime) {
      out.push(finding('TOPO-FAILOVER-LEASE', 'authority.failover.leaseTtl', `lease ${fo.leaseTtl / 1000}s leaves less than 2 blocks (${(2 * fo.blockTime) / 1000}s) after a renewal: the agent would demote itself before every renewal`));
    }
  }

  const [maj = 0, min = 0] = t.factomd.version.split('.').map(Number);
  if (maj < 6 || (maj === 6 && min < 12)) {
    out.push(finding('TOPO-OLD-FACTOMD', 'factomd.version', `factomd ${t.factomd.version} predates P2P2 (6.12): special peers are space-separated and the sentry rules differ`));
  }

  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return out.sort((a, b) => rank[a.severity] - rank[b.severity] || (a.field < b.field ? -1 : a.field > b.field ? 1 : a.id < b.id ? -1 : 1));
}

/** True when a finding should fail `topology lint` (warning or worse). */
export function isBlocking(f: TopologyFinding): boolean {
  return f.severity !== 'info';
}
