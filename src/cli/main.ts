#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildProgram, CommanderError } from './program.js';
import { isAnoguardError } from '../errors.js';

/**
 * Exit codes: 0 ok, 1 findings or failure, 2 usage error. An AnoguardError becomes one line on
 * stderr (and a JSON object on stdout with --json); anything else is a bug and keeps its stack.
 */
export async function run(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (isAnoguardError(e)) {
      if (json) process.stdout.write(`${JSON.stringify({ error: e.toJSON() })}\n`);
      process.stderr.write(`anoguard: ${e.toLine()}\n`);
      return e.exitCode;
    }
    process.stderr.write(`anoguard: internal error (a bug, please report it)\n${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  try {
    // The npm bin is a symlink to this file; compare real paths.
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
const isMain = invokedDirectly();
if (isMain || process.env.ANOGUARD_CLI_MAIN === '1') {
  run(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exitCode = 1; },
  );
}
