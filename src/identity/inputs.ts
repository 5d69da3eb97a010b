/**
 * Parsing of ceremony command inputs (flag values) with errors naming the flag. Separate from the
 * CLI so the offline build and the tests share one set of rules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { expectKind, parseEfficiencyPercent } from '../factom/index.js';

const usage = (code: `E_${string}`, msg: string, field: string): InputError => new InputError(code, msg, { field, exitCode: 2 });

/** A server identity chain ID: exactly 64 hex digits starting 888888 (factom-identity-lib checked less, §10.4b). */
export function parseIdentityChainIdArg(text: string, field: string): Uint8Array {
  if (!/^888888[0-9a-fA-F]{58}$/.test(text ?? '')) {
    throw usage('E_BAD_CHAIN_ID', 'expected a server identity chain ID: 64 hex digits starting with 888888', field);
  }
  return new Uint8Array(Buffer.from(text.toLowerCase(), 'hex'));
}

export function parseUintArg(text: string, field: string, max: number): number {
  if (!/^\d{1,16}$/.test(text ?? '')) throw usage('E_BAD_INTEGER', 'expected a non-negative integer', field);
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v > max) throw usage('E_OUT_OF_RANGE', `must be at most ${max}`, field);
  return v;
}

export function parseHexArg(text: string, field: string, bytes?: { exact?: number; max?: number }): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text ?? '')) throw usage('E_BAD_HEX', 'expected hex (an even number of 0-9a-f digits)', field);
  const b = new Uint8Array(Buffer.from(text, 'hex'));
  if (bytes?.exact !== undefined && b.length !== bytes.exact) throw usage('E_BAD_LENGTH', `expected ${bytes.exact} bytes (${bytes.exact * 2} hex digits), got ${b.length}`, field);
  if (bytes?.max !== undefined && b.length > bytes.max) throw usage('E_BAD_LENGTH', `at most ${bytes.max} bytes`, field);
  return b;
}

/** Exact hundredths from the decimal text; > 2 decimals or outside 0–100 is refused. */
export function parseEfficiencyArg(text: string, field = '--efficiency'): number {
  try {
    return parseEfficiencyPercent(text, field);
  } catch (e) {
    if (e instanceof InputError) throw usage(e.code, e.shortMessage, field);
    throw e;
  }
}

/** FA public address → its RCD hash; a secret (Fs) is refused without echoing it. */
export function parseCoinbaseAddressArg(text: string, field = '--address'): Uint8Array {
  try {
    return expectKind(text, ['FA'] as const, field).rcdHash;
  } catch (e) {
    if (e instanceof InputError) throw usage(e.code, e.shortMessage, field);
    throw e;
  }
}

/** Public identity facts recorded next to a keystore after `identity create` (no secrets). */
export interface IdentityRecord { rootChainId: string; managementChainId: string }

export const IDENTITY_RECORD_FILE = 'identity.json';

/** Looks for DIR/identity.json next to a keystore file (written by `identity create --keys DIR`). */
export function findIdentityRecord(keyFile: string, rootChainIdHex: string): IdentityRecord | undefined {
  for (const p of [join(dirname(keyFile), IDENTITY_RECORD_FILE), join(keyFile, IDENTITY_RECORD_FILE)]) {
    if (!existsSync(p)) continue;
    try {
      const v = JSON.parse(readFileSync(p, 'utf8')) as Partial<IdentityRecord>;
      if (v.rootChainId === rootChainIdHex && typeof v.managementChainId === 'string' && /^888888[0-9a-f]{58}$/.test(v.managementChainId)) {
        return { rootChainId: v.rootChainId, managementChainId: v.managementChainId };
      }
    } catch { /* not ours */ }
  }
  return undefined;
}
