import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppDb } from '../state/appdb.js';
import type { Role } from './users.js';

/**
 * Sessions: the cookie carries a random 256-bit id; the DB keeps only its SHA-256, so a leaked DB
 * does not hand out live sessions. Each session has its own CSRF token, sent by the app in a header
 * on every state change (synchronizer token, on top of SameSite=Strict).
 */
export const SESSION_COOKIE = 'anoguard_session';
export const SESSION_TTL_MS = 12 * 3_600_000;

export interface Session { user: string; role: Role; csrf: string; expiresAt: number }

const h = (id: string): string => createHash('sha256').update(id).digest('hex');

export function createSession(db: AppDb, user: string, now = Date.now()): { id: string; csrf: string; expiresAt: number } {
  const id = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  const expiresAt = now + SESSION_TTL_MS;
  db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now);
  db.prepare('INSERT INTO sessions (id_hash, user, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(h(id), user, csrf, now, expiresAt);
  return { id, csrf, expiresAt };
}

export function readSession(db: AppDb, id: string | undefined, now = Date.now()): Session | undefined {
  if (!id || id.length > 100) return undefined;
  const row = db.prepare('SELECT s.user, s.csrf, s.expires_at, u.role FROM sessions s JOIN users u ON u.name = s.user WHERE s.id_hash = ?').get(h(id)) as
    { user: string; csrf: string; expires_at: number; role: Role } | undefined;
  if (!row || row.expires_at <= now) return undefined;
  return { user: row.user, role: row.role, csrf: row.csrf, expiresAt: row.expires_at };
}

export function endSession(db: AppDb, id: string): void {
  db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(h(id));
}

export function csrfMatches(session: Session, token: string | undefined): boolean {
  if (!token) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
