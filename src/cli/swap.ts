import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { publicKeyFromSeed } from '../factom/ed25519.js';
import { openJournal } from '../failover/journal-file.js';
import { planLocalSwap, runLocalSwap, type LocalNode } from '../failover/local-swap.js';
import type { PlanOptions, SwapPlan } from '../failover/plan.js';
import { readSecretFile, writeFileAtomic } from '../util/fs.js';
import { emit, note } from './print.js';

/**
 * `anoguard swap keygen | plan | run`: the operator's key for signed agent commands, and planned
 * brain swaps where this machine can read and write both factomd.conf files. Exit 1 when a check
 * fails or the swap is not verified; 2 for usage errors.
 */

interface SwapFlags {
  identity: string;
  holderUrl: string;
  standbyUrl: string;
  holderConf: string;
  standbyConf: string;
  mode?: string;
  minLeadSeconds?: string;
  rpcUser?: string;
  rpcPasswordFile?: string;
  journal?: string;
}

function nodes(o: SwapFlags): { holder: LocalNode; standby: LocalNode; options: PlanOptions } {
  if (o.mode !== undefined && o.mode !== 'swap' && o.mode !== 'transfer') throw new InputError('E_USAGE', '--mode is swap or transfer', { field: 'mode', exitCode: 2 });
  const lead = o.minLeadSeconds === undefined ? undefined : Number(o.minLeadSeconds);
  if (lead !== undefined && (!Number.isFinite(lead) || lead < 0)) throw new InputError('E_USAGE', '--min-lead-seconds must be a number ≥ 0', { field: 'min-lead-seconds', exitCode: 2 });
  const password = o.rpcPasswordFile ? readSecretFile(o.rpcPasswordFile, 'rpc-password-file').trim() : undefined;
  const auth = { ...(o.rpcUser ? { user: o.rpcUser } : {}), ...(password ? { password } : {}) };
  return {
    holder: { name: 'holder', url: o.holderUrl, confPath: o.holderConf, ...auth },
    standby: { name: 'standby', url: o.standbyUrl, confPath: o.standbyConf, ...auth },
    options: { ...(o.mode ? { mode: o.mode } : {}), ...(lead !== undefined ? { minLeadSeconds: lead } : {}) },
  };
}

function withSwapFlags(c: Command): Command {
  return c
    .requiredOption('--identity <chainid>', 'authority identity chain ID')
    .requiredOption('--holder-url <url>', 'factomd API of the node that holds the identity now')
    .requiredOption('--standby-url <url>', 'factomd API of the standby')
    .requiredOption('--holder-conf <file>', "holder's factomd.conf")
    .requiredOption('--standby-conf <file>', "standby's factomd.conf")
    .option('--mode <mode>', 'transfer (holder falls back to defaults) or swap (holder gets the standby\'s identity)', 'transfer')
    .option('--min-lead-seconds <s>', 'time the edits need before block H starts')
    .option('--rpc-user <user>', 'factomd RPC user')
    .option('--rpc-password-file <file>', 'factomd RPC password (0600 file)');
}

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
      const n = nodes(o);
      const p = await planLocalSwap({ identity: o.identity, ...n });
      delete p.edit;
      emit(cmd, p, () => planText(p));
      if (!p.ok) process.exitCode = 1;
    });

  withSwapFlags(swap.command('run').description('plan, edit both configs atomically (holder first), wait for the height, verify; roll back when not verified'))
    .requiredOption('--journal <file>', 'append-only swap journal (JSON lines, hash-chained)')
    .action(async (o: SwapFlags & { journal: string }, cmd: Command) => {
      const n = nodes(o);
      const journal = openJournal(o.journal);
      note(`planning the swap of ${o.identity.slice(0, 12)}…`);
      const r = await runLocalSwap({ identity: o.identity, ...n, journal });
      delete r.plan.edit;
      emit(cmd, r, () => `${r.ok ? 'swap verified' : 'swap NOT done'}: ${r.detail}\n${planText(r.plan)}`);
      if (!r.ok) process.exitCode = 1;
    });
}
