#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runProgram } from './exit.js';
import { buildProgram } from './program.js';

/**
 * Exit codes: 0 ok, 1 findings or failure, 2 usage error. An AnoguardError becomes one line on
 * stderr (and a JSON object on stdout with --json); anything else is a bug and keeps its stack.
 */
export async function run(argv: string[]): Promise<number> {
  return runProgram(await buildProgram(argv), argv);
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
