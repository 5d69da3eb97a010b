import { sample, type Probe, type ProbeResult } from '../probe.js';
import type { AgentEvent } from '../payload.js';

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

export const listenerKey = (l: Listener): string => `${l.proto} ${l.address} ${l.port}`;

/**
 * Compares the listeners now with the baseline: a new one is a warning (an unexpected open port is
 * how a misconfigured RPC or a backdoor shows), a closed one is info. The first run only records.
 */
export function diffListeners(baseline: string[] | undefined, now: Listener[], t: number): AgentEvent[] {
  if (baseline === undefined) return [];
  const before = new Set(baseline);
  const nowKeys = new Set(now.map(listenerKey));
  const events: AgentEvent[] = [];
  for (const l of now) {
    if (before.has(listenerKey(l))) continue;
    events.push({
      kind: 'listener.new', severity: 'warning', t,
      message: `new ${l.proto} listener on ${l.address} port ${l.port} (uid ${l.uid})`,
      data: { proto: l.proto, address: l.address, port: l.port, uid: l.uid },
    });
  }
  for (const k of before) {
    if (nowKeys.has(k)) continue;
    const [proto, address, port] = k.split(' ');
    events.push({ kind: 'listener.gone', severity: 'info', t, message: `${proto} listener on ${address} port ${port} closed`, data: { proto, address, port: Number(port) } });
  }
  return events;
}

const STATE_KEY = 'listeners.baseline';

export const listenersProbe: Probe = {
  id: 'listeners',
  describe: 'listening TCP/UDP sockets from /proc/net/{tcp,tcp6,udp,udp6}; a new listener is an event',
  // Reading /proc/net/tcp walks the whole socket hash table in the kernel (~1.5 ms each on a
  // 24 GB host): once a minute at the default interval is enough for a new listener.
  period: 6,
  async collect(ctx): Promise<ProbeResult> {
    const all: Listener[] = [];
    for (const proto of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
      let text: string;
      try {
        text = await ctx.readText(`${ctx.procRoot}/net/${proto}`);
      } catch {
        continue; // no IPv6 on this host
      }
      all.push(...parseNetSockets(text, proto));
    }
    // The same socket may be listed twice (SO_REUSEPORT); one key each.
    const unique = [...new Map(all.map((l) => [listenerKey(l), l])).values()];
    const before = ctx.state.get<string[]>(STATE_KEY);
    const events = diffListeners(before, unique, ctx.now);
    const keys = unique.map(listenerKey).sort();
    if (before === undefined || keys.join('\n') !== before.join('\n')) ctx.state.set(STATE_KEY, keys);
    const counts = new Map<string, number>();
    for (const l of unique) counts.set(l.proto, (counts.get(l.proto) ?? 0) + 1);
    const samples = (['tcp', 'tcp6', 'udp', 'udp6'] as const).map((p) => sample('anoguard_listening_sockets', counts.get(p) ?? 0, ctx.now, { proto: p }));
    return { samples, events };
  },
};
