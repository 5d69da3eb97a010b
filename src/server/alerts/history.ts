import { randomUUID } from 'node:crypto';
import type { AppDb } from '../state/appdb.js';
import type { Alert, Silence, Transition } from './engine.js';

/** Persistence of alert state, history and silences in the app DB. */

export function loadActive(db: AppDb): Map<string, Alert> {
  const rows = db.prepare('SELECT json FROM alerts_active').all() as { json: string }[];
  return new Map(rows.map((r) => {
    const a = JSON.parse(r.json) as Alert;
    return [a.key, a];
  }));
}

export function saveEvaluation(db: AppDb, active: ReadonlyMap<string, Alert>, transitions: readonly Transition[], now: number): void {
  const del = db.prepare('DELETE FROM alerts_active');
  const ins = db.prepare('INSERT INTO alerts_active (key, json) VALUES (?, ?)');
  const hist = db.prepare('INSERT INTO alert_history (at, key, rule, node, severity, type, summary) VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    del.run();
    for (const a of active.values()) ins.run(a.key, JSON.stringify(a));
    for (const t of transitions) {
      if (t.type === 'repeat') continue;
      hist.run(now, t.alert.key, t.alert.rule, t.alert.node, t.alert.severity, t.type, t.alert.summary);
    }
  })();
}

export interface HistoryRow { id: number; at: number; key: string; rule: string; node: string; severity: string; type: string; summary: string }

export function alertHistory(db: AppDb, limit = 200): HistoryRow[] {
  return db.prepare('SELECT * FROM alert_history ORDER BY id DESC LIMIT ?').all(Math.min(limit, 5000)) as HistoryRow[];
}

export function listSilences(db: AppDb, now: number): Silence[] {
  return (db.prepare('SELECT json FROM silences WHERE ends_at > ? ORDER BY ends_at').all(now) as { json: string }[]).map((r) => JSON.parse(r.json) as Silence);
}

export function addSilence(db: AppDb, s: Omit<Silence, 'id'>): Silence {
  const full: Silence = { id: randomUUID(), ...s };
  db.prepare('INSERT INTO silences (id, json, ends_at) VALUES (?, ?, ?)').run(full.id, JSON.stringify(full), full.endsAt);
  return full;
}

export function removeSilence(db: AppDb, id: string): boolean {
  return db.prepare('DELETE FROM silences WHERE id = ?').run(id).changes > 0;
}
