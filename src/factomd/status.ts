import { z } from 'zod';
import { FactomdError, RPC_CODES } from './errors.js';
import { hash32, roleSchema, syncingSchema, type Diagnostics } from './schemas.js';
import type { FactomdClient } from './client.js';

/** What `anoguard node status` reports, and what the agent ships; one shape for both. */
export const nodeStatusSchema = z.object({
  url: z.string(),
  /** Highest saved directory block (heights.directoryblockheight). */
  height: z.number().int().nonnegative(),
  /** True leader height, roughly the block being built. */
  leaderHeight: z.number().int().nonnegative(),
  /** Entries fully synced up to this block. */
  entryHeight: z.number().int().nonnegative(),
  /** 0–9 (10 for an instant at the end of a block). */
  minute: z.number().int().min(0).max(10),
  blockTimeSeconds: z.number().int().nonnegative(),
  /** Seconds since the current minute started; null while factomd reports no start time (syncing). */
  minuteAgeSeconds: z.number().nullable(),
  /** From diagnostics; null on factomd < 6.4, which has no diagnostics method. */
  role: roleSchema.nullable(),
  identity: hash32.nullable(),
  publicKey: hash32.nullable(),
  nodeName: z.string().nullable(),
  version: z.string(),
  apiVersion: z.string(),
  sync: z.object({
    /** Processing | Syncing EOMs | Syncing DBSigs, or "unknown" without diagnostics. */
    status: z.union([syncingSchema.shape.status, z.literal('unknown')]),
    /** Leaders whose EOM/DBSig is missing; a stalled swap shows its identity here. */
    missing: z.array(hash32),
    received: z.number().int().nullable(),
    expected: z.number().int().nullable(),
    /** factomd's own stall detection (current-minute.stalldetected). */
    stalled: z.boolean(),
    /** leaderHeight − height: blocks this node is behind the block being built (normally 0 or 1). */
    behind: z.number().int(),
    /** Our judgement: processing, not stalled, at most one block behind. */
    synced: z.boolean(),
  }),
  elections: z.object({ inProgress: z.boolean(), round: z.number().int().nullable() }).nullable(),
  authset: z.object({ leaders: z.number().int(), audits: z.number().int(), auditsOnline: z.number().int() }).nullable(),
  diagnosticsAvailable: z.boolean(),
});
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

async function diagnosticsOrNull(client: Pick<FactomdClient, 'diagnostics'>): Promise<Diagnostics | null> {
  try {
    return await client.diagnostics();
  } catch (e) {
    // factomd < 6.4 has no diagnostics method; anything else is a real failure.
    if (e instanceof FactomdError && e.code === 'E_FACTOMD_RPC' && e.rpc?.code === RPC_CODES.METHOD_NOT_FOUND) return null;
    throw e;
  }
}

/**
 * One snapshot of a node: heights, current-minute, diagnostics and properties, asked in parallel
 * and combined. Role and liveness are not the same thing (factomd-ops.md §11): a node far behind can
 * report Leader, so `sync.synced` is computed from heights and stall flags, not from the role.
 */
export async function getNodeStatus(
  client: Pick<FactomdClient, 'url' | 'heights' | 'currentMinute' | 'diagnostics' | 'properties'>,
): Promise<NodeStatus> {
  const [heights, minute, diagnostics, properties] = await Promise.all([
    client.heights(), client.currentMinute(), diagnosticsOrNull(client), client.properties(),
  ]);
  const behind = heights.leaderheight - heights.directoryblockheight;
  const status = diagnostics?.syncing.status ?? 'unknown';
  const stalled = minute.stalldetected;
  const leaders = diagnostics?.authset.leaders ?? [];
  const audits = diagnostics?.authset.audits ?? [];
  const minuteAgeSeconds = minute.currentminutestarttime > 0 && minute.currenttime >= minute.currentminutestarttime
    ? Math.round((minute.currenttime - minute.currentminutestarttime) / 1e6) / 1e3
    : null;
  return {
    url: client.url,
    height: heights.directoryblockheight,
    leaderHeight: heights.leaderheight,
    entryHeight: heights.entryheight,
    minute: minute.minute,
    blockTimeSeconds: minute.directoryblockinseconds,
    minuteAgeSeconds,
    role: diagnostics?.role ?? null,
    identity: diagnostics?.id.toLowerCase() ?? null,
    publicKey: diagnostics?.publickey.toLowerCase() ?? null,
    nodeName: diagnostics?.name ?? null,
    version: properties.factomdversion,
    apiVersion: properties.factomdapiversion,
    sync: {
      status,
      missing: (diagnostics?.syncing.missing ?? []).map((id) => id.toLowerCase()),
      received: diagnostics?.syncing.received ?? null,
      expected: diagnostics?.syncing.expected ?? null,
      stalled,
      behind,
      synced: !stalled && behind <= 1 && (status === 'Processing' || status === 'unknown'),
    },
    elections: diagnostics ? { inProgress: diagnostics.elections.inprogress, round: diagnostics.elections.round ?? null } : null,
    authset: diagnostics ? { leaders: leaders.length, audits: audits.length, auditsOnline: audits.filter((a) => a.online).length } : null,
    diagnosticsAvailable: diagnostics !== null,
  };
}
