import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AnoguardError, InputError } from '../errors.js';
import { publicKeyFromSeed } from '../factom/ed25519.js';
import { openJournal } from '../failover/journal-file.js';
import { planLocalSwap, runLocalSwap, type LocalNode } from '../failover/local-swap.js';
import type { PlanOptions, SwapPlan } from '../failover/plan.js';
import { loginDashboard, type DashboardClient } from '../server/dashboard/client.js';
import type { SwapHistoryRow, SwapRun } from '../server/dashboard/swaps.js';
import { readSecretFile, readStdin, writeFileAtomic } from '../util/fs.js';
import { emit, note } from './print.js';

/**
 * `anoguard swap keygen | plan | run`: the operator's key for signed agent commands, and planned
 * brain swaps — through the anoguard server (`--server`: its controller and the agents edit the
 * files; the same routes as the dashboard) or locally where this machine can read and write both
 * factomd.conf files. Exit 1 when a check fails or the swap is not verified; 2 for usage errors.
 */

interface SwapFlags {
  identity?: string;
  holderUrl?: string;
  standbyUrl?: string;
  holderConf?: string;
  standbyConf?: string;
  mode?: string;
  minLeadSeconds?: string;
  rpcUser?: string;
  rpcPasswordFile?: string;
  journal?: string;
  server?: string;
  user?: string;
  passwordFile?: string;
  ca?: string;
  standby?: string;
  waitTimeout?: string;
}

// No --mode through the server: each agent demotes to its own staged follower identity, if it has one.
const LOCAL_FLAGS = ['identity', 'holderUrl', 'standbyUrl', 'holderConf', 'standbyConf', 'rpcUser', 'rpcPasswordFile', 'journal', 'mode'] as const;
const SERVER_FLAGS = ['user', 'passwordFile', 'ca', 'standby', 'waitTimeout'] as const;
const flagName = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function common(o: SwapFlags): { mode?: 'swap' | 'transfer'; minLeadSeconds?: number } {
  if (o.mode !== undefined && o.mode !== 'swap' && o.mode !== 'transfer') throw new InputError('E_USAGE', '--mode is swap or transfer', { field: 'mode', exitCode: 2 });
  const lead = o.minLeadSeconds === undefined ? undefined : Number(o.minLeadSeconds);
  if (lead !== undefined && (!Number.isFinite(lead) || lead < 0 || lead > 3600)) throw new InputError('E_USAGE', '--min-lead-seconds must be a number from 0 to 3600', { field: 'min-lead-seconds', exitCode: 2 });
  return { ...(o.mode ? { mode: o.mode } : {}), ...(lead !== undefined ? { minLeadSeconds: lead } : {}) };
}

function nodes(o: SwapFlags, needJournal = false): { identity: string; holder: LocalNode; standby: LocalNode; options: PlanOptions } {
  const options = common(o);
  for (const k of SERVER_FLAGS) if (o[k] !== undefined) throw new InputError('E_USAGE', `--${flagName(k)} needs --server`, { field: flagName(k), exitCode: 2 });
  for (const k of ['identity', 'holderUrl', 'standbyUrl', 'holderConf', 'standbyConf', ...(needJournal ? ['journal'] as const : [])] as const) {
    if (o[k] === undefined) throw new InputError('E_USAGE', `--${flagName(k)} is required (or --server URL to swap through the anoguard server and its agents)`, { field: flagName(k), exitCode: 2 });
  }
  const password = o.rpcPasswordFile ? readSecretFile(o.rpcPasswordFile, 'rpc-password-file').trim() : undefined;
  const auth = { ...(o.rpcUser ? { user: o.rpcUser } : {}), ...(password ? { password } : {}) };
  return {
    identity: o.identity!,
    holder: { name: 'holder', url: o.holderUrl!, confPath: o.holderConf!, ...auth },
    standby: { name: 'standby', url: o.standbyUrl!, confPath: o.standbyConf!, ...auth },
    options,
  };
}

