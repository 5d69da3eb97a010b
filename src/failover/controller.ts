import { AnoguardError } from '../errors.js';
import type { CurrentMinute, Diagnostics } from '../factomd/schemas.js';
import type { CommandInput, SignedCommand } from './command.js';
import type { JournalFile } from './journal-file.js';
import type { JournalState } from './journal.js';
import type { LeaseRecord, LeaseStore } from './lease-store.js';
import { planSwap, type SwapPlan } from './plan.js';
import { verifySwap } from './verify.js';

/**
 * The failover controller: grants the identity's lease, fences and promotes. It never promotes while
 * another node may still hold the identity: either the old holder's lease (as last granted, counted
 * from the controller's grant time, which is after the agent's own start of count) has ended plus a
 * margin in blocks, or the old holder's agent confirmed a fence. A controller that starts (or takes
 * over through etcd) waits out the last recorded grant plus the margin before promoting anyone.
 * The agents do the edits; the controller only sends signed commands.
 */

export interface AgentStatus {
  host: string;
  /** The config on disk names the identity (now or from a pending ChangeAcksHeight). */
  holdsIdentity: boolean;
  /** ChangeAcksHeight in the file (0 = none). */
  changeAcksHeight?: number;
  fenced: boolean;
  /** The config with the private key value replaced by zeros (for the planner). */
  maskedConf?: string;
  diagnostics?: Diagnostics;
  currentMinute?: CurrentMinute;
}

export interface AgentCommandResult { holdsIdentity: boolean; changeAcksHeight?: number }

export interface AgentLink {
  host: string;
  status(): Promise<AgentStatus>;
  execute(cmd: SignedCommand): Promise<AgentCommandResult>;
}

export interface ControllerOptions {
  identity: string;
  links: readonly AgentLink[];
  store: LeaseStore;
  sign: (c: CommandInput) => SignedCommand;
  /** The host that holds the identity when no lease was ever recorded. */
  initialHolder: string;
  blockMs: number;
  leaseTtlMs: number;
  marginBlocks: number;
  autoFailover: boolean;
  /** Blocks of an unanswering factomd (agent alive) before the holder is fenced. */
  downBlocks?: number;
  commandTtlMs?: number;
  journal?: JournalFile;
  now?: () => number;
  mono?: () => number;
  /** false while another controller is active (etcd); such a controller grants and changes nothing. */
  isActive?: () => boolean;
  onEvent?: (e: { kind: string; detail?: string }) => void;
}

export interface Controller {
  /** An agent's lease renewal: a signed lease, or undefined when this host holds none. */
  renew: (host: string) => Promise<SignedCommand | undefined>;
  tick(): Promise<void>;
  runSwap(standby: string, o?: { minLeadSeconds?: number; pollMs?: number }): Promise<{ ok: boolean; plan: SwapPlan; detail: string; swapId?: string }>;
  /** A swap is running in this controller now. */
  swapping(): boolean;
  record(): LeaseRecord | undefined;
  stop(): void;
}

