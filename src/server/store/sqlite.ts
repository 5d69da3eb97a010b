import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentEvent, Sample } from '../../agent/payload.js';
import { AnoguardError } from '../../errors.js';
import { bucketRows, labelsKey, matchesLabels, planQuery, rollRows, severityRank, type RollupRow } from './plan.js';
import {
  DEFAULT_RETENTION, type AgentStatus, type EventQuery, type Labels, type LatestValue, type QueryResult, type Retention,
  type RetentionResult, type RollupResult, type SeriesQuery, type Store, type StoreOptions, type StoredEvent, type Tier,
  type WriteResult,
} from './types.js';

const SCHEMA_VERSION = 1;
/** Rows per multi-row INSERT: amortises statement overhead, stays far below SQLite's 32766 parameters. */
const CHUNK = 200;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const SEVERITIES = ['info', 'warning', 'critical'] as const;

const DDL = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY, node TEXT NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL,
  UNIQUE (node, name, labels));
CREATE TABLE IF NOT EXISTS samples_raw (
  series_id INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL, PRIMARY KEY (series_id, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS samples_1m (
  series_id INTEGER NOT NULL, t INTEGER NOT NULL, min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL,
  count INTEGER NOT NULL, last REAL NOT NULL, PRIMARY KEY (series_id, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS samples_1h (
  series_id INTEGER NOT NULL, t INTEGER NOT NULL, min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL,
  count INTEGER NOT NULL, last REAL NOT NULL, PRIMARY KEY (series_id, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, node TEXT NOT NULL, t INTEGER NOT NULL, kind TEXT NOT NULL, severity INTEGER NOT NULL,
  message TEXT NOT NULL, data TEXT NOT NULL, received_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_node_t ON events (node, t);
CREATE INDEX IF NOT EXISTS events_t ON events (t);
CREATE TABLE IF NOT EXISTS agents (
  agent TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_state (tier TEXT PRIMARY KEY, done_until INTEGER NOT NULL, dirty_from INTEGER) WITHOUT ROWID;
INSERT OR IGNORE INTO rollup_state VALUES ('1m', 0, NULL), ('1h', 0, NULL);
`;

type Row7 = readonly [number, number, number, number, number, number, number];
type Row6 = readonly [number, number, number, number, number, number];

export interface SqliteStoreOptions extends StoreOptions {
  /** 'full' (default) fsyncs the WAL at every commit, so an acknowledged batch survives power loss too. */
  synchronous?: 'full' | 'normal';
}

/**
 * The embedded default store: one SQLite file in WAL mode. better-sqlite3 is synchronous, which is
 * what makes a batch a single short write transaction; the async interface is for parity with
 * PostgreSQL.
 */
export function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (e) {
    throw new AnoguardError('E_STORE_OPEN', `cannot open SQLite store: ${(e as Error).message}`, { field: 'store', cause: e });
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new AnoguardError('E_STORE_VERSION', `store schema ${version} is newer than this anoguard (${SCHEMA_VERSION})`, { field: 'store' });
  }
  db.exec(DDL);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);

  const retention: Retention = { ...DEFAULT_RETENTION, ...opts.retention };
  const clock = opts.now ?? Date.now;
  const lateness = opts.latenessMs ?? MINUTE;

  const seriesIds = new Map<string, number>();
  /** (node, name) → its series with parsed labels; dropped for that pair when a series is added. */
  const seriesByName = new Map<string, { id: number; labels: Labels }[]>();
  const getSeries = db.prepare<[string, string, string], { id: number }>('SELECT id FROM series WHERE node = ? AND name = ? AND labels = ?');
  const addSeries = db.prepare<[string, string, string]>('INSERT INTO series (node, name, labels) VALUES (?, ?, ?)');
  const seriesOf = db.prepare<[string, string], { id: number; labels: string }>('SELECT id, labels FROM series WHERE node = ? AND name = ?');

  const insertRaw = (n: number) =>
    db.prepare(`INSERT OR IGNORE INTO samples_raw (series_id, t, v) VALUES ${Array(n).fill('(?,?,?)').join(',')}`);
  const insertRawChunk = insertRaw(CHUNK);
  const insertRawOne = insertRaw(1);
  const insertEvent = db.prepare('INSERT INTO events (node, t, kind, severity, message, data, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const getAgent = db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM agents WHERE agent = ?');
  const touchAgent = db.prepare('UPDATE agents SET last_seen = ? WHERE agent = ?');
  const upsertAgent = db.prepare(
    'INSERT INTO agents (agent, last_seq, first_seen, last_seen) VALUES (?, ?, ?, ?) ON CONFLICT (agent) DO UPDATE SET last_seq = excluded.last_seq, last_seen = excluded.last_seen',
  );
  const getState = db.prepare<[string], { done_until: number; dirty_from: number | null }>('SELECT done_until, dirty_from FROM rollup_state WHERE tier = ?');
  const markDirty = db.prepare('UPDATE rollup_state SET dirty_from = min(coalesce(dirty_from, @t), @t) WHERE tier = @tier AND done_until > @t');
  const setState = db.prepare('UPDATE rollup_state SET done_until = ?, dirty_from = NULL WHERE tier = ?');

  /*
   * The canonical key (sorted labels as JSON) costs more than the insert of the sample itself, so
   * the hot path looks series up by an order-dependent key that is cheap to build: label names are
   * [a-zA-Z0-9_] and each value is length-prefixed, so two different label sets never share it. A
   * miss falls back to the canonical key; a set sent in another order just gets a second entry.
   */
  const fastIds = new Map<string, number>();
  function seriesIdFast(node: string, name: string, labels: Labels): number {
    let fk = `${node}\u0000${name}`;
    for (const k in labels) { const v = labels[k]!; fk += `\u0000${k}:${v.length}:${v}`; }
    let id = fastIds.get(fk);
    if (id === undefined) fastIds.set(fk, (id = seriesId(node, name, labels)));
    return id;
  }

  function seriesId(node: string, name: string, labels: Labels): number {
    const lk = labelsKey(labels);
    const key = `${node}\u0000${name}\u0000${lk}`;
    let id = seriesIds.get(key);
    if (id === undefined) {
      id = getSeries.get(node, name, lk)?.id ?? Number(addSeries.run(node, name, lk).lastInsertRowid);
      seriesIds.set(key, id);
      seriesByName.delete(`${node}\u0000${name}`);
    }
    return id;
  }

  const writeOne = (agent: string, seq: number, samples: readonly Sample[], events: readonly AgentEvent[], now: number): WriteResult => {
    const prev = getAgent.get(agent)?.last_seq ?? 0;
    if (seq <= prev) {
      touchAgent.run(now, agent);
      return { ackedSeq: prev, duplicate: true, samples: 0, events: 0 };
    }
    const params: number[] = new Array<number>(CHUNK * 3);
    let k = 0;
    let minT = Infinity;
    for (const s of samples) {
      params[k++] = seriesIdFast(agent, s.name, s.labels);
      params[k++] = s.t;
      params[k++] = s.value;
      if (s.t < minT) minT = s.t;
      if (k === CHUNK * 3) { insertRawChunk.run(params); k = 0; }
    }
    for (let i = 0; i < k; i += 3) insertRawOne.run(params[i], params[i + 1], params[i + 2]);
    for (const e of events) {
      insertEvent.run(agent, e.t, e.kind, severityRank(e.severity), e.message, JSON.stringify(e.data), now);
    }
    upsertAgent.run(agent, seq, now, now);
    if (minT !== Infinity) markDirty.run({ t: minT, tier: '1m' });
    return { ackedSeq: seq, duplicate: false, samples: samples.length, events: events.length };
  };

  /*
   * Group commit: batches that arrive while the event loop is busy are written in one transaction,
   * so one WAL fsync covers several agents. Each batch keeps its own seq check (in arrival order),
   * and no promise resolves before the commit: an ack still means "on disk".
   */
  interface Pending { args: Parameters<typeof writeOne>; resolve: (r: WriteResult) => void; reject: (e: unknown) => void }
  let queue: Pending[] = [];
  const writeGroup = db.transaction((group: Pending[]) => group.map((p) => writeOne(...p.args)));
  const flush = () => {
    const group = queue;
    queue = [];
    let results: WriteResult[];
    try {
      results = writeGroup.immediate(group);
    } catch (e) {
      // Series added in the rolled-back transaction are gone: forget their cached ids.
      seriesIds.clear();
      fastIds.clear();
      seriesByName.clear();
      for (const p of group) p.reject(e);
      return;
    }
    group.forEach((p, i) => p.resolve(results[i]!));
  };

  const rowsOf: Record<Tier, Database.Statement<[number, number, number]>> = {
    raw: db.prepare('SELECT t, v, v, v, 1, v FROM samples_raw WHERE series_id = ? AND t >= ? AND t < ? ORDER BY t'),
    '1m': db.prepare('SELECT t, min, max, sum, count, last FROM samples_1m WHERE series_id = ? AND t >= ? AND t < ? ORDER BY t'),
    '1h': db.prepare('SELECT t, min, max, sum, count, last FROM samples_1h WHERE series_id = ? AND t >= ? AND t < ? ORDER BY t'),
  };
  for (const s of Object.values(rowsOf)) s.raw(true);

  /*
   * The recent part of the 1-hour tier, per series, in memory: a dashboard re-reads the same 720
   * rows per chart at every refresh, and reading rows out of SQLite is most of a query's cost. The
   * tier changes only when a rollup or retention writes it (about once an hour), which clears the
   * cache. Bounded to HOUR_CACHE_MS per series (~840 rows), about 15 MB for 200 series.
   */
  const HOUR_CACHE_MS = 35 * 86_400_000;
  const hourCache = new Map<number, { start: number; rows: Row6[] }>();
  const hourRowsSince = db.prepare<[number, number]>('SELECT t, min, max, sum, count, last FROM samples_1h WHERE series_id = ? AND t >= ? ORDER BY t').raw(true);
  function readTier(tier: Tier, id: number, from: number, to: number, out: Row6[]): void {
    if (tier === '1h') {
      let c = hourCache.get(id);
      if (c === undefined || from < c.start) {
        const start = floorTo(clock() - HOUR_CACHE_MS, HOUR);
        if (from >= start) hourCache.set(id, (c = { start, rows: hourRowsSince.all(id, start) as unknown as Row6[] }));
      }
      if (c !== undefined && from >= c.start) {
        const rows = c.rows;
        let lo = 0;
        let hi = rows.length;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (rows[mid]![0] < from) lo = mid + 1; else hi = mid; }
        for (let i = lo; i < rows.length && rows[i]![0] < to; i++) out.push(rows[i]!);
        return;
      }
    }
    for (const r of rowsOf[tier].all(id, from, to) as unknown as Row6[]) out.push(r);
  }

  // CROSS JOIN pins the loop order: for each series, a range seek in the (series_id, t) key. Without
  // it a time-range scan over all series would read the whole table.
  const scanForRollup = (tier: 'raw' | '1m') =>
    db.prepare<[number, number]>(
      tier === 'raw'
        ? 'SELECT r.series_id, r.t, r.v, r.v, r.v, 1, r.v FROM series s CROSS JOIN samples_raw r WHERE r.series_id = s.id AND r.t >= ? AND r.t < ? ORDER BY r.series_id, r.t'
        : 'SELECT r.series_id, r.t, r.min, r.max, r.sum, r.count, r.last FROM series s CROSS JOIN samples_1m r WHERE r.series_id = s.id AND r.t >= ? AND r.t < ? ORDER BY r.series_id, r.t',
    ).raw(true);
  const scanRaw = scanForRollup('raw');
  const scan1m = scanForRollup('1m');
  const upsertRoll = (table: string) =>
    db.prepare(`INSERT OR REPLACE INTO ${table} (series_id, t, min, max, sum, count, last) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const upsert1m = upsertRoll('samples_1m');
  const upsert1h = upsertRoll('samples_1h');

  function rollTier(scan: Database.Statement<[number, number]>, upsert: Database.Statement, from: number, to: number, size: number): number {
    if (to <= from) return 0;
    const rows: RollupRow[] = rollRows(scan.iterate(from, to) as IterableIterator<Row7>, size);
    for (const r of rows) upsert.run(r);
    return rows.length;
  }

  const rollupTx = db.transaction((now: number): RollupResult => {
    const m = getState.get('1m')!;
    const h = getState.get('1h')!;
    const mFrom = floorTo(Math.min(m.done_until, m.dirty_from ?? Infinity), MINUTE);
    const mTo = Math.max(m.done_until, floorTo(now - lateness, MINUTE));
    const minuteRows = rollTier(scanRaw, upsert1m, mFrom, mTo, MINUTE);
    setState.run(mTo, '1m');
    const hFrom = floorTo(Math.min(h.done_until, h.dirty_from ?? Infinity, mFrom), HOUR);
    const hTo = Math.max(h.done_until, floorTo(mTo, HOUR));
    const hourRows = rollTier(scan1m, upsert1h, hFrom, hTo, HOUR);
    if (hourRows > 0) hourCache.clear();
    setState.run(hTo, '1h');
    return { minuteRows, hourRows, minuteUntil: mTo, hourUntil: hTo };
  });

  const retentionTx = db.transaction((now: number): RetentionResult => {
    const m = getState.get('1m')!;
    const h = getState.get('1h')!;
    // Never drop what has not been rolled up yet: the coarser tier would lose it forever.
    const del = (table: string, cut: number) =>
      db.prepare(`DELETE FROM ${table} WHERE series_id IN (SELECT id FROM series) AND t < ?`).run(cut).changes;
    return {
      raw: del('samples_raw', Math.min(now - retention.rawMs, m.done_until)),
      minute: del('samples_1m', Math.min(now - retention.minuteMs, h.done_until)),
      hour: ((n: number) => { if (n > 0) hourCache.clear(); return n; })(del('samples_1h', now - retention.hourMs)),
      events: db.prepare('DELETE FROM events WHERE t < ?').run(now - retention.eventsMs).changes,
    };
  });

  let closed = false;
  const live = () => {
    if (closed) throw new AnoguardError('E_STORE_CLOSED', 'store is closed', { field: 'store' });
  };

  return {
    kind: 'sqlite',
    async writeBatch(agent, seq, samples, events, receivedAt) {
      live();
      return new Promise<WriteResult>((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ args: [agent, seq, samples, events, receivedAt], resolve, reject });
      });
    },

    async querySeries(q: SeriesQuery): Promise<QueryResult> {
      live();
      const plan = planQuery(q, clock(), retention);
      const m = getState.get('1m')!.done_until;
      const h = getState.get('1h')!.done_until;
      const nk = `${q.node}\u0000${q.name}`;
      let known = seriesByName.get(nk);
      if (known === undefined) {
        known = seriesOf.all(q.node, q.name).map((r) => ({ id: r.id, labels: JSON.parse(r.labels) as Labels }));
        seriesByName.set(nk, known);
      }
      // A coarse tier ends where its rollup stopped; the rest comes from the finer tiers.
      const segments: [Tier, number, number][] =
        plan.tier === 'raw' ? [['raw', plan.from, plan.to]]
          : plan.tier === '1m' ? [['1m', plan.from, Math.min(plan.to, m)], ['raw', Math.max(plan.from, m), plan.to]]
            : [['1h', plan.from, Math.min(plan.to, h)], ['1m', Math.max(plan.from, h), Math.min(plan.to, m)], ['raw', Math.max(plan.from, m, h), plan.to]];
      const series = [];
      for (const s of known) {
        const labels = s.labels;
        if (!matchesLabels(labels, q.labels)) continue;
        const rows: Row6[] = [];
        for (const [tier, from, to] of segments) {
          if (to > from) readTier(tier, s.id, from, to, rows);
        }
        series.push({ labels: { ...labels }, points: bucketRows(rows, plan.step) });
      }
      return { tier: plan.tier, step: plan.step, series };
    },

    async latest(filter = {}) {
      live();
      const where: string[] = [];
      const args: unknown[] = [];
      if (filter.node !== undefined) { where.push('s.node = ?'); args.push(filter.node); }
      if (filter.names !== undefined) { where.push(`s.name IN (${filter.names.map(() => '?').join(',') || 'NULL'})`); args.push(...filter.names); }
      const rows = db
        .prepare(
          `SELECT s.node, s.name, s.labels, r.t, r.v FROM series s CROSS JOIN samples_raw r
           WHERE r.series_id = s.id AND r.t = (SELECT max(t) FROM samples_raw WHERE series_id = s.id)
           ${where.length ? `AND ${where.join(' AND ')}` : ''} ORDER BY s.node, s.name, s.labels`,
        )
        .all(...args) as { node: string; name: string; labels: string; t: number; v: number }[];
      return rows.map((r): LatestValue => ({ node: r.node, name: r.name, labels: JSON.parse(r.labels) as Labels, t: r.t, value: r.v }));
    },

    async queryEvents(q: EventQuery) {
      live();
      const { sql, args } = eventsWhere(q);
      const rows = db
        .prepare(`SELECT id, node, t, kind, severity, message, data, received_at FROM events ${sql} ORDER BY t DESC, id DESC LIMIT ?`)
        .all(...args, Math.min(q.limit ?? 500, 10_000)) as { id: number; node: string; t: number; kind: string; severity: number; message: string; data: string; received_at: number }[];
      return rows.map((r): StoredEvent => ({
        id: r.id, node: r.node, t: r.t, kind: r.kind, severity: SEVERITIES[r.severity] ?? 'info', message: r.message,
        data: JSON.parse(r.data) as Record<string, unknown>, receivedAt: r.received_at,
      }));
    },

    async agents() {
      live();
      return (db.prepare('SELECT agent, last_seq, first_seen, last_seen FROM agents ORDER BY agent').all() as { agent: string; last_seq: number; first_seen: number; last_seen: number }[])
        .map((r): AgentStatus => ({ agent: r.agent, lastSeq: r.last_seq, firstSeen: r.first_seen, lastSeen: r.last_seen }));
    },

    async rollup(now) {
      live();
      return rollupTx.immediate(now);
    },

    async applyRetention(now) {
      live();
      return retentionTx.immediate(now);
    },

    async close() {
      if (closed) return;
      closed = true;
      if (queue.length > 0) flush();
      db.close();
    },
  };
}

function floorTo(t: number, size: number): number {
  return t - (t % size);
}

/** WHERE clause of an events query; kinds ending in `.` are prefixes. Shared in shape with PostgreSQL. */
function eventsWhere(q: EventQuery): { sql: string; args: (string | number)[] } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.node !== undefined) { where.push('node = ?'); args.push(q.node); }
  if (q.from !== undefined) { where.push('t >= ?'); args.push(q.from); }
  if (q.to !== undefined) { where.push('t < ?'); args.push(q.to); }
  if (q.minSeverity !== undefined) { where.push('severity >= ?'); args.push(severityRank(q.minSeverity)); }
  if (q.kinds !== undefined && q.kinds.length > 0) {
    where.push(`(${q.kinds.map((k) => (k.endsWith('.') ? "kind LIKE ? ESCAPE '\\'" : 'kind = ?')).join(' OR ')})`);
    for (const k of q.kinds) args.push(k.endsWith('.') ? `${k.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : k);
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', args };
}
