import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoDoubleSigning, findDoubleSigners, readTruth } from '../../src/sim/truth.js';
import { simTempDir } from './helpers.js';

const line = (node: string, height: number, id: string, signed: boolean): string =>
  JSON.stringify({ ts: 1, node, height, minute: 0, identityChainId: id, role: signed ? 'Leader' : 'Follower', signed });

test('double signing is found only for signed records of one identity at one height', () => {
  const { dir, cleanup } = simTempDir('truth');
  try {
    writeFileSync(join(dir, 'truth.jsonl'), [
      line('n1', 5, 'a', true), line('n2', 5, 'a', false), line('n2', 6, 'a', true), line('n1', 7, 'a', true),
      JSON.stringify({ ts: 2, event: 'fault', fault: 'crash', node: 'n1', height: 6 }), '{"torn":',
    ].join('\n'));
    assert.deepEqual(findDoubleSigners(readTruth(dir)), []);
    assert.doesNotThrow(() => assertNoDoubleSigning(dir));
    assert.equal(readTruth(dir).events.length, 1);
    writeFileSync(join(dir, 'truth.jsonl'), [line('n1', 5, 'a', true), line('n2', 5, 'a', true)].join('\n'));
    assert.deepEqual(findDoubleSigners(readTruth(dir)), [{ identityChainId: 'a', height: 5, nodes: ['n1', 'n2'] }]);
    assert.throws(() => assertNoDoubleSigning(dir), /signed by n1 and n2 at height 5/);
  } finally {
    cleanup();
  }
});
