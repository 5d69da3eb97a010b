import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateDb } from '../../src/agent/statedb.js';
import { openOutbox } from '../../src/agent/outbox.js';
import { BatchSchema, type Sample } from '../../src/agent/payload.js';

const samplesFor = (i: number, n = 3): Sample[] => Array.from({ length: n }, (_, k) => ({ name: 'node_load1', labels: { k: String(k) }, value: i, t: i }));

describe('outbox', () => {
  const root = mkdtempSync(join(tmpdir(), 'agent-outbox-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('seq starts at 1 and stays contiguous across restarts, even after the outbox emptied', () => {
    const dir = join(root, 'restart');
    let db = openStateDb(dir);
    let ob = openOutbox(db);
    assert.deepEqual([1, 2, 3].map((i) => ob.append(samplesFor(i), [], i)), [1, 2, 3]);
    assert.equal(ob.ack(3), 3);
    db.close();
    db = openStateDb(dir);
    ob = openOutbox(db);
    assert.equal(ob.stats().pending, 0);
    assert.equal(ob.append(samplesFor(4), [], 4), 4);
    assert.equal(ob.append(samplesFor(5), [], 5), 5);
    db.close();
    db = openStateDb(dir);
    ob = openOutbox(db);
    assert.deepEqual(ob.peek(10).map((b) => b.seq), [4, 5]);
    db.close();
  });

  it('drains in order and deletes only what was acknowledged', () => {
    const db = openStateDb(join(root, 'order'));
    const ob = openOutbox(db);
    for (let i = 1; i <= 5; i++) ob.append(samplesFor(i), [], i);
    assert.deepEqual(ob.peek(2).map((b) => b.seq), [1, 2]);
    ob.ack(2);
    assert.deepEqual(ob.peek(10).map((b) => b.seq), [3, 4, 5]);
    ob.ack(1); // a stale ack changes nothing
    assert.equal(ob.stats().pending, 3);
    const [b] = ob.peek(1);
    assert.deepEqual(b!.samples, samplesFor(3));
    const wire = ob.peekWire('fed1', 99)!;
    assert.equal(wire.seq, 3);
    assert.deepEqual(BatchSchema.parse(JSON.parse(wire.json)), ob.toBatch('fed1', b!, 99));
    assert.deepEqual(JSON.parse(wire.json), { v: 1, agent: 'fed1', seq: 3, sentAt: 99, samples: samplesFor(3), events: [] });
    db.close();
  });

  it('when full, drops the oldest and the next batch carries agent.gap naming seqs and counts', () => {
    const db = openStateDb(join(root, 'bound'));
    const ob = openOutbox(db, { maxBatches: 10, maxBytes: 1 << 30 });
    for (let i = 1; i <= 10; i++) ob.append(samplesFor(i), [], i);
    assert.equal(ob.stats().pending, 10);
    ob.append(samplesFor(11), [], 11);
    ob.append(samplesFor(12), [], 12);
    const pending = ob.peek(100);
    assert.deepEqual(pending.map((b) => b.seq), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const gap11 = pending.find((b) => b.seq === 11)!.events;
    assert.equal(gap11.length, 1);
    assert.equal(gap11[0]!.kind, 'agent.gap');
    assert.deepEqual(gap11[0]!.data, { fromSeq: 1, toSeq: 1, batches: 1, samples: 3, events: 0 });
    assert.deepEqual(pending.find((b) => b.seq === 12)!.events[0]!.data, { fromSeq: 2, toSeq: 2, batches: 1, samples: 3, events: 0 });
    assert.equal(ob.stats().droppedBatches, 2);
    db.close();
  });

  it('the byte bound drops as many old batches as needed, reported as one gap', () => {
    const db = openStateDb(join(root, 'bytes'));
    const big = 20_000;
    const one = Buffer.byteLength(JSON.stringify({ samples: samplesFor(1, big), events: [] }));
    const ob = openOutbox(db, { maxBatches: 1000, maxBytes: Math.floor(one * 3.5) });
    for (let i = 1; i <= 3; i++) ob.append(samplesFor(i, big), [], i);
    ob.append(samplesFor(4, big * 2), [], 4); // twice as big: two old ones must go
    const pending = ob.peek(10);
    assert.deepEqual(pending.map((b) => b.seq), [3, 4]);
    assert.deepEqual(pending[1]!.events[0]!.data, { fromSeq: 1, toSeq: 2, batches: 2, samples: 2 * big, events: 0 });
    assert.ok(ob.stats().bytes <= Math.floor(one * 3.5) + 200);
    db.close();
  });

  it('a batch the server refuses for good is dropped and reported as a gap in the next batch', () => {
    const db = openStateDb(join(root, 'reject'));
    const ob = openOutbox(db);
    ob.append(samplesFor(1), [], 1);
    ob.append(samplesFor(2), [], 2);
    ob.reject(1, 'HTTP 400');
    assert.deepEqual(ob.peek(10).map((b) => b.seq), [2]);
    ob.append(samplesFor(3), [], 3);
    const gap = ob.peek(10)[1]!.events[0]!;
    assert.equal(gap.kind, 'agent.gap');
    assert.equal(gap.data.fromSeq, 1);
    assert.equal(gap.data.reason, 'HTTP 400');
    db.close();
  });
});
