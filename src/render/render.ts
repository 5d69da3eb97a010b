import { runsFactomd, findHost } from '../topology/derive.js';
import type { Host, Topology } from '../topology/schema.js';
import { InputError } from '../errors.js';
import { renderAwsSecurityGroup, renderAwsTerraform, renderGcpFirewall, renderGcpTerraform } from './cloud.js';
import { renderDockerDaemon, renderDockerNotes, renderDockerOverride } from './docker.js';
import { factomdPaths, renderFactomdConf } from './factomd-conf.js';
import { stableJson } from './json.js';
import { renderNftables } from './nftables.js';
import { renderSshdDropin, SSHD_DROPIN_PATH } from './sshd.js';
import { FENCE_UNIT, renderAgentUnit, renderFactomdUnit, renderFenceUnit } from './systemd.js';

export type FileKind = 'factomd-conf' | 'nftables' | 'sshd' | 'docker' | 'systemd' | 'cloud' | 'doc';

export interface RenderedFile {
  /** Path under the host's output folder. */
  name: string;
  content: string;
  kind: FileKind;
  /** Where `apply` installs it on the host; undefined for files applied elsewhere (cloud, notes). */
  installPath?: string;
  mode: number;
}

/** Every file for one host, in a fixed order. Pure: same topology, same bytes. */
export function renderHost(t: Topology, h: Host): RenderedFile[] {
  const files: RenderedFile[] = [];
  const add = (name: string, kind: FileKind, content: string | undefined, installPath?: string, mode = 0o644): void => {
    if (content !== undefined) files.push({ name, kind, content, mode, ...(installPath ? { installPath } : {}) });
  };
  if (runsFactomd(h)) {
    // 0640: readable by the factomd group, and the secrets appended on the host stay out of reach of others.
    add('factomd.conf', 'factomd-conf', renderFactomdConf(t, h), factomdPaths(t).conf, 0o640);
  }
  add('nftables.conf', 'nftables', renderNftables(t, h), '/etc/nftables.d/anoguard.nft', 0o600);
  add('sshd-50-anoguard.conf', 'sshd', renderSshdDropin(t, h), SSHD_DROPIN_PATH, 0o600);
  add('daemon.json', 'docker', renderDockerDaemon(t, h), '/etc/docker/daemon.json');
  add('docker.service.d-override.conf', 'docker', renderDockerOverride(h), '/etc/systemd/system/docker.service.d/override.conf');
  add('DOCKER-NOTES.md', 'doc', renderDockerNotes(t, h));
  add('factomd.service', 'systemd', renderFactomdUnit(t, h), '/etc/systemd/system/factomd.service');
  add(FENCE_UNIT, 'systemd', renderFenceUnit(t, h), `/etc/systemd/system/${FENCE_UNIT}`);
  add('anoguard-agent.service', 'systemd', renderAgentUnit(t, h), '/etc/systemd/system/anoguard-agent.service');
  add('aws-security-group.json', 'cloud', renderAwsSecurityGroup(t, h));
  add('aws-security-group.tf.json', 'cloud', renderAwsTerraform(t, h));
  add('gcp-firewall.json', 'cloud', renderGcpFirewall(t, h));
  add('gcp-firewall.tf.json', 'cloud', renderGcpTerraform(t, h));
  const manifest = files.map((f) => ({ file: f.name, kind: f.kind, mode: `0${f.mode.toString(8)}`, ...(f.installPath ? { installPath: f.installPath } : {}) }));
  add('manifest.json', 'doc', stableJson({ host: h.name, role: h.role, files: manifest }));
  return files;
}

export interface RenderedHost {
  host: string;
  role: Host['role'];
  files: RenderedFile[];
}

/** All hosts (or one), sorted by host name. */
export function renderTopology(t: Topology, only?: string): RenderedHost[] {
  let hosts = [...t.hosts].sort((a, b) => (a.name < b.name ? -1 : 1));
  if (only !== undefined) {
    const h = findHost(t, only);
    if (!h) throw new InputError('E_NO_HOST', `no host "${only}" in the topology`, { field: 'host', exitCode: 2 });
    hosts = [h];
  }
  return hosts.map((h) => ({ host: h.name, role: h.role, files: renderHost(t, h) }));
}
