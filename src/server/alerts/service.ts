import type { Logger } from '../../log.js';
import type { Channel, Notification } from '../notify/types.js';
import { deliverAll, type RetryOptions } from '../notify/deliver.js';
import type { AppDb } from '../state/appdb.js';
import type { Store } from '../store/types.js';
import type { AlertConfig } from './config.js';
import { advanceAlerts, groupForNotification, markNotified, type Alert, type NotificationGroup, type Transition } from './engine.js';
import { loadActive, listSilences, saveEvaluation } from './history.js';
import { evaluateRules, type AlertInput, type CertInput, type NodeInput, type Point, type SwapInput } from './rules.js';

/**
 * Gathers the rules' input from the store: latest values, agent liveness, the short histories the
 * rules watch move, and the recent events. Kept small: one `latest()` and a handful of series per node.
 */
export async function gatherInput(store: Store, cfg: AlertConfig, now: number, extra: { swaps?: SwapInput[]; certs?: CertInput[] } = {}): Promise<AlertInput> {
  const [latest, agents, events] = await Promise.all([
    store.latest(),
    store.agents(),
    store.queryEvents({ from: now - cfg.eventHold, to: now, limit: 5000 }),
  ]);
  const byNode = new Map<string, NodeInput>();
  const node = (name: string): NodeInput => {
    let n = byNode.get(name);
    if (!n) {
      n = { node: name, latest: [], recent: {} };
      byNode.set(name, n);
    }
    return n;
  };
  for (const a of agents) node(a.agent).lastSeen = a.lastSeen;
  for (const l of latest) node(l.node).latest.push(l);
  const blockS = Math.max(...latest.filter((l) => l.name === 'factomd_block_seconds').map((l) => l.value), 0) || 600;
  const stallWindow = cfg.stall.blocks * blockS * 1000;
  const shortWindow = 5 * 60_000;
  const pts = (r: { series: { labels: Record<string, string>; points: { t: number; last: number }[] }[] }): Point[] =>
    (r.series[0]?.points ?? []).map((p) => ({ t: p.t, v: p.last }));
  const sum = (r: { series: { points: { t: number; last: number }[] }[] }): Point[] => {
    const m = new Map<number, number>();
    for (const s of r.series) for (const p of s.points) m.set(p.t, (m.get(p.t) ?? 0) + p.last);
    // Steps where only some CPUs reported would look like a reset: keep steps all series have.
    const full = [...m].filter(([t]) => r.series.every((s) => s.points.some((p) => p.t === t)));
    return full.sort(([a], [b]) => a - b).map(([t, v]) => ({ t, v }));
  };
  await Promise.all([...byNode.values()].map(async (n) => {
    const q = (name: string, from: number, labels?: Record<string, string>) =>
      store.querySeries({ node: n.node, name, from, to: now, ...(labels ? { labels } : {}) });
    const hasFactomd = n.latest.some((l) => l.name === 'factomd_leader_height');
    const [lh, idle, total, pids, io] = await Promise.all([
      hasFactomd ? q('factomd_leader_height', now - stallWindow - 60_000) : undefined,
      q('node_cpu_seconds_total', now - shortWindow, { mode: 'idle' }),
      q('node_cpu_seconds_total', now - shortWindow),
      q('node_processes_pids', now - shortWindow),
      q('node_disk_io_time_seconds_total', now - shortWindow),
    ]);
    if (lh) n.recent.leaderHeight = pts(lh);
    n.recent.cpuIdle = sum(idle);
    n.recent.cpuTotal = sum(total);
    n.recent.pids = pts(pids);
    n.recent.ioTime = Object.fromEntries(io.series.map((s) => [s.labels.device ?? '?', s.points.map((p) => ({ t: p.t, v: p.last }))]));
  }));
  return { now, nodes: [...byNode.values()], events, ...(extra.swaps ? { swaps: extra.swaps } : {}), ...(extra.certs ? { certs: extra.certs } : {}) };
}

