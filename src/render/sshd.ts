import { opsSources } from '../topology/policy.js';
import type { Host, Topology } from '../topology/schema.js';

/**
 * The sshd drop-in (/etc/ssh/sshd_config.d/50-anoguard.conf). Debian's sshd_config Includes the
 * drop-ins before its own lines and sshd keeps the FIRST value of a keyword, so these win. Values
 * follow dev-sec ssh-baseline and Lynis SSH-7408 where they agree, with the stricter value otherwise.
 * The Match block is last: a Match runs to the end of the file that opens it.
 */

export const SSHD_DROPIN_PATH = '/etc/ssh/sshd_config.d/50-anoguard.conf';

const CIPHERS = ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com', 'aes256-ctr', 'aes192-ctr', 'aes128-ctr'];
const KEX = ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'curve25519-sha256@libssh.org', 'diffie-hellman-group-exchange-sha256'];
const MACS = ['hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'umac-128-etm@openssh.com'];

export function renderSshdDropin(t: Topology, h: Host): string {
  const ops = opsSources(t);
  const allow = h.ssh.users.flatMap((u) => ops.map((c) => `${u}@${c}`));
  const lines = [
    `# ${h.name}: rendered by anoguard; do not edit, change the topology.`,
    `# Check: sshd -t    Effective values: sshd -T`,
    `Port ${h.ssh.port}`,
    'AddressFamily any',
    'PermitRootLogin no',
    'PubkeyAuthentication yes',
    'AuthenticationMethods publickey',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitEmptyPasswords no',
    'HostbasedAuthentication no',
    'IgnoreRhosts yes',
    'GSSAPIAuthentication no',
    'KerberosAuthentication no',
    'PermitUserEnvironment no',
    'StrictModes yes',
    'MaxAuthTries 3',
    'MaxSessions 4',
    'MaxStartups 10:30:60',
    'LoginGraceTime 30',
    'ClientAliveInterval 300',
    'ClientAliveCountMax 2',
    'TCPKeepAlive no',
    'UseDNS no',
    'LogLevel VERBOSE',
    'SyslogFacility AUTH',
    'AllowTcpForwarding no',
    'AllowAgentForwarding no',
    'AllowStreamLocalForwarding no',
    'GatewayPorts no',
    'PermitTunnel no',
    'X11Forwarding no',
    'PrintMotd no',
    'DebianBanner no',
    `Ciphers ${CIPHERS.join(',')}`,
    `KexAlgorithms ${KEX.join(',')}`,
    `MACs ${MACS.join(',')}`,
    // Users only from the ops IPs: `user@cidr` entries. An empty ops list renders a line that admits nobody.
    `AllowUsers ${allow.length > 0 ? allow.join(' ') : 'nobody@127.0.0.1/32'}`,
  ];
  if (ops.length > 0) {
    // Belt and braces with the firewall: from anywhere else, nobody is allowed even with a valid key.
    lines.push('', `Match Address *,${ops.map((c) => `!${c}`).join(',')}`, '\tDenyUsers *');
  }
  return `${lines.join('\n')}\n`;
}
