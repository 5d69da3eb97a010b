import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ROOT } from '../helpers/cli.js';
import { checkTruth } from '../../src/failover/safety-check.js';

/**
 * The chaos campaign as CI runs it: every scenario once, then 20 more seeded runs, against the
 * simulator at 1 s blocks, through `npm run chaos` itself (the same entry an operator runs).
 */
function runChaos(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}scripts/chaos/main.ts`, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    const t = setTimeout(() => { child.kill('SIGINT'); reject(new Error(`chaos campaign timed out:\n${out}`)); }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(t); resolve({ code, out }); });
  });
}

test('checker: two nodes on one identity at one height is a duplicate; a long silence is a liveness failure', () => {
  const id = 'aa'.repeat(32);
  const rec = (ts: number, node: string, height: number, signed: boolean, role = 'Audit') => ({ ts, node, height, minute: 0, identityChainId: id, role, signed });
  const r = checkTruth({ signatures: [rec(0, 'n2', 5, true), rec(100, 'n3', 5, false), rec(200, 'n3', 6, true, 'Follower')], events: [] }, { identity: id, blockMs: 100, boundBlocks: 3 });
  assert.deepEqual(r.duplicates, [{ height: 5, nodes: ['n2', 'n3'] }]);
  const g = checkTruth({ signatures: [rec(0, 'n2', 5, true), rec(1000, 'n3', 15, true)], events: [{ ts: 10, event: 'die', node: 'n3', kind: 'dup-audit' }] }, { identity: id, blockMs: 100, boundBlocks: 3 });
  assert.equal(g.duplicates.length, 0);
  assert.equal(g.livenessFailures.length, 1);
  assert.deepEqual(g.duplicateDeaths, ['n3']);
});

test('chaos: every scenario once plus 20 seeded runs — no duplicate identity, no liveness failure', { timeout: 600_000 }, async () => {
  const r = await runChaos(['--runs', '29', '--seed', '1000', '--every', '--concurrency', '4'], 590_000);
  const last = r.out.trim().split('\n').pop() ?? '';
  assert.match(last, /^runs 29, duplicates 0, liveness failures 0$/, r.out);
  assert.equal(r.code, 0, r.out);
});
