import { sshdList, sshdValue } from '../parse/sshd.js';
import { fail, pass, type Check } from '../types.js';
import { REMEDIATE_SSHD, withFact } from './helpers.js';

export const sshKeysOnly: Check = {
  id: 'ANO-SSH-002',
  area: 'ssh',
  title: 'SSH logins with keys only (no passwords, no keyboard-interactive)',
  why: 'A password can be guessed or phished; a key on the operator\'s machine cannot be brute-forced. Cloud images often re-enable passwords in a drop-in.',
  severity: 'critical',
  refs: ['dev-sec:sshd-27', 'dev-sec:sshd-28', 'dev-sec:sshd-29', 'CIS-Ubuntu-24.04:5.1.19', 'Lynis:SSH-7408'],
  remediation: REMEDIATE_SSHD,
  run: (f) => withFact(f.sshd, (c) => {
    const bad: string[] = [];
    if (sshdValue(c, 'passwordauthentication') !== 'no') bad.push(`passwordauthentication ${sshdValue(c, 'passwordauthentication')}`);
    for (const k of ['kbdinteractiveauthentication', 'challengeresponseauthentication', 'permitemptypasswords']) {
      const v = sshdValue(c, k);
      if (v !== undefined && v !== 'no') bad.push(`${k} ${v}`);
    }
    const methods = sshdList(c, 'authenticationmethods');
    // AuthenticationMethods publickey alone also makes it keys-only, whatever the other keywords say.
    if (bad.length > 0 && methods.length > 0 && methods.every((m) => m.split(',').every((x) => x === 'publickey'))) {
      return pass(`authenticationmethods publickey (overrides ${bad.join(', ')})`);
    }
    return bad.length > 0 ? fail(bad.join('; ')) : pass('passwordauthentication no; kbdinteractiveauthentication no; permitemptypasswords no');
  }),
};
