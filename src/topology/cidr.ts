import { isIP } from 'node:net';

/** `a.b.c.d`, `a.b.c.d/nn`, an IPv6 address or `v6/nn`; returns the family, or 0 when not one. */
export function cidrFamily(text: string): 0 | 4 | 6 {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const fam = isIP(addr);
  if (fam === 0) return 0;
  if (slash < 0) return fam as 4 | 6;
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return 0;
  const n = Number(bits);
  return n <= (fam === 4 ? 32 : 128) ? (fam as 4 | 6) : 0;
}

/** Prefix length of a CIDR (a bare address is a host route). */
export function cidrPrefix(text: string): number {
  const slash = text.indexOf('/');
  if (slash >= 0) return Number(text.slice(slash + 1));
  return cidrFamily(text) === 6 ? 128 : 32;
}

/** True for a source that matches the whole address space of its family (0.0.0.0/0, ::/0). */
export function isAnyCidr(text: string): boolean {
  return cidrFamily(text) !== 0 && cidrPrefix(text) === 0;
}

/** A bare address becomes a host route so firewall sets and cloud rules read the same way. */
export function toHostCidr(address: string): string {
  if (address.includes('/')) return address;
  return cidrFamily(address) === 6 ? `${address}/128` : `${address}/32`;
}
