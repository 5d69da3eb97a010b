import { type Check } from '../types.js';
import { REMEDIATE_CONF } from './helpers.js';
import { failOnLint } from './conf-helpers.js';

export const confRpcAuth: Check = {
  id: 'ANO-FCONF-002', area: 'factomd', title: 'factomd API and control panel require a user and password',
  why: 'With FactomdRpcUser empty, anyone who reaches 8088/8090 uses the API and control panel; on non-MAIN networks that includes /debug.',
  severity: 'critical', refs: [], remediation: `Set factomd.rpcUser in the topology; the password goes in the 0600 secrets file. ${REMEDIATE_CONF}`,
  run: (f, ctx) => failOnLint(f, ctx, ['rpc-no-auth', 'rpc-no-password'], 'FactomdRpcUser and FactomdRpcPass set'),
};
