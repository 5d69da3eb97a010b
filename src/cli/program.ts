import { Command, CommanderError } from 'commander';
import { register as registerKey } from './key.js';
import { register as registerConf } from './conf.js';
import { register as registerNode } from './node.js';
import { register as registerIdentity } from './identity.js';
import { register as registerBundle } from './bundle.js';
import { register as registerSim } from './sim.js';
import { register as registerTopology } from './topology.js';
import { register as registerAudit } from './audit.js';
import { register as registerPki } from './pki.js';
import { register as registerAgent } from './agent.js';
import { register as registerServer } from './server.js';
import { register as registerSwap } from './swap.js';
import { register as registerGateway } from './gateway.js';
import { register as registerStart } from './start.js';

export const VERSION = '0.1.0';

/**
 * Builds the whole command tree. Each command group lives in its own file under src/cli/ and only
 * parses flags, calls library functions and prints; the logic is in the capability folders.
 */
export function buildProgram(): Command {
  const program = new Command('anoguard');
  // Settings are copied to subcommands when they are created, so they come first.
  program.exitOverride();
  program.showSuggestionAfterError(true);
  program
    .description('Run Factom authority nodes the secure way.')
    .version(VERSION, '-V, --version')
    .option('--json', 'machine-readable output on stdout')
    .configureOutput({ outputError: (str, write) => write(str) });

  for (const register of [
    registerKey, registerConf, registerNode, registerIdentity, registerBundle, registerSim, registerTopology,
    registerAudit, registerPki, registerAgent, registerServer, registerSwap, registerGateway, registerStart,
  ]) {
    register(program);
  }
  return program;
}

export { CommanderError };
