import { stableJson } from './json.js';
import type { Host, Topology } from '../topology/schema.js';

/**
 * /etc/docker/daemon.json, per CIS Docker Benchmark section 2 (TLS verify, userns-remap,
 * no-new-privileges, live-restore, icc off, log limits, userland proxy off). Returns undefined for
 * hosts without Docker.
 */
export function renderDockerDaemon(t: Topology, h: Host): string | undefined {
  const d = h.docker;
  if (!d) return undefined;
  const hosts = ['unix:///var/run/docker.sock'];
  // The API listens on the private address only, never 0.0.0.0 (factomd-ops §6: the IP allow-list
  // was the only real control in the Factom swarm layout).
  if (d.apiPort !== undefined) hosts.push(`tcp://${h.privateAddress.includes(':') ? `[${h.privateAddress}]` : h.privateAddress}:${d.apiPort}`);
  const conf: Record<string, unknown> = {
    hosts,
    icc: false,
    'log-driver': 'json-file',
    'log-level': 'info',
    'log-opts': { 'max-file': '5', 'max-size': '20m' },
    'no-new-privileges': true,
    'userland-proxy': false,
  };
  // live-restore is refused by dockerd in swarm mode.
  if (!t.swarm) conf['live-restore'] = true;
  // Rootless Docker already maps root in containers to an unprivileged user; userns-remap does not apply.
  if (!d.rootless) conf['userns-remap'] = 'default';
  if (d.apiPort !== undefined) {
    Object.assign(conf, {
      tls: true,
      tlscacert: `${d.tlsDir}/ca.pem`,
      tlscert: `${d.tlsDir}/server-cert.pem`,
      tlskey: `${d.tlsDir}/server-key.pem`,
      tlsverify: true,
    });
  }
  return stableJson(conf);
}

export function renderDockerNotes(t: Topology, h: Host): string | undefined {
  const d = h.docker;
  if (!d) return undefined;
  const lines = [
    `# Docker on ${h.name}`,
    '',
    '- `daemon.json` sets `hosts`; Debian\'s docker.service also passes `-H fd://`, which dockerd refuses',
    '  alongside `hosts`. Install `docker.service.d/override.conf` (rendered next to this file).',
    '- Published ports bypass INPUT: the allow-list is repeated in the DOCKER-USER chain of `nftables.conf`.',
    '  Prefer publishing factomd\'s API and control panel on the private address only (`-p 10.x.y.z:8088:8088`).',
    '- Never publish 9876 (metrics, no auth) or 6060 (pprof).',
  ];
  if (d.rootless) {
    lines.push(
      '- Rootless mode: run `dockerd-rootless-setuptool.sh install` as the service user; daemon.json goes to',
      '  `~/.config/docker/daemon.json`; published ports below 1024 need `net.ipv4.ip_unprivileged_port_start`.',
      '  Rootless port forwarding (rootlesskit) does not DNAT, so DOCKER-USER does not see that traffic: the INPUT rules apply instead.',
    );
  } else {
    lines.push('- `userns-remap: default` maps container root to the `dockremap` range; volumes need chown to that range.');
  }
  if (d.apiPort !== undefined) {
    lines.push(`- The API listens on ${h.privateAddress}:${d.apiPort} with tlsverify; keys in ${d.tlsDir} (server-key.pem 0400 root).`);
  }
  if (t.swarm) lines.push('- Swarm mode: live-restore is off (dockerd refuses both).');
  return `${lines.join('\n')}\n`;
}

export function renderDockerOverride(h: Host): string | undefined {
  if (!h.docker || h.docker.rootless) return undefined;
  return ['[Service]', 'ExecStart=', 'ExecStart=/usr/bin/dockerd --containerd=/run/containerd/containerd.sock', ''].join('\n');
}
