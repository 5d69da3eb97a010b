#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner through tsx. Node 20 has no glob
// support in --test, so the files are listed here. Arguments narrow the run to paths
// containing any of them: `npm test -- test/factom test/cli`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}
const filters = process.argv.slice(2);
const files = walk(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x.replace(/^\.\//, ''))))
  .sort();
// The two chaos campaigns each load both cores for minutes (they also take turns through
// test/helpers/exclusive.ts): one starts first and one last, so that neither waits in a slot.
const FIRST = 'test/failover/chaos-processes.test.ts';
const LAST = 'test/failover/chaos.test.ts';
files.sort((a, b) => (a === FIRST ? -1 : b === FIRST ? 1 : a === LAST ? 1 : b === LAST ? -1 : 0));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The dashboard tests serve the built web app: build it when it is missing or older than its sources.
const newest = (dir) => Math.max(...readdirSync(dir).map((n) => { const p = join(dir, n); return statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs; }));
const built = join(root, 'web/dist/index.html');
if (!existsSync(built) || statSync(built).mtimeMs < newest(join(root, 'web/src'))) {
  const r = await new Promise((res) => spawn(process.execPath, [join(root, 'web/build.mjs')], { stdio: 'inherit' }).on('exit', res));
  if (r !== 0) process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '3';
const child = spawn(
  process.execPath,
  // A hang must fail the run, not stall it: --test-force-exit ends a file whose tests have all ended
  // even if something it started still holds the event loop (a failed test's leftover timer), and
  // --test-timeout bounds a test without a timeout of its own (10 min; the longest takes ~75 s).
  ['--import', 'tsx', '--test', '--test-force-exit', '--test-timeout=600000', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
