import { fail, pass, skip, type Check } from '../types.js';
import { REMEDIATE_DOCKER } from './helpers.js';

/**
 * Certificates distributed publicly (the Factom swarm layout published its CA, cert and key in a
 * repository shared by every operator, factomd-ops.md §6): paths that point into such a checkout.
 */
const PUBLIC_CHECKOUT = /factomd-authority-toolkit|authority-toolkit/i;

export const dockerTlsFiles: Check = {
  id: 'ANO-DOCKER-002', area: 'docker', title: 'Docker TLS keys private to root and not the publicly shared ones',
  why: 'A readable server key lets any local user impersonate the daemon; the swarm credentials once published for all operators protect nothing.',
  severity: 'high', refs: ['docker-bench:3.9', 'docker-bench:3.11', 'docker-bench:3.13', 'docker-bench:3.14'],
  remediation: `Issue own certificates with \`anoguard pki\` into docker.tlsDir; key mode 0400 root:root. ${REMEDIATE_DOCKER}`,
  run: (f) => {
    if (!f.docker.ok) return skip(f.docker.reason);
    const d = f.docker.value;
    const keyPath = typeof d.daemonJson?.tlskey === 'string' ? d.daemonJson.tlskey : undefined;
    if (d.tlsFiles.length === 0) return pass('no TLS files configured in daemon.json');
    const bad: string[] = [];
    for (const s of d.tlsFiles) {
      const mask = s.path === keyPath ? 0o077 : 0o022;
      if ((s.mode & mask) !== 0) bad.push(`${s.path} mode ${s.mode.toString(8)}`);
      if (s.path === keyPath && s.owner !== 'root') bad.push(`${s.path} owned by ${s.owner}`);
      if (PUBLIC_CHECKOUT.test(s.path)) bad.push(`${s.path} comes from a public repository checkout`);
    }
    return bad.length > 0 ? fail(bad.join('; ')) : pass(d.tlsFiles.map((s) => `${s.path} ${s.mode.toString(8)}`).join('; '));
  },
};
