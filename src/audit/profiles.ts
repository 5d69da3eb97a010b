import type { Profile } from './types.js';

/**
 * The values on which the baselines disagree (security-baselines.md §5.6). `ano` follows the
 * rendered sshd drop-in (src/render/sshd.ts): the stricter value where a stricter one costs an
 * operator nothing.
 */
export interface ProfileValues {
  maxAuthTries: number;
  loginGraceTime: number;
  logLevels: string[];
  maxSessions: number;
  clientAliveCountMax: number;
  /** PermitRootLogin values accepted. */
  rootLogin: string[];
  /** Lynis and ANO want the port moved; dev-sec and CIS do not check it. */
  portNot22: boolean;
}

const VALUES: Record<Profile, ProfileValues> = {
  ano: { maxAuthTries: 3, loginGraceTime: 30, logLevels: ['VERBOSE'], maxSessions: 4, clientAliveCountMax: 2, rootLogin: ['no'], portNot22: true },
  devsec: { maxAuthTries: 2, loginGraceTime: 30, logLevels: ['VERBOSE'], maxSessions: 10, clientAliveCountMax: 3, rootLogin: ['no', 'without-password', 'prohibit-password'], portNot22: false },
  'cis-l1': { maxAuthTries: 4, loginGraceTime: 60, logLevels: ['INFO', 'VERBOSE'], maxSessions: 10, clientAliveCountMax: 3, rootLogin: ['no'], portNot22: false },
  'lynis-strict': { maxAuthTries: 3, loginGraceTime: 120, logLevels: ['VERBOSE'], maxSessions: 2, clientAliveCountMax: 2, rootLogin: ['no', 'without-password', 'prohibit-password', 'forced-commands-only'], portNot22: true },
};

export function profileValues(p: Profile): ProfileValues {
  return VALUES[p];
}
