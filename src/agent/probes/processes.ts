import { sample, type Probe } from '../probe.js';

export interface ProcStatMisc {
  procsRunning?: number;
  procsBlocked?: number;
  bootTime?: number;
  contextSwitches?: number;
  forks?: number;
}

/** The single-value lines of /proc/stat (procs_running, procs_blocked, btime, ctxt, processes). */
export function parseProcStatMisc(text: string): ProcStatMisc {
  const out: ProcStatMisc = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.split(/\s+/);
    const n = Number(v);
    if (!Number.isFinite(n)) continue;
    if (k === 'procs_running') out.procsRunning = n;
    else if (k === 'procs_blocked') out.procsBlocked = n;
    else if (k === 'btime') out.bootTime = n;
    else if (k === 'ctxt') out.contextSwitches = n;
    else if (k === 'processes') out.forks = n;
  }
  return out;
}

/** Number of processes: the numeric entries of /proc (what node_exporter's processes collector calls pids). */
export function countPids(entries: string[]): number {
  return entries.filter((e) => /^\d+$/.test(e)).length;
}

export const processesProbe: Probe = {
  id: 'processes',
  describe: 'running, blocked and total processes (/proc/stat, /proc/<pid>)',
  async collect(ctx) {
    const m = parseProcStatMisc(await ctx.readText(`${ctx.procRoot}/stat`));
    const samples = [];
    if (m.procsRunning !== undefined) samples.push(sample('node_procs_running', m.procsRunning, ctx.now));
    if (m.procsBlocked !== undefined) samples.push(sample('node_procs_blocked', m.procsBlocked, ctx.now));
    if (m.contextSwitches !== undefined) samples.push(sample('node_context_switches_total', m.contextSwitches, ctx.now));
    if (m.forks !== undefined) samples.push(sample('node_forks_total', m.forks, ctx.now));
    samples.push(sample('node_processes_pids', countPids(await ctx.listDir(ctx.procRoot)), ctx.now));
    return { samples, events: [] };
  },
};