function withSwapFlags(c: Command): Command {
  return c
    .option('--server <url>', 'go through the anoguard server (its controller and the agents edit the files): dashboard URL, e.g. http://127.0.0.1:8080')
    .option('--user <name>', 'with --server: dashboard account with the operator role')
    .option('--password-file <file>', 'with --server: 0600 file with the account\'s password (default: read one line from stdin)')
    .option('--ca <file>', 'with --server: PEM CA of an HTTPS dashboard with a private certificate')
    .option('--standby <host>', 'with --server: the host that takes the identity (default: the topology\'s standby)')
    .option('--identity <chainid>', 'local mode: authority identity chain ID')
    .option('--holder-url <url>', 'local mode: factomd API of the node that holds the identity now')
    .option('--standby-url <url>', 'local mode: factomd API of the standby')
    .option('--holder-conf <file>', "local mode: holder's factomd.conf")
    .option('--standby-conf <file>', "local mode: standby's factomd.conf")
    .option('--mode <mode>', 'local mode: transfer (holder falls back to defaults; the default) or swap (holder gets the standby\'s identity)')
    .option('--min-lead-seconds <s>', 'time the edits need before block H starts')
    .option('--rpc-user <user>', 'local mode: factomd RPC user')
    .option('--rpc-password-file <file>', 'local mode: factomd RPC password (0600 file)');
}

async function connect(o: SwapFlags): Promise<DashboardClient> {
  for (const k of LOCAL_FLAGS) {
    if (o[k] !== undefined) throw new InputError('E_USAGE', `--${flagName(k)} is for the local mode; with --server the server's controller and agents do the work`, { field: flagName(k), exitCode: 2 });
  }
  if (o.user === undefined) throw new InputError('E_USAGE', '--user is required with --server', { field: 'user', exitCode: 2 });
  let password: string;
  if (o.passwordFile !== undefined) password = readSecretFile(o.passwordFile, 'password-file');
  else {
    if (process.stdin.isTTY) throw new InputError('E_USAGE', 'give --password-file FILE (0600) or pipe the password on stdin', { field: 'password-file', exitCode: 2 });
    password = await readStdin(4096);
  }
  password = password.split(/\r?\n/)[0] ?? '';
  if (password === '') throw new InputError('E_USAGE', 'the password is empty', { field: o.passwordFile !== undefined ? 'password-file' : 'stdin', exitCode: 2 });
  const ca = o.ca === undefined ? undefined : readCa(o.ca);
  const c = await loginDashboard({ url: o.server!, user: o.user, password, ...(ca ? { ca } : {}) });
  if (c.role !== 'operator') {
    await c.logout();
    throw new AnoguardError('E_FORBIDDEN', `${c.user} is a ${c.role}; swaps need an operator account`, { field: 'user' });
  }
  return c;
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError('E_NO_FILE', `cannot read ${path}`, { field: 'ca', cause: e, exitCode: 2 });
  }
}

