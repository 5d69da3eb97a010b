import { profileValues } from '../profiles.js';
import { sshdValue } from '../parse/sshd.js';
import { fail, pass, type Check } from '../types.js';
import { REMEDIATE_SSHD, withFact } from './helpers.js';

export const sshRootLogin: Check = {
  id: 'ANO-SSH-003',
  area: 'ssh',
  title: 'No root login over SSH',
  why: 'Operators log in as themselves and escalate with an audited sudo; a root login leaves no trace of who did what on a node holding an authority key.',
  severity: 'high',
  refs: ['dev-sec:sshd-06', 'CIS-Ubuntu-24.04:5.1.20', 'Lynis:SSH-7408'],
  remediation: REMEDIATE_SSHD,
  run: (f, ctx) => withFact(f.sshd, (c) => {
    const v = sshdValue(c, 'permitrootlogin') ?? 'unset';
    const allowed = profileValues(ctx.profile).rootLogin;
    return allowed.includes(v) ? pass(`permitrootlogin ${v}`) : fail(`permitrootlogin ${v} (want ${allowed.join(' or ')})`);
  }),
};
