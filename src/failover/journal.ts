import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AnoguardError } from '../errors.js';

/**
 * The swap journal: one JSON line per step, each carrying the hash of the previous line, so a
 * removed, edited or reordered line breaks the chain. A swap's state only moves forward along
 * TRANSITIONS; going back (e.g. "planned" after "edits-applied") is refused. Pure: the caller passes
 * the time and stores the lines (journal-file.ts).
 */

export const JOURNAL_STATES = [
  'planned', 'fencing', 'fenced', 'edits-sent', 'edits-applied', 'height-reached',
  'verified', 'verify-failed', 'rollback-scheduled', 'rolled-back', 'aborted', 'failed',
] as const;
export type JournalState = (typeof JOURNAL_STATES)[number];

/** Allowed next states; a state absent from the keys is final. */
export const TRANSITIONS: Readonly<Record<string, readonly JournalState[]>> = {
  planned: ['fencing', 'edits-sent', 'aborted'],
  fencing: ['fenced', 'aborted', 'failed'],
  fenced: ['edits-sent', 'aborted'],
  'edits-sent': ['edits-applied', 'aborted', 'failed'],
  'edits-applied': ['height-reached', 'aborted', 'failed'],
  'height-reached': ['verified', 'verify-failed'],
  'verify-failed': ['rollback-scheduled', 'failed'],
  'rollback-scheduled': ['rolled-back', 'failed'],
};

export const FINAL_STATES: ReadonlySet<JournalState> = new Set(['verified', 'rolled-back', 'aborted', 'failed']);

export const GENESIS = '0'.repeat(64);

export const JournalEntry = z.object({
  seq: z.number().int().nonnegative(),
  ts: z.number(),
  swapId: z.string().regex(/^[A-Za-z0-9._:-]{1,80}$/),
  kind: z.enum(['swap', 'failover', 'rollback']),
  state: z.enum(JOURNAL_STATES),
  data: z.record(z.string(), z.unknown()),
  prev: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type JournalEntry = z.infer<typeof JournalEntry>;
export type JournalInput = Pick<JournalEntry, 'swapId' | 'kind' | 'state' | 'data'>;

/** Keys sorted at every level, so the hash does not depend on insertion order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function entryHash(e: Omit<JournalEntry, 'hash'>): string {
  return createHash('sha256').update(`${e.prev}\n${canonical({ seq: e.seq, ts: e.ts, swapId: e.swapId, kind: e.kind, state: e.state, data: e.data })}`).digest('hex');
}

/** The latest state of every swap in the journal. */
export function swapStates(entries: readonly JournalEntry[]): Map<string, JournalState> {
  const m = new Map<string, JournalState>();
  for (const e of entries) m.set(e.swapId, e.state);
  return m;
}

/** Swaps not in a final state: a new swap of the same identity must wait for these. */
export function openSwaps(entries: readonly JournalEntry[]): string[] {
  return [...swapStates(entries)].filter(([, s]) => !FINAL_STATES.has(s)).map(([id]) => id);
}

/** The next line for `input`, or E_JOURNAL_BACKWARD when the swap's state would not move forward. */
export function nextJournalEntry(entries: readonly JournalEntry[], input: JournalInput, ts: number): JournalEntry {
  const last = entries[entries.length - 1];
  const current = swapStates(entries).get(input.swapId);
  if (current === undefined) {
    if (input.state !== 'planned') throw new AnoguardError('E_JOURNAL_BACKWARD', `swap ${input.swapId} must start at "planned", not "${input.state}"`, { field: 'state' });
  } else if (!(TRANSITIONS[current] ?? []).includes(input.state)) {
    throw new AnoguardError('E_JOURNAL_BACKWARD', `swap ${input.swapId} cannot go from "${current}" to "${input.state}"`, { field: 'state' });
  }
  const body = { seq: last ? last.seq + 1 : 0, ts, swapId: input.swapId, kind: input.kind, state: input.state, data: input.data, prev: last ? last.hash : GENESIS };
  return { ...body, hash: entryHash(body) };
}

/** Checks the chain and every transition; throws E_JOURNAL_BROKEN naming the first bad line. */
export function verifyJournal(entries: readonly JournalEntry[]): void {
  const seen: JournalEntry[] = [];
  for (const [i, e] of entries.entries()) {
    const prev = seen[seen.length - 1];
    if (e.seq !== (prev ? prev.seq + 1 : 0) || e.prev !== (prev ? prev.hash : GENESIS) || e.hash !== entryHash(e)) {
      throw new AnoguardError('E_JOURNAL_BROKEN', `journal line ${i + 1} does not chain to the one before (edited, removed or reordered)`, { field: `journal:${i + 1}` });
    }
    try {
      nextJournalEntry(seen, e, e.ts);
    } catch (err) {
      throw new AnoguardError('E_JOURNAL_BROKEN', `journal line ${i + 1}: ${err instanceof AnoguardError ? err.shortMessage : String(err)}`, { field: `journal:${i + 1}` });
    }
    seen.push(e);
  }
}
