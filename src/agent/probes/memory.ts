import { sample, type Probe } from '../probe.js';

/**
 * Parses /proc/meminfo into node_exporter metric names: `Active(anon): 12 kB` becomes
 * `node_memory_Active_anon_bytes` = 12288; lines without a unit (HugePages_Total) keep no `_bytes`.
 */
export function parseMeminfo(text: string): { name: string; value: number }[] {
  const out: { name: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!m) continue;
    const key = m[1]!.replace(/\((.*)\)/, '_$1').replace(/[^a-zA-Z0-9_]/g, '_');
    const value = Number(m[2]) * (m[3] ? 1024 : 1);
    out.push({ name: `node_memory_${key}${m[3] ? '_bytes' : ''}`, value });
  }
  return out;
}

export const memoryProbe: Probe = {
  id: 'memory',
  describe: 'memory from /proc/meminfo (node_memory_*_bytes)',
  async collect(ctx) {
    const rows = parseMeminfo(await ctx.readText(`${ctx.procRoot}/meminfo`));
    return { samples: rows.map((r) => sample(r.name, r.value, ctx.now)), events: [] };
  },
};
