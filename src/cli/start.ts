import type { Command } from 'commander';
import { emit } from './print.js';

/**
 * `anoguard start` — what `npm start` runs. Until the server and dashboard land it prints the
 * command overview and a status line, as the README says.
 */
export function register(program: Command): void {
  program
    .command('start')
    .description('run the anoguard server with the dashboard (demo network when no topology is configured)')
    .action(function (this: Command) {
      const groups = program.commands.filter((c) => c.name() !== 'start').map((c) => `  ${c.name().padEnd(10)} ${c.description()}`);
      emit(this, { status: 'server-not-yet-available', commands: program.commands.map((c) => c.name()) }, () =>
        [
          'anoguard — security and operations toolkit for Factom authority node operators',
          '',
          'Commands available in this build:',
          ...groups,
          '',
          'status: the monitoring server and dashboard are not in this build yet; `anoguard --help` lists what is.',
        ].join('\n'),
      );
    });
}
