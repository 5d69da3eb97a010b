import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { AnoguardError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';

/**
 * Who holds the authority identity's lease, as the controller records it. `grantedUntil` is the wall
 * time up to which some agent may still believe it holds a lease: a controller that restarts must
 * wait it out (plus the margin) before giving the identity to anyone else.
 */
export const LeaseRecord = z.object({
  identity: z.string(),
  /** Hosts allowed to renew; two only during a planned swap's window. */
  holders: z.array(z.string()),
  epoch: z.number().int().nonnegative(),
  grantedUntil: z.number(),
});
export type LeaseRecord = z.infer<typeof LeaseRecord>;

export interface LeaseStore {
  read(): Promise<LeaseRecord | undefined>;
  write(r: LeaseRecord): Promise<void>;
}

/** The single-server default: a 0600 JSON file, written atomically before any grant leaves. */
export function localLeaseStore(path: string): LeaseStore {
  return {
    read() {
      if (!existsSync(path)) return Promise.resolve(undefined);
      try {
        return Promise.resolve(LeaseRecord.parse(JSON.parse(readFileSync(path, 'utf8'))));
      } catch (e) {
        return Promise.reject(new AnoguardError('E_LEASE_STORE', 'the lease file is unreadable; refusing to grant or promote', { field: path, cause: e }));
      }
    },
    write(r) {
      writeFileAtomic(path, JSON.stringify(r), { mode: 0o600 });
      return Promise.resolve();
    },
  };
}
