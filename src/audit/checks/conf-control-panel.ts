import { type Check } from '../types.js';
import { REMEDIATE_CONF } from './helpers.js';
import { failOnLint } from './conf-helpers.js';

export const confControlPanel: Check = {
  id: 'ANO-FCONF-004', area: 'factomd', title: 'Control panel not readwrite',
  why: 'readwrite lets any visitor change the node (debug logging that leaks the signing key at a swap, regexes that crash it); the panel has no CSRF protection.',
  severity: 'high', refs: [], remediation: `Set factomd.controlPanel to disabled or readonly. ${REMEDIATE_CONF}`,
  run: (f, ctx) => failOnLint(f, ctx, ['controlpanel-readwrite'], 'ControlPanelSetting is not readwrite'),
};
