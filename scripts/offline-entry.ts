/**
 * Entry of the single-file offline build (`npm run build:offline`): only the ceremony commands
 * (`identity …`, `bundle verify|sign-commits`). The same file is the grind worker: a worker thread
 * started on this file with `workerData.anoguardWorker === 'grind'` runs the grinder instead.
 */
import { isMainThread } from 'node:worker_threads';
import { Command } from 'commander';
import { runProgram } from '../src/cli/exit.js';
import { register as registerIdentity } from '../src/cli/identity.js';
import { register as registerBundle } from '../src/cli/bundle.js';
import { runGrindWorker } from '../src/identity/grind-worker.js';

declare const __ANOGUARD_OFFLINE_VERSION__: string;

async function main(argv: string[]): Promise<number> {
  const program = new Command('anoguard-offline');
  program.exitOverride();
  program
    .description('anoguard offline ceremony: identity keys, chains and signed bundles (no network needed)')
    .version(typeof __ANOGUARD_OFFLINE_VERSION__ === 'string' ? __ANOGUARD_OFFLINE_VERSION__ : 'dev', '-V, --version')
    .option('--json', 'machine-readable output on stdout')
    .configureOutput({ outputError: (str, write) => write(str) });
  registerIdentity(program);
  registerBundle(program);
  // Ceremony only: the commands that talk to factomd stay in the full CLI.
  for (const [group, name] of [['identity', 'show'], ['bundle', 'submit']] as const) {
    const g = program.commands.find((c) => c.name() === group);
    const list = g?.commands as Command[] | undefined;
    const i = list?.findIndex((c) => c.name() === name) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
  }
  return runProgram(program, argv);
}

if (isMainThread) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, () => { process.exitCode = 1; });
} else {
  runGrindWorker();
}
