import { Command, CommanderError } from 'commander';

export const VERSION = '0.1.0';

type Register = (program: Command) => void;
type GroupLoader = () => Promise<{ register: Register }>;

/**
 * One file per command group. Each is imported only when its command runs: the groups pull in
 * heavy libraries (fastify, x509, ssh2, sqlite), and an operator typing `anoguard key inspect`
 * should not wait for all of them. The top-level names each file registers are listed so the
 * right file can be found from argv; any other invocation (help, an unknown name) loads them all.
 */
const GROUPS: readonly (readonly [readonly string[], GroupLoader])[] = [
  [['key'], () => import('./key.js')],
  [['conf'], () => import('./conf.js')],
  [['node'], () => import('./node.js')],
  [['identity'], () => import('./identity.js')],
  [['bundle'], () => import('./bundle.js')],
  [['sim'], () => import('./sim.js')],
  [['topology', 'render', 'apply'], () => import('./topology.js')],
  [['audit'], () => import('./audit.js')],
  [['pki'], () => import('./pki.js')],
  [['agent'], () => import('./agent.js')],
  [['server'], () => import('./server.js')],
  [['swap'], () => import('./swap.js')],
  [['gateway'], () => import('./gateway.js')],
  [['start', 'user', 'grafana'], () => import('./start.js')],
];

/** The command name on the line: the first argument that is not an option. */
function commandName(argv: readonly string[]): string | undefined {
  return argv.find((a) => !a.startsWith('-'));
}

/**
 * Builds the command tree for `argv` (all groups when argv is omitted). Each command group lives
 * in its own file under src/cli/ and only parses flags, calls library functions and prints; the
 * logic is in the capability folders.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('anoguard');
  // Settings are copied to subcommands when they are created, so they come first.
  program.exitOverride();
  program.showSuggestionAfterError(true);
  program
    .description('Run Factom authority nodes the secure way.')
    .version(VERSION, '-V, --version')
    .option('--json', 'machine-readable output on stdout')
    .configureOutput({ outputError: (str, write) => write(str) });

  const name = argv ? commandName(argv) : undefined;
  const wanted = argv?.includes('--help') || argv?.includes('-h') || name === 'help' ? undefined : GROUPS.find(([names]) => name !== undefined && names.includes(name));
  const loaders = wanted ? [wanted[1]] : GROUPS.map(([, load]) => load);
  for (const mod of await Promise.all(loaders.map((load) => load()))) mod.register(program);
  return program;
}

export { CommanderError };
