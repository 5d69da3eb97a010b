import { type Check } from '../types.js';
import { expectSshd, REMEDIATE_SSHD, withFact } from './helpers.js';

export const sshForwarding: Check = {
  id: 'ANO-SSH-014', area: 'ssh', title: 'SSH forwarding and tunnels off (TCP, agent, X11, tun, gateway ports)',
  why: 'Forwarding turns the authority node into a pivot: a compromised operator key could reach the private p2p network through it.',
  severity: 'medium', refs: ['dev-sec:sshd-38', 'dev-sec:sshd-39', 'dev-sec:sshd-40', 'dev-sec:sshd-41', 'dev-sec:sshd-42', 'CIS-Ubuntu-24.04:5.1.8', 'Lynis:SSH-7408'],
  remediation: REMEDIATE_SSHD,
  run: (f) => withFact(f.sshd, (c) => expectSshd(c, {
    allowtcpforwarding: ['no'], allowagentforwarding: ['no'], x11forwarding: ['no'], permittunnel: ['no'], gatewayports: ['no'],
  })),
};

export const sshTrust: Check = {
  id: 'ANO-SSH-015', area: 'ssh', title: 'No host-based trust, no user environment, strict file modes',
  why: 'Host-based and rhosts trust let another machine vouch for a user; PermitUserEnvironment lets a key bypass restrictions via LD_PRELOAD.',
  severity: 'medium', refs: ['dev-sec:sshd-11', 'dev-sec:sshd-17', 'dev-sec:sshd-23', 'dev-sec:sshd-25', 'CIS-Ubuntu-24.04:5.1.10', 'CIS-Ubuntu-24.04:5.1.11', 'CIS-Ubuntu-24.04:5.1.21', 'Lynis:SSH-7408'],
  remediation: REMEDIATE_SSHD,
  run: (f) => withFact(f.sshd, (c) => expectSshd(c, {
    hostbasedauthentication: ['no'], ignorerhosts: ['yes'], permituserenvironment: ['no'], strictmodes: ['yes'],
  })),
};

export const sshPubkey: Check = {
  id: 'ANO-SSH-016', area: 'ssh', title: 'Public-key authentication enabled',
  why: 'With passwords off, keys are the only way in; without them the operators are locked out.',
  severity: 'high', refs: ['dev-sec:sshd-22'], remediation: REMEDIATE_SSHD,
  run: (f) => withFact(f.sshd, (c) => expectSshd(c, { pubkeyauthentication: ['yes'] })),
};

export const sshGssapi: Check = {
  id: 'ANO-SSH-017', area: 'ssh', title: 'GSSAPI and Kerberos authentication off',
  why: 'Unused authentication code paths are attack surface (and slow logins with DNS lookups).',
  severity: 'low', refs: ['dev-sec:sshd-30', 'dev-sec:sshd-33', 'CIS-Ubuntu-24.04:5.1.9'], remediation: REMEDIATE_SSHD,
  run: (f) => withFact(f.sshd, (c) => expectSshd(c, { gssapiauthentication: ['no'], kerberosauthentication: ['no'] })),
};
