import { fail, pass, skip, type Check } from '../types.js';
import { REMEDIATE_CONF, withFact } from './helpers.js';

export const netDebugEndpoint: Check = {
  id: 'ANO-NET-003', area: 'network', title: '/debug does not answer without credentials (non-MAIN networks)',
  why: 'On TEST/LOCAL/CUSTOM networks factomd serves /debug: `configuration` returns the signing key and RPC password, `write-configuration` rewrites the file.',
  severity: 'critical', refs: [], remediation: `Set FactomdRpcUser and a password (topology factomd.rpcUser + secrets file). ${REMEDIATE_CONF}`,
  run: (f) => withFact(f.debugEndpoint, (d) => {
    if (d.network === 'MAIN') return pass('Network MAIN: factomd does not serve /debug');
    if (d.status === 0) return skip(`nothing answered at ${d.url} (factomd not running?)`);
    if (d.status === 200) return fail(`${d.url} answered network-info without credentials (Network ${d.network})`);
    return pass(`${d.url} refused an unauthenticated call (HTTP ${d.status})`);
  }),
};
