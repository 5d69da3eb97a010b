import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AnoguardError } from '../errors.js';
import type { ProbeState } from './probe.js';

export type Db = Database.Database;

/**
 * Opens (creating) the agent's state DB `agent.db` in `stateDir`: the outbox, the FIM and listener
 * baselines and the log cursors live in one WAL-mode SQLite file, so a crash loses at most the
 * collection in progress. The directory is created 0700: baselines say what is on the host.
 */
export function openStateDb(stateDir: string): Db {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const db = new Database(join(stateDir, 'agent.db'));
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash; only a power cut may lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY,
        created INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        events INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        body TEXT NOT NULL
      );
    `);
    return db;
  } catch (e) {
    if (e instanceof AnoguardError) throw e;
    throw new AnoguardError('E_STATE_DB', `cannot open the agent state DB: ${(e as Error).message}`, { field: 'stateDir', cause: e });
  }
}

/**
 * Key/value view of the state DB for probes (baselines, cursors). Written through, read from a
 * memory cache after the first read: probes read their baseline every collection, and parsing it
 * from SQLite each time was most of their cost. Callers must not mutate what `get` returns.
 */
export function createDbState(db: Db, prefix = ''): ProbeState {
  const get = db.prepare<[string], { v: string }>('SELECT v FROM kv WHERE k = ?');
  const put = db.prepare<[string, string]>('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v');
  const cache = new Map<string, unknown>();
  return {
    get<T>(key: string): T | undefined {
      if (cache.has(key)) return cache.get(key) as T | undefined;
      const row = get.get(prefix + key);
      const v = row === undefined ? undefined : (JSON.parse(row.v) as T);
      cache.set(key, v);
      return v;
    },
    set(key: string, value: unknown): void {
      put.run(prefix + key, JSON.stringify(value));
      // a JSON round trip, so the cached value is exactly what a restart would read back
      cache.set(key, value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
    },
  };
}
