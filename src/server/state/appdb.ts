import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The server's own small state, next to (not inside) the sample store so it works the same with
 * the PostgreSQL store: users, sessions, the operators' audit log, alert state and history,
 * silences, notification attempts, each node's latest pushed audit report. One SQLite file, WAL, 0600.
 */
export type AppDb = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL, ip TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts_active (key TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_history (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, key TEXT NOT NULL, rule TEXT NOT NULL, node TEXT NOT NULL, severity TEXT NOT NULL, type TEXT NOT NULL, summary TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alert_history_at ON alert_history(at);
CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, json TEXT NOT NULL, ends_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notify_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, notifier TEXT NOT NULL, group_key TEXT NOT NULL, ok INTEGER NOT NULL, attempts INTEGER NOT NULL, error TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS notify_log_at ON notify_log(at);
CREATE TABLE IF NOT EXISTS audit_reports (node TEXT PRIMARY KEY, received_at INTEGER NOT NULL, json TEXT NOT NULL);
`;

export function openAppDb(path: string): AppDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}