export function notificationOf(g: NotificationGroup, dashboardUrl?: string): Notification {
  const rank = { info: 0, warning: 1, critical: 2 } as const;
  const alerts = g.transitions.map((t) => t.alert);
  const firing = g.transitions.filter((t) => t.type !== 'resolved');
  const severity = alerts.reduce<'info' | 'warning' | 'critical'>((w, a) => (rank[a.severity] > rank[w] ? a.severity : w), 'info');
  return {
    groupKey: g.groupKey, severity, status: firing.length > 0 ? 'firing' : 'resolved',
    title: firing.length > 0 ? `${firing.length} alert(s) firing: ${firing[0]!.alert.summary}` : `resolved: ${alerts[0]!.summary}`,
    lines: g.transitions.map((t) => `${t.type === 'resolved' ? 'RESOLVED' : 'FIRING'} ${t.alert.severity} ${t.alert.rule} ${t.alert.summary}`),
    alerts: alerts.map((a) => ({ key: a.key, rule: a.rule, node: a.node, severity: a.severity, state: a.state, summary: a.summary, startsAt: a.startsAt, ...(a.endsAt !== undefined ? { endsAt: a.endsAt } : {}) })),
    ...(dashboardUrl ? { dashboardUrl } : {}),
  };
}

export interface AlertService {
  /** one evaluation now (tests, and the timer) */
  evaluate(): Promise<Transition[]>;
  active(): Alert[];
  onChange(fn: (t: Transition[]) => void): () => void;
  stop(): Promise<void>;
}

export interface AlertServiceOptions {
  store: Store;
  db: AppDb;
  cfg: AlertConfig;
  channels: Channel[];
  logger: Logger;
  now?: () => number;
  /** no timer: evaluate() only */
  manual?: boolean;
  retry?: RetryOptions;
  dashboardUrl?: string;
  extra?: () => { swaps?: SwapInput[]; certs?: CertInput[] };
}

export function startAlertService(o: AlertServiceOptions): AlertService {
  const now = o.now ?? Date.now;
  let active = loadActive(o.db);
  const listeners = new Set<(t: Transition[]) => void>();
  let running: Promise<Transition[]> | undefined;
  const sending = new Set<Promise<unknown>>();
  let stopped = false;

  async function evaluateOnce(): Promise<Transition[]> {
    const t = now();
    const input = await gatherInput(o.store, o.cfg, t, o.extra?.() ?? {});
    const { findings, errors } = evaluateRules(input, o.cfg);
    for (const [rule, err] of Object.entries(errors)) o.logger.warn({ rule, err }, 'alert rule failed');
    const r = advanceAlerts(active, findings, t, { silences: listSilences(o.db, t), repeatIntervalMs: o.cfg.repeatInterval });
    const groups = groupForNotification(r.transitions, o.cfg.groupBy);
    markNotified(r.active, groups.flatMap((g) => g.transitions.filter((x) => x.type !== 'resolved').map((x) => x.alert.key)), t);
    active = r.active;
    saveEvaluation(o.db, active, r.transitions, t);
    if (o.channels.length > 0) {
      for (const g of groups) {
        // Delivery runs in the background: a slow receiver must not delay the next evaluation.
        const p = deliverAll(o.channels, notificationOf(g, o.dashboardUrl), o.db, { ...o.retry, now })
          .then((rs) => { for (const x of rs) if (!x.ok) o.logger.warn({ notifier: x.channel, err: x.error }, 'notification failed'); })
          .catch((e: unknown) => o.logger.error({ err: (e as Error).message }, 'notification crashed'))
          .finally(() => sending.delete(p));
        sending.add(p);
      }
    }
    if (r.transitions.length > 0) for (const l of listeners) l(r.transitions);
    return r.transitions;
  }

  function evaluate(): Promise<Transition[]> {
    if (running) return running;
    running = evaluateOnce().finally(() => { running = undefined; });
    return running;
  }

  const timer = o.manual ? undefined : setInterval(() => {
    if (stopped) return;
    evaluate().catch((e: unknown) => o.logger.error({ err: (e as Error).message }, 'alert evaluation failed'));
  }, o.cfg.evaluateEvery);
  timer?.unref();

  return {
    evaluate,
    active: () => [...active.values()],
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
      await Promise.all([...sending]);
    },
  };
}
