import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sample, type Probe } from '../probe.js';
import { diffFim, expandWatchPaths, parsePasswdHomes, sameSnapshot, snapshotFiles, type FimBaseline } from '../fim.js';

export interface FimOptions {
  /** files or `dir/*` patterns */
  paths: string[];
  /** secret-bearing files (keys): changes are critical */
  criticalPaths?: string[];
  /** users whose ~/.ssh/authorized_keys are watched (critical) */
  authorizedKeysUsers?: string[];
  /** /etc/passwd location (tests use a fixture) */
  passwdPath?: string;
}

const STATE_KEY = 'fim.baseline';

export function createFimProbe(o: FimOptions): Probe {
  return {
    id: 'fim',
    describe: 'file integrity (sha256, mode, owner, mtime) of the watched set; changes are fim.changed events',
    async collect(ctx) {
      const critical = new Set(o.criticalPaths ?? []);
      const extra: string[] = [];
      if (o.authorizedKeysUsers && o.authorizedKeysUsers.length > 0) {
        let homes = new Map<string, string>();
        try { homes = parsePasswdHomes(readFileSync(o.passwdPath ?? '/etc/passwd', 'utf8')); } catch { /* no passwd: nothing to add */ }
        for (const u of o.authorizedKeysUsers) {
          const h = homes.get(u);
          if (!h) continue;
          for (const f of ['authorized_keys', 'authorized_keys2']) {
            const p = join(h, '.ssh', f);
            extra.push(p);
            critical.add(p);
          }
        }
      }
      const paths = await expandWatchPaths([...o.paths, ...(o.criticalPaths ?? []), ...extra]);
      const before = ctx.state.get<FimBaseline>(STATE_KEY);
      const now = await snapshotFiles(paths, before);
      // The first run records the baseline; there is nothing to compare with yet.
      const events = before === undefined ? [] : diffFim(before, now, ctx.now, critical);
      if (before === undefined || !sameSnapshot(before, now)) ctx.state.set(STATE_KEY, now);
      const unreadable = Object.values(now).filter((r) => r.sha256 === null).length;
      return {
        samples: [
          sample('anoguard_fim_files', Object.keys(now).length, ctx.now),
          sample('anoguard_fim_unreadable_files', unreadable, ctx.now),
        ],
        events,
      };
    },
  };
}
