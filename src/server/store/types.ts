import type { AgentEvent, Sample } from '../../agent/payload.js';
import { EVENT_SEVERITIES } from '../../agent/payload.js';

/**
 * The one storage interface of the server. SQLite and PostgreSQL implement it with the same
 * semantics and are tested by the same suite (test/server/store-suite.ts).
 *
 * Samples live in three tiers: raw (as sent), 1-minute and 1-hour rollups (min, max, sum, count,
 * last). Each tier has its own retention; a query picks the tier from its resolution and span.
 * Events (security, faults, gaps) are a separate table: they are read by kind and time, never
 * aggregated.
 */
export type Tier = 'raw' | '1m' | '1h';
export const TIER_STEP_MS: Record<Tier, number> = { raw: 1, '1m': 60_000, '1h': 3_600_000 };

export type Labels = Record<string, string>;

export interface WriteResult {
  /** Everything up to and including this seq is durably stored. */
  ackedSeq: number;
  /** The seq had been committed before: nothing was written (at-least-once delivery retried it). */
  duplicate: boolean;
  samples: number;
  events: number;
}

/** One aggregated point. For raw data with one sample per step, avg = min = max = last. */
export interface Point {
  t: number;
  avg: number;
  min: number;
  max: number;
  /** The latest value in the step: what a counter's rate is computed from. */
  last: number;
  count: number;
}

export interface SeriesQuery {
  node: string;
  name: string;
  /** Subset match: a series matches when it has every one of these label values. */
  labels?: Labels;
  from: number;
  to: number;
  /** Wanted step in ms; the store never returns more than MAX_POINTS points per series. */
  resolution?: number;
}

export interface SeriesResult {
  labels: Labels;
  points: Point[];
}

export interface QueryResult {
  tier: Tier;
  /** Actual step of the points, ms. */
  step: number;
  series: SeriesResult[];
}

export interface LatestValue {
  node: string;
  name: string;
  labels: Labels;
  t: number;
  value: number;
}

export type Severity = (typeof EVENT_SEVERITIES)[number];

export interface StoredEvent extends AgentEvent {
  id: number;
  node: string;
  receivedAt: number;
}

export interface EventQuery {
  node?: string;
  /** exact kinds, or prefixes ending in `.` (e.g. `ssh.`) */
  kinds?: string[];
  minSeverity?: Severity;
  from?: number;
  to?: number;
  /** newest first; default 500, at most 10 000 */
  limit?: number;
}

export interface AgentStatus {
  agent: string;
  lastSeq: number;
  firstSeen: number;
  /** server clock, ms, of the last batch (duplicates included: the agent is alive) */
  lastSeen: number;
}

export interface Retention {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
  eventsMs: number;
}

const DAY = 86_400_000;
export const DEFAULT_RETENTION: Retention = { rawMs: 2 * DAY, minuteMs: 30 * DAY, hourMs: 400 * DAY, eventsMs: 400 * DAY };

export interface RollupResult {
  minuteRows: number;
  hourRows: number;
  minuteUntil: number;
  hourUntil: number;
}

export interface RetentionResult {
  raw: number;
  minute: number;
  hour: number;
  events: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Atomic with the agent's seq watermark: a seq at or below it is a duplicate and writes nothing. */
  writeBatch(agent: string, seq: number, samples: readonly Sample[], events: readonly AgentEvent[], receivedAt: number): Promise<WriteResult>;
  querySeries(q: SeriesQuery): Promise<QueryResult>;
  /** The newest raw value of every series (optionally of one node or some names). */
  latest(filter?: { node?: string; names?: string[] }): Promise<LatestValue[]>;
  queryEvents(q: EventQuery): Promise<StoredEvent[]>;
  agents(): Promise<AgentStatus[]>;
  /** Rolls complete minutes (and hours) up to `now - lateness`, re-doing buckets that late data touched. */
  rollup(now: number): Promise<RollupResult>;
  applyRetention(now: number): Promise<RetentionResult>;
  close(): Promise<void>;
}

export interface StoreOptions {
  retention?: Partial<Retention>;
  /** Clock for tier choice near retention edges; tests pass a fixed one. */
  now?: () => number;
  /** How long after a minute ends its rollup waits for late samples; default 60 s. */
  latenessMs?: number;
}
