import { createHash } from 'node:crypto';
import { Client } from 'ssh2';
import { AnoguardError, InputError } from '../errors.js';
import type { Runner, RunResult } from './runner.js';

export interface SshTarget {
  user: string;
  host: string;
  port: number;
}

export interface SshRunnerOptions extends SshTarget {
  /** Pinned host key: `SHA256:<base64>` fingerprint, or an OpenSSH public key line (`ssh-ed25519 AAAA…`). */
  hostKey: string;
  /** Private key text (from a 0600 file); without it the ssh-agent at $SSH_AUTH_SOCK is used. */
  privateKey?: string;
  readyTimeoutMs?: number;
}

/** `user@host:port` (port optional, default 22; IPv6 in brackets). */
export function parseSshTarget(text: string, field = 'ssh'): SshTarget {
  const m = /^([A-Za-z_][A-Za-z0-9_.-]*)@(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[3] === undefined ? 22 : Number(m[3]);
  if (!m || port < 1 || port > 65535) throw new InputError('E_AUDIT_SSH_TARGET', 'must be user@host[:port]', { field, exitCode: 2 });
  return { user: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function pinnedFingerprint(hostKey: string): string {
  const t = hostKey.trim();
  if (/^SHA256:[A-Za-z0-9+/]{43}$/.test(t)) return t;
  const line = /^\S+ ([A-Za-z0-9+/]+={0,2})(?: .*)?$/.exec(t);
  if (line) return sshFingerprint(Buffer.from(line[1]!, 'base64'));
  throw new InputError('E_AUDIT_HOST_KEY', 'must be SHA256:<base64> or an OpenSSH public key line', { field: 'host-key', exitCode: 2 });
}

/** POSIX single quoting: the remote side gets a command string, so every argument is quoted. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Per remote command; generous because each one starts the login shell on a possibly loaded host. */
const CMD_TIMEOUT_MS = 30_000;
/** Parallel SSH connections used for commands. */
const LANES = 4;
const MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * Connects once (host key pinned, key or agent auth) and runs read-only commands on the host.
 * Remote commands run as the login user; those needing root (nft, sshd -T on most hosts) then fail
 * and their checks are skipped with the reason.
 */
export async function createSshRunner(opts: SshRunnerOptions): Promise<Runner> {
  const expected = pinnedFingerprint(opts.hostKey);
  const connect = (): Promise<Client> => {
    const client = new Client();
    let seen: string | undefined;
    return new Promise<Client>((resolve, reject) => {
      client.on('ready', () => resolve(client));
      client.on('error', (err) => {
        if (seen !== undefined && seen !== expected) {
          reject(new AnoguardError('E_AUDIT_HOST_KEY_MISMATCH', `host key ${seen} does not match the pinned ${expected}`, { field: 'host-key' }));
        } else reject(new AnoguardError('E_AUDIT_SSH', `cannot connect: ${err.message}`, { field: 'ssh', cause: err }));
      });
      client.connect({
        host: opts.host,
        port: opts.port,
        username: opts.user,
        readyTimeout: opts.readyTimeoutMs ?? 20_000,
        ...(opts.privateKey !== undefined ? { privateKey: opts.privateKey } : { agent: process.env.SSH_AUTH_SOCK }),
        hostVerifier: (key: Buffer) => {
          seen = sshFingerprint(key);
          return seen === expected;
        },
      });
    });
  };
  // The first connection proves the host key and the credentials; the others only add lanes.
  const first = await connect();
  const extra = await Promise.allSettled(Array.from({ length: LANES - 1 }, connect));
  const clients = [first, ...extra.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))];
  // One channel at a time per connection: sshd's MaxSessions (2 under Lynis, 4 as rendered) refuses
  // extra channels. Several connections instead, because every command pays for the remote login
  // shell's start-up (a heavy ~/.bashrc costs seconds).
  const queues: Promise<unknown>[] = clients.map(() => Promise.resolve());
  let turn = 0;
  const exec = (command: string, stdinText?: string): Promise<RunResult> => {
    const lane = turn++ % clients.length;
    const next = queues[lane]!.then(() => execOn(clients[lane]!, command, stdinText));
    queues[lane] = next.catch(() => undefined);
    return next;
  };
  const execOn = (client: Client, command: string, stdinText?: string): Promise<RunResult> =>
    new Promise((resolve) => {
      client.exec(command, (err, stream) => {
        if (err) { resolve({ code: 255, stdout: '', stderr: err.message }); return; }
        let stdout = '';
        let stderr = '';
        const timer = setTimeout(() => { stream.close(); }, CMD_TIMEOUT_MS);
        stream.on('data', (d: Buffer) => { if (stdout.length < MAX_OUTPUT) stdout += d.toString(); });
        stream.stderr.on('data', (d: Buffer) => { if (stderr.length < MAX_OUTPUT) stderr += d.toString(); });
        stream.on('close', (code: number | null) => {
          clearTimeout(timer);
          resolve({ code: code ?? 255, stdout, stderr });
        });
        stream.end(stdinText ?? '');
      });
    });
  return {
    where: `${opts.user}@${opts.host}:${opts.port}`,
    // LC_ALL=C keeps tool output parseable whatever the remote locale.
    run: (cmd, args) => exec(['env', 'LC_ALL=C', cmd, ...args].map(shellQuote).join(' ')),
    readFile: async (path) => {
      const r = await exec(`cat -- ${shellQuote(path)}`);
      if (r.code !== 0) throw new Error(r.stderr.trim().split('\n')[0] || `cat exited ${r.code}`);
      return r.stdout;
    },
    httpPost: async (url, body) => {
      // The probe runs on the host itself, so it sees what a process on its loopback sees.
      const r = await exec(['curl', '-sk', '-o', '/dev/null', '-w', '%{http_code}', '-m', '3', '-X', 'POST', '--data-binary', '@-', url].map(shellQuote).join(' '), body);
      const status = Number(r.stdout.trim());
      return Number.isInteger(status) ? status : 0;
    },
    close: async () => { for (const c of clients) c.end(); },
  };
}
