import type { AppDb } from '../state/appdb.js';

/** The operators' audit log: who did what, when, from where. Append-only from the app's side. */
export interface AuditEntry { id: number; at: number; user: string; action: string; detail: Record<string, unknown>; ip: string }

export function recordAudit(db: AppDb, e: Omit<AuditEntry, 'id'>): void {
  db.prepare('INSERT INTO audit_log (at, user, action, detail, ip) VALUES (?, ?, ?, ?, ?)').run(e.at, e.user, e.action, JSON.stringify(e.detail), e.ip);
}

export function listAudit(db: AppDb, limit = 200): AuditEntry[] {
  return (db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(Math.min(limit, 5000)) as { id: number; at: number; user: string; action: string; detail: string; ip: string }[])
    .map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}
