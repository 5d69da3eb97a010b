import { dockerUserChain } from '../parse/firewall.js';
import { fail, pass, skip, type Check } from '../types.js';
import { REMEDIATE_NFT } from './helpers.js';

export const firewallDockerUser: Check = {
  id: 'ANO-FW-002', area: 'firewall', title: 'DOCKER-USER filters traffic to published container ports',
  why: 'Published Docker ports are DNATed and go through FORWARD, never INPUT: the input firewall does not protect them; DOCKER-USER does.',
  severity: 'high', refs: ['docker-bench:5.14'], remediation: `${REMEDIATE_NFT} The rendered file restricts DOCKER-USER with the same allow-list.`,
  run: (f) => {
    if (!f.docker.ok) return skip(f.docker.reason);
    if (!f.firewall.ok) return skip(f.firewall.reason);
    const d = dockerUserChain(f.firewall.value);
    if (!d.present) return fail('Docker is installed but there is no DOCKER-USER chain');
    return d.filtering ? pass('DOCKER-USER drops traffic outside the allow-list') : fail('DOCKER-USER only returns: published ports are open to everyone');
  },
};
