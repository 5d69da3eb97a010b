import { join } from 'node:path';
import { AnoguardError, InputError } from '../../errors.js';
import { signCommand, type CommandInput } from '../../failover/command.js';
import { createController, type Controller } from '../../failover/controller.js';
import { etcdLeaseStore, startEtcdElection, type EtcdElection } from '../../failover/etcd.js';
import { openJournal, type JournalFile } from '../../failover/journal-file.js';
import { localLeaseStore } from '../../failover/lease-store.js';
import { planSwap, type SwapPlan } from '../../failover/plan.js';
import type { Logger } from '../../log.js';
import type { Topology } from '../../topology/schema.js';
import { readSecretFile } from '../../util/fs.js';
import { createControlHub, type ControlHub } from './hub.js';
import type { FailoverEvent, FailoverHostStatus, FailoverStatus, ServerFailover, SwapRequest, SwapResult } from './types.js';

/**
 * The failover controller hosted by the server: one control hub (the agents' channel), the
 * controller over it, its tick loop, and the library surface the dashboard calls. Automatic
 * promotion only with `authority.failover.auto: true`; leases and planned swaps always.
 */

export interface FailoverServiceOptions {
  topology: Topology;
  /** The operator's ed25519 seed (from `swap keygen`). */
  operatorSeed: Uint8Array;
  /** Journal and (without etcd) the lease record live here. */
  dataDir: string;
  /** etcd endpoint for controller HA (http://127.0.0.1:2379); without it the lease record is a local file. */
  etcd?: string;
  /** This server's name in the etcd election. */
  serverName?: string;
  logger: Logger;
  tickMs?: number;
}

export interface FailoverService {
  api: ServerFailover;
  hub: ControlHub;
  stop(): Promise<void>;
}

/** The 0600 file `swap keygen` writes: the seed as 64 hex digits. */
export function readOperatorKey(path: string): Uint8Array {
  const text = readSecretFile(path, 'operator-key').trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new InputError('E_OPERATOR_KEY', 'not an operator key (64 hex digits from `anoguard swap keygen`)', { field: 'operator-key', exitCode: 2 });
  return new Uint8Array(Buffer.from(text, 'hex'));
}

