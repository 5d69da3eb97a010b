import type { Command } from 'commander';

/** True when the command line asked for machine output (`--json` anywhere on the line). */
export function wantsJson(cmd: Command): boolean {
  return Boolean(cmd.optsWithGlobals<{ json?: boolean }>().json);
}

const useColor = (): boolean => !process.env.NO_COLOR && process.stdout.isTTY === true;

function paint(code: number, s: string): string {
  return useColor() ? `\u001b[${code}m${s}\u001b[0m` : s;
}
export const color = {
  red: (s: string) => paint(31, s),
  green: (s: string) => paint(32, s),
  yellow: (s: string) => paint(33, s),
  bold: (s: string) => paint(1, s),
  dim: (s: string) => paint(2, s),
};

/**
 * The one printer: JSON (stable, for scripts) when `--json` is given, otherwise the human text.
 * Commands never write to stdout in any other way.
 */
export function emit(cmd: Command, value: unknown, human: () => string): void {
  if (wantsJson(cmd)) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else {
    const text = human();
    if (text.length > 0) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** Progress and warnings go to stderr so stdout stays parseable. */
export function note(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}
