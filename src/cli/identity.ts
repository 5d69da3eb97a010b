import type { Command } from 'commander';

/** The `identity` command group. Not implemented yet: registers nothing. */
export function register(_program: Command): void {}
