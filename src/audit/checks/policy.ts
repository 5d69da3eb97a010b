import { portPolicy } from '../../topology/policy.js';
import { sshdList } from '../parse/sshd.js';
import type { CheckContext, Facts } from '../types.js';

/** factomd listeners that have no auth and must never be reachable from outside (factomd-ops.md §5.1). */
export const FACTOMD_UNAUTHENTICATED = [
  { port: 9876, why: 'factomd Prometheus metrics: hard-coded, no auth' },
  { port: 6060, why: 'pprof' },
  { port: 8093, why: 'debug console: no auth' },
];

export interface ExpectedPorts {
  /** Ports allowed to listen outside loopback. */
  allowed: number[];
  /** Ports that must not be reachable from an arbitrary internet address (restricted or never exposed). */
  restricted: { port: number; why: string }[];
  /** Where the expectation comes from, for details. */
  basis: string;
}

/**
 * What the host should expose: from the topology's port policy when the host is in one, else from
 * the role's defaults (factomd's standard ports). Undefined when neither is known.
 */
export function expectedPorts(f: Facts, ctx: CheckContext): ExpectedPorts | undefined {
  if (ctx.topology && ctx.hostEntry) {
    const p = portPolicy(ctx.topology, ctx.hostEntry);
    return {
      allowed: [...p.inbound.map((r) => r.port), ...p.neverExposed.map((n) => n.port)],
      restricted: [
        ...p.inbound.filter((r) => r.sources !== 'any').map((r) => ({ port: r.port, why: `${r.service}: ${r.why}` })),
        ...p.neverExposed,
      ],
      basis: `topology policy for ${ctx.hostEntry.name} (${ctx.hostEntry.role})`,
    };
  }
  if (!ctx.role) return undefined;
  const ssh = f.sshd.ok ? sshdList(f.sshd.value, 'port').map(Number) : [];
  const sshRestricted = ssh.map((port) => ({ port, why: 'ssh: only from the ops IPs' }));
  if (ctx.role === 'monitor') {
    return { allowed: [...ssh, 8443], restricted: sshRestricted, basis: 'role monitor defaults' };
  }
  const api = [{ port: 8088, why: 'api: only from the monitor and the VPN' }, { port: 8090, why: 'control panel: only from the monitor and the VPN' }];
  const p2p = ctx.role === 'authority' ? [{ port: 8108, why: 'authority p2p: only from its own followers' }] : [];
  return {
    allowed: [...ssh, 8088, 8090, 8108, 8109, 8110, ...FACTOMD_UNAUTHENTICATED.map((u) => u.port)],
    restricted: [...sshRestricted, ...api, ...p2p, ...FACTOMD_UNAUTHENTICATED],
    basis: `role ${ctx.role} defaults`,
  };
}
