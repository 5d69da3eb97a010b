import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureCtx, valueOf, memoryState } from './helpers/ctx.js';
import { HOST_PROBES } from '../../src/agent/probes/index.js';
import { cpuProbe } from '../../src/agent/probes/cpu.js';
import { loadProbe } from '../../src/agent/probes/load.js';
import { memoryProbe } from '../../src/agent/probes/memory.js';
import { diskstatsProbe } from '../../src/agent/probes/diskstats.js';
import { filesystemProbe } from '../../src/agent/probes/filesystem.js';
import { netdevProbe } from '../../src/agent/probes/netdev.js';
import { processesProbe } from '../../src/agent/probes/processes.js';
import { filefdProbe } from '../../src/agent/probes/filefd.js';
import { boottimeProbe } from '../../src/agent/probes/boottime.js';
import { timeProbe } from '../../src/agent/probes/time.js';
import { listenersProbe, parseNetSockets } from '../../src/agent/probes/listeners.js';
import { SampleSchema } from '../../src/agent/payload.js';
import { collectOnce } from '../../src/agent/collect.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

describe('host probes on the fixture /proc (node_exporter semantics)', () => {
  it('cpu: ticks / USER_HZ (100) per cpu and mode, aggregate line skipped', async () => {
    const { samples } = await cpuProbe.collect(fixtureCtx());
    // cpu0: 1132 user ticks → 11.32 s; 11311718 idle ticks → 113117.18 s
    close(valueOf(samples, 'node_cpu_seconds_total', { cpu: '0', mode: 'user' }), 11.32);
    close(valueOf(samples, 'node_cpu_seconds_total', { cpu: '0', mode: 'idle' }), 113117.18);
    close(valueOf(samples, 'node_cpu_seconds_total', { cpu: '1', mode: 'iowait' }), 26.15);
    close(valueOf(samples, 'node_cpu_seconds_total', { cpu: '1', mode: 'steal' }), 0.07);
    close(valueOf(samples, 'node_cpu_guest_seconds_total', { cpu: '1', mode: 'user' }), 0.5);
    close(valueOf(samples, 'node_cpu_guest_seconds_total', { cpu: '1', mode: 'nice' }), 0.03);
    // 2 cpus × 8 modes, no series for the aggregate "cpu" line
    assert.equal(samples.filter((s) => s.name === 'node_cpu_seconds_total').length, 16);
  });

  it('load averages', async () => {
    const { samples } = await loadProbe.collect(fixtureCtx());
    assert.equal(valueOf(samples, 'node_load1'), 0.52);
    assert.equal(valueOf(samples, 'node_load5'), 0.38);
    assert.equal(valueOf(samples, 'node_load15'), 0.27);
  });

  it('meminfo: kB × 1024, (anon) → _anon, unitless lines keep no _bytes', async () => {
    const { samples } = await memoryProbe.collect(fixtureCtx());
    assert.equal(valueOf(samples, 'node_memory_MemTotal_bytes'), 16_698_368_000); // 16307000 × 1024
    assert.equal(valueOf(samples, 'node_memory_MemAvailable_bytes'), 8_975_802_368); // 8765432 × 1024
    assert.equal(valueOf(samples, 'node_memory_Active_anon_bytes'), 209_715_200); // 204800 × 1024
    assert.equal(valueOf(samples, 'node_memory_Inactive_file_bytes'), 524_288_000);
    assert.equal(valueOf(samples, 'node_memory_HugePages_Total'), 0);
    assert.equal(valueOf(samples, 'node_memory_Hugepagesize_bytes'), 2_097_152);
  });

  it('diskstats: sectors × 512, ms → s, ram/loop/partitions skipped', async () => {
    const { samples } = await diskstatsProbe.collect(fixtureCtx());
    const devices = [...new Set(samples.map((s) => s.labels.device))].sort();
    assert.deepEqual(devices, ['dm-0', 'nvme0n1', 'sda']);
    assert.equal(valueOf(samples, 'node_disk_reads_completed_total', { device: 'sda' }), 24580);
    assert.equal(valueOf(samples, 'node_disk_read_bytes_total', { device: 'sda' }), 748_968_960); // 1462830 × 512
    assert.equal(valueOf(samples, 'node_disk_writes_completed_total', { device: 'sda' }), 44125);
    assert.equal(valueOf(samples, 'node_disk_written_bytes_total', { device: 'sda' }), 2_088_861_696); // 4079808 × 512
    close(valueOf(samples, 'node_disk_read_time_seconds_total', { device: 'sda' }), 11.88);
    close(valueOf(samples, 'node_disk_io_time_seconds_total', { device: 'sda' }), 40.452);
    close(valueOf(samples, 'node_disk_io_time_weighted_seconds_total', { device: 'sda' }), 70.196);
    // the 11-field format of older kernels parses too
    assert.equal(valueOf(samples, 'node_disk_io_now', { device: 'dm-0' }), 2);
    assert.equal(valueOf(samples, 'node_disk_read_bytes_total', { device: 'dm-0' }), 409_600); // 800 × 512
  });

  it('filesystem: real filesystems only, blocks × bsize, escaped mount points', async () => {
    const asked: string[] = [];
    const ctx = fixtureCtx({ statfs: async (p) => { asked.push(p); return { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 65536, ffree: 60000 }; } });
    const { samples } = await filesystemProbe.collect(ctx);
    assert.deepEqual(asked.sort(), ['/', '/run', '/srv/factom data']);
    const l = { mountpoint: '/srv/factom data', fstype: 'xfs', device: '/dev/vdb1' };
    assert.equal(valueOf(samples, 'node_filesystem_size_bytes', l), 4_096_000);
    assert.equal(valueOf(samples, 'node_filesystem_free_bytes', l), 1_638_400);
    assert.equal(valueOf(samples, 'node_filesystem_avail_bytes', l), 1_228_800);
    assert.equal(valueOf(samples, 'node_filesystem_files', l), 65536);
    assert.equal(valueOf(samples, 'node_filesystem_files_free', l), 60000);
  });

  it('filesystem: a mount that cannot be stat-ed is a device_error, not a failure', async () => {
    const ctx = fixtureCtx({ statfs: async (p) => { if (p === '/run') throw new Error('EACCES'); return { bsize: 1, blocks: 1, bfree: 1, bavail: 1, files: 1, ffree: 1 }; } });
    const { samples } = await filesystemProbe.collect(ctx);
    assert.equal(valueOf(samples, 'node_filesystem_device_error', { mountpoint: '/run' }), 1);
    assert.equal(samples.filter((s) => s.name === 'node_filesystem_size_bytes').length, 2);
  });

  it('netdev: bytes, packets, errs, drop per interface', async () => {
    const { samples } = await netdevProbe.collect(fixtureCtx());
    assert.equal(valueOf(samples, 'node_network_receive_bytes_total', { device: 'eth0' }), 987_654_321);
    assert.equal(valueOf(samples, 'node_network_receive_packets_total', { device: 'eth0' }), 1_234_567);
    assert.equal(valueOf(samples, 'node_network_receive_errs_total', { device: 'eth0' }), 3);
    assert.equal(valueOf(samples, 'node_network_receive_drop_total', { device: 'eth0' }), 17);
    assert.equal(valueOf(samples, 'node_network_transmit_bytes_total', { device: 'eth0' }), 123_456_789);
    assert.equal(valueOf(samples, 'node_network_transmit_packets_total', { device: 'eth0' }), 654_321);
    assert.equal(valueOf(samples, 'node_network_transmit_errs_total', { device: 'eth0' }), 1);
    assert.equal(valueOf(samples, 'node_network_transmit_drop_total', { device: 'eth0' }), 2);
    assert.equal(valueOf(samples, 'node_network_transmit_bytes_total', { device: 'docker0' }), 656);
    assert.equal(valueOf(samples, 'node_network_receive_bytes_total', { device: 'lo' }), 1_512_896);
  });

  it('processes: running/blocked from /proc/stat, total from pid directories', async () => {
    const { samples } = await processesProbe.collect(fixtureCtx());
    assert.equal(valueOf(samples, 'node_procs_running'), 3);
    assert.equal(valueOf(samples, 'node_procs_blocked'), 1);
    assert.equal(valueOf(samples, 'node_processes_pids'), 3); // 1, 42, 1337; not net/self/sys
    assert.equal(valueOf(samples, 'node_forks_total'), 2915);
    assert.equal(valueOf(samples, 'node_context_switches_total'), 1_990_473);
  });

  it('file descriptors, boot time, time', async () => {
    const ctx = fixtureCtx({ now: 1_795_728_000_500 });
    assert.equal(valueOf((await filefdProbe.collect(ctx)).samples, 'node_filefd_allocated'), 3072);
    assert.equal(valueOf((await boottimeProbe.collect(ctx)).samples, 'node_boot_time_seconds'), 1_795_727_861);
    assert.equal(valueOf((await timeProbe.collect(ctx)).samples, 'node_time_seconds'), 1_795_728_000.5);
  });

  it('every host probe emits schema-valid samples stamped with the collection time', async () => {
    const ctx = fixtureCtx();
    for (const p of HOST_PROBES) {
      const r = await p.collect(ctx);
      assert.ok(r.samples.length > 0, p.id);
      for (const s of r.samples) {
        SampleSchema.parse(s);
        assert.equal(s.t, ctx.now);
      }
    }
  });
});

