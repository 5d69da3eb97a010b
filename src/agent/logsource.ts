import { open, stat } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import type { ProbeState } from './probe.js';
import { parseJournalLine, parseSyslogLine, type LogLine } from './analyse/lines.js';

export type LogSource =
  | { file: string; format?: 'syslog' | 'plain' }
  | { journald: { unit?: string; identifier?: string; journalctl?: string } };

/** Most bytes read from a file per collection; the rest waits for the next one. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

interface FileCursor { ino: number; offset: number }

async function readRange(path: string, from: number, maxBytes: number): Promise<{ text: string; next: number }> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(maxBytes);
    const { bytesRead } = await fh.read(buf, 0, maxBytes, from);
    // Only whole lines: a half-written last line is read again next time.
    const lastNl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (lastNl < 0) return { text: '', next: from };
    return { text: buf.subarray(0, lastNl).toString('utf8'), next: from + lastNl + 1 };
  } finally {
    await fh.close();
  }
}

/**
 * Reads the lines appended to a log file since the last call, following logrotate: when the inode
 * changed, the rest of the old file is read from `path.1` (rename rotation) before the new file from
 * its start; when the file shrank (copytruncate), reading restarts at 0. The first call starts at
 * the end (history before the agent existed is not replayed).
 */
export async function tailFile(path: string, state: ProbeState, key: string): Promise<string[]> {
  let st;
  try { st = await stat(path); } catch { return []; }
  const cur = state.get<FileCursor>(key);
  const lines: string[] = [];
  let offset: number;
  if (cur === undefined) {
    state.set(key, { ino: st.ino, offset: st.size });
    return [];
  } else if (cur.ino !== st.ino) {
    try {
      const old = await stat(`${path}.1`);
      if (old.ino === cur.ino && old.size > cur.offset) {
        const r = await readRange(`${path}.1`, cur.offset, Math.min(MAX_READ_BYTES, old.size - cur.offset));
        if (r.text) lines.push(...r.text.split('\n'));
      }
    } catch { /* rotated away already (compressed): what was left there is lost, the new file is read in full */ }
    offset = 0;
  } else {
    offset = cur.offset > st.size ? 0 : cur.offset;
  }
  const size = st.size - offset;
  let next = offset;
  if (size > 0) {
    const r = await readRange(path, offset, Math.min(MAX_READ_BYTES, size));
    if (r.text) lines.push(...r.text.split('\n'));
    next = r.next;
  }
  state.set(key, { ino: st.ino, offset: next });
  return lines;
}

function runJournalctl(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 32 * 1024 * 1024, timeout: 15_000, encoding: 'utf8' }, (err, stdout) => {
      if (err) reject(new Error(`journalctl: ${err.message.split('\n')[0]}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/**
 * Reads journal entries after the stored cursor (`journalctl -o json --after-cursor`). The first call
 * only fetches the newest entry's cursor. No shell: arguments are an array.
 */
export async function readJournal(src: { unit?: string; identifier?: string; journalctl?: string }, state: ProbeState, key: string, nowMs: number): Promise<LogLine[]> {
  const bin = src.journalctl ?? 'journalctl';
  const cursor = state.get<string>(key);
  const args = ['-o', 'json', '--no-pager', '-q'];
  if (src.unit) args.push('-u', src.unit);
  if (src.identifier) args.push('-t', src.identifier);
  if (cursor) args.push('--after-cursor', cursor);
  else args.push('-n', '1');
  const out = await runJournalctl(bin, args);
  const lines: LogLine[] = [];
  let last = cursor;
  for (const raw of out.split('\n')) {
    if (!raw.trim()) continue;
    const l = parseJournalLine(raw, nowMs);
    if (!l) continue;
    if (l.cursor) last = l.cursor;
    if (cursor) lines.push({ t: l.t, message: l.message, ...(l.program !== undefined ? { program: l.program } : {}) });
  }
  if (last) state.set(key, last);
  return lines;
}

/** New lines of any source, as LogLines (file lines get their syslog timestamp when they have one). */
export async function readLogSource(src: LogSource, state: ProbeState, key: string, nowMs: number): Promise<LogLine[]> {
  if ('journald' in src) return readJournal(src.journald, state, key, nowMs);
  const raw = await tailFile(src.file, state, key);
  if (src.format === 'plain') return raw.map((message) => ({ t: nowMs, message }));
  return raw.map((r) => parseSyslogLine(r, nowMs));
}
