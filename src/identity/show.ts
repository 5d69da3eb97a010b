/**
 * Reads an identity's chains from factomd (chain-head → entry-block by prevkeymr → entry) and
 * reduces them with the protocol core's factomd-faithful rules, so the answer is what factomd
 * applied — not what a naive reader (last entry wins, no window, no key check) would claim.
 */
import { AnoguardError } from '../errors.js';
import {
  applyIdentityChains, missingForPromotion, REGISTRATION_CHAIN_ID_HEX, type ChainEntryAt, type IdentityState,
} from '../factom/index.js';
import type { FactomdClient } from '../factomd/client.js';

const ZERO_HASH = '0'.repeat(64);
/** Bounds on a walk: a chain longer than this is not an identity chain worth reading whole. */
const MAX_BLOCKS = 20_000;
const MAX_ENTRIES = 20_000;

export interface ChainRead {
  entries: ChainEntryAt[];
  /** The chain exists only in the process list (created this block). */
  inProcessList: boolean;
  exists: boolean;
}

type Reader = Pick<FactomdClient, 'chainHead' | 'entryBlock' | 'entry'>;

function toSeconds(t: number): number {
  if (t > 1e15) return Math.floor(t / 1e9);
  if (t > 1e12) return Math.floor(t / 1e3);
  return t;
}

const hb = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** Reads one chain oldest-first. `keep` filters entries before fetching more than their hash. */
export async function readChain(client: Reader, chainId: string, blockTimes: Map<number, number>, opts: { filter?: (extIds: string[]) => boolean } = {}): Promise<ChainRead> {
  let head;
  try {
    head = await client.chainHead(chainId);
  } catch (e) {
    // -32009 Missing Chain Head / -32008 not found: the chain does not exist (yet).
    const rpc = (e as { rpc?: { code?: number } }).rpc;
    if (rpc && (rpc.code === -32009 || rpc.code === -32008)) return { entries: [], inProcessList: false, exists: false };
    throw e;
  }
  const blocks: { height: number; hashes: string[] }[] = [];
  let keymr = head.chainhead;
  let n = 0;
  while (keymr && keymr !== ZERO_HASH) {
    if (++n > MAX_BLOCKS) throw new AnoguardError('E_CHAIN_TOO_LONG', `chain ${chainId} has more than ${MAX_BLOCKS} entry blocks`);
    const eb = await client.entryBlock(keymr);
    blockTimes.set(eb.header.dbheight, toSeconds(eb.header.timestamp));
    blocks.push({ height: eb.header.dbheight, hashes: (eb.entrylist ?? []).map((e) => e.entryhash) });
    keymr = eb.header.prevkeymr;
  }
  blocks.reverse();
  const entries: ChainEntryAt[] = [];
  for (const b of blocks) {
    for (const h of b.hashes) {
      if (entries.length >= MAX_ENTRIES) throw new AnoguardError('E_CHAIN_TOO_LONG', `chain ${chainId} has more than ${MAX_ENTRIES} entries`);
      const e = await client.entry(h);
      const extids = e.extids ?? [];
      if (opts.filter && !opts.filter(extids)) continue;
      entries.push({ height: b.height, entry: { chainId: hb(e.chainid), extIds: extids.map(hb), content: hb(e.content) } });
    }
  }
  return { entries, inProcessList: head.chaininprocesslist, exists: head.chainhead !== '' && head.chainhead !== ZERO_HASH };
}

export interface ShowResult {
  state: IdentityState;
  missingForPromotion: string[];
  /** Chains that exist only in the process list: their entries are not applied yet. */
  pendingChains: string[];
}

/** Reads and reduces one identity's root, management and (filtered) registration chains. */
export async function showIdentity(client: Reader, rootChainId: string, opts: { coinbaseDeclaration?: number } = {}): Promise<ShowResult> {
  const blockTimes = new Map<number, number>();
  const pendingChains: string[] = [];
  const root = await readChain(client, rootChainId, blockTimes);
  if (!root.exists && root.entries.length === 0) {
    if (root.inProcessList) pendingChains.push(rootChainId);
    else throw new AnoguardError('E_NO_IDENTITY', 'no such chain on this factomd', { field: 'CHAINID' });
  }
  const registration = await readChain(client, REGISTRATION_CHAIN_ID_HEX, blockTimes, {
    filter: (x) => x.length === 5 && x[2]?.toLowerCase() === rootChainId,
  });
  const base = { rootEntries: root.entries, registrationEntries: registration.entries, blockTimes, ...opts };
  let state = applyIdentityChains({ ...base, mgmtEntries: [] });
  if (state.managementChainId) {
    const mgmt = await readChain(client, state.managementChainId, blockTimes);
    if (mgmt.inProcessList && !mgmt.exists) pendingChains.push(state.managementChainId);
    state = applyIdentityChains({ ...base, mgmtEntries: mgmt.entries });
  }
  return { state, missingForPromotion: missingForPromotion(state), pendingChains };
}

/** Short human text of an identity state. */
export function formatShow(r: ShowResult): string {
  const s = r.state;
  const lines = [
    `identity        ${s.rootChainId}`,
    `key 1 (idKey)   ${s.identityKeys[0] ?? '(root chain invalid)'}`,
    `management      ${s.managementChainId ?? '(not registered)'}`,
    `signing key     ${s.blockSigningKey?.publicKey ?? '(none)'}`,
    `bitcoin keys    ${s.bitcoinKeys.length === 0 ? '(none)' : s.bitcoinKeys.map((b) => `L${b.keyLevel}:${b.hash160}`).join(' ')}`,
    `matryoshka      ${s.matryoshkaHash?.mhash ?? '(none)'}`,
    `coinbase (RCD)  ${s.coinbaseAddress?.rcdHash ?? '(none)'}`,
    `efficiency      ${(s.efficiency.value / 100).toFixed(2)} %${s.efficiency.height === undefined ? ' (default)' : ''}`,
    `promotable      ${r.missingForPromotion.length === 0 ? 'yes' : `no — missing ${r.missingForPromotion.join(', ')}`}`,
  ];
  if (r.pendingChains.length > 0) lines.push(`pending chains  ${r.pendingChains.join(' ')} (in the process list, not applied yet)`);
  if (s.rejected.length > 0) {
    lines.push('rejected entries (factomd ignored them):');
    for (const v of s.rejected) lines.push(`  ${v.chain} h${v.height} ${v.entryHash.slice(0, 16)}… ${v.type ?? ''} ${v.reason}`);
  }
  return lines.join('\n');
}

