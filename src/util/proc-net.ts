/**
 * /proc/net/{tcp,tcp6,udp,udp6} parsing, pure: shared by the agent's listener probe and the audit's
 * NET-001 check (neither may import the other).
 */

export interface Listener { proto: 'tcp' | 'tcp6' | 'udp' | 'udp6'; address: string; port: number; uid: number }

const TCP_LISTEN = '0A';
/** An unconnected UDP socket sits in TCP_CLOSE (07) with a zero remote address: that is a UDP "listener". */
const UDP_UNCONNECTED = '07';

/** The kernel prints each 32-bit word of the address in host order (little-endian on x86/arm64). */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // v4-mapped addresses read better in their dotted form.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') return `::ffff:${bytes.slice(12).join('.')}`;
  return compressV6(groups);
}

function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Parses /proc/net/{tcp,tcp6,udp,udp6} text and returns the listening sockets. */
export function parseNetSockets(text: string, proto: Listener['proto']): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [localHex, localPort] = f[1]!.split(':');
    const [remoteHex] = f[2]!.split(':');
    const st = f[3]!;
    const isTcp = proto.startsWith('tcp');
    if (isTcp ? st !== TCP_LISTEN : st !== UDP_UNCONNECTED || !/^0+$/.test(remoteHex ?? '')) continue;
    out.push({ proto, address: decodeAddress(localHex ?? ''), port: parseInt(localPort ?? '0', 16), uid: Number(f[7]) });
  }
  return out;
}
