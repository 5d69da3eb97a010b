import { reachableFromAnywhere } from '../parse/firewall.js';
import { fail, pass, skip, type Check } from '../types.js';
import { REMEDIATE_NFT } from './helpers.js';
import { expectedPorts } from './policy.js';

export const firewallReachability: Check = {
  id: 'ANO-FW-003', area: 'firewall', title: 'Restricted ports are not reachable from the internet (compared with the topology)',
  why: 'SSH, the API, the control panel and authority p2p must be reachable only from the ops IPs, the monitor, the VPN and the own followers.',
  severity: 'high', refs: ['CIS-Ubuntu-24.04:4.4.2.4', 'Lynis:FIRE-4590'], remediation: REMEDIATE_NFT,
  run: (f, ctx) => {
    if (!f.firewall.ok) return skip(f.firewall.reason);
    const exp = expectedPorts(f, ctx);
    if (!exp) return skip('needs --role, or --host with --topology, to know which ports are restricted');
    const fw = f.firewall.value;
    const open = exp.restricted.filter((r) => reachableFromAnywhere(fw, r.port));
    if (open.length === 0) return pass(`${exp.restricted.map((r) => r.port).join(', ')} closed to arbitrary sources (${exp.basis})`);
    return fail(`reachable from anywhere: ${open.map((r) => `${r.port} (${r.why})`).join('; ')} — ${exp.basis}`);
  },
};