/** The body both dashboard routes take (same fields as the web form). */
function swapBody(o: SwapFlags): Record<string, unknown> {
  const { minLeadSeconds } = common(o);
  return { ...(minLeadSeconds !== undefined ? { minLeadSeconds } : {}), ...(o.standby !== undefined ? { standby: o.standby } : {}) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Start the run on the server and follow the journal until it is verified, rolled back or failed. */
async function runThroughServer(c: DashboardClient, o: SwapFlags): Promise<ServerRunResult> {
  const waitS = o.waitTimeout === undefined ? 7200 : Number(o.waitTimeout);
  if (!Number.isFinite(waitS) || waitS <= 0) throw new InputError('E_USAGE', '--wait-timeout must be a number of seconds > 0', { field: 'wait-timeout', exitCode: 2 });
  const started = (await c.post<SwapRun>('/api/swap/run', swapBody(o))).body;
  note(`swap run ${started.id} started on the server by ${c.user}`);
  const deadline = Date.now() + waitS * 1000;
  let run = started;
  let shown = 0;
  let row: SwapHistoryRow | undefined;
  while (Date.now() < deadline) {
    await sleep(1000);
    run = await c.get<SwapRun>(`/api/swap/runs/${run.id}`);
    if (run.swapId) {
      row = (await c.get<SwapHistoryRow[]>('/api/swaps')).find((r) => r.id === run.swapId);
      for (const st of row?.steps.slice(shown) ?? []) note(`  ${new Date(st.ts).toISOString()} ${st.state}`);
      shown = row?.steps.length ?? shown;
    }
    if (run.state !== 'running') break;
  }
  if (run.state === 'running') {
    return { ok: false, run, ...(row ? { swap: row } : {}), detail: `still running on the server after ${waitS} s; follow it on the dashboard (Swaps page)` };
  }
  return { ok: run.ok === true, run, ...(row ? { swap: row } : {}), detail: run.error ? `${run.error.code}: ${run.error.message}` : run.detail ?? '' };
}

interface ServerRunResult { ok: boolean; run: SwapRun; swap?: SwapHistoryRow; detail: string }

function planText(p: SwapPlan): string {
  const lines = [p.ok ? `swap at block ${p.height} (now ${p.currentHeight}, minute ${p.minute}; ≥ ${p.leadSeconds.toFixed(1)} s ahead), mode ${p.mode}` : 'swap refused'];
  for (const c of p.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.id}: ${c.message}`);
  if (p.preview) lines.push('', '--- holder factomd.conf after the edit', p.preview.holder, '--- standby factomd.conf after the edit', p.preview.standby);
  return lines.join('\n');
}

export function register(program: Command): void {
  const swap = program.command('swap').description('planned brain swaps and the operator key for signed agent commands');

  swap.command('keygen')
    .description('create the operator ed25519 key (0600 file) that signs swap and fence commands; prints the public key for the agents')
    .requiredOption('--out <file>', 'where to write the key (refuses to overwrite)')
    .action((o: { out: string }, cmd: Command) => {
      const seed = new Uint8Array(randomBytes(32));
      writeFileAtomic(o.out, `${Buffer.from(seed).toString('hex')}\n`, { mode: 0o600, exclusive: true });
      const publicKey = Buffer.from(publicKeyFromSeed(seed)).toString('hex');
      seed.fill(0);
      emit(cmd, { path: o.out, publicKey }, () => `operator key written to ${o.out} (0600)\npublic key (put it in each agent's trusted keys): ${publicKey}`);
    });

  withSwapFlags(swap.command('plan').description('check both nodes and show the chosen height and what each config will become (nothing is written)'))
    .action(async (o: SwapFlags, cmd: Command) => {
      if (o.server !== undefined) {
        const c = await connect(o);
        try {
          const p = (await c.post<SwapPlan & { planId: string }>('/api/swap/plan', swapBody(o))).body;
          emit(cmd, p, () => `plan ${p.planId}\n${planText(p)}`);
          if (!p.ok) process.exitCode = 1;
        } finally {
          await c.logout();
        }
        return;
      }
      const n = nodes(o);
      const p = await planLocalSwap(n);
      delete p.edit;
      emit(cmd, p, () => planText(p));
      if (!p.ok) process.exitCode = 1;
    });

  withSwapFlags(swap.command('run').description('plan, edit both configs atomically (holder first), wait for the height, verify; roll back when not verified'))
    .option('--journal <file>', 'local mode: append-only swap journal (JSON lines, hash-chained)')
    .option('--wait-timeout <s>', 'with --server: stop following the run after this many seconds (it goes on on the server)')
    .action(async (o: SwapFlags, cmd: Command) => {
      if (o.server !== undefined) {
        const c = await connect(o);
        try {
          const r = await runThroughServer(c, o);
          emit(cmd, r, () => `${r.ok ? 'swap verified' : 'swap NOT done'}: ${r.detail}${r.run.plan ? `\n${planText(r.run.plan)}` : ''}`);
          if (!r.ok) process.exitCode = 1;
        } finally {
          await c.logout();
        }
        return;
      }
      const n = nodes(o, true);
      const journal = openJournal(o.journal!);
      note(`planning the swap of ${n.identity.slice(0, 12)}…`);
      const r = await runLocalSwap({ ...n, journal });
      delete r.plan.edit;
      emit(cmd, r, () => `${r.ok ? 'swap verified' : 'swap NOT done'}: ${r.detail}\n${planText(r.plan)}`);
      if (!r.ok) process.exitCode = 1;
    });
}
