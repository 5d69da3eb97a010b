import { fail, pass, skip, type Check } from '../types.js';
import { exposedListeners } from './helpers.js';
import { expectedPorts } from './policy.js';

export const netListeners: Check = {
  id: 'ANO-NET-001', area: 'network', title: 'Only the role\'s services listen outside loopback',
  why: 'An ANO host runs one service; every extra listener (a forgotten dashboard, a database) is attack surface next to the signing key.',
  severity: 'high', refs: ['CIS-Ubuntu-24.04:4.4.2.4', 'docker-bench:5.9'],
  remediation: 'Stop the extra service or bind it to 127.0.0.1; the allowed set is what `anoguard render` opens in nftables.conf.',
  run: (f, ctx) => {
    if (!f.listeners.ok) return skip(f.listeners.reason);
    const exp = expectedPorts(f, ctx);
    if (!exp) return skip('needs --role, or --host with --topology, to know the allowed listeners');
    const allowed = new Set(exp.allowed);
    const extra = exposedListeners(f.listeners.value).filter((l) => !allowed.has(l.port));
    const shown = [...new Set(extra.map((l) => `${l.address}:${l.port}`))];
    return extra.length > 0 ? fail(`unexpected listeners: ${shown.join(', ')} (${exp.basis})`) : pass(`only ${[...allowed].join(', ')} may listen outside loopback (${exp.basis})`);
  },
};
