import { InputError } from '../../errors.js';
import type { Labels, Point, Retention, SeriesQuery, Tier } from './types.js';
import { TIER_STEP_MS } from './types.js';

/** A dashboard chart is at most ~1000 px wide: more points per series are wasted work. */
export const MAX_POINTS = 1000;

export interface QueryPlan {
  tier: Tier;
  step: number;
  from: number;
  to: number;
}

/**
 * Chooses the tier: the step is the wanted resolution or span / MAX_POINTS, whichever is coarser;
 * steps under a minute read raw data, under 20 minutes the 1-minute tier, else the 1-hour tier. A
 * range reaching past a tier's retention moves to the next coarser tier, where the data still is.
 */
export function planQuery(q: SeriesQuery, now: number, retention: Retention): QueryPlan {
  if (!Number.isFinite(q.from) || !Number.isFinite(q.to) || q.to <= q.from) {
    throw new InputError('E_BAD_RANGE', 'need from < to (unix ms)', { field: 'from' });
  }
  if (q.resolution !== undefined && (!Number.isFinite(q.resolution) || q.resolution <= 0)) {
    throw new InputError('E_BAD_RESOLUTION', 'resolution must be a positive number of ms', { field: 'resolution' });
  }
  const wanted = Math.max(q.resolution ?? 1, Math.ceil((q.to - q.from) / MAX_POINTS));
  let tier: Tier = wanted < 60_000 ? 'raw' : wanted < 20 * 60_000 ? '1m' : '1h';
  if (tier === 'raw' && q.from < now - retention.rawMs) tier = '1m';
  if (tier === '1m' && q.from < now - retention.minuteMs) tier = '1h';
  const base = TIER_STEP_MS[tier];
  const step = Math.max(base, Math.ceil(wanted / base) * base);
  return { tier, step, from: q.from, to: q.to };
}

/** Canonical form of a label set: sorted keys, so one series has one dictionary row. */
export function labelsKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '{}';
  if (keys.length > 1) keys.sort();
  let s = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    s += `${i ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(labels[k])}`;
  }
  return `${s}}`;
}

export function matchesLabels(have: Labels, want: Labels | undefined): boolean {
  if (want === undefined) return true;
  for (const k of Object.keys(want)) if (have[k] !== want[k]) return false;
  return true;
}

/**
 * Folds tier rows (ordered by t) into steps. Rows are [t, min, max, sum, count, last]; a step's last
 * is the last row's last, so counters stay correct at every tier.
 */
export function bucketRows(rows: ArrayLike<readonly [number, number, number, number, number, number]>, step: number): Point[] {
  const out: Point[] = [];
  let cur: Point | undefined;
  let sum = 0;
  for (let i = 0; i < rows.length; i++) {
    const [t, mn, mx, s, c, last] = rows[i]!;
    const b = t - (t % step);
    if (cur === undefined || cur.t !== b) {
      if (cur !== undefined) { cur.avg = sum / cur.count; out.push(cur); }
      cur = { t: b, avg: 0, min: mn, max: mx, last, count: c };
      sum = s;
    } else {
      if (mn < cur.min) cur.min = mn;
      if (mx > cur.max) cur.max = mx;
      cur.last = last;
      cur.count += c;
      sum += s;
    }
  }
  if (cur !== undefined) { cur.avg = sum / cur.count; out.push(cur); }
  return out;
}

export type RollupRow = [seriesId: number, t: number, min: number, max: number, sum: number, count: number, last: number];

/**
 * Aggregates rows ordered by (series, t) into buckets of `size` ms. Input rows are
 * [series, t, min, max, sum, count, last] (raw rows: min = max = sum = last = v, count = 1).
 */
export function rollRows(rows: Iterable<readonly [number, number, number, number, number, number, number]>, size: number): RollupRow[] {
  const out: RollupRow[] = [];
  let cur: RollupRow | undefined;
  for (const [sid, t, mn, mx, s, c, last] of rows) {
    const b = t - (t % size);
    if (cur === undefined || cur[0] !== sid || cur[1] !== b) {
      if (cur !== undefined) out.push(cur);
      cur = [sid, b, mn, mx, s, c, last];
    } else {
      if (mn < cur[2]) cur[2] = mn;
      if (mx > cur[3]) cur[3] = mx;
      cur[4] += s;
      cur[5] += c;
      cur[6] = last;
    }
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

export function severityRank(s: string): number {
  return s === 'critical' ? 2 : s === 'warning' ? 1 : 0;
}
