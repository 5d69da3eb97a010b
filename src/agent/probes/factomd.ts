import { sample, type Probe, type ProbeResult } from '../probe.js';
import type { AgentEvent, Sample } from '../payload.js';
import { createClientSource, type FactomdNode, type FactomdSnapshot, type FactomdSource } from '../factomd-source.js';

const ROLES = ['Leader', 'Audit', 'Follower'] as const;

/** Samples of one node's snapshot; labels carry the configured node name as `factomd`. */
export function snapshotSamples(name: string, s: FactomdSnapshot, t: number): Sample[] {
  const l = { factomd: name };
  const out = [
    sample('factomd_up', 1, t, l),
    sample('factomd_leader_height', s.leaderHeight, t, l),
    sample('factomd_directory_block_height', s.directoryBlockHeight, t, l),
    sample('factomd_entry_height', s.entryHeight, t, l),
    sample('factomd_minute', s.minute, t, l),
    sample('factomd_block_seconds', s.blockSeconds, t, l),
    sample('factomd_stall_detected', s.stallDetected ? 1 : 0, t, l),
  ];
  if (s.minuteAgeSeconds !== undefined) out.push(sample('factomd_minute_duration_seconds', s.minuteAgeSeconds, t, l));
  if (s.synced !== undefined) out.push(sample('factomd_synced', s.synced ? 1 : 0, t, l));
  if (s.role !== undefined) {
    // One series per role, 1 for the current one, so a role flip shows as two edges in a graph.
    for (const r of ROLES) out.push(sample('factomd_role', s.role === r ? 1 : 0, t, { ...l, role: r }));
  }
  if (s.identity !== undefined) out.push(sample('factomd_identity_info', 1, t, { ...l, identity: s.identity, publickey: s.publicKey ?? '' }));
  if (s.syncStatus !== undefined) {
    out.push(sample('factomd_sync_info', 1, t, { ...l, status: s.syncStatus }));
    out.push(sample('factomd_sync_missing_leaders', s.syncMissing?.length ?? 0, t, l));
  }
  if (s.electionsInProgress !== undefined) out.push(sample('factomd_elections_in_progress', s.electionsInProgress ? 1 : 0, t, l));
  if (s.version !== undefined) out.push(sample('factomd_version_info', 1, t, { ...l, version: s.version }));
  if (s.peers !== undefined) out.push(sample('factomd_peers_online', s.peers, t, l));
  return out;
}

interface Remembered { role?: string; identity?: string; publicKey?: string; up?: boolean }

/** Events between the last remembered view of a node and now: role, identity and reachability changes. */
export function factomdChangeEvents(name: string, before: Remembered | undefined, now: FactomdSnapshot | undefined, t: number, error?: string): AgentEvent[] {
  const events: AgentEvent[] = [];
  if (!now) {
    if (before?.up !== false) events.push({ kind: 'factomd.down', severity: 'critical', t, message: `factomd ${name} does not answer: ${error ?? 'unknown error'}`, data: { factomd: name, error: error ?? '' } });
    return events;
  }
  if (before?.up === false) events.push({ kind: 'factomd.up', severity: 'info', t, message: `factomd ${name} answers again`, data: { factomd: name } });
  if (before?.role !== undefined && now.role !== undefined && before.role !== now.role) {
    events.push({ kind: 'factomd.role.changed', severity: 'warning', t, message: `factomd ${name} role ${before.role} → ${now.role}`, data: { factomd: name, from: before.role, to: now.role, height: now.leaderHeight } });
  }
  if (before?.identity !== undefined && now.identity !== undefined && (before.identity !== now.identity || before.publicKey !== now.publicKey)) {
    events.push({
      kind: 'factomd.identity.changed', severity: 'warning', t,
      message: `factomd ${name} identity ${before.identity.slice(0, 12)}… → ${now.identity.slice(0, 12)}…`,
      data: { factomd: name, from: before.identity, to: now.identity, publicKeyFrom: before.publicKey ?? '', publicKeyTo: now.publicKey ?? '', height: now.leaderHeight },
    });
  }
  return events;
}

/**
 * factomd probe over every configured node. Besides each node's own series it emits the lag of
 * each node behind the best directory-block height seen among them (the operator's nodes on this
 * host; the server computes the same across hosts).
 */
export function createFactomdProbe(nodes: FactomdNode[], source: FactomdSource = createClientSource()): Probe {
  return {
    id: 'factomd',
    describe: 'factomd heights, minute, role, identity, sync, elections, version and peers via the API',
    async collect(ctx): Promise<ProbeResult> {
      const snaps = await Promise.all(nodes.map(async (n) => {
        try { return { n, s: await source(n) }; } catch (e) { return { n, err: (e as Error).message }; }
      }));
      const samples: Sample[] = [];
      const events: AgentEvent[] = [];
      const best = Math.max(-1, ...snaps.map((x) => x.s?.directoryBlockHeight ?? -1));
      for (const x of snaps) {
        const key = `factomd.${x.n.name}`;
        const before = ctx.state.get<Remembered>(key);
        events.push(...factomdChangeEvents(x.n.name, before, x.s, ctx.now, x.err));
        if (x.s) {
          samples.push(...snapshotSamples(x.n.name, x.s, ctx.now));
          samples.push(sample('factomd_height_lag', best - x.s.directoryBlockHeight, ctx.now, { factomd: x.n.name }));
          ctx.state.set(key, { role: x.s.role, identity: x.s.identity, publicKey: x.s.publicKey, up: true } satisfies Remembered);
        } else {
          samples.push(sample('factomd_up', 0, ctx.now, { factomd: x.n.name }));
          ctx.state.set(key, { ...before, up: false });
        }
      }
      return { samples, events };
    },
  };
}
