import { factomdNetwork, p2pPortOf, runsFactomd } from '../topology/derive.js';
import type { Host, Topology } from '../topology/schema.js';
import { factomdPaths } from './factomd-conf.js';

/**
 * systemd units. factomd stops on SIGINT: SIGTERM kills it without closing its database. On the
 * authority nodes the agent's fence check is a oneshot that factomd Requires and runs After, so a
 * node that restarts cannot come up holding an identity it no longer owns (architecture: "fence
 * before factomd starts").
 */

export const FENCE_UNIT = 'anoguard-fence.service';
export const AGENT_CONFIG = '/etc/anoguard/agent.yaml';
export const ANOGUARD_BIN = '/usr/local/bin/anoguard';
/**
 * The fence check the agent provides (contract with the agent/failover side): exits 0 only when this
 * node may start with the identity its factomd.conf holds. Until it exists, the unit fails and
 * factomd does not start on authority nodes: failing closed is the safe side.
 */
export const FENCE_CHECK_ARGS = ['agent', 'fence-check', '--config', AGENT_CONFIG];

export function renderFactomdUnit(t: Topology, h: Host): string | undefined {
  if (!runsFactomd(h)) return undefined;
  const f = t.factomd;
  const net = factomdNetwork(t);
  const fenced = h.role === 'authority';
  const args = [
    `-config=${factomdPaths(t).conf}`,
    `-startdelay=${f.startDelay}`,
    `-faulttimeout=${f.faultTimeout}`,
    '-sim_stdin=false',
    ...(net.customnet ? ['-network=CUSTOM', `-customnet=${net.customnet}`] : []),
  ];
  const lowPort = p2pPortOf(t, h) < 1024;
  return [
    '[Unit]',
    `Description=factomd (${h.name}, ${h.role}; rendered by anoguard)`,
    'Wants=network-online.target',
    `After=network-online.target${fenced ? ` ${FENCE_UNIT}` : ''}`,
    ...(fenced ? [`Requires=${FENCE_UNIT}`] : []),
    '',
    '[Service]',
    'Type=simple',
    `User=${f.user}`,
    `Group=${f.user}`,
    `ExecStart=${f.binary} ${args.join(' ')}`,
    'KillSignal=SIGINT',
    'TimeoutStopSec=180',
    'Restart=on-failure',
    'RestartSec=30',
    'LimitNOFILE=65536',
    'UMask=0077',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    `ReadWritePaths=${f.homeDir} ${f.configDir}`,
    // A p2p port moved below 1024 (443, 80, 22) needs this one capability, nothing more.
    `CapabilityBoundingSet=${lowPort ? 'CAP_NET_BIND_SERVICE' : ''}`,
    ...(lowPort ? ['AmbientCapabilities=CAP_NET_BIND_SERVICE'] : []),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** The fence check: refuses (non-zero exit) to let factomd start when the node may not hold its identity. */
export function renderFenceUnit(_t: Topology, h: Host): string | undefined {
  if (h.role !== 'authority') return undefined;
  return [
    '[Unit]',
    `Description=anoguard fence check before factomd (${h.name})`,
    'Wants=network-online.target',
    'After=network-online.target',
    'Before=factomd.service',
    '',
    '[Service]',
    'Type=oneshot',
    // No RemainAfterExit: the check runs again before every start of factomd, restarts included.
    'RemainAfterExit=no',
    `ExecStart=${ANOGUARD_BIN} ${FENCE_CHECK_ARGS.join(' ')}`,
    'TimeoutStartSec=120',
    '',
    '[Install]',
    'RequiredBy=factomd.service',
    '',
  ].join('\n');
}

export function renderAgentUnit(t: Topology, h: Host): string {
  const f = t.factomd;
  return [
    '[Unit]',
    `Description=anoguard agent (${h.name}; rendered by anoguard)`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    'User=anoguard',
    'Group=anoguard',
    `ExecStart=${ANOGUARD_BIN} agent --config ${AGENT_CONFIG}`,
    'Restart=always',
    'RestartSec=5',
    'UMask=0077',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'StateDirectory=anoguard',
    // The agent edits factomd.conf and the secrets file during brain swaps and fencing.
    ...(runsFactomd(h) ? [`ReadWritePaths=${f.configDir}`] : []),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
