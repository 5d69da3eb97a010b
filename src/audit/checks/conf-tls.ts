import { type Check } from '../types.js';
import { REMEDIATE_CONF } from './helpers.js';
import { failOnLint } from './conf-helpers.js';

export const confTls: Check = {
  id: 'ANO-FCONF-003', area: 'factomd', title: 'factomd API TLS on, with explicit key and certificate paths',
  why: 'Without TLS the Basic-auth password and every answer cross the network in clear text; the template\'s placeholder paths break TLS in v6.4+.',
  severity: 'high', refs: [], remediation: `Keep factomd.tls true in the topology. ${REMEDIATE_CONF}`,
  run: (f, ctx) => failOnLint(f, ctx, ['tls-off', 'tls-placeholder-path'], 'FactomdTlsEnabled with explicit paths'),
};
