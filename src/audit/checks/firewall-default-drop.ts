import { inputChains } from '../parse/firewall.js';
import { fail, pass, type Check } from '../types.js';
import { REMEDIATE_NFT, withFact } from './helpers.js';

export const firewallDefaultDrop: Check = {
  id: 'ANO-FW-001', area: 'firewall', title: 'A host firewall is loaded and drops inbound traffic by default',
  why: 'factomd binds every port on all interfaces (API, control panel, metrics without auth); only a default-drop input policy keeps new listeners private.',
  severity: 'critical', refs: ['Lynis:FIRE-4512', 'Lynis:FIRE-4590', 'CIS-Ubuntu-24.04:4.4.2.4'], remediation: REMEDIATE_NFT,
  run: (f) => withFact(f.firewall, (m) => {
    const chains = inputChains(m);
    if (chains.length === 0) return fail(`no input chain in the ${m.source} ruleset: nothing filters inbound traffic`);
    const dropping = chains.filter((c) => c.policy === 'drop' || c.rules.some((r) => (r.verdict === 'drop' || r.verdict === 'reject') && r.ports === 'all' && r.sources === 'any' && !r.narrowed));
    const names = (cs: typeof chains) => cs.map((c) => `${c.family} ${c.table} ${c.name}`).join(', ');
    return dropping.length > 0 ? pass(`default drop in ${names(dropping)}`) : fail(`input policy accept in ${names(chains)}`);
  }),
};
