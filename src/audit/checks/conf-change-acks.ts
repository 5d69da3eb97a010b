import { type Check } from '../types.js';
import { REMEDIATE_CONF } from './helpers.js';
import { failOnLint } from './conf-helpers.js';

export const confChangeAcks: Check = {
  id: 'ANO-FCONF-006', area: 'factomd', title: 'No brain swap armed (ChangeAcksHeight pending)',
  why: 'factomd re-reads ChangeAcksHeight every block and reloads the identity at that height; a value left armed after a swap can move an identity later, unexpectedly.',
  severity: 'medium', refs: [], remediation: `Finish or cancel the swap with \`anoguard swap\`, then remove ChangeAcksHeight. ${REMEDIATE_CONF}`,
  run: (f, ctx) => failOnLint(f, ctx, ['changeacks-pending'], 'no ChangeAcksHeight set'),
};
