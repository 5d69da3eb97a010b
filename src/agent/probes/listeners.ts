import { sample, type Probe, type ProbeResult } from '../probe.js';
import type { AgentEvent } from '../payload.js';
import { parseNetSockets, type Listener } from '../../util/proc-net.js';

// The parser lives in a leaf module shared with `anoguard audit` (NET-001), which may not import the agent.
export { parseNetSockets, type Listener };

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
