import { dockerUserChain } from '../parse/firewall.js';
import { fail, pass, skip, type Check } from '../types.js';
import { REMEDIATE_NFT } from './helpers.js';

const ALL = new Set(['', '0.0.0.0', '::']);

export const dockerPublishedPorts: Check = {
  id: 'ANO-DOCKER-006', area: 'docker', title: 'Ports published on all interfaces are filtered by DOCKER-USER',
  why: 'Docker publishes ports past the INPUT firewall (moby #4737, #22054): `-p 8090:8090` is open to the world whatever ufw or nft input says.',
  severity: 'high', refs: ['docker-bench:5.14'],
  remediation: `Bind published ports to an address (-p 10.0.0.5:8090:8090) or load the DOCKER-USER rules. ${REMEDIATE_NFT}`,
  run: (f) => {
    if (!f.docker.ok) return skip(f.docker.reason);
    const wide = f.docker.value.containers.flatMap((c) => c.published.filter((p) => ALL.has(p.hostIp)).map((p) => `${c.name} ${p.hostPort}->${p.containerPort}`));
    if (wide.length === 0) return pass('no port published on all interfaces');
    if (!f.firewall.ok) return skip(`published on all interfaces: ${wide.join(', ')}; firewall unknown: ${f.firewall.reason}`);
    return dockerUserChain(f.firewall.value).filtering
      ? pass(`published on all interfaces but filtered by DOCKER-USER: ${wide.join(', ')}`)
      : fail(`published on all interfaces with no DOCKER-USER filtering: ${wide.join(', ')}`);
  },
};
