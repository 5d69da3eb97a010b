import { existsSync, readFileSync } from 'node:fs';
import { AnoguardError } from '../../errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { ReplaySet } from '../../failover/command.js';

/**
 * The nonces of accepted commands, kept in a 0600 JSON file until each command's expiry: a command
 * replayed after an agent restart is still refused. Each add is written (atomically) before the
 * command acts, so a crash can lose an action but never forget a nonce.
 */
export function openReplaySet(path: string, now: () => number = Date.now): ReplaySet {
  let seen = new Map<string, number>();
  if (existsSync(path)) {
    try {
      const v = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      for (const [k, e] of Object.entries(v)) if (typeof e === 'number') seen.set(k, e);
    } catch (e) {
      // Starting empty would make every unexpired command replayable: refuse instead.
      throw new AnoguardError('E_REPLAY_STORE', 'the replay file is unreadable; refusing commands until it is fixed or removed by hand', { field: path, cause: e });
    }
  }
  return {
    has: (n) => seen.has(n),
    add(n, expiresAt) {
      const t = now();
      const next = new Map([...seen].filter(([, e]) => e > t));
      next.set(n, expiresAt);
      writeFileAtomic(path, JSON.stringify(Object.fromEntries(next)), { mode: 0o600 });
      seen = next;
    },
  };
}
