import { sample, type Probe, type ProbeResult } from '../probe.js';

/** Kernel clock ticks per second reported in /proc/stat (USER_HZ); 100 on every Linux ABI we run on. */
export const USER_HZ = 100;

/** /proc/stat columns after the cpu name, in kernel order (node_exporter's mode names). */
const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

export interface CpuTimes {
  cpu: string;
  /** seconds per mode */
  seconds: Record<(typeof MODES)[number], number>;
  guest: number;
  guestNice: number;
}

/** Parses the per-CPU lines (`cpuN …`) of /proc/stat; the aggregate `cpu` line is skipped like node_exporter does. */
export function parseProcStatCpus(text: string): CpuTimes[] {
  const out: CpuTimes[] = [];
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    const seconds = {} as CpuTimes['seconds'];
    MODES.forEach((mode, i) => { seconds[mode] = (f[i] ?? 0) / USER_HZ; });
    out.push({ cpu: m[1]!, seconds, guest: (f[8] ?? 0) / USER_HZ, guestNice: (f[9] ?? 0) / USER_HZ });
  }
  return out;
}

export const cpuProbe: Probe = {
  id: 'cpu',
  describe: 'CPU seconds per cpu and mode from /proc/stat (node_cpu_seconds_total)',
  async collect(ctx): Promise<ProbeResult> {
    const cpus = parseProcStatCpus(await ctx.readText(`${ctx.procRoot}/stat`));
    const samples = [];
    for (const c of cpus) {
      for (const mode of MODES) samples.push(sample('node_cpu_seconds_total', c.seconds[mode], ctx.now, { cpu: c.cpu, mode }));
      samples.push(sample('node_cpu_guest_seconds_total', c.guest, ctx.now, { cpu: c.cpu, mode: 'user' }));
      samples.push(sample('node_cpu_guest_seconds_total', c.guestNice, ctx.now, { cpu: c.cpu, mode: 'nice' }));
    }
    return { samples, events: [] };
  },
};
