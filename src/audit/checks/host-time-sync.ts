import { fail, pass, type Check } from '../types.js';
import { withFact } from './helpers.js';

export const hostTimeSync: Check = {
  id: 'ANO-HOST-003', area: 'host', title: 'The clock is synchronised',
  why: 'factomd timestamps messages and minutes; a skewed authority node has its messages rejected, and signed offline scripts expire by the clock.',
  severity: 'high', refs: [], remediation: 'Enable systemd-timesyncd or chrony (timedatectl set-ntp true) and check `timedatectl` says "System clock synchronized: yes".',
  run: (f) => withFact(f.timeSync, (t) => (t.synchronized ? pass(`synchronised (${t.source})`) : fail(`not synchronised (${t.source})`))),
};
