/**
 * The chaos checker over a record of truth (one line per node and minute: who ran which identity in
 * which role, and whether the network took its signature). Pure. Structural types only, so that the
 * failover layer does not depend on the simulator.
 */
export interface TruthSignature {
  ts: number;
  node: string;
  height: number;
  minute: number;
  identityChainId: string;
  role: string;
  signed: boolean;
}
export interface TruthEventLike { ts: number; event: string; [k: string]: unknown }

export interface SafetyReport {
  /** Heights at which two nodes ran the identity as an authority (signed or claimed): the cardinal sin. */
  duplicates: { height: number; nodes: string[] }[];
  /** Nodes killed by factomd's duplicate detection. */
  duplicateDeaths: string[];
  /** Stretches (ms) with nobody signing for the identity longer than the bound. */
  livenessFailures: { fromTs: number; toTs: number; blocks: number }[];
  /** Longest stretch without a signature for the identity, in blocks. */
  longestGapBlocks: number;
}

export function checkTruth(t: { signatures: readonly TruthSignature[]; events: readonly TruthEventLike[] }, o: { identity: string; blockMs: number; boundBlocks: number; fromTs?: number; toTs?: number }): SafetyReport {
  const id = o.identity.toLowerCase();
  const byHeight = new Map<number, Set<string>>();
  const signedTimes: number[] = [];
  for (const s of t.signatures) {
    if (s.identityChainId !== id) continue;
    if (o.fromTs !== undefined && s.ts < o.fromTs) continue;
    if (s.role !== 'Follower' || s.signed) {
      const set = byHeight.get(s.height) ?? new Set<string>();
      set.add(s.node);
      byHeight.set(s.height, set);
    }
    if (s.signed) signedTimes.push(s.ts);
  }
  const duplicates = [...byHeight].filter(([, n]) => n.size > 1).map(([height, n]) => ({ height, nodes: [...n].sort() })).sort((a, b) => a.height - b.height);
  const duplicateDeaths = t.events.filter((e) => e.event === 'die' && (e.kind === 'dup-fed' || e.kind === 'dup-audit') && (o.fromTs === undefined || e.ts >= o.fromTs)).map((e) => String(e.node));
  signedTimes.sort((a, b) => a - b);
  const livenessFailures: SafetyReport['livenessFailures'] = [];
  let longest = 0;
  const start = o.fromTs ?? signedTimes[0] ?? 0;
  const end = o.toTs ?? signedTimes[signedTimes.length - 1] ?? start;
  const points = [start, ...signedTimes.filter((x) => x >= start && x <= end), end];
  for (let i = 1; i < points.length; i++) {
    const gap = points[i]! - points[i - 1]!;
    const blocks = gap / o.blockMs;
    longest = Math.max(longest, blocks);
    if (blocks > o.boundBlocks) livenessFailures.push({ fromTs: points[i - 1]!, toTs: points[i]!, blocks: Math.round(blocks * 10) / 10 });
  }
  return { duplicates, duplicateDeaths, livenessFailures, longestGapBlocks: Math.round(longest * 10) / 10 };
}
