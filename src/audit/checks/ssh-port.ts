import { profileValues } from '../profiles.js';
import { sshdList } from '../parse/sshd.js';
import { fail, pass, type Check } from '../types.js';
import { REMEDIATE_SSHD, withFact } from './helpers.js';

export const sshPort: Check = {
  id: 'ANO-SSH-001',
  area: 'ssh',
  title: 'sshd does not listen on port 22 (and matches the topology)',
  why: 'Port 22 gets the whole internet\'s brute-force traffic; a moved port keeps logs readable so real attacks stand out.',
  severity: 'medium',
  refs: ['dev-sec:sshd-07', 'Lynis:SSH-7408'],
  remediation: `Set ssh.port in the topology (not 22). ${REMEDIATE_SSHD}`,
  run: (f, ctx) => withFact(f.sshd, (c) => {
    const ports = sshdList(c, 'port').map(Number);
    if (ctx.hostEntry) {
      const want = ctx.hostEntry.ssh.port;
      return ports.length === 1 && ports[0] === want ? pass(`port ${want} as in the topology`) : fail(`port ${ports.join(', ')}; the topology says ${want}`);
    }
    if (!profileValues(ctx.profile).portNot22) return pass(`port ${ports.join(', ')} (profile ${ctx.profile} does not require moving it)`);
    return ports.includes(22) ? fail(`sshd listens on port 22 (ports: ${ports.join(', ')})`) : pass(`port ${ports.join(', ')}`);
  }),
};
