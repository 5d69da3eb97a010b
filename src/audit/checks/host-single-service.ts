import { fail, pass, type Check } from '../types.js';
import { withFact } from './helpers.js';

/**
 * What a single-service ANO host is expected to run for long: init and system daemons, the SSH
 * server, time sync, the firewall loader, Docker, factomd, the anoguard agent/server, a HIDS.
 * Matched on the process name (comm, at most 15 characters).
 */
const EXPECTED = [
  /^systemd/, /^(init|agetty|login|cron|crond|atd|dbus-daemon|dbus-broker|polkitd|rsyslogd|syslog-ng|udevd|auditd)$/,
  /^(sshd|sshd-session|sshd-auth)$/, /^(chronyd|ntpd|ntpsec|openntpd|timesyncd)$/, /^(dockerd|containerd|containerd-shim.*|docker-proxy|runc)$/,
  /^factomd$/, /^factom-walletd$/, /^(ossec|wazuh)-/, /^(unattended-upgr|networkd-dispat|dhclient|dhcpcd|irqbalance|qemu-ga|google_.*|amazon-ssm-agen)$/,
  /^(bash|sh|zsh|sudo|su|tmux.*|screen|ps|node|anoguard)$/, /^(prometheus-node|node_exporter)$/,
];
const LONG_RUNNING_S = 3600;

export const hostSingleService: Check = {
  id: 'ANO-HOST-001', area: 'host', title: 'One service per host: no unexpected long-running processes',
  why: 'Every extra daemon on an authority node is code running next to the signing key; the ANO guidance is one service per host.',
  severity: 'low', refs: [], remediation: 'Stop and disable the extra service, or move it to another host.',
  run: (f) => withFact(f.processes, (ps) => {
    // Kernel threads are children of kthreadd (pid 2).
    const extra = ps.filter((p) => p.pid !== 2 && p.ppid !== 2 && p.elapsedSeconds >= LONG_RUNNING_S && !EXPECTED.some((re) => re.test(p.comm)));
    const names = [...new Set(extra.map((p) => p.comm))].sort();
    if (names.length === 0) return pass(`${ps.length} processes, none unexpected`);
    return fail(`running for over an hour and not expected on a single-service host: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ` (+${names.length - 20} more)` : ''}`);
  }),
};
