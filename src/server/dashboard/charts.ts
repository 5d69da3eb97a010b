import type { Point, QueryResult, SeriesQuery, Store } from '../store/types.js';

/**
 * Node-page charts, computed on the server into uPlot's column shape (one time axis, one value
 * array per line) so the browser bundle stays small and does no counter arithmetic.
 */
export interface Chart {
  t: number[];
  series: { label: string; unit: string; values: (number | null)[] }[];
  step: number;
}

export const MAX_CHART_POINTS = 400;

/** Per-second rate between consecutive points of a counter; a reset (drop) gives no value. */
export function counterRate(points: readonly Point[]): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const dt = (b.t - a.t) / 1000;
    if (dt > 0 && b.last >= a.last) out.set(b.t, (b.last - a.last) / dt);
  }
  return out;
}

/** Sums maps point-wise; a time where any input lacks a value is left out (partial sums mislead). */
export function sumAligned(maps: readonly Map<number, number>[]): Map<number, number> {
  if (maps.length === 0) return new Map();
  const out = new Map<number, number>();
  for (const [t, v] of maps[0]!) {
    let s = v;
    let whole = true;
    for (let i = 1; i < maps.length && whole; i++) {
      const x = maps[i]!.get(t);
      if (x === undefined) whole = false;
      else s += x;
    }
    if (whole) out.set(t, s);
  }
  return out;
}

export function toColumns(lines: { label: string; unit: string; data: Map<number, number> }[], step: number): Chart {
  const ts = [...new Set(lines.flatMap((l) => [...l.data.keys()]))].sort((a, b) => a - b);
  return { t: ts, step, series: lines.map((l) => ({ label: l.label, unit: l.unit, values: ts.map((t) => l.data.get(t) ?? null) })) };
}

const gauge = (r: QueryResult): Map<number, number> => new Map((r.series[0]?.points ?? []).map((p) => [p.t, p.avg]));
const rateSum = (r: QueryResult, keep: (l: Record<string, string>) => boolean = () => true): Map<number, number> =>
  sumAligned(r.series.filter((s) => keep(s.labels)).map((s) => counterRate(s.points)));

export const CHARTS = ['cpu', 'load', 'memory', 'diskio', 'netio', 'processes', 'filesystem', 'factomd'] as const;
export type ChartName = (typeof CHARTS)[number];

const VIRTUAL_IF = /^(lo|veth|docker|br-|virbr)/;
const VIRTUAL_FS = /^(tmpfs|devtmpfs|overlay|squashfs|proc|sysfs|cgroup2?|nsfs)$/;

export async function buildChart(store: Store, node: string, chart: ChartName, from: number, to: number): Promise<Chart> {
  const resolution = Math.max(1000, Math.ceil((to - from) / MAX_CHART_POINTS));
  const q = (name: string, labels?: Record<string, string>) => store.querySeries({ node, name, from, to, resolution, ...(labels ? { labels } : {}) } satisfies SeriesQuery);
  switch (chart) {
    case 'cpu': {
      const r = await q('node_cpu_seconds_total');
      const total = rateSum(r);
      const mode = (m: string): Map<number, number> => {
        const part = rateSum(r, (l) => l.mode === m);
        return new Map([...part].flatMap(([t, v]) => { const d = total.get(t); return d ? [[t, (100 * v) / d] as [number, number]] : []; }));
      };
      return toColumns([{ label: 'user %', unit: '%', data: mode('user') }, { label: 'system %', unit: '%', data: mode('system') }, { label: 'iowait %', unit: '%', data: mode('iowait') }], r.step);
    }
    case 'load': {
      const [a, b, c] = await Promise.all([q('node_load1'), q('node_load5'), q('node_load15')]);
      return toColumns([{ label: 'load1', unit: '', data: gauge(a) }, { label: 'load5', unit: '', data: gauge(b) }, { label: 'load15', unit: '', data: gauge(c) }], a.step);
    }
    case 'memory': {
      const [tot, av] = await Promise.all([q('node_memory_MemTotal_bytes'), q('node_memory_MemAvailable_bytes')]);
      const t = gauge(tot);
      const a = gauge(av);
      const used = new Map([...a].flatMap(([k, v]) => { const x = t.get(k); return x === undefined ? [] : [[k, x - v] as [number, number]]; }));
      return toColumns([{ label: 'used', unit: 'B', data: used }, { label: 'available', unit: 'B', data: a }], av.step);
    }
    case 'diskio': {
      const [rd, wr] = await Promise.all([q('node_disk_read_bytes_total'), q('node_disk_written_bytes_total')]);
      return toColumns([{ label: 'read B/s', unit: 'B/s', data: rateSum(rd) }, { label: 'write B/s', unit: 'B/s', data: rateSum(wr) }], rd.step);
    }
    case 'netio': {
      const [rx, tx] = await Promise.all([q('node_network_receive_bytes_total'), q('node_network_transmit_bytes_total')]);
      const phys = (l: Record<string, string>) => !VIRTUAL_IF.test(l.device ?? '');
      return toColumns([{ label: 'receive B/s', unit: 'B/s', data: rateSum(rx, phys) }, { label: 'transmit B/s', unit: 'B/s', data: rateSum(tx, phys) }], rx.step);
    }
    case 'processes': {
      const [pids, run, blk] = await Promise.all([q('node_processes_pids'), q('node_procs_running'), q('node_procs_blocked')]);
      return toColumns([{ label: 'processes', unit: '', data: gauge(pids) }, { label: 'running', unit: '', data: gauge(run) }, { label: 'blocked', unit: '', data: gauge(blk) }], pids.step);
    }
    case 'filesystem': {
      const [size, avail] = await Promise.all([q('node_filesystem_size_bytes'), q('node_filesystem_avail_bytes')]);
      const lines = size.series.filter((s) => !VIRTUAL_FS.test(s.labels.fstype ?? '')).slice(0, 6).map((s) => {
        const av = avail.series.find((x) => x.labels.mountpoint === s.labels.mountpoint);
        const a = new Map((av?.points ?? []).map((p) => [p.t, p.avg]));
        const data = new Map(s.points.flatMap((p) => { const x = a.get(p.t); return x === undefined || p.avg <= 0 ? [] : [[p.t, (100 * (p.avg - x)) / p.avg] as [number, number]]; }));
        return { label: `${s.labels.mountpoint ?? '?'} used %`, unit: '%', data };
      });
      return toColumns(lines, size.step);
    }
    case 'factomd': {
      const [lh, min] = await Promise.all([q('factomd_leader_height'), q('factomd_minute')]);
      return toColumns([{ label: 'leader height', unit: '', data: new Map((lh.series[0]?.points ?? []).map((p) => [p.t, p.last])) }, { label: 'minute', unit: '', data: gauge(min) }], lh.step);
    }
  }
}
