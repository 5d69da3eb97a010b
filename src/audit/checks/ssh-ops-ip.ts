import { reachableFromAnywhere } from '../parse/firewall.js';
import { sshdList } from '../parse/sshd.js';
import { fail, pass, skip, type Check } from '../types.js';
import { REMEDIATE_NFT, REMEDIATE_SSHD } from './helpers.js';

const OPEN = new Set(['*', '0.0.0.0/0', '::/0']);

export const sshOpsIp: Check = {
  id: 'ANO-SSH-005',
  area: 'ssh',
  title: 'SSH only from the ops IPs (sshd Match/AllowUsers user@cidr, or the firewall)',
  why: 'With SSH reachable only from the operators\' addresses, a stolen key or an sshd bug is not enough from anywhere else on the internet.',
  severity: 'high',
  refs: ['CIS-Ubuntu-24.04:5.1.4', 'Lynis:SSH-7440'],
  remediation: `Set access.opsIps in the topology. ${REMEDIATE_SSHD} ${REMEDIATE_NFT}`,
  run: (f, ctx) => {
    const reasons: string[] = [];
    let known = false;
    if (f.sshdForeign.ok) {
      known = true;
      const c = f.sshdForeign.value;
      if (sshdList(c, 'denyusers').includes('*')) return pass('sshd denies every user from a non-ops address (Match Address … DenyUsers *)');
      const allow = sshdList(c, 'allowusers');
      if (allow.length > 0 && allow.every((u) => u.includes('@') && !OPEN.has(u.slice(u.indexOf('@') + 1)))) {
        return pass(`AllowUsers entries all name a source: ${allow.join(' ')}`);
      }
      reasons.push('sshd admits connections from any address');
    } else reasons.push(`sshd: ${f.sshdForeign.reason}`);
    const ports = f.sshd.ok ? sshdList(f.sshd.value, 'port').map(Number) : ctx.hostEntry ? [ctx.hostEntry.ssh.port] : [];
    if (f.firewall.ok && ports.length > 0) {
      known = true;
      const fw = f.firewall.value;
      const open = ports.filter((p) => reachableFromAnywhere(fw, p));
      if (open.length === 0) return pass(`the firewall admits SSH port ${ports.join(', ')} only from listed sources`);
      reasons.push(`the firewall admits port ${open.join(', ')} from anywhere`);
    } else reasons.push(`firewall: ${f.firewall.ok ? 'SSH port unknown' : f.firewall.reason}`);
    // Unknown only when neither sshd nor the firewall could be read.
    return known ? fail(reasons.join('; ')) : skip(reasons.join('; '));
  },
};
