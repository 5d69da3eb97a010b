import { closeSync, constants, existsSync, fstatSync, fsyncSync, openSync, readFileSync, ftruncateSync, writeSync } from 'node:fs';
import { AnoguardError } from '../errors.js';
import { JournalEntry, nextJournalEntry, openSwaps, verifyJournal, type JournalInput } from './journal.js';

/**
 * The journal on disk: JSON lines, opened O_APPEND, each line fsynced before `append` returns. A torn
 * last line (a crash during a write, never acknowledged) is cut off on open; anything else that does
 * not verify is refused.
 */
export interface JournalFile {
  readonly path: string;
  entries(): readonly JournalEntry[];
  append(input: JournalInput, ts?: number): JournalEntry;
  openSwaps(): string[];
}

export function openJournal(path: string): JournalFile {
  const entries: JournalEntry[] = [];
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    for (const [i, line] of complete.split('\n').entries()) {
      if (line === '') continue;
      let v: unknown;
      try { v = JSON.parse(line); } catch { throw new AnoguardError('E_JOURNAL_BROKEN', `journal line ${i + 1} is not JSON`, { field: `${path}:${i + 1}` }); }
      const p = JournalEntry.safeParse(v);
      if (!p.success) throw new AnoguardError('E_JOURNAL_BROKEN', `journal line ${i + 1} is not a journal entry`, { field: `${path}:${i + 1}` });
      entries.push(p.data);
    }
    verifyJournal(entries);
    if (complete.length !== text.length) {
      const fd = openSync(path, constants.O_WRONLY);
      try { ftruncateSync(fd, Buffer.byteLength(complete)); fsyncSync(fd); } finally { closeSync(fd); }
    }
  }
  return {
    path,
    entries: () => entries,
    openSwaps: () => openSwaps(entries),
    append(input, ts = Date.now()) {
      const e = nextJournalEntry(entries, input, ts);
      const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
      const size = fstatSync(fd).size;
      try {
        const buf = Buffer.from(`${JSON.stringify(e)}\n`);
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
        fsyncSync(fd);
      } catch (err) {
        // A half-written line (disk full) would break the chain for every later line: cut it off.
        try { ftruncateSync(fd, size); } catch { /* the open-time repair cuts a torn tail too */ }
        throw new AnoguardError('E_JOURNAL_WRITE', `cannot append to the journal: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { field: path, cause: err });
      } finally {
        closeSync(fd);
      }
      entries.push(e);
      return e;
    },
  };
}
