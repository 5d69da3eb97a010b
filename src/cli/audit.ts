import type { Command } from 'commander';

/** The `audit` command group. Not implemented yet: registers nothing. */
export function register(_program: Command): void {}
