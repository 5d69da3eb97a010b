import { fail, pass, skip, type Check } from '../types.js';
import { exposedListeners, REMEDIATE_DOCKER } from './helpers.js';

export const dockerTls: Check = {
  id: 'ANO-DOCKER-001', area: 'docker', title: 'Docker API on TCP only with TLS client verification',
  why: 'The Docker API is root on the host; on TCP without tlsverify anyone who reaches the port owns the authority node.',
  severity: 'critical', refs: ['docker-bench:2.7'], remediation: REMEDIATE_DOCKER,
  run: (f) => {
    if (!f.docker.ok) return skip(f.docker.reason);
    const d = f.docker.value.daemonJson ?? {};
    const hosts = Array.isArray(d.hosts) ? (d.hosts as unknown[]).map(String) : [];
    const tcp = hosts.filter((h) => h.startsWith('tcp://'));
    const plain = f.listeners.ok ? exposedListeners(f.listeners.value).filter((l) => l.port === 2375) : [];
    if (plain.length > 0) return fail('something listens on 2375 (the plain-text Docker API port) outside loopback');
    if (tcp.length === 0) return pass('the Docker API is on the unix socket only');
    return d.tlsverify === true ? pass(`${tcp.join(', ')} with tlsverify`) : fail(`${tcp.join(', ')} without tlsverify: true in daemon.json`);
  },
};
