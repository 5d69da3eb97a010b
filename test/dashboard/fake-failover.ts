import { AnoguardError } from '../../src/errors.js';
import { nextJournalEntry, type JournalEntry, type JournalInput } from '../../src/failover/journal.js';
import { planSwap, type SwapPlan } from '../../src/failover/plan.js';
import type { ServerFailover, SwapRequest } from '../../src/server/failover/types.js';
import { beforeConfs, ID_A, snapshot } from '../failover/helpers.js';

/**
 * A stand-in for the server's failover controller: the real planner over the case-3 snapshots
 * (holder n2, standby n3) and a real hash-chained journal, with the swap's steps paced by `stepMs`.
 * `sick` as the standby gives a plan with a failing check, `gone` an unreachable agent; `verify: false`
 * makes the run roll back.
 */
export const PRIVATE_KEY_PREFIX = '3838383838383135';

export interface FakeFailover extends ServerFailover {
  runs: SwapRequest[];
  verify: boolean;
}

export function fakeFailover(o: { stepMs?: number } = {}): FakeFailover {
  const entries: JournalEntry[] = [];
  const append = (i: JournalInput, ts = Date.now()) => { entries.push(nextJournalEntry(entries, i, ts)); };
  // An earlier automatic failover, long finished.
  const t0 = Date.now() - 86_400_000;
  append({ swapId: `failover-${t0}`, kind: 'failover', state: 'planned', data: { from: 'n3', to: 'n2', reason: 'lease ended' } }, t0);
  for (const [i, s] of (['fencing', 'fenced', 'edits-sent', 'edits-applied', 'height-reached', 'verified'] as const).entries()) {
    append({ swapId: `failover-${t0}`, kind: 'failover', state: s, data: s === 'height-reached' ? { height: 30 } : {} }, t0 + (i + 1) * 1000);
  }
  let holder = 'n2';
  let running = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const h1 = { n2: snapshot('api-n2-205139-H-1.json'), n3: snapshot('api-n3-205139-H-1.json') };
  const plan = (r: SwapRequest): SwapPlan => {
    if (r.standby === 'gone') throw new AnoguardError('E_SWAP_UNREACHABLE', 'a node or its agent does not answer', { field: 'n3' });
    if (r.standby !== undefined && r.standby !== 'n3' && r.standby !== 'sick') throw new AnoguardError('E_SWAP_HOST', `unknown host ${r.standby}`, { field: 'standby' });
    const c = beforeConfs();
    return planSwap({
      identity: ID_A, standbyHealthy: r.standby !== 'sick',
      holder: { name: 'n2', ...h1.n2, confText: c.holder }, standby: { name: 'n3', ...h1.n3, confText: c.standby },
      options: r.minLeadSeconds !== undefined ? { minLeadSeconds: r.minLeadSeconds } : {},
    });
  };
  const f: FakeFailover = {
    runs: [],
    verify: true,
    status: () => ({
      identity: ID_A, master: 'n2', standby: 'n3', holder, holders: [holder], leaseEnd: Date.now() + 30_000, epoch: 3, auto: false, active: true, ha: 'local',
      leading: holder, swapRunning: running, openSwaps: [], timing: { blockMs: 1000, leaseTtlMs: 6000, marginBlocks: 2, downBlocks: 3 },
      hosts: (['n2', 'n3'] as const).map((h) => ({
        host: h, role: h === 'n2' ? 'master' as const : 'standby' as const, reachable: true, lastSeen: Date.now(), holdsIdentity: h === holder, leased: h === holder,
        node: { id: h === holder ? ID_A : 'c'.repeat(64), role: h === holder ? 'Audit' : 'Follower', height: 37, minute: 5 },
      })),
      events: [{ ts: Date.now() - 5000, kind: 'lease-moved', detail: 'n3 → n2' }],
    }),
    plan: async (r = {}) => plan(r),
    journal: () => entries,
    async run(r = {}) {
      if (running) throw new AnoguardError('E_SWAP_PENDING', 'a swap is already in progress', { field: 'lease' });
      f.runs.push(r);
      const p = plan(r);
      if (!p.ok) return { ok: false, plan: p, detail: p.checks.filter((c) => !c.ok).map((c) => c.id).join(', ') };
      running = true;
      try {
        const id = `swap-${Date.now()}`;
        const step = async (state: JournalInput['state'], data: Record<string, unknown> = {}) => { await sleep(o.stepMs ?? 50); append({ swapId: id, kind: 'swap', state, data }); };
        append({ swapId: id, kind: 'swap', state: 'planned', data: { from: 'n2', to: 'n3', height: p.height } });
        await step('edits-sent');
        await step('edits-applied', { height: p.height });
        await step('height-reached', { height: p.height });
        if (f.verify) {
          await step('verified');
          holder = 'n3';
          return { ok: true, plan: p, detail: `swapped at ${p.height}`, swapId: id };
        }
        await step('verify-failed', { why: 'n3 reports role Follower' });
        await step('rollback-scheduled', { standbyDemoteAt: p.height + 1 });
        await step('rolled-back');
        return { ok: false, plan: p, detail: 'verification failed; rolled back to n2', swapId: id };
      } finally {
        running = false;
      }
    },
  };
  return f;
}
