import { sample, type Probe, type ProbeResult } from '../probe.js';

/** node_exporter's default --collector.filesystem.fs-types-exclude: pseudo and read-only image filesystems. */
export const DEFAULT_FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$/;
/** node_exporter's default --collector.filesystem.mount-points-exclude. */
export const DEFAULT_MOUNT_POINTS_EXCLUDE = /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;

export interface Mount { device: string; mountpoint: string; fstype: string }

/** /proc/mounts escapes space, tab, newline and backslash as octal (`\040`). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses /proc/self/mounts and keeps real filesystems only, one entry per mount point (the last mount wins, as the kernel shows it). */
export function parseMounts(text: string): Mount[] {
  const byPoint = new Map<string, Mount>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3) continue;
    const m = { device: unescapeMount(f[0]!), mountpoint: unescapeMount(f[1]!), fstype: f[2]! };
    if (DEFAULT_FS_TYPES_EXCLUDE.test(m.fstype) || DEFAULT_MOUNT_POINTS_EXCLUDE.test(m.mountpoint)) continue;
    byPoint.set(m.mountpoint, m);
  }
  return [...byPoint.values()];
}

export const filesystemProbe: Probe = {
  id: 'filesystem',
  describe: 'size, free and available bytes and inodes of real filesystems (statfs on /proc/self/mounts)',
  async collect(ctx): Promise<ProbeResult> {
    const mounts = parseMounts(await ctx.readText(`${ctx.procRoot}/self/mounts`));
    const samples = [];
    for (const m of mounts) {
      let s;
      try {
        s = await ctx.statfs(m.mountpoint);
      } catch {
        // A mount we may not stat (permissions, a stale NFS handle) is skipped, like node_exporter's device_error.
        samples.push(sample('node_filesystem_device_error', 1, ctx.now, { ...m }));
        continue;
      }
      const labels = { device: m.device, fstype: m.fstype, mountpoint: m.mountpoint };
      samples.push(
        sample('node_filesystem_size_bytes', s.blocks * s.bsize, ctx.now, labels),
        sample('node_filesystem_free_bytes', s.bfree * s.bsize, ctx.now, labels),
        sample('node_filesystem_avail_bytes', s.bavail * s.bsize, ctx.now, labels),
        sample('node_filesystem_files', s.files, ctx.now, labels),
        sample('node_filesystem_files_free', s.ffree, ctx.now, labels),
      );
    }
    return { samples, events: [] };
  },
};
