import type { Alert } from '../alerts/engine.js';
import type { LatestValue, Store } from '../store/types.js';

export interface NodeRow {
  node: string;
  factomd?: string;
  role?: string;
  height?: number;
  minute?: number;
  identity?: string;
  /** true when this node holds one of the authority identities */
  authority: boolean;
  up?: boolean;
  health: 'ok' | 'warning' | 'critical' | 'silent';
  lastSeen?: number;
  load1?: number;
}

export interface Overview {
  generatedAt: number;
  networkHeight?: number;
  nodes: NodeRow[];
  alerts: Alert[];
  /** identity → node holding it now (authority identities only) */
  holders: Record<string, string[]>;
}

const ZERO = '0'.repeat(64);
const FNODE0 = '38bab1455b7bd7e5efd15c53c777c79d0c988e9210f1da49a99d95b3a6417be9';

/** What the overview page shows, from two cheap store calls (latest values and agent status). */
export async function buildOverview(store: Store, alerts: readonly Alert[], now: number, silentAfterMs: number): Promise<Overview> {
  const [latest, agents] = await Promise.all([
    store.latest({ names: ['factomd_up', 'factomd_leader_height', 'factomd_directory_block_height', 'factomd_minute', 'factomd_role', 'factomd_identity_info', 'node_load1'] }),
    store.agents(),
  ]);
  const by = new Map<string, LatestValue[]>();
  for (const l of latest) {
    const list = by.get(l.node) ?? [];
    list.push(l);
    by.set(l.node, list);
  }
  const names = [...new Set([...agents.map((a) => a.agent), ...by.keys()])].sort();
  const rows: NodeRow[] = names.map((node) => {
    const ls = by.get(node) ?? [];
    // Newest first: a series whose labels changed (identity, role) leaves its old value behind.
    ls.sort((a, b) => b.t - a.t);
    const get = (name: string) => ls.find((l) => l.name === name);
    const identity = get('factomd_identity_info')?.labels.identity;
    const roleT = get('factomd_role')?.t;
    const role = ls.find((l) => l.name === 'factomd_role' && l.value === 1 && l.t === roleT)?.labels.role;
    const lastSeen = agents.find((a) => a.agent === node)?.lastSeen;
    const mine = alerts.filter((a) => a.state === 'firing' && a.node.split(',').includes(node));
    const silent = lastSeen === undefined || now - lastSeen > silentAfterMs;
    const up = get('factomd_up');
    return {
      node,
      ...(up ? { factomd: up.labels.factomd ?? '', up: up.value === 1 } : {}),
      ...(role !== undefined ? { role } : {}),
      ...(get('factomd_leader_height') ? { height: get('factomd_leader_height')!.value } : {}),
      ...(get('factomd_minute') ? { minute: get('factomd_minute')!.value } : {}),
      ...(identity !== undefined ? { identity } : {}),
      authority: role === 'Leader' || role === 'Audit',
      health: silent ? 'silent' : mine.some((a) => a.severity === 'critical') ? 'critical' : mine.some((a) => a.severity === 'warning') ? 'warning' : 'ok',
      ...(lastSeen !== undefined ? { lastSeen } : {}),
      ...(get('node_load1') ? { load1: get('node_load1')!.value } : {}),
    };
  });
  // Authority identities are those some node runs as Leader or Audit; every live node loaded with
  // one of them is a holder (two holders of one identity is the double-signing risk).
  const authority = new Set(rows.filter((r) => r.authority && r.identity !== undefined).map((r) => r.identity!));
  const holders: Record<string, string[]> = {};
  for (const r of rows) {
    if (r.identity === undefined || r.identity === ZERO || r.identity === FNODE0 || r.up === false || !authority.has(r.identity)) continue;
    (holders[r.identity] ??= []).push(r.node);
  }
  const heights = latest.filter((l) => l.name === 'factomd_directory_block_height').map((l) => l.value);
  return {
    generatedAt: now, nodes: rows, alerts: [...alerts], holders,
    ...(heights.length > 0 ? { networkHeight: Math.max(...heights) } : {}),
  };
}
