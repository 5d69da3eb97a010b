import { fail, pass, type Check } from '../types.js';
import { withFact } from './helpers.js';

export const hostUpdates: Check = {
  id: 'ANO-HOST-002', area: 'host', title: 'Unattended security updates enabled',
  why: 'A node that waits for an operator to patch an OpenSSH or kernel hole is exposed for days; security updates rarely touch factomd.',
  severity: 'medium', refs: [], remediation: 'apt-get install unattended-upgrades && dpkg-reconfigure -plow unattended-upgrades (sets APT::Periodic::Unattended-Upgrade "1").',
  run: (f) => withFact(f.unattendedUpgrades, (u) => {
    if (!u.installed) return fail('the unattended-upgrades package is not installed');
    return u.enabled ? pass('unattended-upgrades installed and APT::Periodic::Unattended-Upgrade on') : fail('unattended-upgrades installed but APT::Periodic::Unattended-Upgrade is off');
  }),
};
