import { sample, type Probe } from '../probe.js';
import { parseProcStatMisc } from './processes.js';

/** Boot time (`btime` of /proc/stat, unix seconds); uptime is node_time_seconds − node_boot_time_seconds. */
export const boottimeProbe: Probe = {
  id: 'boottime',
  describe: 'boot time from /proc/stat btime (node_boot_time_seconds)',
  async collect(ctx) {
    const m = parseProcStatMisc(await ctx.readText(`${ctx.procRoot}/stat`));
    const samples = m.bootTime === undefined ? [] : [sample('node_boot_time_seconds', m.bootTime, ctx.now)];
    return { samples, events: [] };
  },
};
