import { loadFactomdConfig } from '../../factom/factomd-conf.js';
import { authorityPosition } from '../../topology/derive.js';
import { fail, pass, skip, type Check } from '../types.js';
import { REMEDIATE_CONF } from './helpers.js';
import { confFindings } from './conf-helpers.js';

const AUTHORITY_PREFIX = '888888';

export const confIdentity: Check = {
  id: 'ANO-FCONF-005', area: 'factomd', title: 'The authority identity is only on the node that should hold it',
  why: 'Two running nodes with one identity make factomd kill one of them; a follower holding the authority identity is a brain swap waiting to go wrong.',
  severity: 'critical', refs: [], remediation: `Keep the authority identity only in the master's secrets file; use \`anoguard swap\` to move it. ${REMEDIATE_CONF}`,
  run: (f, ctx) => {
    if (!f.factomdConf.ok) return skip(f.factomdConf.reason);
    const c = f.factomdConf.value;
    const position = ctx.topology && ctx.hostEntry ? authorityPosition(ctx.topology, ctx.hostEntry) : undefined;
    const role = ctx.hostEntry?.role ?? ctx.role;
    if (!role) return skip('needs --role, or --host with --topology, to know whether this node should hold the identity');
    const id = loadFactomdConfig(c.text, { path: c.path }).config.App.IdentityChainID ?? '';
    const holdsAuthority = id.toLowerCase().startsWith(AUTHORITY_PREFIX);
    if (role === 'authority' && position !== 'standby') {
      const bad = confFindings(c, { ...ctx, role: 'authority' }).filter((x) => ['identity-missing', 'identity-not-authority', 'privkey-default'].includes(x.id));
      return bad.length > 0 ? fail(`${c.path}: ${bad.map((x) => x.message).join('; ')}`) : pass(`${c.path}: authority identity ${id.slice(0, 12)}… with its own signing key`);
    }
    if (position === 'standby') return pass(`${c.path}: standby (identity ${id ? `${id.slice(0, 12)}…` : 'unset'}; the swap journal decides who holds the authority one)`);
    return holdsAuthority ? fail(`${c.path}: a ${role} holds authority identity ${id.slice(0, 12)}…`) : pass(`${c.path}: no authority identity on this ${role}`);
  },
};
