/**
 * Where a keystore passphrase comes from: a 0600 file (`--passphrase-file`), stdin when it is not a
 * terminal, or a no-echo prompt on the terminal. Never argv or the environment (visible in
 * /proc/PID/cmdline and /proc/PID/environ to the same user, and in shell history).
 */
import { AnoguardError, InputError } from '../errors.js';
import { readSecretFile, readStdin } from '../util/fs.js';

export interface PassphraseOptions {
  file?: string;
  /** Ask twice on a terminal (new keystores). */
  confirm?: boolean;
  prompt?: string;
}

export type PassphraseSource = () => Promise<string>;

function firstLine(text: string): string {
  const i = text.search(/\r?\n/);
  return i < 0 ? text : text.slice(0, i);
}

/** Reads a line from the terminal without echo. */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    process.stderr.write(prompt);
    let buf = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') { done(); return; }
        if (ch === '\u0003') { done(new AnoguardError('E_CANCELLED', 'cancelled')); return; }
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else if (ch >= ' ') buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** A passphrase source that asks once and caches the answer for the rest of the command. */
export function passphraseSource(opts: PassphraseOptions = {}): PassphraseSource {
  let cached: Promise<string> | undefined;
  const obtain = async (): Promise<string> => {
    let pass: string;
    if (opts.file) pass = firstLine(readSecretFile(opts.file, '--passphrase-file'));
    else if (!process.stdin.isTTY) pass = firstLine(await readStdin(64 * 1024));
    else {
      pass = await promptHidden(opts.prompt ?? 'Keystore passphrase: ');
      if (opts.confirm) {
        const again = await promptHidden('Repeat passphrase: ');
        if (again !== pass) throw new InputError('E_PASSPHRASE_MISMATCH', 'the two passphrases differ', { field: 'passphrase', exitCode: 2 });
      }
    }
    if (pass.length === 0) {
      throw new InputError('E_NO_PASSPHRASE', 'no passphrase: give it on stdin, with --passphrase-file FILE (0600), or run on a terminal', { field: 'passphrase', exitCode: 2 });
    }
    return pass;
  };
  return () => (cached ??= obtain());
}
