import { InputError } from '../errors.js';
import {
  authorityPosition, factomdNetwork, followersOf, authoritiesOf, p2pPortOf,
} from '../topology/derive.js';
import type { Host, Topology } from '../topology/schema.js';

/**
 * factomd.conf for one host. Secrets are never rendered: gcfg has no include, so the rendered file
 * ends `[app]` with a marker line and the host's own 0600 secrets file (identity, signing key, RPC
 * password) is appended after it on the host (`anoguard apply` does this on the host side, so the
 * secrets never leave it). `[app]` is the last section so the appended lines land in it: a key after
 * another section header is silently ignored by factomd.
 */

export const SECRETS_MARKER = '; anoguard:secrets-below';

/** Keys that may only come from the secrets file (and that the agent edits during a brain swap). */
export const SECRET_KEYS = ['IdentityChainID', 'LocalServerPrivKey', 'LocalServerPublicKey', 'FactomdRpcPass', 'ChangeAcksHeight'] as const;

export function factomdPaths(t: Topology): { conf: string; secrets: string; tlsKey: string; tlsCert: string } {
  const d = t.factomd.configDir;
  return { conf: `${d}/factomd.conf`, secrets: `${d}/secrets.conf`, tlsKey: `${d}/tls/factomd.key`, tlsCert: `${d}/tls/factomd.crt` };
}

/** Special peers as the version expects them: comma-separated from 6.12 (P2P2), spaces before. */
function joinPeers(t: Topology, peers: string[]): string {
  const [maj = 0, min = 0] = t.factomd.version.split('.').map(Number);
  return peers.join(maj > 6 || (maj === 6 && min >= 12) ? ',' : ' ');
}

function specialPeersFor(t: Topology, h: Host): string[] {
  // Authority nodes keep their followers; followers keep the authority nodes so those always have a way in.
  const peers = h.role === 'authority' ? followersOf(t) : authoritiesOf(t);
  return peers.map((p) => `${p.privateAddress}:${p2pPortOf(t, p)}`).sort();
}

const q = (s: string): string => `"${s}"`;

export function renderFactomdConf(t: Topology, h: Host): string {
  if (h.role === 'monitor') throw new InputError('E_ROLE', `host "${h.name}" is a monitor and runs no factomd`, { field: 'host' });
  const net = factomdNetwork(t);
  const paths = factomdPaths(t);
  const position = authorityPosition(t, h);
  const f = t.factomd;
  const lines: string[] = [
    `; factomd.conf for ${h.name}: ${position ? `authority ${position}` : h.role}. Rendered by anoguard from the topology of ${t.operator.name}.`,
    '; Do not edit by hand: change the topology, then `anoguard render` / `anoguard apply`.',
    '',
    '[log]',
    'logLevel = error',
    '',
    '[app]',
    `Network = ${net.network}`,
    'NodeMode = FULL',
    `HomeDir = ${q(f.homeDir)}`,
    `PortNumber = ${f.apiPort}`,
    `ControlPanelSetting = ${f.controlPanel}`,
    `ControlPanelPort = ${f.controlPanelPort}`,
    `${net.prefix}NetworkPort = ${p2pPortOf(t, h)}`,
  ];
  const peers = specialPeersFor(t, h);
  if (peers.length > 0) lines.push(`${net.prefix}SpecialPeers = ${q(joinPeers(t, peers))}`);
  if (h.role === 'authority' && f.seedUrl !== undefined) lines.push(`${net.prefix}SeedURL = ${q(f.seedUrl)}`);
  if (net.network === 'CUSTOM') {
    if (t.network.bootstrapIdentity) lines.push(`CustomBootstrapIdentity = ${t.network.bootstrapIdentity}`);
    if (t.network.bootstrapKey) lines.push(`CustomBootstrapKey = ${t.network.bootstrapKey}`);
  }
  // Explicit paths: the documented placeholders are broken in v6.4+ (factomd-ops §1.3).
  lines.push(
    `FactomdTlsEnabled = ${f.tls ? 'true' : 'false'}`,
    `FactomdTlsPrivateKey = ${q(paths.tlsKey)}`,
    `FactomdTlsPublicCert = ${q(paths.tlsCert)}`,
  );
  if (f.rpcUser !== undefined) lines.push(`FactomdRpcUser = ${q(f.rpcUser)}`);
  const wants =
    position === 'master'
      ? 'IdentityChainID and LocalServerPrivKey (the authority identity), LocalServerPublicKey, FactomdRpcPass'
      : position === 'standby'
        ? 'IdentityChainID and LocalServerPrivKey of the standby\'s OWN follower identity (never the authority one), LocalServerPublicKey, FactomdRpcPass'
        : 'FactomdRpcPass (a follower keeps factomd\'s default identity)';
  lines.push(
    '',
    `; Secrets are appended below on the host from ${paths.secrets} (mode 0600), never rendered.`,
    `; Expected there: ${wants}.`,
    SECRETS_MARKER,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The file factomd reads: the rendered config plus the host's secret lines after the marker. Refuses
 * section headers or unexpected keys in the secrets, which would move or override rendered settings.
 */
export function assembleFactomdConf(rendered: string, secrets: string): string {
  if (!rendered.endsWith(`${SECRETS_MARKER}\n`)) {
    throw new InputError('E_CONF_MARKER', 'rendered factomd.conf does not end with the secrets marker', { field: 'factomd.conf' });
  }
  const kept: string[] = [];
  secrets.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const m = /^([A-Za-z]+)\s*=/.exec(line);
    const key = m?.[1];
    if (!key || !SECRET_KEYS.some((k) => k.toLowerCase() === key.toLowerCase())) {
      throw new InputError('E_SECRETS_LINE', `line ${i + 1}: only ${SECRET_KEYS.join(', ')} may appear in the secrets file`, { field: 'secrets.conf' });
    }
    kept.push(line);
  });
  return `${rendered}${kept.map((l) => `${l}\n`).join('')}`;
}
