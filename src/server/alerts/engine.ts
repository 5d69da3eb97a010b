import type { AlertSeverity } from './config.js';
import type { Finding } from './rules.js';

/**
 * The alert state machine, pure: findings of one evaluation + the previous state → the new state
 * and the transitions to record and notify. Dedup is by finding key; a silenced alert still fires
 * and is recorded, it is only not notified.
 */

export interface Alert {
  key: string;
  rule: string;
  severity: AlertSeverity;
  node: string;
  summary: string;
  labels: Record<string, string>;
  state: 'firing' | 'resolved';
  startsAt: number;
  endsAt?: number;
  lastNotifiedAt?: number;
  silencedBy?: string;
}

export interface Silence {
  id: string;
  /** empty matcher = any */
  rule?: string;
  node?: string;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export interface Transition {
  type: 'firing' | 'resolved' | 'repeat';
  alert: Alert;
}

export function silenceFor(a: Pick<Alert, 'rule' | 'node'>, silences: readonly Silence[], now: number): Silence | undefined {
  return silences.find((s) => s.endsAt > now && (s.rule === undefined || s.rule === a.rule) && (s.node === undefined || a.node.split(',').includes(s.node)));
}

export function advanceAlerts(
  active: ReadonlyMap<string, Alert>, findings: readonly Finding[], now: number,
  opts: { silences: readonly Silence[]; repeatIntervalMs: number },
): { active: Map<string, Alert>; transitions: Transition[] } {
  const next = new Map<string, Alert>();
  const transitions: Transition[] = [];
  for (const f of findings) {
    if (next.has(f.key)) continue;
    const prev = active.get(f.key);
    const silence = silenceFor(f, opts.silences, now);
    const a: Alert = {
      key: f.key, rule: f.rule, severity: f.severity, node: f.node, summary: f.summary, labels: f.labels, state: 'firing',
      startsAt: prev?.startsAt ?? now,
      ...(prev?.lastNotifiedAt !== undefined ? { lastNotifiedAt: prev.lastNotifiedAt } : {}),
      ...(silence ? { silencedBy: silence.id } : {}),
    };
    if (!prev) {
      transitions.push({ type: 'firing', alert: a });
    } else if (!silence && (a.lastNotifiedAt === undefined || now - a.lastNotifiedAt >= opts.repeatIntervalMs)) {
      // Also covers an alert whose silence just ended: it is notified as soon as it is not muted.
      transitions.push({ type: 'repeat', alert: a });
    }
    next.set(f.key, a);
  }
  for (const [key, prev] of active) {
    if (next.has(key)) continue;
    transitions.push({ type: 'resolved', alert: { ...prev, state: 'resolved', endsAt: now } });
  }
  return { active: next, transitions };
}

/** Marks what was sent so the repeat interval counts from it. */
export function markNotified(active: Map<string, Alert>, keys: Iterable<string>, now: number): void {
  for (const k of keys) {
    const a = active.get(k);
    if (a) a.lastNotifiedAt = now;
  }
}

export interface NotificationGroup {
  groupKey: string;
  transitions: Transition[];
}

/** Transitions worth notifying (not silenced), grouped by the configured labels. */
export function groupForNotification(transitions: readonly Transition[], groupBy: readonly ('rule' | 'node' | 'severity')[]): NotificationGroup[] {
  const groups = new Map<string, Transition[]>();
  for (const t of transitions) {
    if (t.alert.silencedBy !== undefined) continue;
    const gk = groupBy.map((g) => `${g}=${t.alert[g]}`).join(',') || 'all';
    const list = groups.get(gk) ?? [];
    list.push(t);
    groups.set(gk, list);
  }
  return [...groups].map(([groupKey, ts]) => ({ groupKey, transitions: ts }));
}
