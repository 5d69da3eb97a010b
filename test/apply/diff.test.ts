import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { unifiedDiff } from '../../src/apply/diff.js';

/** GNU diff's hunks (its two header lines dropped) are the reference. */
function gnuDiff(a: string, b: string, dir: string): string {
  writeFileSync(join(dir, 'a'), a);
  writeFileSync(join(dir, 'b'), b);
  try {
    execFileSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
    return '';
  } catch (e) {
    return (e as { stdout: string }).stdout.split('\n').slice(2).join('\n');
  }
}

test('identical files give no diff', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', 'f'), '');
});

test('hunks match GNU diff -u on random line edits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'topo-diff-'));
  try {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'x'), { maxLength: 14 });
    fc.assert(
      fc.property(lines, lines, (la, lb) => {
        const a = la.map((l) => `${l}\n`).join('');
        const b = lb.map((l) => `${l}\n`).join('');
        const ours = unifiedDiff(a, b, 'f');
        const theirs = gnuDiff(a, b, dir);
        if (theirs === '') return ours === '';
        // Several minimal diffs can exist; compare what any correct diff must agree on.
        const body = (d: string) => d.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
        const count = (d: string, c: string) => body(d).filter((l) => l.startsWith(c)).length;
        return count(ours, '-') === count(theirs, '-') && count(ours, '+') === count(theirs, '+');
      }),
      { numRuns: 60 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('applying the hunks to the old file gives the new file', () => {
  const a = 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n';
  const b = 'one\nTWO\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\n';
  const d = unifiedDiff(a, b, 'f');
  const rebuilt: string[] = [];
  const old = a.replace(/\n$/, '').split('\n');
  let pos = 0;
  for (const hunk of d.split('\n@@ ').slice(1)) {
    const [head, ...rows] = hunk.split('\n');
    const start = Number(/^-(\d+)/.exec(head!)![1]);
    while (pos < start - 1) rebuilt.push(old[pos++]!);
    for (const r of rows.filter((x) => x !== '')) {
      if (r.startsWith(' ')) { rebuilt.push(r.slice(1)); pos++; }
      else if (r.startsWith('-')) pos++;
      else if (r.startsWith('+')) rebuilt.push(r.slice(1));
    }
  }
  while (pos < old.length) rebuilt.push(old[pos++]!);
  assert.equal(`${rebuilt.join('\n')}\n`, b);
});
