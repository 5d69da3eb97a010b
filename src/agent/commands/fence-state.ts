import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { AnoguardError } from '../../errors.js';
import { writeFileAtomic } from '../../util/fs.js';

/**
 * What the agent must remember across restarts to fence safely: until when (wall clock) its lease
 * runs, whether it fenced itself, and the config as it was before the last swap edit (for `restore`).
 * 0600: the saved config holds the node's private key.
 */
export const FenceState = z.object({
  identity: z.string(),
  leaseUntil: z.number(),
  epoch: z.number().int().nonnegative(),
  fenced: z.boolean(),
  saved: z.string().optional(),
  lastHeight: z.number().int().nonnegative().default(0),
});
export type FenceState = z.infer<typeof FenceState>;

export function readFenceState(path: string, identity: string): FenceState {
  if (!existsSync(path)) return { identity, leaseUntil: 0, epoch: 0, fenced: false, lastHeight: 0 };
  let v: unknown;
  try { v = JSON.parse(readFileSync(path, 'utf8')); } catch (e) {
    throw new AnoguardError('E_FENCE_STATE', 'the fence state file is unreadable', { field: path, cause: e });
  }
  const p = FenceState.safeParse(v);
  if (!p.success) throw new AnoguardError('E_FENCE_STATE', 'the fence state file is not valid', { field: path });
  // A state for another identity grants nothing.
  return p.data.identity === identity ? p.data : { identity, leaseUntil: 0, epoch: 0, fenced: false, lastHeight: 0 };
}

export function writeFenceState(path: string, s: FenceState, write: typeof writeFileAtomic = writeFileAtomic): void {
  write(path, JSON.stringify(s), { mode: 0o600 });
}
