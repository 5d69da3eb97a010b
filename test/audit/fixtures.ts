import { readFileSync } from 'node:fs';
import { parseNetSockets } from '../../src/util/proc-net.js';
import { parseDockerInspect, parsePs } from '../../src/audit/facts.js';
import { parseIptablesSave, parseNftRuleset } from '../../src/audit/parse/firewall.js';
import { parseSshdT } from '../../src/audit/parse/sshd.js';
import type { CheckContext, Fact, Facts } from '../../src/audit/types.js';
import { ROOT } from '../helpers/cli.js';

export const FIXTURES = `${ROOT}test/audit/fixtures`;
export const fixture = (name: string): string => readFileSync(`${FIXTURES}/${name}`, 'utf8');

const ok = <T>(value: T): Fact<T> => ({ ok: true, value });
const missing = <T>(): Fact<T> => ({ ok: false, reason: 'fixture: not gathered' });

/** `nft list ruleset` prints no leading `#!`, `delete` or comments; the parser must cope with the file form too. */
const PS_GOOD = [
  '    1     0 root                                   9000 systemd         /sbin/init',
  '    2     0 root                                   9000 kthreadd        [kthreadd]',
  '   40     2 root                                   9000 kworker/0:1     [kworker/0:1]',
  '  500     1 root                                   9000 sshd            sshd: /usr/sbin/sshd -D',
  '  600     1 factomd                                9000 factomd         /usr/local/bin/factomd -startdelay=600',
  '  700     1 root                                   9000 wazuh-agentd    /var/ossec/bin/wazuh-agentd',
  '  800     1 _chrony                                9000 chronyd         /usr/sbin/chronyd -F 1',
  '  900     1 root                                     20 cryptominer     /tmp/x',
].join('\n');
const PS_BAD = [
  '    1     0 root                                   9000 systemd         /sbin/init',
  '  500     1 root                                   9000 sshd            sshd: /usr/sbin/sshd -D',
  '  600     1 factomd                                9000 factomd         /usr/local/bin/factomd',
  '  610     1 postgres                               9000 postgres        /usr/lib/postgresql/15/bin/postgres',
  '  620     1 www-data                               9000 nginx           nginx: worker process',
].join('\n');

export function goodFacts(): Facts {
  return {
    host: 'auth-a',
    sshd: ok(parseSshdT(fixture('sshd-good.txt'))),
    sshdForeign: ok(parseSshdT(fixture('sshd-good-foreign.txt'))),
    firewall: ok(parseNftRuleset(fixture('nft-good.nft'))),
    listeners: ok([...parseNetSockets(fixture('proc-net-tcp-good.txt'), 'tcp'), ...parseNetSockets(fixture('proc-net-tcp6-good.txt'), 'tcp6')]),
    factomdConf: ok({
      path: '/etc/factomd/factomd.conf', text: fixture('factomd-good.conf'),
      stat: { path: '/etc/factomd/factomd.conf', mode: 0o600, owner: 'factomd', group: 'factomd' },
      tlsKey: { path: '/etc/factomd/tls/factomd.key', mode: 0o400, owner: 'factomd', group: 'factomd' },
    }),
    debugEndpoint: ok({ network: 'CUSTOM', url: 'https://127.0.0.1:8088/debug', status: 401 }),
    docker: ok({
      securityOptions: ['name=seccomp,profile=builtin', 'name=userns'],
      daemonJson: { hosts: ['unix:///var/run/docker.sock', 'tcp://10.10.1.10:2376'], tlsverify: true, tlskey: '/etc/docker/tls/server-key.pem', tlscert: '/etc/docker/tls/server-cert.pem' },
      containers: parseDockerInspect(fixture('docker-inspect-good.json')),
      tlsFiles: [
        { path: '/etc/docker/tls/server-key.pem', mode: 0o400, owner: 'root', group: 'root' },
        { path: '/etc/docker/tls/server-cert.pem', mode: 0o444, owner: 'root', group: 'root' },
      ],
    }),
    processes: ok(parsePs(PS_GOOD)),
    unattendedUpgrades: ok({ installed: true, enabled: true }),
    timeSync: ok({ synchronized: true, source: 'timedatectl' }),
    anoguardFim: ok({ configured: false }),
  };
}

export function badFacts(): Facts {
  return {
    host: 'auth-a',
    sshd: ok(parseSshdT(fixture('sshd-bad.txt'))),
    sshdForeign: ok(parseSshdT(fixture('sshd-bad.txt'))),
    firewall: ok(parseNftRuleset(fixture('nft-bad.nft'))),
    listeners: ok(parseNetSockets(fixture('proc-net-tcp-bad.txt'), 'tcp')),
    factomdConf: ok({
      path: '/etc/factomd/factomd.conf', text: fixture('factomd-bad.conf'),
      stat: { path: '/etc/factomd/factomd.conf', mode: 0o644, owner: 'root', group: 'root' },
      tlsKey: undefined,
    }),
    debugEndpoint: ok({ network: 'CUSTOM', url: 'http://127.0.0.1:8088/debug', status: 200 }),
    docker: ok({
      securityOptions: ['name=seccomp,profile=builtin'],
      daemonJson: { hosts: ['unix:///var/run/docker.sock', 'tcp://0.0.0.0:2376'], tlskey: '/opt/factomd-authority-toolkit/tls/key.pem' },
      containers: parseDockerInspect(fixture('docker-inspect-bad.json')),
      tlsFiles: [{ path: '/opt/factomd-authority-toolkit/tls/key.pem', mode: 0o644, owner: 'ops', group: 'ops' }],
    }),
    processes: ok(parsePs(PS_BAD)),
    unattendedUpgrades: ok({ installed: true, enabled: false }),
    timeSync: ok({ synchronized: false, source: 'timedatectl' }),
    anoguardFim: ok({ configured: false }),
  };
}

/** Every fact missing: each check must say skipped, never pass. */
export function noFacts(): Facts {
  return {
    host: 'x', sshd: missing(), sshdForeign: missing(), firewall: missing(), listeners: missing(), factomdConf: missing(),
    debugEndpoint: missing(), docker: missing(), processes: missing(), unattendedUpgrades: missing(), timeSync: missing(), anoguardFim: missing(),
  };
}

export const authorityCtx: CheckContext = { profile: 'ano', role: 'authority', topology: undefined, hostEntry: undefined };

export { parseIptablesSave };
