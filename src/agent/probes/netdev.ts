import { sample, type Probe } from '../probe.js';

export interface NetDev {
  device: string;
  receive: { bytes: number; packets: number; errs: number; drop: number };
  transmit: { bytes: number; packets: number; errs: number; drop: number };
}

/** Parses /proc/net/dev: two header lines, then `iface: 8 receive counters 8 transmit counters`. */
export function parseNetDev(text: string): NetDev[] {
  const out: NetDev[] = [];
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0 || line.includes('|')) continue;
    const device = line.slice(0, i).trim();
    const n = line.slice(i + 1).trim().split(/\s+/).map(Number);
    if (device === '' || n.length < 16) continue;
    out.push({
      device,
      receive: { bytes: n[0]!, packets: n[1]!, errs: n[2]!, drop: n[3]! },
      transmit: { bytes: n[8]!, packets: n[9]!, errs: n[10]!, drop: n[11]! },
    });
  }
  return out;
}

export const netdevProbe: Probe = {
  id: 'netdev',
  describe: 'network I/O per interface from /proc/net/dev (node_network_*_total)',
  async collect(ctx) {
    const samples = [];
    for (const d of parseNetDev(await ctx.readText(`${ctx.procRoot}/net/dev`))) {
      for (const dir of ['receive', 'transmit'] as const) {
        for (const k of ['bytes', 'packets', 'errs', 'drop'] as const) {
          samples.push(sample(`node_network_${dir}_${k}_total`, d[dir][k], ctx.now, { device: d.device }));
        }
      }
    }
    return { samples, events: [] };
  },
};
