import { sample, type Probe } from '../probe.js';

/** node_exporter's default --collector.diskstats.device-exclude: RAM disks, loops, floppies and partitions. */
export const DEFAULT_DISK_EXCLUDE = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** The kernel counts sectors of 512 bytes in /proc/diskstats whatever the device's block size. */
const SECTOR_BYTES = 512;

export interface DiskStats {
  device: string;
  readsCompleted: number;
  readsMerged: number;
  readBytes: number;
  readSeconds: number;
  writesCompleted: number;
  writesMerged: number;
  writtenBytes: number;
  writeSeconds: number;
  ioNow: number;
  ioSeconds: number;
  ioWeightedSeconds: number;
}

/** Parses /proc/diskstats (major minor name + 11..20 counters); times are milliseconds in the file. */
export function parseDiskstats(text: string, exclude: RegExp = DEFAULT_DISK_EXCLUDE): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const device = f[2]!;
    if (exclude.test(device)) continue;
    const n = f.slice(3).map(Number);
    out.push({
      device,
      readsCompleted: n[0]!, readsMerged: n[1]!, readBytes: n[2]! * SECTOR_BYTES, readSeconds: n[3]! / 1000,
      writesCompleted: n[4]!, writesMerged: n[5]!, writtenBytes: n[6]! * SECTOR_BYTES, writeSeconds: n[7]! / 1000,
      ioNow: n[8]!, ioSeconds: n[9]! / 1000, ioWeightedSeconds: n[10]! / 1000,
    });
  }
  return out;
}

const NAMES: [keyof DiskStats, string][] = [
  ['readsCompleted', 'node_disk_reads_completed_total'],
  ['readsMerged', 'node_disk_reads_merged_total'],
  ['readBytes', 'node_disk_read_bytes_total'],
  ['readSeconds', 'node_disk_read_time_seconds_total'],
  ['writesCompleted', 'node_disk_writes_completed_total'],
  ['writesMerged', 'node_disk_writes_merged_total'],
  ['writtenBytes', 'node_disk_written_bytes_total'],
  ['writeSeconds', 'node_disk_write_time_seconds_total'],
  ['ioNow', 'node_disk_io_now'],
  ['ioSeconds', 'node_disk_io_time_seconds_total'],
  ['ioWeightedSeconds', 'node_disk_io_time_weighted_seconds_total'],
];

export const diskstatsProbe: Probe = {
  id: 'diskstats',
  describe: 'disk I/O per device from /proc/diskstats (node_disk_*)',
  async collect(ctx) {
    const disks = parseDiskstats(await ctx.readText(`${ctx.procRoot}/diskstats`));
    const samples = [];
    for (const d of disks) for (const [k, name] of NAMES) samples.push(sample(name, d[k] as number, ctx.now, { device: d.device }));
    return { samples, events: [] };
  },
};
