import { InputError } from '../../errors.js';
import { sample, type Probe } from '../probe.js';

/** Parses /proc/sys/fs/file-nr: `allocated unused maximum`. */
export function parseFileNr(text: string): { allocated: number; maximum: number } {
  const f = text.trim().split(/\s+/).map(Number);
  if (f.length < 3 || f.some((x) => !Number.isFinite(x))) throw new InputError('E_PROC_PARSE', 'unexpected file-nr format', { field: 'file-nr' });
  return { allocated: f[0]!, maximum: f[2]! };
}

export const filefdProbe: Probe = {
  id: 'filefd',
  describe: 'allocated file descriptors from /proc/sys/fs/file-nr (node_filefd_*)',
  async collect(ctx) {
    const f = parseFileNr(await ctx.readText(`${ctx.procRoot}/sys/fs/file-nr`));
    return { samples: [sample('node_filefd_allocated', f.allocated, ctx.now), sample('node_filefd_maximum', f.maximum, ctx.now)], events: [] };
  },
};
