import { profileValues } from '../profiles.js';
import { sshdValue } from '../parse/sshd.js';
import { fail, pass, type Check } from '../types.js';
import { REMEDIATE_SSHD, sshdInt, withFact } from './helpers.js';

export const sshMaxAuthTries: Check = {
  id: 'ANO-SSH-009', area: 'ssh', title: 'MaxAuthTries at or below the profile\'s value (ano 3, dev-sec 2, CIS 4, Lynis 3)',
  why: 'Fewer attempts per connection slow down guessing and make brute force visible sooner in the logs.',
  severity: 'medium', refs: ['dev-sec:sshd-19', 'CIS-Ubuntu-24.04:5.1.16', 'Lynis:SSH-7408'], remediation: REMEDIATE_SSHD,
  run: (f, ctx) => withFact(f.sshd, (c) => {
    const max = profileValues(ctx.profile).maxAuthTries;
    const v = sshdInt(c, 'maxauthtries');
    return v !== undefined && v <= max ? pass(`maxauthtries ${v}`) : fail(`maxauthtries ${v ?? 'unset'} (profile ${ctx.profile}: ≤ ${max})`);
  }),
};

export const sshLoginGrace: Check = {
  id: 'ANO-SSH-010', area: 'ssh', title: 'LoginGraceTime at or below the profile\'s value (ano/dev-sec 30 s, CIS 60 s, Lynis 120 s)',
  why: 'Unauthenticated connections held open for minutes let an attacker exhaust MaxStartups and lock operators out.',
  severity: 'low', refs: ['dev-sec:sshd-18', 'CIS-Ubuntu-24.04:5.1.13', 'Lynis:SSH-7408'], remediation: REMEDIATE_SSHD,
  run: (f, ctx) => withFact(f.sshd, (c) => {
    const max = profileValues(ctx.profile).loginGraceTime;
    const v = sshdInt(c, 'logingracetime');
    return v !== undefined && v > 0 && v <= max ? pass(`logingracetime ${v}`) : fail(`logingracetime ${v ?? 'unset'} (profile ${ctx.profile}: 1–${max})`);
  }),
};

export const sshLogLevel: Check = {
  id: 'ANO-SSH-011', area: 'ssh', title: 'sshd LogLevel records key fingerprints (VERBOSE; CIS accepts INFO)',
  why: 'VERBOSE logs which key logged in, which is what tells an operator whose key was used after an incident.',
  severity: 'low', refs: ['dev-sec:sshd-13', 'CIS-Ubuntu-24.04:5.1.14', 'Lynis:SSH-7408'], remediation: REMEDIATE_SSHD,
  run: (f, ctx) => withFact(f.sshd, (c) => {
    const want = profileValues(ctx.profile).logLevels;
    const v = (sshdValue(c, 'loglevel') ?? 'unset').toUpperCase();
    return want.includes(v) ? pass(`loglevel ${v}`) : fail(`loglevel ${v} (want ${want.join(' or ')})`);
  }),
};

export const sshMaxSessions: Check = {
  id: 'ANO-SSH-012', area: 'ssh', title: 'MaxSessions at or below the profile\'s value (ano 4, dev-sec/CIS 10, Lynis 2)',
  why: 'A hijacked connection multiplexing many sessions is harder to spot; operators rarely need more than a few.',
  severity: 'low', refs: ['dev-sec:sshd-20', 'CIS-Ubuntu-24.04:5.1.17', 'Lynis:SSH-7408'], remediation: REMEDIATE_SSHD,
  run: (f, ctx) => withFact(f.sshd, (c) => {
    const max = profileValues(ctx.profile).maxSessions;
    const v = sshdInt(c, 'maxsessions');
    return v !== undefined && v <= max ? pass(`maxsessions ${v}`) : fail(`maxsessions ${v ?? 'unset'} (profile ${ctx.profile}: ≤ ${max})`);
  }),
};

export const sshClientAlive: Check = {
  id: 'ANO-SSH-013', area: 'ssh', title: 'Idle SSH sessions are closed (ClientAliveInterval ≤ 300 s, ClientAliveCountMax per profile)',
  why: 'A forgotten root shell on a laptop is an open door into the authority node.',
  severity: 'low', refs: ['dev-sec:sshd-36', 'dev-sec:sshd-37', 'CIS-Ubuntu-24.04:5.1.7', 'Lynis:SSH-7408'], remediation: REMEDIATE_SSHD,
  run: (f, ctx) => withFact(f.sshd, (c) => {
    const maxCount = profileValues(ctx.profile).clientAliveCountMax;
    const interval = sshdInt(c, 'clientaliveinterval');
    const count = sshdInt(c, 'clientalivecountmax');
    const bad: string[] = [];
    if (interval === undefined || interval < 1 || interval > 300) bad.push(`clientaliveinterval ${interval ?? 'unset'} (want 1–300)`);
    if (count === undefined || count > maxCount) bad.push(`clientalivecountmax ${count ?? 'unset'} (want ≤ ${maxCount})`);
    return bad.length > 0 ? fail(bad.join('; ')) : pass(`clientaliveinterval ${interval}; clientalivecountmax ${count}`);
  }),
};

export const sshMaxStartups: Check = {
  id: 'ANO-SSH-018', area: 'ssh', title: 'MaxStartups throttles unauthenticated connections (10:30:60 or stricter)',
  why: 'Without early random drops, a flood of half-open logins locks operators out exactly when they need in.',
  severity: 'low', refs: ['dev-sec:sshd-21', 'CIS-Ubuntu-24.04:5.1.18'], remediation: REMEDIATE_SSHD,
  run: (f) => withFact(f.sshd, (c) => {
    const v = sshdValue(c, 'maxstartups') ?? 'unset';
    const m = /^(\d+):(\d+):(\d+)$/.exec(v) ?? /^(\d+)$/.exec(v);
    const start = Number(m?.[1]);
    const full = Number(m?.[3] ?? m?.[1]);
    return m && start <= 10 && full <= 60 ? pass(`maxstartups ${v}`) : fail(`maxstartups ${v} (want 10:30:60 or stricter)`);
  }),
};
