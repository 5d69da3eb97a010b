import { fail, pass, skip, type Check } from '../types.js';

export const hostHids: Check = {
  id: 'ANO-HOST-004', area: 'host', title: 'A host IDS runs (OSSEC/Wazuh agent) or anoguard file integrity monitoring is on',
  why: 'Someone editing factomd.conf or authorized_keys must raise an alert before the next block, not at the next manual look.',
  severity: 'medium', refs: ['Lynis:FINT-4328', 'Lynis:FINT-4344', 'Lynis:TOOL-5126', 'Lynis:TOOL-5128'],
  remediation: 'Install the anoguard agent (`anoguard render` writes its unit and /etc/anoguard/agent.yaml; FIM watches factomd.conf and keys) or a Wazuh/OSSEC agent.',
  run: (f) => {
    if (!f.processes.ok) return skip(f.processes.reason);
    const hids = f.processes.value.filter((p) => /^(ossec|wazuh)-/.test(p.comm)).map((p) => p.comm);
    if (hids.length > 0) return pass(`running: ${[...new Set(hids)].join(', ')}`);
    const agent = f.processes.value.some((p) => /\banoguard\b.*\bagent run\b/.test(p.args));
    const configured = f.anoguardFim.ok && f.anoguardFim.value.configured;
    if (agent && configured) return pass('anoguard agent running with /etc/anoguard/agent.yaml (FIM)');
    return fail(`no OSSEC/Wazuh process; anoguard agent ${agent ? 'running' : 'not running'}, /etc/anoguard/agent.yaml ${configured ? 'present' : 'absent'}`);
  },
};
