import { fail, pass, type Check } from '../types.js';
import { withFact } from './helpers.js';

export const dockerPrivileged: Check = {
  id: 'ANO-DOCKER-004', area: 'docker', title: 'No privileged containers',
  why: '--privileged gives the container every capability and every device: it is root on the host.',
  severity: 'high', refs: ['docker-bench:5.5'], remediation: 'Recreate the container without --privileged (add only the capabilities it needs).',
  run: (f) => withFact(f.docker, (d) => {
    const bad = d.containers.filter((c) => c.privileged).map((c) => c.name);
    return bad.length > 0 ? fail(`privileged: ${bad.join(', ')}`) : pass(`${d.containers.length} running container(s), none privileged`);
  }),
};
