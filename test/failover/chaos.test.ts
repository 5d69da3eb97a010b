import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ROOT } from '../helpers/cli.js';
import { exclusive } from '../helpers/exclusive.js';
import { checkTruth } from '../../src/failover/safety-check.js';

/**
 * The chaos campaign as CI runs it: every scenario once, then 20 more seeded runs, against the
 * simulator at 1 s blocks, through `npm run chaos` itself (the same entry an operator runs). The
 * master's and standby's nodes run in network namespaces fo<seed>m / fo<seed>s (root, as in CI).
 * Alongside, a negative control (the identity copied into the standby without fencing) must make
 * the same entry report a duplicate and exit 1: the campaign cannot pass by seeing nothing.
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

const ours = (seeds: number[]): { ns: string[]; dirs: string[] } => {
  const names = new Set(seeds.flatMap((s) => [`fo${s}m`, `fo${s}s`]));
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => names.has(n));
  const dirs = readdirSync(tmpdir()).filter((d) => seeds.some((s) => d.startsWith(`fo-chaos-${s}-`)));
  return { ns, dirs };
};

test('chaos: every scenario once plus 20 seeded runs — no duplicate identity, no liveness failure; an unfenced duplicate is caught', { timeout: 1_200_000 }, () => exclusive('chaos', async () => {
  const seeds = Array.from({ length: 29 }, (_, i) => 1000 + i);
  const [r, control] = await Promise.all([
    runChaos(['--runs', '29', '--seed', '1000', '--every', '--concurrency', '4'], 590_000),
    // Started later, so that its simulator does not start together with the first four.
    new Promise((res) => setTimeout(res, 20_000)).then(() => runChaos(['--runs', '1', '--seed', '1999', '--scenario', 'unfenced-duplicate'], 120_000)),
  ]);
  const last = r.out.trim().split('\n').pop() ?? '';
  assert.match(last, /^runs 29, duplicates 0, liveness failures 0$/, r.out);
  assert.equal(r.code, 0, r.out);
  // Every scenario ran, none failed to set up.
  for (const s of ['kill-master', 'partition-master-controller', 'partition-standby', 'kill-controller-mid-swap', 'restart-master-pending-swap', 'clock-skew', 'disk-full', 'planned-swap', 'two-controllers-etcd']) {
    assert.match(r.out, new RegExp(`^seed \\d+ ${s}: ok`, 'm'), `${s} did not run:\n${r.out}`);
  }
  assert.doesNotMatch(r.out, /setup errors/, r.out);
  assert.match(control.out, /^seed 1999 unfenced-duplicate: FAIL dup [1-9]/m, control.out);
  assert.match(control.out.trim().split('\n').pop() ?? '', /^runs 1, duplicates [1-9]\d*, liveness failures \d+$/, control.out);
  assert.match(control.out, /reproduce: npm run chaos -- --runs 1 --seed 1999 --scenario unfenced-duplicate/, control.out);
  assert.equal(control.code, 1, control.out);
  // Torn down: no namespace, no world directory of these seeds is left.
  assert.deepEqual(ours([...seeds, 1999]), { ns: [], dirs: [] });
}));
