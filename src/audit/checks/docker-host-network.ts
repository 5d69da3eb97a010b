import { fail, pass, type Check } from '../types.js';
import { withFact } from './helpers.js';

export const dockerHostNetwork: Check = {
  id: 'ANO-DOCKER-005', area: 'docker', title: 'No container shares the host network namespace',
  why: 'With --net=host every port the container opens is a host port (factomd\'s 9876 included) and container traffic skips DOCKER-USER.',
  severity: 'medium', refs: ['docker-bench:5.10'], remediation: 'Recreate the container on a bridge network and publish only the ports the topology allows, bound to an address.',
  run: (f) => withFact(f.docker, (d) => {
    const bad = d.containers.filter((c) => c.networkMode === 'host').map((c) => c.name);
    return bad.length > 0 ? fail(`host network: ${bad.join(', ')}`) : pass(`${d.containers.length} running container(s), none on the host network`);
  }),
};
