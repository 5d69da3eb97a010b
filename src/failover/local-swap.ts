import { readFileSync } from 'node:fs';
import { AnoguardError } from '../errors.js';
import { createFactomdClient, type FactomdClient } from '../factomd/client.js';
import { writeFileAtomic } from '../util/fs.js';
import { inspectConf } from './conf-identity.js';
import type { JournalFile } from './journal-file.js';
import { planSwap, type PlanOptions, type SwapPlan } from './plan.js';
import { planRollback, verifySwap, type Verification } from './verify.js';

/**
 * `anoguard swap plan|run` where the operator's machine can read and write both factomd.conf files
 * (one host running both nodes, a mounted volume, or the tests). With agents, the server's controller
 * runs the same steps through signed commands (controller.ts `runSwap`).
 */
export interface LocalNode { name: string; url: string; confPath: string; user?: string; password?: string }

export interface LocalSwapInput {
  identity: string;
  holder: LocalNode;
  standby: LocalNode;
  options?: PlanOptions;
  journal?: JournalFile;
}

function client(n: LocalNode): FactomdClient {
  return createFactomdClient({ url: n.url, timeoutMs: 5000, retries: 1, ...(n.user ? { user: n.user } : {}), ...(n.password ? { password: n.password } : {}) });
}

function readConf(n: LocalNode): string {
  try {
    return readFileSync(n.confPath, 'utf8');
  } catch (e) {
    throw new AnoguardError('E_CONF_READ', `cannot read ${n.confPath}`, { field: `${n.name}.conf`, cause: e });
  }
}

export async function planLocalSwap(i: LocalSwapInput): Promise<SwapPlan> {
  const [hc, sc] = [client(i.holder), client(i.standby)];
  const [hd, hm, sd, sm, auth] = await Promise.all([hc.diagnostics(), hc.currentMinute(), sc.diagnostics(), sc.currentMinute(), hc.authorities().catch(() => undefined)]);
  return planSwap({
    identity: i.identity,
    holder: { name: i.holder.name, diagnostics: hd, currentMinute: hm, confText: readConf(i.holder) },
    standby: { name: i.standby.name, diagnostics: sd, currentMinute: sm, confText: readConf(i.standby) },
    ...(auth?.authorities ? { authorities: auth.authorities } : {}),
    pendingSwap: (i.journal?.openSwaps().length ?? 0) > 0,
    ...(i.options ? { options: i.options } : {}),
  });
}

