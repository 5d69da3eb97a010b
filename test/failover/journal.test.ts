import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextJournalEntry, verifyJournal, type JournalEntry } from '../../src/failover/journal.js';
import { openJournal } from '../../src/failover/journal-file.js';

const dir = mkdtempSync(join(tmpdir(), 'fo-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('journal: states only move forward; a swap starts at planned', () => {
  const es: JournalEntry[] = [];
  es.push(nextJournalEntry(es, { swapId: 's1', kind: 'swap', state: 'planned', data: { height: 9 } }, 1));
  es.push(nextJournalEntry(es, { swapId: 's1', kind: 'swap', state: 'edits-sent', data: {} }, 2));
  es.push(nextJournalEntry(es, { swapId: 's1', kind: 'swap', state: 'edits-applied', data: {} }, 3));
  assert.throws(() => nextJournalEntry(es, { swapId: 's1', kind: 'swap', state: 'planned', data: {} }, 4), /E_JOURNAL_BACKWARD|cannot go/);
  assert.throws(() => nextJournalEntry(es, { swapId: 's2', kind: 'swap', state: 'verified', data: {} }, 4), /must start/);
  verifyJournal(es);
});

test('journal file: appends survive reopen; an edited or removed line is detected; a torn tail is cut', () => {
  const p = join(dir, 'j.jsonl');
  const j = openJournal(p);
  j.append({ swapId: 's1', kind: 'swap', state: 'planned', data: { height: 5 } }, 10);
  j.append({ swapId: 's1', kind: 'swap', state: 'edits-sent', data: {} }, 11);
  assert.deepEqual(openJournal(p).openSwaps(), ['s1']);
  const good = readFileSync(p, 'utf8');
  writeFileSync(p, good.replace('"height":5', '"height":6'));
  assert.throws(() => openJournal(p), /does not chain/);
  writeFileSync(p, good.split('\n').slice(1).join('\n'));
  assert.throws(() => openJournal(p), /does not chain/);
  writeFileSync(p, good);
  appendFileSync(p, '{"seq":2,"ts":1');
  const k = openJournal(p);
  assert.equal(k.entries().length, 2);
  assert.equal(readFileSync(p, 'utf8'), good);
  k.append({ swapId: 's1', kind: 'swap', state: 'aborted', data: {} }, 12);
  assert.deepEqual(openJournal(p).openSwaps(), []);
});
