import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AnoguardError } from '../errors.js';
import { paths } from './layout.js';

/** One line of DIR/truth.jsonl: a node's signature record at (height, minute), or an event. */
export const SignRecord = z.object({
  ts: z.number(),
  node: z.string(),
  height: z.number().int(),
  minute: z.number().int(),
  identityChainId: z.string(),
  role: z.enum(['Leader', 'Audit', 'Follower']),
  signed: z.boolean(),
});
export type SignRecord = z.infer<typeof SignRecord>;

export const TruthEvent = z.object({ ts: z.number(), event: z.string() }).catchall(z.unknown());
export type TruthEvent = z.infer<typeof TruthEvent>;

export interface Truth {
  signatures: SignRecord[];
  events: TruthEvent[];
}

/** Reads the record of truth; a torn last line (the network still writing) is skipped. */
export function readTruth(dir: string): Truth {
  let text: string;
  try {
    text = readFileSync(paths.truth(dir), 'utf8');
  } catch (e) {
    throw new AnoguardError('E_SIM_MISSING', `cannot read ${paths.truth(dir)}`, { field: 'truth', cause: e });
  }
  const signatures: SignRecord[] = [];
  const events: TruthEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let v: unknown;
    try { v = JSON.parse(line); } catch { continue; }
    const s = SignRecord.safeParse(v);
    if (s.success) { signatures.push(s.data); continue; }
    const e = TruthEvent.safeParse(v);
    if (e.success) events.push(e.data);
  }
  return { signatures, events };
}

export interface DoubleSign {
  identityChainId: string;
  height: number;
  nodes: string[];
}

/** Every (identity, height) signed by more than one node: the failover controller's cardinal sin. */
export function findDoubleSigners(t: Truth): DoubleSign[] {
  const by = new Map<string, Set<string>>();
  for (const s of t.signatures) {
    if (!s.signed) continue;
    const k = `${s.identityChainId}|${s.height}`;
    const set = by.get(k) ?? new Set<string>();
    set.add(s.node);
    by.set(k, set);
  }
  const out: DoubleSign[] = [];
  for (const [k, set] of by) {
    if (set.size < 2) continue;
    const [id, h] = k.split('|');
    out.push({ identityChainId: id!, height: Number(h), nodes: [...set].sort() });
  }
  return out;
}

/** Throws when two nodes signed with one identity at one height. */
export function assertNoDoubleSigning(dir: string): void {
  const bad = findDoubleSigners(readTruth(dir));
  if (bad.length > 0) {
    const b = bad[0]!;
    throw new AnoguardError('E_DOUBLE_SIGN', `identity ${b.identityChainId} signed by ${b.nodes.join(' and ')} at height ${b.height}`, {
      field: 'truth', details: `${bad.length} double-signed height(s)`,
    });
  }
}

/** Which identity `node` signed with at (height, minute), if any. */
export function signerAt(t: Truth, node: string, height: number, minute = 0): SignRecord | undefined {
  return t.signatures.find((s) => s.node === node && s.height === height && s.minute === minute);
}
