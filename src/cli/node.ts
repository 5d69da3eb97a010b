import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { AnoguardError, InputError } from '../errors.js';
import { readSecretFile } from '../util/fs.js';
import { createFactomdClient, type FactomdClientOptions } from '../factomd/client.js';
import { getNodeStatus, type NodeStatus } from '../factomd/status.js';
import { color, emit } from './print.js';

interface ConnectionFlags {
  url: string;
  user?: string;
  passwordFile?: string;
  ca?: string;
  pin?: string;
  timeout?: number;
}

function parseTimeout(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 600_000) {
    throw new InputError('E_USAGE', 'must be an integer number of milliseconds from 1 to 600000', { field: '--timeout', exitCode: 2 });
  }
  return n;
}

/** Connection flags → client options. The password only ever comes from a 0600 file. */
export function connectionOptions(f: ConnectionFlags): FactomdClientOptions {
  const opts: FactomdClientOptions = { url: f.url };
  if (f.user !== undefined) opts.user = f.user;
  if (f.passwordFile !== undefined) {
    if (f.user === undefined) throw new InputError('E_USAGE', '--password-file needs --user', { field: '--password-file', exitCode: 2 });
    try {
      opts.password = readSecretFile(f.passwordFile, '--password-file').replace(/\r?\n$/, '');
    } catch (e) {
      // A missing or group-readable password file is a usage error: fix the flag or chmod, rerun.
      if (e instanceof AnoguardError) throw new InputError(e.code, e.shortMessage, { field: '--password-file', exitCode: 2, cause: e });
      throw e;
    }
  }
  if (f.ca !== undefined) {
    try {
      opts.ca = readFileSync(f.ca, 'utf8');
    } catch (e) {
      throw new InputError('E_NO_FILE', `cannot read ${f.ca}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field: '--ca', exitCode: 2, cause: e });
    }
  }
  if (f.pin !== undefined) opts.pinnedCertSha256 = f.pin;
  if (f.timeout !== undefined) opts.timeoutMs = f.timeout;
  return opts;
}

/** Library option names → the flags the operator typed, so an error names what to fix. */
const FLAG_OF: Record<string, string> = {
  url: '--url', user: '--user', password: '--password-file', ca: '--ca', pinnedCertSha256: '--pin', timeoutMs: '--timeout',
};

function createClient(opts: FactomdClientOptions) {
  try {
    return createFactomdClient(opts);
  } catch (e) {
    if (e instanceof InputError && e.field !== undefined && FLAG_OF[e.field]) {
      throw new InputError(e.code, e.shortMessage, { field: FLAG_OF[e.field], exitCode: e.exitCode, cause: e });
    }
    throw e;
  }
}

function humanStatus(s: NodeStatus): string {
  const sync = s.sync.synced ? color.green('synced') : color.yellow('NOT synced');
  const lines = [
    `node      ${s.url}`,
    `height    ${s.height} (leader ${s.leaderHeight}, entries ${s.entryHeight})`,
    `minute    ${s.minute}${s.minuteAgeSeconds === null ? '' : ` (${s.minuteAgeSeconds.toFixed(1)} s in, ${s.blockTimeSeconds} s blocks)`}`,
    `role      ${s.role ?? 'unknown (no diagnostics: factomd < 6.4)'}`,
    `identity  ${s.identity ?? 'unknown'}`,
    `key       ${s.publicKey ?? 'unknown'}`,
    `version   ${s.version} (API ${s.apiVersion})`,
    `sync      ${sync}: ${s.sync.status}, ${s.sync.behind} behind${s.sync.stalled ? `, ${color.red('stall detected')}` : ''}`,
  ];
  if (s.sync.missing.length > 0) lines.push(`missing   ${s.sync.missing.join(', ')}`);
  if (s.elections?.inProgress) lines.push(`election  ${color.red('in progress')}${s.elections.round === null ? '' : ` (round ${s.elections.round})`}`);
  return lines.join('\n');
}

/** The `node` command group: questions asked of a running factomd. */
export function register(program: Command): void {
  const node = program.command('node').description('ask a running factomd');
  node
    .command('status')
    .description('height, minute, role, identity, version and sync state of one factomd')
    .requiredOption('--url <url>', 'factomd API, e.g. http://127.0.0.1:8088 (no credentials in it)')
    .option('--user <name>', 'RPC user (FactomdRpcUser)')
    .option('--password-file <file>', 'file (mode 0600) holding the RPC password')
    .option('--ca <file>', 'PEM CA or certificate to trust for an https URL')
    .option('--pin <sha256>', 'SHA-256 of the server certificate (DER), hex')
    .addOption(new Option('--timeout <ms>', 'per-request timeout in milliseconds').argParser(parseTimeout))
    .action(async (flags: ConnectionFlags, cmd: Command) => {
      const client = createClient(connectionOptions(flags));
      const status = await getNodeStatus(client);
      emit(cmd, status, () => humanStatus(status));
    });
}
