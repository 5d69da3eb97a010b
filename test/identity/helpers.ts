/** Shared fixtures of the identity tests: vectors from SHARED, key files in private temp dirs. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED } from '../helpers/cli.js';

export interface Vector {
  id: string;
  inputs: Record<string, unknown>;
  expected: Record<string, unknown> & {
    entry?: { chainId: string; extIdsHex: string[]; contentHex: string; entryHash: string };
    commitHex?: string;
    revealHex?: string;
    ecCost?: number;
  };
}
export interface VectorFile {
  fixedInputs: {
    commitTimestampMillis: number;
    identityTimestampSeconds: number;
    levelSeedsHex: string[];
    ecSeedHex: string;
    blockSigningKeySeedHex: string;
    btcHash160Hex: string;
    mhashSeedHex: string;
  };
  vectors: Vector[];
}

export function loadVectors(): VectorFile {
  return JSON.parse(readFileSync(join(SHARED, 'vectors', 'factom-vectors.json'), 'utf8')) as VectorFile;
}

export function vector(file: VectorFile, id: string): Vector {
  const v = file.vectors.find((x) => x.id === id);
  if (!v) throw new Error(`vector ${id} missing`);
  return v;
}

/** A private temp dir with the area prefix; remove with `rmSync(dir, {recursive: true})`. */
export function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `anoguard-identity-${tag}-`));
  chmodSync(d, 0o700);
  return d;
}

export function writeSecret(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text, { mode: 0o600 });
  chmodSync(p, 0o600);
  return p;
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const hb = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