export interface LocalSwapResult {
  ok: boolean;
  swapId: string;
  plan: SwapPlan;
  verification?: Verification;
  rollbackHeight?: number;
  detail: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitVerified(identity: string, H: number, newC: FactomdClient, oldC: FactomdClient, withinMs: number, blockSeconds: number): Promise<Verification> {
  const deadline = Date.now() + withinMs;
  let v: Verification = { status: 'wait', checks: [] };
  while (Date.now() < deadline) {
    await sleep(Math.max(100, blockSeconds * 100));
    const [n, o] = await Promise.all([newC.diagnostics().catch(() => undefined), oldC.diagnostics().catch(() => undefined)]);
    const auth = await newC.authorities().catch(() => undefined);
    v = verifySwap({ identity, height: H, newHolder: n, oldHolder: o, ...(auth?.authorities ? { authorities: auth.authorities } : {}) });
    if (v.status === 'ok') break;
    // One block past H without the flip: it is not coming.
    if (v.status === 'failed' && n && o && n.leaderheight >= H + 1) break;
  }
  return v;
}

/** Plan, write both files (holder first), wait for H, verify; on failure write the reverse swap at a later height. */
export async function runLocalSwap(i: LocalSwapInput & { journal: JournalFile; now?: () => number }): Promise<LocalSwapResult> {
  const now = i.now ?? Date.now;
  const swapId = `swap-${now()}`;
  const plan = await planLocalSwap(i);
  if (!plan.ok || !plan.edit) return { ok: false, swapId, plan, detail: plan.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.message}`).join('; ') };
  const H = plan.height;
  const before = { holder: readConf(i.holder), standby: readConf(i.standby) };
  i.journal.append({ swapId, kind: 'swap', state: 'planned', data: { height: H, holder: i.holder.name, standby: i.standby.name, mode: plan.mode } });
  i.journal.append({ swapId, kind: 'swap', state: 'edits-sent', data: {} });
  try {
    writeFileAtomic(i.holder.confPath, plan.edit.holder, { mode: 0o600 });
  } catch (e) {
    i.journal.append({ swapId, kind: 'swap', state: 'aborted', data: { why: 'holder write failed' } });
    throw e;
  }
  try {
    writeFileAtomic(i.standby.confPath, plan.edit.standby, { mode: 0o600 });
  } catch (e) {
    // Put the holder's file back so it keeps the identity at H; nothing else changed.
    writeFileAtomic(i.holder.confPath, before.holder, { mode: 0o600 });
    i.journal.append({ swapId, kind: 'swap', state: 'aborted', data: { why: 'standby write failed; holder restored' } });
    throw e;
  }
  const back = [inspectConf(readConf(i.holder)), inspectConf(readConf(i.standby))];
  if (back[0]!.changeAcksHeight !== H || back[1]!.changeAcksHeight !== H) throw new AnoguardError('E_SWAP_EDIT', 'the files on disk do not read back as written', { field: 'conf' });
  i.journal.append({ swapId, kind: 'swap', state: 'edits-applied', data: { height: H } });
  const [hc, sc] = [client(i.holder), client(i.standby)];
  const v = await waitVerified(i.identity, H, sc, hc, (plan.leadSeconds + 6 * plan.blockSeconds) * 1000, plan.blockSeconds);
  i.journal.append({ swapId, kind: 'swap', state: 'height-reached', data: { height: H } });
  if (v.status === 'ok') {
    i.journal.append({ swapId, kind: 'swap', state: 'verified', data: {} });
    return { ok: true, swapId, plan, verification: v, detail: `swapped at block ${H}` };
  }
  i.journal.append({ swapId, kind: 'swap', state: 'verify-failed', data: { checks: v.checks.filter((c) => !c.ok).map((c) => c.message) } });
  const d = await sc.diagnostics().catch(() => undefined);
  try {
    const rb = planRollback({
      identity: i.identity, holderConfNow: readConf(i.holder), standbyConfNow: readConf(i.standby),
      currentHeight: d?.leaderheight ?? H, minute: d?.currentminute ?? 0, blockSeconds: plan.blockSeconds, minLeadSeconds: plan.blockSeconds * 2, mode: plan.mode,
    });
    i.journal.append({ swapId, kind: 'swap', state: 'rollback-scheduled', data: { height: rb.height } });
    writeFileAtomic(i.standby.confPath, rb.edit.standby, { mode: 0o600 });
    writeFileAtomic(i.holder.confPath, rb.edit.holder, { mode: 0o600 });
    const rv = await waitVerified(i.identity, rb.height, hc, sc, (rb.height - (d?.leaderheight ?? H) + 6) * plan.blockSeconds * 1000, plan.blockSeconds);
    i.journal.append({ swapId, kind: 'swap', state: rv.status === 'ok' ? 'rolled-back' : 'failed', data: { height: rb.height } });
    return { ok: false, swapId, plan, verification: v, rollbackHeight: rb.height, detail: `not verified after block ${H}; reverse swap scheduled at block ${rb.height}` };
  } catch (e) {
    i.journal.append({ swapId, kind: 'swap', state: 'failed', data: { why: e instanceof Error ? e.message : String(e) } });
    return { ok: false, swapId, plan, verification: v, detail: `not verified after block ${H}, and no rollback possible: ${e instanceof Error ? e.message : String(e)}` };
  }
}
