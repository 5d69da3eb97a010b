/**
 * `npm run chaos -- --runs N --seed S [--concurrency C] [--scenario NAME | --every] [--processes] [--verbose]`:
 * a seeded, reproducible campaign of failover scenarios against the simulator. Run k uses seed S + k.
 * `--processes`: agents are real `anoguard agent` processes inside the namespaces and controllers
 * real `anoguard server` processes (the scenarios of PROCESS_SCENARIOS). Ends with
 * `runs N, duplicates D, liveness failures L`; exit 1 when D > 0.
 */
import { CONTROLS, isScenario, PROCESS_SCENARIOS, runOne, runsInProcesses, SCENARIOS, type RunResult, type Scenario } from './scenarios.js';
import { closeAllWorlds, sweepStaleWorlds } from './world.js';
import { sweepStale } from './netns.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const int = (name: string, dflt: number): number => {
  const v = flag(name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) { process.stderr.write(`${name}: expected a non-negative integer\n`); process.exit(2); }
  return Number(v);
};
const runs = int('--runs', 20);
const seed = int('--seed', 1);
const concurrency = Math.max(1, int('--concurrency', 2));
const scenarioArg = flag('--scenario');
if (scenarioArg !== undefined && !isScenario(scenarioArg)) { process.stderr.write(`--scenario: one of ${[...SCENARIOS, ...CONTROLS].join(', ')}\n`); process.exit(2); }
const scenario: Scenario | undefined = scenarioArg;
const verbose = process.argv.includes('--verbose');
/** --every: the first runs go through every scenario once, in order. */
const every = process.argv.includes('--every');
const processes = process.argv.includes('--processes');
if (processes && scenario !== undefined && !runsInProcesses(scenario)) { process.stderr.write(`--scenario: with --processes one of ${PROCESS_SCENARIOS.join(', ')}\n`); process.exit(2); }
const everyList: readonly Scenario[] = processes ? PROCESS_SCENARIOS : SCENARIOS;

if (process.getuid?.() !== 0) { process.stderr.write('chaos: needs root (network namespaces, nft)\n'); process.exit(2); }
// Namespaces of a crashed earlier run (owner gone) only; a concurrent campaign keeps its own.
const swept = [...sweepStale(), ...sweepStaleWorlds()];
if (swept.length) process.stderr.write(`swept what crashed runs left: ${swept.join(' ')}\n`);
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${sig}: tearing down the open worlds\n`);
    const hard = setTimeout(() => process.exit(130), 15_000);
    void closeAllWorlds().finally(() => { clearTimeout(hard); process.exit(130); });
  });
}

const results: RunResult[] = [];
let next = 0;
async function worker(): Promise<void> {
  while (next < runs && !stopping) {
    const k = next++;
    const s = seed + k;
    let r: RunResult;
    try {
      r = await runOne(s, scenario ?? (every && k < everyList.length ? everyList[k] : undefined), verbose ? (l) => process.stderr.write(`[seed ${s}] ${l}\n`) : undefined, { processes });
    } catch (e) {
      r = { seed: s, scenario: scenario ?? 'kill-master', duplicates: 0, livenessFailures: 0, longestGapBlocks: 0, stepDownFailures: 0, cutReports: [], summary: '', error: `setup: ${e instanceof Error ? e.message : String(e)}`, log: [] };
    }
    results.push(r);
    const bad = r.duplicates > 0 || r.livenessFailures > 0 || r.stepDownFailures > 0;
    process.stdout.write(`seed ${r.seed} ${r.scenario}: ${bad ? 'FAIL' : 'ok'} dup ${r.duplicates} live ${r.livenessFailures}${r.stepDownFailures ? ` step-down ${r.stepDownFailures}` : ''} gap ${r.longestGapBlocks} blocks — ${r.summary}${r.error ? ` [error: ${r.error}]` : ''}\n`);
    if (bad) process.stdout.write(`  reproduce: npm run chaos -- --runs 1 --seed ${r.seed}${scenario ? ` --scenario ${scenario}` : ''}${processes ? ' --processes' : ''}\n${r.log.map((l) => `    ${l}`).join('\n')}\n`);
  }
}
// Staggered, so that simulators do not all start (and bundle their node entry) at once.
await Promise.all(Array.from({ length: Math.min(concurrency, runs) }, (_, i) => new Promise((r) => setTimeout(r, i * 4000)).then(worker)));
const errors = results.filter((r) => r.error?.startsWith('setup:')).length;
if (errors > 0) process.stdout.write(`setup errors ${errors} (those runs tested nothing)\n`);
const d = results.reduce((a, r) => a + r.duplicates, 0);
const l = results.reduce((a, r) => a + r.livenessFailures, 0);
// A controller that kept acting after losing etcd is a safety failure even when no duplicate followed.
const sd = results.reduce((a, r) => a + r.stepDownFailures, 0);
if (sd > 0) process.stdout.write(`step-down failures ${sd}\n`);
process.stdout.write(`runs ${results.length}, duplicates ${d}, liveness failures ${l}\n`);
process.exit(d > 0 || sd > 0 ? 1 : 0);