const timeout = <T>(p: Promise<T>, ms: number): Promise<T> => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timed out')), ms).unref())]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function createController(o: ControllerOptions): Promise<Controller> {
  const id = o.identity.toLowerCase();
  const now = o.now ?? Date.now;
  const mono = o.mono ?? (() => performance.now());
  const margin = o.marginBlocks * o.blockMs;
  const emit = o.onEvent ?? (() => undefined);
  const active = o.isActive ?? (() => true);
  const cmdTtl = o.commandTtlMs ?? 60_000;
  let rec: LeaseRecord | undefined;
  // Until this (mono) moment nobody but the recorded holders may be given the identity.
  let safeAfter = 0;
  const grantEnd = new Map<string, number>();
  let loaded = false;
  /** On start and on every takeover (etcd): what the last active controller recorded, and its grants waited out. */
  async function load(): Promise<void> {
    rec = await o.store.read();
    grantEnd.clear();
    safeAfter = mono() + (rec ? Math.max(0, rec.grantedUntil - now()) : 0) + margin;
    if (rec) for (const h of rec.holders) grantEnd.set(h, mono() + Math.max(0, rec.grantedUntil - now()));
    // Swaps a previous controller left open cannot be resumed step by step: close them; the tick
    // reconciles the lease with what the files say.
    if (o.journal && !swapping) {
      const states = new Map(o.journal.entries().map((e) => [e.swapId, e]));
      for (const sid of o.journal.openSwaps()) {
        const e = states.get(sid)!;
        if (e.kind !== 'swap') continue;
        journal(sid, 'swap', e.state === 'planned' || e.state === 'fenced' ? 'aborted' : e.state === 'height-reached' ? 'verify-failed' : 'failed', { why: 'controller restarted mid-swap' });
        if (e.state === 'height-reached') journal(sid, 'swap', 'failed', { why: 'controller restarted mid-swap' });
      }
    }
    loaded = true;
  }
  let acting = false;
  /** Lost the etcd key: forget what was loaded (a takeover reloads) and say so once. */
  const stepDown = (why: string): void => {
    loaded = false;
    if (acting) emit({ kind: 'stepped-down', detail: why });
    acting = false;
  };
  const ready = async (): Promise<boolean> => {
    if (!active()) { stepDown('not the active controller any more'); return false; }
    if (!loaded) await load();
    acting = true;
    return true;
  };
  let stopped = false;
  let busy = false;
  let swapping = false;
  const downSince = new Map<string, number>();
  const lastHeight = new Map<string, { h: number; at: number }>();
  let openFailover: string | undefined = o.journal?.openSwaps().find((s) => s.startsWith('failover-'));

  const link = (h: string): AgentLink | undefined => o.links.find((l) => l.host === h);
  const lastState = (swapId: string): JournalState | undefined => o.journal?.entries().findLast((e) => e.swapId === swapId)?.state;
  const cmd = (c: Omit<CommandInput, 'identity' | 'expiresAt'>): SignedCommand => o.sign({ ...c, identity: id, expiresAt: now() + cmdTtl });
  const journal = (swapId: string, kind: 'swap' | 'failover' | 'rollback', state: Parameters<JournalFile['append']>[0]['state'], data: Record<string, unknown>): void => {
    try { o.journal?.append({ swapId, kind, state, data }); } catch (e) { emit({ kind: 'journal-error', detail: e instanceof Error ? e.message : String(e) }); }
  };

  async function ensureRecord(): Promise<LeaseRecord> {
    if (!rec) {
      rec = { identity: id, holders: [o.initialHolder], epoch: 1, grantedUntil: 0 };
      await o.store.write(rec);
    }
    return rec;
  }

  async function setHolders(holders: string[], bumpEpoch: boolean): Promise<void> {
    const r = await ensureRecord();
    rec = { ...r, holders, epoch: bumpEpoch ? r.epoch + 1 : r.epoch };
    await o.store.write(rec);
  }

  async function statuses(): Promise<Map<string, AgentStatus | undefined>> {
    const m = new Map<string, AgentStatus | undefined>();
    await Promise.all(o.links.map(async (l) => {
      try { m.set(l.host, await timeout(l.status(), Math.max(2500, 2 * o.blockMs))); } catch { m.set(l.host, undefined); }
    }));
    return m;
  }

  function stalled(host: string, s: AgentStatus | undefined): boolean {
    if (!s?.diagnostics) return true;
    const h = s.diagnostics.leaderheight;
    const prev = lastHeight.get(host);
    if (!prev || prev.h !== h) { lastHeight.set(host, { h, at: mono() }); return Boolean(s.currentMinute?.stalldetected); }
    return mono() - prev.at > 2 * o.blockMs || Boolean(s.currentMinute?.stalldetected);
  }

  async function promote(target: string, s: AgentStatus): Promise<void> {
    const l = link(target)!;
    const restart = stalled(target, s);
    // Two blocks ahead on a moving network (the edit must land before the block starts); the next on a stalled one.
    const h = (s.diagnostics?.leaderheight ?? 0) + (restart ? 1 : 2);
    if (!stillActive()) return;
    if (s.fenced) {
      // It fenced itself when its renewals failed. It holds a lease from us again and nobody else
      // can hold the identity (the callers' conditions): lift the fence, or it refuses the promotion forever.
      await timeout(l.execute(cmd({ type: 'unfence', host: target })), 10_000);
      emit({ kind: 'unfenced', detail: target });
    }
    if (!stillActive()) return;
    emit({ kind: 'promote', detail: `${target} at ChangeAcksHeight ${h}${restart ? ' with restart (network stalled)' : ''}` });
    const r = await timeout(l.execute(cmd({ type: 'swap-edit', host: target, height: h, payload: { action: 'promote', restart } })), 30_000);
    const prior = openFailover ? lastState(openFailover) : undefined;
    if (openFailover && (prior === 'edits-sent' || prior === 'edits-applied')) {
      // The promoted host lost the identity before the height (its agent demoted itself when renewals
      // failed): that attempt failed; this promotion is a new one, so the journal never goes back.
      const previous = openFailover;
      journal(previous, 'failover', 'failed', { why: `${target} lost the identity before the swap height` });
      openFailover = `failover-${now()}`;
      journal(openFailover, 'failover', 'planned', { to: target, reason: 'promote again', after: previous });
    }
    if (openFailover) journal(openFailover, 'failover', 'edits-sent', { host: target, changeAcksHeight: h, restart });
    if (openFailover && r.holdsIdentity) journal(openFailover, 'failover', 'edits-applied', { host: target });
  }

  /**
   * Asked again before anything leaves the controller: the etcd key can be lost while a tick waits
   * for the agents' statuses (up to 2.5 s), and a controller that stepped down changes nothing.
   */
  const stillActive = (): boolean => {
    if (active()) return true;
    stepDown('lost the etcd key during a tick: nothing sent');
    return false;
  };

  async function tickOnce(): Promise<void> {
    if (!(await ready())) return;
    await ensureRecord();
    const st = await statuses();
    if (swapping) return;
    if (!stillActive()) return;
    // Read after the statuses: a swap may have moved the lease meanwhile.
    const r = await ensureRecord();
    if (r.holders.length !== 1) {
      // A swap window left by a controller that died: keep the lease where the files put the identity.
      const having = r.holders.filter((h) => st.get(h)?.holdsIdentity === true);
      if (r.holders.every((h) => st.get(h) !== undefined)) {
        // Nobody's file holds it (e.g. the standby fenced itself while no controller ran): give the
        // lease to the first unfenced one; the path below promotes it once nobody else can hold it.
        const pick = having.length === 1 ? having : having.length === 0 ? r.holders.filter((h) => !st.get(h)!.fenced).slice(0, 1) : [];
        if (pick.length === 1) {
          await setHolders(pick, true);
          emit({ kind: 'lease-reconciled', detail: `holders ${r.holders.join(', ')} → ${pick[0]!}` });
        }
      }
      return;
    }
    const holder = r.holders[0]!;
    const hs = st.get(holder);

    // Verify a finished failover.
    if (openFailover && hs?.diagnostics && hs.diagnostics.id === id && hs.diagnostics.role !== 'Follower') {
      journal(openFailover, 'failover', 'height-reached', { height: hs.diagnostics.leaderheight });
      journal(openFailover, 'failover', 'verified', { host: holder, role: hs.diagnostics.role });
      emit({ kind: 'verified', detail: holder });
      openFailover = undefined;
    }

    // Health model: the holder's agent answers but its factomd does not (or stalls) for downBlocks.
    const down = hs !== undefined && (!hs.diagnostics || stalled(holder, hs));
    if (down) { if (!downSince.has(holder)) downSince.set(holder, mono()); } else downSince.delete(holder);
    // Armed only once the holder was granted a lease: an agent counts its own demotion deadline from one.
    const granted = grantEnd.get(holder);
    const leaseOver = granted !== undefined && mono() >= granted + margin && mono() >= safeAfter;
    const factomdDown = hs !== undefined && downSince.has(holder) && mono() - downSince.get(holder)! >= (o.downBlocks ?? 3) * o.blockMs;
    const holderHasIt = hs?.holdsIdentity ?? true;
    // A holder that fenced itself (lease lost) and whose factomd no longer runs the identity.
    const fencedHolder = hs !== undefined && hs.fenced && !hs.holdsIdentity && hs.diagnostics !== undefined && hs.diagnostics.id !== id;

    if (o.autoFailover && (((leaseOver || factomdDown) && (holderHasIt || !hs)) || fencedHolder)) {
      const candidates = o.links.map((l) => l.host).filter((h) => h !== holder).filter((h) => {
        const s = st.get(h);
        return s && s.diagnostics && !s.fenced && !s.holdsIdentity;
      });
      const target = candidates[0];
      if (!target) return;
      if (!leaseOver && !fencedHolder) {
        // The holder's agent is alive: fence it (it demotes and, with factomd hung, stops it) before anything else.
        if (!stillActive()) return;
        try {
          const fr = await timeout(link(holder)!.execute(cmd({ type: 'fence', host: holder, height: (hs?.diagnostics?.leaderheight ?? 0) + 1 })), 10_000);
          if (fr.holdsIdentity) return;
        } catch (e) {
          emit({ kind: 'fence-failed', detail: e instanceof Error ? e.message : String(e) });
          return;
        }
        safeAfter = Math.max(safeAfter, mono() + margin);
      }
      openFailover = `failover-${now()}`;
      journal(openFailover, 'failover', 'planned', { from: holder, to: target, reason: leaseOver ? 'lease ended' : fencedHolder ? 'holder fenced itself' : 'factomd down' });
      journal(openFailover, 'failover', 'fencing', { from: holder });
      journal(openFailover, 'failover', 'fenced', { how: leaseOver ? 'lease ended + margin' : fencedHolder ? 'holder fenced and no longer runs the identity' : 'fence confirmed' });
      if (fencedHolder) safeAfter = Math.max(safeAfter, mono() + margin);
      grantEnd.delete(holder);
      await setHolders([target], true);
      emit({ kind: 'lease-moved', detail: `${holder} → ${target}` });
      return;
    }

    // The recorded holder should hold the identity; give it when nobody else can.
    // …or, when its file has it but its factomd does not and the network stalls (it will never
    // reach the height), restart it on that file.
    const missed = hs?.diagnostics !== undefined && hs.diagnostics.id !== id && (stalled(holder, hs) || hs.diagnostics.leaderheight >= (hs.changeAcksHeight ?? 0));
    const needsIt = hs !== undefined && (!hs.holdsIdentity || missed);
    if (hs && needsIt && mono() >= safeAfter) {
      const others = [...st].filter(([h, s]) => h !== holder && (s?.holdsIdentity || s?.diagnostics?.id === id));
      if (others.length > 0) return;
      if ((grantEnd.get(holder) ?? 0) <= mono()) return; // its agent must hold a lease first
      try { await promote(holder, hs); } catch (e) { emit({ kind: 'promote-failed', detail: e instanceof Error ? e.message : String(e) }); }
    }
  }

  if (active()) await load();

  return {
    record: () => rec,
    swapping: () => swapping,
    stop() { stopped = true; },
    async renew(host) {
      if (stopped) throw new AnoguardError('E_CONTROLLER_DOWN', 'controller stopped', { field: 'controller' });
      if (!(await ready())) return undefined;
      const r = await ensureRecord();
      if (!r.holders.includes(host)) return undefined;
      const end = mono() + o.leaseTtlMs;
      // Durable before the grant leaves: a restarted controller must know how long to wait.
      rec = { ...r, grantedUntil: Math.max(r.grantedUntil, now() + o.leaseTtlMs) };
      await o.store.write(rec);
      // Lost the etcd key while writing: another controller may be counting already; grant nothing.
      if (!active()) { stepDown('lost the etcd key while recording a grant: nothing granted'); return undefined; }
      if (stopped) throw new AnoguardError('E_CONTROLLER_DOWN', 'controller stopped', { field: 'controller' });
      grantEnd.set(host, Math.max(grantEnd.get(host) ?? 0, end));
      return o.sign({ type: 'lease', host, identity: id, expiresAt: now() + o.leaseTtlMs, payload: { ttlMs: o.leaseTtlMs, epoch: rec.epoch } });
    },
    async tick() {
      if (stopped || busy) return;
      busy = true;
      try {
        await tickOnce();
      } catch (e) {
        // etcd or the lease file unreachable: nothing is granted or changed this round.
        emit({ kind: 'tick-error', detail: e instanceof Error ? e.message : String(e) });
      } finally {
        busy = false;
      }
    },
    async runSwap(standby, so = {}) {
      // A standby controller (etcd) must not write the lease record nor send edits: only the active one swaps.
      if (!active()) throw new AnoguardError('E_NOT_ACTIVE', 'this controller is not the active one (etcd): run the swap on the active server', { field: 'controller' });
      const r = await ensureRecord();
      if (r.holders.length !== 1) throw new AnoguardError('E_SWAP_PENDING', 'a swap is already in progress', { field: 'lease' });
      const holder = r.holders[0]!;
      const hl = link(holder);
      const sl = link(standby);
      if (!hl || !sl || holder === standby) throw new AnoguardError('E_SWAP_HOST', 'unknown or identical hosts', { field: 'standby' });
      swapping = true;
      const swapId = `swap-${now()}`;
      try {
        const transient = new Set(['same-height-minute', 'safe-minute', 'synced']);
        const planEnd = mono() + 3 * o.blockMs;
        let plan: SwapPlan | undefined;
        // Minutes tick between two answers and minute 0 comes every block: retry those checks briefly.
        for (;;) {
          const [hs, ss] = await Promise.all([hl.status(), sl.status()]);
          if (!hs.diagnostics || !ss.diagnostics || !hs.currentMinute || !ss.currentMinute || !hs.maskedConf || !ss.maskedConf) {
            throw new AnoguardError('E_SWAP_UNREACHABLE', 'a node or its agent does not answer', { field: !hs.diagnostics ? holder : standby });
          }
          plan = planSwap({
            identity: id, pendingSwap: Boolean(openFailover) || (o.journal?.openSwaps().length ?? 0) > 0,
            holder: { name: holder, diagnostics: hs.diagnostics, currentMinute: hs.currentMinute, confText: hs.maskedConf },
            standby: { name: standby, diagnostics: ss.diagnostics, currentMinute: ss.currentMinute, confText: ss.maskedConf },
            options: { minLeadSeconds: so.minLeadSeconds ?? Math.max(2 * o.blockMs / 1000, 2) },
          });
          if (plan.ok || mono() > planEnd || plan.checks.some((c) => !c.ok && !transient.has(c.id))) break;
          await sleep(Math.max(20, o.blockMs / 20));
        }
        delete plan.edit;
        if (!plan.ok) return { ok: false, plan, detail: plan.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.message}`).join('; ') };
        const H = plan.height;
        journal(swapId, 'swap', 'planned', { from: holder, to: standby, height: H, checks: plan.checks.map((c) => c.id) });
        // Both may renew during the window; the heights decide who signs.
        await setHolders([holder, standby], false);
        const waitLease = mono() + 3 * o.leaseTtlMs;
        while ((grantEnd.get(standby) ?? 0) <= mono() && mono() < waitLease && !stopped) await sleep(50);
        if ((grantEnd.get(standby) ?? 0) <= mono()) {
          await setHolders([holder], false);
          journal(swapId, 'swap', 'aborted', { why: 'standby did not take a lease' });
          return { ok: false, swapId, plan, detail: 'the standby agent did not renew a lease in time' };
        }
        if (!active()) {
          await setHolders([holder], false).catch(() => undefined);
          journal(swapId, 'swap', 'aborted', { why: 'lost the etcd election before the edits' });
          return { ok: false, swapId, plan, detail: 'this controller stopped being the active one before the edits; nothing changed' };
        }
        journal(swapId, 'swap', 'edits-sent', {});
        // Holder first: a crash between the two edits leaves nobody (recoverable), never two.
        try {
          await timeout(hl.execute(cmd({ type: 'swap-edit', host: holder, height: H, payload: { action: 'demote' } })), 10_000);
        } catch (e) {
          await setHolders([holder], false);
          journal(swapId, 'swap', 'aborted', { why: `holder edit failed: ${e instanceof Error ? e.message : String(e)}` });
          return { ok: false, swapId, plan, detail: 'the holder\'s edit failed; nothing changed' };
        }
        try {
          await timeout(sl.execute(cmd({ type: 'swap-edit', host: standby, height: H, payload: { action: 'promote' } })), 10_000);
        } catch (e) {
          const why = e instanceof Error ? e.message : String(e);
          try {
            await timeout(hl.execute(cmd({ type: 'swap-edit', host: holder, height: H, payload: { action: 'restore' } })), 10_000);
            await setHolders([holder], false);
            journal(swapId, 'swap', 'aborted', { why: `standby edit failed: ${why}; holder restored` });
            return { ok: false, swapId, plan, detail: `the standby's edit failed (${why}); the holder's file was restored` };
          } catch (e2) {
            await setHolders([standby], true);
            journal(swapId, 'swap', 'failed', { why: `standby edit failed: ${why}; restore failed: ${e2 instanceof Error ? e2.message : String(e2)}` });
            return { ok: false, swapId, plan, detail: 'both the standby edit and the restore failed: nobody will hold the identity at H; the controller will promote the standby once it can' };
          }
        }
        journal(swapId, 'swap', 'edits-applied', { height: H });
        const deadline = mono() + (H - plan.currentHeight + 6) * o.blockMs;
        const poll = so.pollMs ?? Math.max(100, o.blockMs / 4);
        let v = verifySwap({ identity: id, height: H, newHolder: undefined, oldHolder: undefined });
        while (mono() < deadline && !stopped) {
          await sleep(poll);
          const [a, b] = await Promise.all([sl.status().catch(() => undefined), hl.status().catch(() => undefined)]);
          v = verifySwap({ identity: id, height: H, newHolder: a?.diagnostics, oldHolder: b?.diagnostics });
          if (v.status === 'ok') break;
          // The holder lost the identity before H (it restarted on its edited file): nobody holds it
          // now, and a stalled network will never reach H. Hand over at once.
          if (b?.diagnostics && b.diagnostics.leaderheight < H && b.diagnostics.id !== id) {
            v = { status: 'failed', checks: [{ id: 'old-id', ok: false, message: `${holder} let go of the identity before ${H} (restarted?)` }] };
            break;
          }
        }
        // A controller stopped mid-swap does nothing more; the next one reconciles.
        if (stopped) return { ok: false, swapId, plan, detail: 'controller stopped during the swap' };
        if (v.status === 'ok') {
          await setHolders([standby], true);
          grantEnd.delete(holder);
          journal(swapId, 'swap', 'height-reached', { height: H });
          journal(swapId, 'swap', 'verified', {});
          return { ok: true, swapId, plan, detail: `swapped at ${H}` };
        }
        const why = v.checks.filter((c) => !c.ok).map((c) => c.message).join('; ');
        emit({ kind: 'alert', detail: `swap at ${H} not verified: ${why}` });
        journal(swapId, 'swap', 'height-reached', { height: H, verified: false });
        journal(swapId, 'swap', 'verify-failed', { why });
        const [a, b] = await Promise.all([sl.status().catch(() => undefined), hl.status().catch(() => undefined)]);
        if (b?.diagnostics?.id === id && a?.diagnostics?.id !== id) {
          // The old holder never let go (its edit did not take): roll back — the standby's file
          // first (so it cannot boot with the identity), then the holder's file as it was.
          try {
            const sh = (a?.diagnostics?.leaderheight ?? H) + 1;
            journal(swapId, 'swap', 'rollback-scheduled', { standbyDemoteAt: sh });
            await timeout(sl.execute(cmd({ type: 'swap-edit', host: standby, height: sh, payload: { action: 'demote' } })), 10_000);
            await timeout(hl.execute(cmd({ type: 'swap-edit', host: holder, height: H, payload: { action: 'restore' } })), 10_000);
            await setHolders([holder], false);
            journal(swapId, 'swap', 'rolled-back', {});
            return { ok: false, swapId, plan, detail: `verification failed (${why}); rolled back to ${holder}` };
          } catch (e) {
            await setHolders([holder], false);
            journal(swapId, 'swap', 'failed', { why: `rollback failed: ${e instanceof Error ? e.message : String(e)}` });
            return { ok: false, swapId, plan, detail: 'verification and rollback failed: operator action needed' };
          }
        }
        // Nobody (or only the standby) holds it: the lease goes to the standby and the controller's
        // tick promotes it (restarting it if the network stalled) once nobody else can hold it.
        await setHolders([standby], true);
        grantEnd.delete(holder);
        journal(swapId, 'swap', 'failed', { why: 'identity not where planned; handed to the failover path' });
        return { ok: false, swapId, plan, detail: `verification failed: ${why}; the controller promotes ${standby}` };
      } finally {
        swapping = false;
      }
    },
  };
}
