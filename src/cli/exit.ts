import { CommanderError, type Command } from 'commander';
import { isAnoguardError } from '../errors.js';

/** Commander ends with these for --help and --version: not errors. */
const CLEAN_EXITS = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/**
 * Exit codes: 0 ok, 1 findings or failure, 2 usage error. An AnoguardError becomes one line on
 * stderr (and a JSON object on stdout with --json); anything else is a bug and keeps its stack.
 * A leaf of the CLI: the full CLI and the offline bundle (which must not import every command
 * group) share it.
 */
export function reportError(e: unknown, json: boolean): number {
  if (e instanceof CommanderError) return CLEAN_EXITS.has(e.code) ? 0 : 2;
  if (isAnoguardError(e)) {
    if (json) process.stdout.write(`${JSON.stringify({ error: e.toJSON() })}\n`);
    process.stderr.write(`anoguard: ${e.toLine()}\n`);
    return e.exitCode;
  }
  process.stderr.write(`anoguard: internal error (a bug, please report it)\n${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}

/** Parses and runs `argv` on `program` (built with exitOverride) and returns the process exit code. */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e, argv.includes('--json'));
  }
}
