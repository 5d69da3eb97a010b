/**
 * The one error base of anoguard. Every expected failure (bad input, unreachable node, refused
 * operation) is an AnoguardError with a stable `code`; the CLI prints `shortMessage` on one line and
 * exits with `exitCode`. Anything else reaching the CLI is a bug and gets a stack trace.
 *
 * This module is a leaf: every layer, including the pure protocol core, may import it.
 */
export type ErrorCode = `E_${string}`;

export interface AnoguardErrorOptions {
  /** The offending input, config key or JSON path, e.g. `address`, `app.ChangeAcksHeight`, `hosts.2.ssh.port`. */
  field?: string;
  details?: string;
  cause?: unknown;
  /** 1 = failure or findings (default), 2 = usage error. */
  exitCode?: 1 | 2;
}

export class AnoguardError extends Error {
  override readonly name: string = 'AnoguardError';
  readonly code: ErrorCode;
  readonly shortMessage: string;
  readonly field: string | undefined;
  readonly details: string | undefined;
  readonly exitCode: 1 | 2;

  constructor(code: ErrorCode, shortMessage: string, opts: AnoguardErrorOptions = {}) {
    const full = [
      opts.field ? `${opts.field}: ${shortMessage}` : shortMessage,
      opts.details ? `\n${opts.details}` : '',
    ].join('');
    super(full, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.field = opts.field;
    this.details = opts.details;
    this.exitCode = opts.exitCode ?? 1;
  }

  /** One line for humans: `field: message (E_CODE)`. */
  toLine(): string {
    return `${this.field ? `${this.field}: ` : ''}${this.shortMessage} (${this.code})`;
  }

  toJSON(): { code: string; message: string; field?: string; details?: string } {
    return {
      code: this.code,
      message: this.shortMessage,
      ...(this.field ? { field: this.field } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** Bad input handed to us (a key, an address, a config, a flag value). Exit code 2 when it is a usage error. */
export class InputError extends AnoguardError {
  override readonly name: string = 'InputError';
}

export function isAnoguardError(e: unknown): e is AnoguardError {
  return e instanceof AnoguardError;
}