describe('listeners', () => {
  it('decodes little-endian IPv4/IPv6 addresses, keeps LISTEN and unconnected UDP only', () => {
    const tcp = parseNetSockets(
      `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F98 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 1 1 0 100 0 0 10 0
   1: 0F02000A:0016 0A000001:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0`, 'tcp');
    assert.deepEqual(tcp, [{ proto: 'tcp', address: '127.0.0.1', port: 8088, uid: 999 }]);
  });

  it('first run records a baseline; a new listener later is a listener.new warning', async () => {
    const state = memoryState();
    const first = await listenersProbe.collect(fixtureCtx({ state }));
    assert.deepEqual(first.events, []);
    assert.equal(valueOf(first.samples, 'anoguard_listening_sockets', { proto: 'tcp' }), 2);
    assert.equal(valueOf(first.samples, 'anoguard_listening_sockets', { proto: 'tcp6' }), 2);
    assert.equal(valueOf(first.samples, 'anoguard_listening_sockets', { proto: 'udp' }), 1);
    const baseline = state.get<string[]>('listeners.baseline')!;
    assert.ok(baseline.includes('tcp 0.0.0.0 8088'));
    assert.ok(baseline.includes('tcp6 :: 8108'));
    assert.ok(baseline.includes('tcp6 ::1 22'));
    assert.ok(baseline.includes('udp 127.0.0.1 53'));
    // Pretend 8088 was not there before and 9999 was: one new, one gone.
    state.set('listeners.baseline', [...baseline.filter((k) => k !== 'tcp 0.0.0.0 8088'), 'tcp 0.0.0.0 9999']);
    const second = await listenersProbe.collect(fixtureCtx({ state }));
    const neu = second.events.filter((e) => e.kind === 'listener.new');
    assert.equal(neu.length, 1);
    assert.equal(neu[0]!.severity, 'warning');
    assert.deepEqual(neu[0]!.data, { proto: 'tcp', address: '0.0.0.0', port: 8088, uid: 999 });
    assert.deepEqual(second.events.filter((e) => e.kind === 'listener.gone').map((e) => e.data.port), [9999]);
  });
});

