import { Command } from 'commander';
import { AnoguardError, InputError } from '../errors.js';
import { loadFenceConfig } from '../agent/commands/config.js';
import { fenceCheck } from '../agent/commands/execute.js';
import { emit } from './print.js';

/**
 * `anoguard agent fence-check --config FILE`, for the factomd unit's ExecStartPre: exit 0 lets
 * factomd start; exit 1 refuses (the config held the authority identity without a valid lease and
 * has been demoted, so the next start runs a follower). Part of the `agent` group.
 */
export function fenceCheckCommand(): Command {
  return new Command('fence-check')
    .description('before factomd starts: refuse (exit 1) and demote a config holding the authority identity without a valid lease')
    .option('--config <file>', 'fence config YAML (factomdConf, stateFile, identity)')
    .action((o: { config?: string }, cmd: Command) => {
      // `agent` has its own --config, which commander gives to the parent when both spell it the same.
      const parentOpts: { config?: string } | undefined = cmd.parent?.opts();
      const path = o.config ?? parentOpts?.config;
      if (!path) throw new InputError('E_USAGE', '--config <file> is required', { field: 'config', exitCode: 2 });
      const c = loadFenceConfig(path);
      const r = fenceCheck({ confPath: c.factomdConf, statePath: c.stateFile, identity: c.identity });
      emit(cmd, r, () => `${r.ok ? 'ok' : 'REFUSED'}: ${r.reason}${r.demoted ? ' — the identity was removed from the config' : ''}`);
      if (!r.ok) throw new AnoguardError('E_FENCED', `factomd must not start: ${r.reason}`, { field: 'fence-check' });
    });
}
