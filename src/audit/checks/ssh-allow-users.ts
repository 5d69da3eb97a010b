import { sshdList } from '../parse/sshd.js';
import { fail, pass, type Check } from '../types.js';
import { REMEDIATE_SSHD, withFact } from './helpers.js';

export const sshAllowUsers: Check = {
  id: 'ANO-SSH-004',
  area: 'ssh',
  title: 'SSH access limited to named users (AllowUsers / AllowGroups)',
  why: 'Service accounts (factomd, postgres) and any user added later should not be able to log in just because they have a key.',
  severity: 'medium',
  refs: ['CIS-Ubuntu-24.04:5.1.4', 'Lynis:SSH-7440'],
  remediation: `List the operators in ssh.users in the topology. ${REMEDIATE_SSHD}`,
  run: (f, ctx) => withFact(f.sshd, (c) => {
    const users = sshdList(c, 'allowusers');
    const groups = sshdList(c, 'allowgroups');
    if (users.length === 0 && groups.length === 0) return fail('neither AllowUsers nor AllowGroups is set: every account with a key may log in');
    if (ctx.hostEntry) {
      const names = new Set(users.map((u) => u.split('@')[0]!));
      const extra = [...names].filter((n) => !ctx.hostEntry!.ssh.users.includes(n));
      if (extra.length > 0) return fail(`AllowUsers admits ${extra.join(', ')}, not in the topology's ssh.users`);
    }
    return pass([users.length ? `allowusers ${users.join(' ')}` : '', groups.length ? `allowgroups ${groups.join(' ')}` : ''].filter(Boolean).join('; '));
  }),
};
