import { fail, pass, type Check } from '../types.js';
import { REMEDIATE_DOCKER, withFact } from './helpers.js';

export const dockerUserns: Check = {
  id: 'ANO-DOCKER-003', area: 'docker', title: 'Containers do not run as host root (rootless Docker or userns-remap)',
  why: 'A container escape as uid 0 is root on the node that holds the identity; a remapped or rootless daemon contains it.',
  severity: 'medium', refs: ['docker-bench:2.1', 'docker-bench:2.9'], remediation: REMEDIATE_DOCKER,
  run: (f) => withFact(f.docker, (d) => {
    const opts = d.securityOptions.filter((o) => /name=(userns|rootless)/.test(o));
    return opts.length > 0 ? pass(opts.join(', ')) : fail(`docker info SecurityOptions: ${d.securityOptions.join(', ') || 'none'} (no userns, no rootless)`);
  }),
};
