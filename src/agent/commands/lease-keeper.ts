import type { CommandAgent } from './execute.js';

/**
 * The holder's side of the lease: renew every `renewEveryMs`; whenever the config holds the
 * identity and the lease is within `demoteBeforeMs` of its end (renewals failing: controller gone,
 * partition), demote the config so factomd leaves the identity at the next block — before the
 * lease ends, which is when the controller may start counting its margin.
 */
export interface LeaseKeeperOptions {
  agent: CommandAgent;
  /** Ask the controller; resolves to a signed lease, or undefined when it grants none to this host. */
  renew: () => Promise<unknown>;
  /** A function when it is learnt later (a quarter of the lease the server grants). */
  renewEveryMs: number | (() => number);
  /** At least two blocks: the next block may start a whole block from now. */
  demoteBeforeMs: number;
  mono?: () => number;
  onEvent?: (e: { kind: 'renewed' | 'renew-failed' | 'demoted' | 'demote-failed'; detail?: string }) => void;
}

export interface LeaseKeeper {
  stop(): void;
  /** One round now (tests). */
  check(): Promise<void>;
}

export function startLeaseKeeper(o: LeaseKeeperOptions): LeaseKeeper {
  const mono = o.mono ?? (() => performance.now());
  const every = (): number => (typeof o.renewEveryMs === 'function' ? o.renewEveryMs() : o.renewEveryMs);
  /** How long one renewal may take: up to the demotion window (the next one starts when it ends). */
  const renewWaitMs = (): number => Math.max(every(), o.demoteBeforeMs);
  const startedAt = mono();
  let stopped = false;
  let renewing = false;
  let demoting = false;
  const emit = o.onEvent ?? (() => undefined);

  async function guard(): Promise<void> {
    if (demoting) return;
    if (o.agent.state().fenced) {
      demoting = true;
      try {
        const r = await o.agent.enforceFence(mono() >= o.agent.leaseEndMono());
        if (r !== 'ok') emit({ kind: 'demoted', detail: r });
      } catch (e) {
        emit({ kind: 'demote-failed', detail: e instanceof Error ? e.message : String(e) });
      } finally {
        demoting = false;
      }
      return;
    }
    let holds: boolean;
    try { holds = o.agent.holdsIdentity(); } catch { holds = true; }
    // Before its first lease, an agent that just started gives the controller one renewal round
    // (the controller never fails over from a holder it has not granted a lease to).
    const end = o.agent.leaseEndMono() > 0 ? o.agent.leaseEndMono() : startedAt + o.demoteBeforeMs + 4 * every();
    if (!holds || mono() < end - o.demoteBeforeMs) return;
    demoting = true;
    try {
      const r = await o.agent.selfDemote('lease not renewed');
      emit({ kind: 'demoted', detail: r ? `ChangeAcksHeight ${r.changeAcksHeight}` : 'did not hold the identity' });
    } catch (e) {
      emit({ kind: 'demote-failed', detail: e instanceof Error ? e.message : String(e) });
    } finally {
      demoting = false;
    }
  }

  async function renewOnce(): Promise<void> {
    if (renewing) return;
    renewing = true;
    const sentAt = mono();
    try {
      // A late answer is still a good one: the lease counts from `sentAt`, before the controller's
      // grant, so waiting longer than one renewal period costs no safety. Giving up after one period
      // did: on a CPU-starved host every renewal took a little longer than that, none was accepted,
      // and a freshly promoted holder demoted itself with a lease it could have kept.
      const raw = await Promise.race([o.renew(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('renew timed out')), renewWaitMs()).unref())]);
      if (raw !== undefined && !stopped) {
        o.agent.acceptLease(raw, sentAt);
        emit({ kind: 'renewed' });
      }
    } catch (e) {
      emit({ kind: 'renew-failed', detail: e instanceof Error ? e.message : String(e) });
    } finally {
      renewing = false;
    }
  }

  const checkEvery = (): number => Math.max(20, Math.min(every(), o.demoteBeforeMs / 4));
  let lastRenew = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  async function loop(): Promise<void> {
    if (stopped) return;
    if (mono() - lastRenew >= every()) {
      lastRenew = mono();
      void renewOnce();
    }
    await guard();
    if (!stopped) timer = setTimeout(() => { void loop(); }, checkEvery());
  }
  timer = setTimeout(() => { void loop(); }, 0);
  return {
    stop() { stopped = true; if (timer) clearTimeout(timer); },
    async check() { await renewOnce(); await guard(); },
  };
}
