/**
 * Light entry point of the simulator's processes: `proc.ts sim network --dir DIR` and
 * `proc.ts sim node --dir DIR --name N [--network HOST:PORT]`. Same arguments as the CLI commands, but
 * without loading every CLI command group, so that each node stays small (< 80 MB RSS).
 */
import { runNetwork } from './network.js';
import { runNode } from './node.js';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const args = process.argv.slice(2);
const dir = flag(args, '--dir');
const what = args[1];
if (args[0] !== 'sim' || !dir || (what !== 'network' && what !== 'node')) {
  process.stderr.write('usage: proc sim network --dir DIR | proc sim node --dir DIR --name N [--network HOST:PORT]\n');
  process.exit(2);
}
const run = what === 'network' ? runNetwork(dir) : runNode(dir, flag(args, '--name') ?? '', { networkAddress: flag(args, '--network') });
run.catch((e: unknown) => {
  process.stderr.write(`anoguard sim: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