const TRANSIENT = new Set(['same-height-minute', 'safe-minute', 'synced']);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startFailoverService(o: FailoverServiceOptions): Promise<FailoverService> {
  const fo = o.topology.authority.failover;
  if (!fo) throw new InputError('E_NO_FAILOVER', 'the topology has no authority.failover section', { field: 'authority.failover', exitCode: 2 });
  const { master, standby } = o.topology.authority;
  const hosts = standby ? [master, standby] : [master];
  const identity = fo.identity;
  const log = o.logger.child({ component: 'failover' });
  const events: FailoverEvent[] = [];
  const event = (kind: string, detail?: string): void => {
    events.push({ ts: Date.now(), kind, ...(detail !== undefined ? { detail } : {}) });
    if (events.length > 50) events.shift();
    log.info({ kind, detail }, 'failover event');
  };
  const hub = createControlHub({ hosts, leaseTtlMs: fo.leaseTtl, blockMs: fo.blockTime, onError: (h, e) => log.warn({ host: h, err: e instanceof Error ? e.message : String(e) }, 'lease renewal failed') });
  const journal: JournalFile = openJournal(join(o.dataDir, 'failover-journal.jsonl'));
  let election: EtcdElection | undefined;
  if (o.etcd) {
    election = startEtcdElection({ endpoint: o.etcd, key: `/anoguard/controller/${identity}`, me: o.serverName ?? `server-${process.pid}`, ttlSeconds: 2 });
  }
  const el = election;
  const store = o.etcd && el ? etcdLeaseStore({ endpoint: o.etcd, key: `/anoguard/lease/${identity}`, leadership: () => el.leadership() }) : localLeaseStore(join(o.dataDir, 'failover-lease.json'));
  const seed = o.operatorSeed;
  let controller: Controller;
  try {
    controller = await createController({
      identity, links: hub.links, store, sign: (c: CommandInput) => signCommand(seed, c), initialHolder: master,
      blockMs: fo.blockTime, leaseTtlMs: fo.leaseTtl, marginBlocks: fo.marginBlocks, downBlocks: fo.downBlocks, autoFailover: fo.auto,
      journal, ...(el ? { isActive: () => el.isActive() } : {}),
      onEvent: (e) => event(e.kind, e.detail),
    });
  } catch (e) {
    hub.close();
    await election?.stop();
    throw e;
  }
  hub.setRenew((h) => controller.renew(h));
  const tickMs = o.tickMs ?? Math.min(5000, Math.max(100, fo.blockTime / 4));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const loop = (): void => {
    if (stopped) return;
    void controller.tick().finally(() => { if (!stopped) timer = setTimeout(loop, tickMs); });
  };
  loop();
  event('controller-started', `${identity.slice(0, 12)}… auto ${fo.auto ? 'on' : 'off'}, ${o.etcd ? 'etcd' : 'local'} lease record`);

  function holderNow(): string {
    const r = controller.record();
    if (!r) return master;
    if (r.holders.length !== 1) throw new AnoguardError('E_SWAP_PENDING', 'a swap is in progress (two lease holders)', { field: 'lease' });
    return r.holders[0]!;
  }
  function target(holder: string, req: SwapRequest): string {
    const to = req.standby ?? hosts.find((h) => h !== holder);
    if (to === undefined || !hosts.includes(to) || to === holder) {
      throw new AnoguardError('E_SWAP_HOST', to === undefined ? 'the topology has no standby to swap to' : `${to} is not the other authority host (holder: ${holder})`, { field: 'standby' });
    }
    return to;
  }

  const api: ServerFailover = {
    status(): FailoverStatus {
      const r = controller.record();
      const now = Date.now();
      const views = new Map(hub.view().map((v) => [v.host, v]));
      const hs: FailoverHostStatus[] = hosts.map((h) => {
        const v = views.get(h);
        const s = v?.status;
        const d = s?.diagnostics;
        return {
          host: h, role: h === master ? 'master' : 'standby', reachable: v?.reachable ?? false,
          ...(v?.lastSeen !== undefined ? { lastSeen: v.lastSeen } : {}),
          ...(s ? { holdsIdentity: s.holdsIdentity, changeAcksHeight: s.changeAcksHeight ?? 0, fenced: s.fenced } : {}),
          ...(d ? { node: { id: d.id, role: d.role, height: d.leaderheight, minute: d.currentminute } } : {}),
          leased: r !== undefined && r.holders.includes(h) && r.grantedUntil > now,
        };
      });
      const leading = hs.find((h) => h.reachable && h.node?.id === identity && h.node.role !== 'Follower')?.host;
      return {
        identity, master, ...(standby ? { standby } : {}),
        ...(r && r.holders.length > 0 ? { holder: r.holders[0]! } : {}),
        holders: r?.holders ?? [], leaseEnd: r?.grantedUntil ?? 0, epoch: r?.epoch ?? 0,
        auto: fo.auto, active: el ? el.isActive() : true, ha: el ? 'etcd' : 'local',
        ...(leading ? { leading } : {}),
        swapRunning: controller.swapping(), openSwaps: journal.openSwaps(),
        timing: { blockMs: fo.blockTime, leaseTtlMs: fo.leaseTtl, marginBlocks: fo.marginBlocks, downBlocks: fo.downBlocks },
        hosts: hs, events: [...events],
      };
    },
    async plan(req = {}): Promise<SwapPlan> {
      const holder = holderNow();
      const to = target(holder, req);
      const [hl, sl] = [hub.links.find((l) => l.host === holder)!, hub.links.find((l) => l.host === to)!];
      const end = performance.now() + Math.min(3 * fo.blockTime, 5000);
      for (;;) {
        const [hs, ss] = await Promise.all([hl.status().catch(() => undefined), sl.status().catch(() => undefined)]);
        if (!hs?.diagnostics || !hs.currentMinute || !hs.maskedConf) throw new AnoguardError('E_SWAP_UNREACHABLE', `${holder}: its agent or factomd does not answer`, { field: holder });
        if (!ss?.diagnostics || !ss.currentMinute || !ss.maskedConf) throw new AnoguardError('E_SWAP_UNREACHABLE', `${to}: its agent or factomd does not answer`, { field: to });
        const plan = planSwap({
          identity, pendingSwap: controller.swapping() || journal.openSwaps().length > 0,
          holder: { name: holder, diagnostics: hs.diagnostics, currentMinute: hs.currentMinute, confText: hs.maskedConf },
          standby: { name: to, diagnostics: ss.diagnostics, currentMinute: ss.currentMinute, confText: ss.maskedConf },
          options: { minLeadSeconds: req.minLeadSeconds ?? Math.max((2 * fo.blockTime) / 1000, 2) },
        });
        delete plan.edit;
        if (plan.ok || performance.now() > end || plan.checks.some((c) => !c.ok && !TRANSIENT.has(c.id))) return plan;
        await sleep(Math.max(20, fo.blockTime / 20));
      }
    },
    async run(req = {}): Promise<SwapResult> {
      if (controller.swapping()) throw new AnoguardError('E_SWAP_PENDING', 'a swap is already running', { field: 'swap' });
      const holder = holderNow();
      const to = target(holder, req);
      event('swap-started', `${holder} → ${to}`);
      const r = await controller.runSwap(to, req.minLeadSeconds !== undefined ? { minLeadSeconds: req.minLeadSeconds } : {});
      delete r.plan.edit;
      event('swap-finished', `${r.ok ? 'ok' : 'not done'}: ${r.detail}`);
      return { ok: r.ok, ...(r.swapId ? { swapId: r.swapId } : {}), plan: r.plan, detail: r.detail };
    },
    journal: () => [...journal.entries()],
  };

  return {
    api, hub,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      controller.stop();
      hub.close();
      await election?.stop();
    },
  };
}
