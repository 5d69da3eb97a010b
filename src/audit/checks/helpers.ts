import type { Listener } from '../../util/proc-net.js';
import { sshdValue, type SshdConfig } from '../parse/sshd.js';
import { fail, pass, skip, type CheckOutcome, type Fact } from '../types.js';

/** Runs `fn` on a gathered fact, or skips with the reason it could not be gathered. */
export function withFact<T>(f: Fact<T>, fn: (v: T) => CheckOutcome): CheckOutcome {
  return f.ok ? fn(f.value) : skip(f.reason);
}

/** keyword → accepted values; fails listing every keyword whose effective value is not accepted. */
export function expectSshd(c: SshdConfig, expected: Record<string, readonly string[]>): CheckOutcome {
  const bad: string[] = [];
  const good: string[] = [];
  for (const [key, allowed] of Object.entries(expected)) {
    const v = sshdValue(c, key);
    // sshd -T omits keywords the binary does not support (e.g. Kerberos when built without it): nothing to check.
    if (v === undefined) continue;
    if (allowed.includes(v)) good.push(`${key} ${v}`);
    else bad.push(`${key} ${v} (want ${allowed.join(' or ')})`);
  }
  return bad.length > 0 ? fail(bad.join('; ')) : pass(good.join('; ') || 'not applicable to this sshd build');
}

/** `sshdValue` as an integer; sshd -T prints times in seconds. */
export function sshdInt(c: SshdConfig, key: string): number | undefined {
  const v = sshdValue(c, key);
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

export const REMEDIATE_SSHD = 'Install the drop-in from `anoguard render` (sshd/50-anoguard.conf → /etc/ssh/sshd_config.d/), check with `sshd -t`, reload sshd; remove drop-ins that set the keyword earlier (first value wins), e.g. cloud-init\'s 50-cloud-init.conf.';
export const REMEDIATE_NFT = 'Load the ruleset from `anoguard render` (nftables.conf) with `anoguard apply` (auto-revert timer) or `nft -f`, and enable nftables.service so it survives a reboot.';
export const REMEDIATE_CONF = 'Regenerate factomd.conf with `anoguard render` (factomd.conf + the 0600 secrets file) and check it with `anoguard conf lint`.';
export const REMEDIATE_DOCKER = 'Use /etc/docker/daemon.json from `anoguard render` (docker/daemon.json), restart dockerd, and recreate the containers.';

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);
}

export function exposedListeners(ls: readonly Listener[]): Listener[] {
  return ls.filter((l) => !isLoopback(l.address));
}

/** The ports a listener list binds outside loopback, deduplicated and sorted. */
export function exposedPorts(ls: readonly Listener[]): number[] {
  return [...new Set(exposedListeners(ls).map((l) => l.port))].sort((a, b) => a - b);
}