describe('collectOnce', () => {
  it('runs periodic probes on every Nth collection only, all of them without an index; a failing probe costs only itself', async () => {
    const failing = { id: 'broken', describe: 'always fails', collect: async () => { throw new Error('nope'); } };
    const probes = [loadProbe, listenersProbe, failing];
    const ids = (r: Awaited<ReturnType<typeof collectOnce>>) => r.samples.filter((s) => s.name === 'anoguard_agent_probe_up').map((s) => `${s.labels.probe}=${s.value}`);
    const state = memoryState();
    assert.deepEqual(ids(await collectOnce(probes, fixtureCtx({ state }), { index: 0 })), ['load=1', 'listeners=1', 'broken=0']);
    const second = await collectOnce(probes, fixtureCtx({ state }), { index: 1 });
    assert.deepEqual(ids(second), ['load=1', 'broken=0']);
    assert.deepEqual(second.events, []); // the failure was reported once, at its start
    const oneOff = await collectOnce(probes, fixtureCtx({ state: memoryState() }));
    assert.deepEqual(ids(oneOff), ['load=1', 'listeners=1', 'broken=0']);
    assert.deepEqual(oneOff.events.map((e) => e.kind), ['agent.probe.error']);
    assert.equal(oneOff.errors.broken, 'nope');
  });
});
