import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { AgentEvent } from './payload.js';

/** What FIM remembers of a file: never its contents (key files and configs hold secrets). */
export interface FileRecord {
  /** null when the agent may stat but not read it */
  sha256: string | null;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  /** inode and ctime: with size and mtime, the guard that lets an unchanged file skip re-hashing */
  ino?: number;
  ctimeMs?: number;
}

export type FimBaseline = Record<string, FileRecord>;

/** Parses /etc/passwd text into user → home directory. */
export function parsePasswdHomes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && f[0]) out.set(f[0], f[5]!);
  }
  return out;
}

/** Expands a trailing `*` segment (`/etc/ssh/sshd_config.d/*`, `/etc/systemd/system/*.service`); other paths are kept as given. */
export async function expandWatchPaths(patterns: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const p of patterns) {
    const base = basename(p);
    if (!base.includes('*')) { out.add(p); continue; }
    const re = new RegExp(`^${base.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    let names: string[] = [];
    try { names = readdirSync(dirname(p)); } catch { /* directory absent: nothing to watch yet */ }
    for (const n of names.sort()) if (re.test(n) && !n.startsWith('.')) out.add(join(dirname(p), n));
  }
  return [...out];
}

/**
 * Hashes and stats each file; an absent file is simply not in the result (so it shows as removed).
 * A file whose inode, size, mtime and ctime are all unchanged keeps its previous hash: ctime cannot
 * be set back from user space, so a content change always moves it. Small files, read synchronously.
 */
export async function snapshotFiles(paths: string[], previous: FimBaseline = {}): Promise<FimBaseline> {
  const out: FimBaseline = {};
  for (const p of paths) {
    let st;
    try { st = statSync(p); } catch { continue; }
    if (!st.isFile()) continue;
    const rec = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.size, mtimeMs: Math.floor(st.mtimeMs), ino: st.ino, ctimeMs: Math.floor(st.ctimeMs) };
    const prev = previous[p];
    if (prev && prev.sha256 !== null && prev.ino === rec.ino && prev.size === rec.size && prev.mtimeMs === rec.mtimeMs && prev.ctimeMs === rec.ctimeMs) {
      out[p] = { ...rec, sha256: prev.sha256 };
      continue;
    }
    let sha256: string | null = null;
    try { sha256 = createHash('sha256').update(readFileSync(p)).digest('hex'); } catch { /* unreadable for this user */ }
    out[p] = { ...rec, sha256 };
  }
  return out;
}

/** True when two snapshots hold the same files with the same attributes (nothing to store). */
export function sameSnapshot(a: FimBaseline, b: FimBaseline): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => {
    const x = a[k]!;
    const y = b[k];
    return y !== undefined && x.sha256 === y.sha256 && x.mode === y.mode && x.uid === y.uid && x.gid === y.gid && x.size === y.size && x.mtimeMs === y.mtimeMs && x.ino === y.ino && x.ctimeMs === y.ctimeMs;
  });
}

/**
 * Compares two snapshots (OSSEC syscheck 550/553/554). Events name the file and which attributes
 * changed, never the content or its hash (a hash of a low-entropy secret can be brute-forced).
 * Files in `critical` (keys, authorized_keys) raise critical events, the rest warnings.
 */
export function diffFim(before: FimBaseline, after: FimBaseline, t: number, critical: Set<string> = new Set()): AgentEvent[] {
  const events: AgentEvent[] = [];
  const sev = (p: string) => (critical.has(p) ? 'critical' : 'warning') as AgentEvent['severity'];
  for (const [path, a] of Object.entries(after)) {
    const b = before[path];
    if (!b) {
      events.push({ kind: 'fim.changed', severity: sev(path), t, message: `file added: ${path}`, data: { path, change: 'added', mode: a.mode.toString(8), uid: a.uid } });
      continue;
    }
    const fields: string[] = [];
    // Without read access (no hash) a size or mtime change is reported as a possible content change.
    const unhashed = a.sha256 === null || b.sha256 === null;
    if (unhashed ? a.size !== b.size || a.mtimeMs !== b.mtimeMs : a.sha256 !== b.sha256 || a.size !== b.size) fields.push('content');
    if (a.mode !== b.mode) fields.push('mode');
    if (a.uid !== b.uid || a.gid !== b.gid) fields.push('owner');
    if (fields.length === 0 && a.mtimeMs !== b.mtimeMs) fields.push('mtime');
    if (fields.length === 0) continue;
    events.push({
      kind: 'fim.changed', severity: fields.length === 1 && fields[0] === 'mtime' ? 'info' : sev(path), t,
      message: `file changed (${fields.join(', ')}): ${path}`,
      data: {
        path, change: 'modified', fields, ...(unhashed ? { hashed: false } : {}),
        ...(fields.includes('mode') ? { modeBefore: b.mode.toString(8), modeAfter: a.mode.toString(8) } : {}),
        ...(fields.includes('owner') ? { ownerBefore: `${b.uid}:${b.gid}`, ownerAfter: `${a.uid}:${a.gid}` } : {}),
      },
    });
  }
  for (const path of Object.keys(before)) {
    if (!(path in after)) events.push({ kind: 'fim.changed', severity: sev(path), t, message: `file removed: ${path}`, data: { path, change: 'removed' } });
  }
  return events;
}
