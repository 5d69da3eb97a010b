import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  url: string;
  dir: string;
  stop(): void;
}

/**
 * A throw-away PostgreSQL 15 cluster in a temp dir, listening only on a unix socket in that dir (no
 * TCP port to collide on). Root cannot run postgres, so it runs as the `postgres` OS user. `fsync`
 * is off unless asked for: tests need correctness, not power-loss durability.
 */
export function startPostgres(prefix = 'srv-pg', opts: { fsync?: boolean } = {}): TestPostgres {
  if (!existsSync(`${BIN}/initdb`)) throw new Error('PostgreSQL 15 is not installed (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), `anoguard-${prefix}-`));
  const data = join(dir, 'data');
  const asPg = (cmd: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', `${BIN}/${cmd}`, ...args], { stdio: 'pipe', timeout: 60_000 });
  chownSync(dir, uidOf('postgres'), gidOf('postgres'));
  asPg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  writeFileSync(join(data, 'postgresql.auto.conf'), [
    "listen_addresses = ''",
    `unix_socket_directories = '${dir}'`,
    `fsync = ${opts.fsync ? 'on' : 'off'}`,
    `synchronous_commit = ${opts.fsync ? 'on' : 'off'}`,
    'full_page_writes = off',
    'shared_buffers = 128MB',
    'max_connections = 50',
    '',
  ].join('\n'));
  chownSync(join(data, 'postgresql.auto.conf'), uidOf('postgres'), gidOf('postgres'));
  asPg('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  let stopped = false;
  return {
    dir,
    url: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}`,
    stop() {
      if (stopped) return;
      stopped = true;
      try { asPg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']); } catch { /* already down */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
}
function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user]).toString().trim());
}
