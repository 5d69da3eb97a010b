import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exclusive } from './exclusive.js';

test('exclusive: a second holder of the same name waits for the first; another name does not', async () => {
  const log: string[] = [];
  const hold = (who: string, name: string, ms: number) => exclusive(name, async () => {
    log.push(`${who}+`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`${who}-`);
  });
  const name = `t${process.pid}`;
  const a = hold('a', name, 700);
  await new Promise((r) => setTimeout(r, 50));
  await Promise.all([a, hold('b', name, 10), hold('c', `${name}x`, 10)]);
  assert.deepEqual(log.filter((l) => !l.startsWith('c')), ['a+', 'a-', 'b+', 'b-']);
  assert.ok(log.indexOf('c-') < log.indexOf('a-'), log.join(' '));
});
