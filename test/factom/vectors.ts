import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../helpers/cli.js';

/** The shared vector file, loaded once. Shapes are loose on purpose: tests read fields by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of a documented but untyped schema
export type Json = any;

export const VECTORS: Json = JSON.parse(readFileSync(join(SHARED, 'vectors', 'factom-vectors.json'), 'utf8'));

export function vector(id: string): Json {
  const v = (VECTORS.vectors as Json[]).find((x) => x.id === id);
  if (!v) throw new Error(`vector ${id} missing`);
  return v;
}

export function vectorsOfCategory(category: string): Json[] {
  return (VECTORS.vectors as Json[]).filter((x) => x.category === category);
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
