import type { Db } from './statedb.js';
import { createDbState } from './statedb.js';
import type { AgentEvent, Batch, Sample } from './payload.js';

export interface OutboxLimits {
  /** most pending batches kept (default 50 000: ~5.8 days at a 10 s interval) */
  maxBatches: number;
  /** most pending bytes of batch bodies (default 256 MiB) */
  maxBytes: number;
}
export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { maxBatches: 50_000, maxBytes: 256 * 1024 * 1024 };

export interface PendingBatch { seq: number; created: number; samples: Sample[]; events: AgentEvent[] }

export interface OutboxStats { pending: number; bytes: number; nextSeq: number; oldestSeq: number | undefined; droppedBatches: number }

/**
 * The durable outbox. Every collection becomes one pending batch with the next per-agent `seq`
 * (kept in the DB, so it stays contiguous across restarts). Delivery is at-least-once and in order:
 * rows are deleted only when the server acknowledges them. When the bound is reached the OLDEST
 * batches are dropped (recent data matters most to an operator) and the next batch carries an
 * `agent.gap` event naming the lost seqs and sample count, so a hole is never silent.
 */
export function openOutbox(db: Db, limits: OutboxLimits = DEFAULT_OUTBOX_LIMITS) {
  const meta = createDbState(db, 'outbox.');
  const insert = db.prepare<[number, number, number, number, number, string]>(
    'INSERT INTO outbox (seq, created, samples, events, bytes, body) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const totals = db.prepare<[], { n: number; bytes: number | null; oldest: number | null }>(
    'SELECT COUNT(*) AS n, SUM(bytes) AS bytes, MIN(seq) AS oldest FROM outbox',
  );
  const oldest = db.prepare<[], { seq: number; samples: number; events: number; bytes: number }>(
    'SELECT seq, samples, events, bytes FROM outbox ORDER BY seq LIMIT 1',
  );
  const del = db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?');
  const delUpTo = db.prepare<[number]>('DELETE FROM outbox WHERE seq <= ?');
  const peekStmt = db.prepare<[number], { seq: number; created: number; body: string }>(
    'SELECT seq, created, body FROM outbox ORDER BY seq LIMIT ?',
  );

  function nextSeq(): number {
    return meta.get<number>('nextSeq') ?? 1;
  }

  interface Gap { fromSeq: number; toSeq: number; batches: number; samples: number; events: number }

  /** Drops oldest rows until `extraBytes` more fit; returns what was dropped (merged into one gap). */
  function makeRoom(extraBytes: number): Gap | undefined {
    let gap: Gap | undefined;
    for (;;) {
      const t = totals.get()!;
      if (t.n === 0) break;
      if (t.n + 1 <= limits.maxBatches && (t.bytes ?? 0) + extraBytes <= limits.maxBytes) break;
      const o = oldest.get()!;
      del.run(o.seq);
      gap = gap
        ? { ...gap, toSeq: o.seq, batches: gap.batches + 1, samples: gap.samples + o.samples, events: gap.events + o.events }
        : { fromSeq: o.seq, toSeq: o.seq, batches: 1, samples: o.samples, events: o.events };
    }
    return gap;
  }

  const appendTx = db.transaction((samples: Sample[], events: AgentEvent[], now: number): number => {
    const seq = nextSeq();
    let body = JSON.stringify({ samples, events });
    const gap = makeRoom(Buffer.byteLength(body));
    // A gap may also be left over from a previous append whose own batch was later dropped.
    const carried = meta.get<Gap>('pendingGap');
    const merged = gap && carried
      ? { fromSeq: carried.fromSeq, toSeq: gap.toSeq, batches: carried.batches + gap.batches, samples: carried.samples + gap.samples, events: carried.events + gap.events }
      : (gap ?? carried);
    let evs = events;
    if (merged) {
      evs = [...events, {
        kind: 'agent.gap', severity: 'warning', t: now,
        message: `outbox full: dropped ${merged.batches} oldest batches (seq ${merged.fromSeq}..${merged.toSeq}, ${merged.samples} samples, ${merged.events} events)`,
        data: { ...merged },
      }];
      body = JSON.stringify({ samples, events: evs });
      meta.set('pendingGap', null);
      meta.set('droppedBatches', (meta.get<number>('droppedBatches') ?? 0) + (gap?.batches ?? 0));
    }
    insert.run(seq, now, samples.length, evs.length, Buffer.byteLength(body), body);
    meta.set('nextSeq', seq + 1);
    return seq;
  });

  return {
    /** Appends one collection durably; returns its seq. */
    append(samples: Sample[], events: AgentEvent[], now: number): number {
      return appendTx(samples, events, now);
    },
    /** The oldest pending batches, in seq order. */
    peek(limit = 1): PendingBatch[] {
      return peekStmt.all(limit).map((r) => {
        const b = JSON.parse(r.body) as { samples: Sample[]; events: AgentEvent[] };
        return { seq: r.seq, created: r.created, samples: b.samples, events: b.events };
      });
    },
    /** The server holds everything up to `ackedSeq`: forget it. */
    ack(ackedSeq: number): number {
      return delUpTo.run(ackedSeq).changes;
    },
    /**
     * A batch the server refuses for good (schema, size): drop it and report the hole in the next
     * batch, as for an overflow, so one poison batch cannot block the queue forever.
     */
    reject(seq: number, reason: string): void {
      db.transaction(() => {
        const row = db.prepare<[number], { samples: number; events: number }>('SELECT samples, events FROM outbox WHERE seq = ?').get(seq);
        if (!row) return;
        del.run(seq);
        const carried = meta.get<Gap>('pendingGap');
        meta.set('pendingGap', carried
          ? { ...carried, toSeq: seq, batches: carried.batches + 1, samples: carried.samples + row.samples, events: carried.events + row.events }
          : { fromSeq: seq, toSeq: seq, batches: 1, samples: row.samples, events: row.events, reason });
      })();
    },
    /**
     * The oldest pending batch as the wire JSON, built around the stored body without parsing it:
     * the body is exactly `{"samples":[…],"events":[…]}` as written by append.
     */
    peekWire(agent: string, sentAt: number): { seq: number; json: string } | undefined {
      const r = peekStmt.get(1);
      if (!r) return undefined;
      const head = JSON.stringify({ v: 1, agent, seq: r.seq, sentAt });
      return { seq: r.seq, json: `${head.slice(0, -1)},${r.body.slice(1)}` };
    },
    toBatch(agent: string, p: PendingBatch, sentAt: number): Batch {
      return { v: 1, agent, seq: p.seq, sentAt, samples: p.samples, events: p.events };
    },
    stats(): OutboxStats {
      const t = totals.get()!;
      return { pending: t.n, bytes: t.bytes ?? 0, nextSeq: nextSeq(), oldestSeq: t.oldest ?? undefined, droppedBatches: meta.get<number>('droppedBatches') ?? 0 };
    },
  };
}

export type Outbox = ReturnType<typeof openOutbox>;
