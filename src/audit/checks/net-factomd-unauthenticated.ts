import { reachableFromAnywhere } from '../parse/firewall.js';
import { fail, pass, skip, type Check } from '../types.js';
import { exposedListeners, REMEDIATE_NFT } from './helpers.js';
import { FACTOMD_UNAUTHENTICATED } from './policy.js';

export const netFactomdUnauthenticated: Check = {
  id: 'ANO-NET-002', area: 'network', title: 'factomd\'s unauthenticated listeners (metrics 9876, pprof 6060, debug console 8093) are firewalled',
  why: 'factomd binds 9876 on all interfaces with no auth (hard-coded); it tells anyone the node\'s height, role and timing.',
  severity: 'high', refs: [], remediation: `${REMEDIATE_NFT} The rendered ruleset drops these ports explicitly.`,
  run: (f) => {
    if (!f.listeners.ok) return skip(f.listeners.reason);
    const ports = new Set(FACTOMD_UNAUTHENTICATED.map((u) => u.port));
    const exposed = [...new Set(exposedListeners(f.listeners.value).filter((l) => ports.has(l.port)).map((l) => l.port))];
    if (exposed.length === 0) return pass('none of 9876, 6060, 8093 listens outside loopback');
    if (!f.firewall.ok) return skip(`listening on ${exposed.join(', ')}; firewall unknown: ${f.firewall.reason}`);
    const fw = f.firewall.value;
    const open = exposed.filter((p) => reachableFromAnywhere(fw, p));
    return open.length > 0 ? fail(`listening on all interfaces and not firewalled: ${open.join(', ')}`) : pass(`${exposed.join(', ')} listen on all interfaces but the firewall drops them`);
  },
};
