import { InputError } from '../../errors.js';
import { sample, type Probe } from '../probe.js';

export interface LoadAvg { load1: number; load5: number; load15: number }

/** Parses /proc/loadavg: `0.50 0.40 0.30 1/234 5678`. */
export function parseLoadavg(text: string): LoadAvg {
  const f = text.trim().split(/\s+/).slice(0, 3).map(Number);
  if (f.length < 3 || f.some((x) => !Number.isFinite(x))) throw new InputError('E_PROC_PARSE', 'unexpected /proc/loadavg format', { field: 'loadavg' });
  return { load1: f[0]!, load5: f[1]!, load15: f[2]! };
}

export const loadProbe: Probe = {
  id: 'load',
  describe: 'load averages from /proc/loadavg (node_load1/5/15)',
  async collect(ctx) {
    const l = parseLoadavg(await ctx.readText(`${ctx.procRoot}/loadavg`));
    return {
      samples: [sample('node_load1', l.load1, ctx.now), sample('node_load5', l.load5, ctx.now), sample('node_load15', l.load15, ctx.now)],
      events: [],
    };
  },
};
