import { type Check } from '../types.js';
import { REMEDIATE_CONF } from './helpers.js';
import { confFindings } from './conf-helpers.js';
import { fail, pass, skip } from '../types.js';

/** Errors owned by other checks are left to them so one problem is reported once. */
const OWNED_ELSEWHERE = new Set(['tls-placeholder-path', 'identity-missing', 'identity-not-authority', 'privkey-default']);

export const confParses: Check = {
  id: 'ANO-FCONF-001', area: 'factomd', title: 'factomd.conf parses the way factomd reads it (no silent fallback, no ignored critical keys)',
  why: 'A syntax error makes factomd run on built-in defaults (no RPC auth, the public signing key, MAIN) with only a stdout line; a misspelled key is silently ignored.',
  severity: 'high', refs: [], remediation: REMEDIATE_CONF,
  run: (f, ctx) => {
    if (!f.factomdConf.ok) return skip(f.factomdConf.reason);
    const c = f.factomdConf.value;
    const errors = confFindings(c, ctx).filter((x) => x.severity === 'error' && !OWNED_ELSEWHERE.has(x.id));
    return errors.length > 0
      ? fail(`${c.path}: ${errors.map((x) => `${x.id}${x.line ? ` (line ${x.line})` : ''}: ${x.message}`).join('; ')}`)
      : pass(`${c.path}: no conf-lint errors`);
  },
};
