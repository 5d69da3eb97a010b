import { createFactomdClient, getNodeStatus, type FactomdClient, type NodeStatus } from '../factomd/index.js';

/**
 * What the factomd probe needs from one node. Kept behind this small interface so the probe is
 * tested with plain snapshots, whatever transport produces them.
 */
export interface FactomdSnapshot {
  leaderHeight: number;
  directoryBlockHeight: number;
  entryHeight: number;
  minute: number;
  stallDetected: boolean;
  /** seconds per block (600 on mainnet) */
  blockSeconds: number;
  /** seconds the current minute has lasted so far (null while factomd reports no start time) */
  minuteAgeSeconds?: number;
  identity?: string;
  publicKey?: string;
  role?: string;
  syncStatus?: string;
  syncMissing?: string[];
  synced?: boolean;
  electionsInProgress?: boolean;
  version?: string;
  peers?: number;
}

export type FactomdSource = (node: FactomdNode) => Promise<FactomdSnapshot>;

export interface FactomdNode {
  name: string;
  url: string;
  /** basic auth (factomd's FactomdRpcUser/Pass) */
  user?: string;
  password?: string;
  /** factomd's Prometheus endpoint (port 9876) for the peer count; optional */
  metricsUrl?: string;
  timeoutMs?: number;
}

/** Reads `factomd_p2p_peers_online` from a Prometheus text scrape. */
export function parsePeersOnline(text: string): number | undefined {
  const m = /^factomd_p2p_peers_online(?:\{[^}]*\})?\s+([0-9.eE+-]+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

export function snapshotFromStatus(s: NodeStatus, peers?: number): FactomdSnapshot {
  return {
    leaderHeight: s.leaderHeight,
    directoryBlockHeight: s.height,
    entryHeight: s.entryHeight,
    minute: s.minute,
    stallDetected: s.sync.stalled,
    blockSeconds: s.blockTimeSeconds,
    synced: s.sync.synced,
    version: s.version,
    ...(s.minuteAgeSeconds !== null ? { minuteAgeSeconds: s.minuteAgeSeconds } : {}),
    ...(s.identity !== null ? { identity: s.identity } : {}),
    ...(s.publicKey !== null ? { publicKey: s.publicKey } : {}),
    ...(s.role !== null ? { role: s.role } : {}),
    ...(s.diagnosticsAvailable ? { syncStatus: s.sync.status, syncMissing: s.sync.missing } : {}),
    ...(s.elections ? { electionsInProgress: s.elections.inProgress } : {}),
    ...(peers !== undefined ? { peers } : {}),
  };
}

/** Default source: src/factomd's client and getNodeStatus, one client per node, kept between collections. */
export function createClientSource(): FactomdSource {
  const clients = new Map<string, FactomdClient>();
  return async (node) => {
    let c = clients.get(node.name);
    if (!c) {
      // No retries inside one collection: the next collection is the retry.
      c = createFactomdClient({
        url: node.url, timeoutMs: node.timeoutMs ?? 5000, retries: 0,
        ...(node.user !== undefined ? { user: node.user, password: node.password ?? '' } : {}),
      });
      clients.set(node.name, c);
    }
    const status = await getNodeStatus(c);
    let peers: number | undefined;
    if (node.metricsUrl) {
      try {
        const r = await fetch(node.metricsUrl, { signal: AbortSignal.timeout(node.timeoutMs ?? 5000) });
        if (r.ok) peers = parsePeersOnline(await r.text());
      } catch { /* the metrics port is often not published: peers stay unknown */ }
    }
    return snapshotFromStatus(status, peers);
  };
}
