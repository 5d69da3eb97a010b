/**
 * `npm run bench [-- NAME…]`: runs every bench/*.bench.ts (or those whose name contains one of the
 * arguments) in its own process, one after the other so they do not compete for the 2 cores, and
 * writes each one's JSON result to bench/results/<name>.json. Each bench prints its own table; the
 * figures that matter are copied into bench/README.md with the date and machine.
 */
import { readdirSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
mkdirSync(join(dir, 'results'), { recursive: true });
let failed = 0;
for (const f of benches) {
  process.stdout.write(`\n=== ${f} ===\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_RESULTS_DIR: join(dir, 'results') },
  });
  if (r.status !== 0) failed++;
}
if (benches.length === 0) process.stdout.write('no benchmarks matched\n');
process.exitCode = failed > 0 ? 1 : 0;
