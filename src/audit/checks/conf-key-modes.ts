import { fail, pass, skip, type Check, type FileStat } from '../types.js';
import { REMEDIATE_CONF } from './helpers.js';

const octal = (m: number): string => m.toString(8).padStart(4, '0');

export const confKeyModes: Check = {
  id: 'ANO-FCONF-007', area: 'factomd', title: 'factomd.conf and the TLS key are not readable by group or others',
  why: 'factomd.conf holds LocalServerPrivKey and FactomdRpcPass; any local account that can read it can sign as the authority.',
  severity: 'high', refs: [], remediation: `chmod 0600 (owner factomd) — \`anoguard render\` writes them so and \`anoguard apply\` installs them with these modes. ${REMEDIATE_CONF}`,
  run: (f) => {
    if (!f.factomdConf.ok) return skip(f.factomdConf.reason);
    const c = f.factomdConf.value;
    if (!c.stat) return skip(`cannot stat ${c.path}`);
    const files: FileStat[] = [c.stat, ...(c.tlsKey ? [c.tlsKey] : [])];
    const open = files.filter((s) => (s.mode & 0o077) !== 0);
    return open.length > 0
      ? fail(open.map((s) => `${s.path} mode ${octal(s.mode)} (${s.owner}:${s.group})`).join('; '))
      : pass(files.map((s) => `${s.path} ${octal(s.mode)}`).join('; '));
  },
};
