import { sshdList, type SshdConfig } from '../parse/sshd.js';
import { fail, pass, type Check, type CheckOutcome, type Profile } from '../types.js';
import { REMEDIATE_SSHD, withFact } from './helpers.js';

/** dev-sec ssh-baseline allow-lists for current OpenSSH (security-baselines.md §5.1), plus the ML-KEM hybrid of OpenSSH ≥ 9.9. */
const CIPHERS = ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com', 'aes256-ctr', 'aes192-ctr', 'aes128-ctr'];
const KEX = ['mlkem768x25519-sha256', 'sntrup761x25519-sha512@openssh.com', 'sntrup761x25519-sha512', 'curve25519-sha256', 'curve25519-sha256@libssh.org', 'diffie-hellman-group-exchange-sha256'];
const MACS_ETM = ['hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'umac-128-etm@openssh.com'];
const MACS_DEVSEC = [...MACS_ETM, 'hmac-sha2-512', 'hmac-sha2-256'];

function allowList(c: SshdConfig, key: string, allowed: readonly string[]): CheckOutcome {
  const have = sshdList(c, key);
  const bad = have.filter((x) => !allowed.includes(x));
  return bad.length > 0 ? fail(`${key} allows ${bad.join(', ')}`) : pass(`${key} ${have.join(',')}`);
}

const macsFor = (p: Profile): string[] => (p === 'ano' ? MACS_ETM : MACS_DEVSEC);

export const sshCiphers: Check = {
  id: 'ANO-SSH-006', area: 'ssh', title: 'SSH ciphers are an allow-list of AEAD/CTR ciphers',
  why: 'CBC and RC4 ciphers have known weaknesses; a modern allow-list costs nothing with current clients.',
  severity: 'medium', refs: ['dev-sec:sshd-01', 'CIS-Ubuntu-24.04:5.1.6'], remediation: REMEDIATE_SSHD,
  run: (f) => withFact(f.sshd, (c) => allowList(c, 'ciphers', CIPHERS)),
};

export const sshKex: Check = {
  id: 'ANO-SSH-007', area: 'ssh', title: 'SSH key exchange limited to curve25519, post-quantum hybrids and DH group exchange',
  why: 'SHA-1 and small fixed DH groups are breakable or deprecated; a recorded session could be decrypted later.',
  severity: 'medium', refs: ['dev-sec:sshd-02', 'CIS-Ubuntu-24.04:5.1.12'], remediation: REMEDIATE_SSHD,
  run: (f) => withFact(f.sshd, (c) => allowList(c, 'kexalgorithms', KEX)),
};

export const sshMacs: Check = {
  id: 'ANO-SSH-008', area: 'ssh', title: 'SSH MACs are SHA-2 (encrypt-then-MAC under the ano profile)',
  why: 'MD5, SHA-1 and 64-bit-tag MACs are weak; encrypt-then-MAC modes avoid padding-oracle style attacks.',
  severity: 'medium', refs: ['dev-sec:sshd-03', 'CIS-Ubuntu-24.04:5.1.15'], remediation: REMEDIATE_SSHD,
  run: (f, ctx) => withFact(f.sshd, (c) => allowList(c, 'macs', macsFor(ctx.profile))),
};
