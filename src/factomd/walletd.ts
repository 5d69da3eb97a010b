import { InputError } from '../errors.js';
import { createRpcCaller } from './rpc.js';
import { createTransport, type ConnectionOptions } from './transport.js';
import { requireHash32, requirePublicAddress, type FactomdClient } from './client.js';
import {
  walletdPropertiesSchema, walletdAddressSchema, composeChainSchema, composeEntrySchema,
  type WalletdProperties, type ComposeChain, type ComposeEntry, type Balance,
} from './schemas.js';

export interface WalletdClientOptions extends ConnectionOptions {
  /** Balances are factomd's knowledge, not walletd's; give the factomd client to ask. */
  factomd?: Pick<FactomdClient, 'entryCreditBalance'>;
}

/** Entry content for compose-*: ext IDs and content as hex, as walletd expects. */
export interface ComposeEntryInput {
  extIdsHex: readonly string[];
  contentHex: string;
}

export interface WalletdClient {
  readonly url: string;
  properties(): Promise<WalletdProperties>;
  /**
   * Whether walletd holds the secret for a public address. walletd answers with the secret itself;
   * the client checks its form and drops it, so it never reaches the caller, a log or a crash dump.
   */
  address(publicAddress: string): Promise<{ public: string; hasSecret: true }>;
  /** The commit-chain and reveal-chain calls for a new chain paid by `ecAddress` (held by walletd). Never retried. */
  composeChain(firstEntry: ComposeEntryInput, ecAddress: string): Promise<ComposeChain>;
  /** The commit-entry and reveal-entry calls for an entry in `chainId`. Never retried. */
  composeEntry(chainId: string, entry: ComposeEntryInput, ecAddress: string): Promise<ComposeEntry>;
  /** Asks factomd (walletd has no balance of its own). */
  entryCreditBalance(ecAddress: string): Promise<Balance>;
}

const MAX_ENTRY_BYTES = 10_240;

function entryParams(e: ComposeEntryInput): { extids: string[]; content: string } {
  const hex = (v: unknown, field: string) => {
    if (typeof v !== 'string' || !/^[0-9a-fA-F]*$/.test(v) || v.length % 2 !== 0) {
      throw new InputError('E_FACTOMD_ARG', 'expected hex with an even number of digits', { field });
    }
    return v.toLowerCase();
  };
  if (!Array.isArray(e?.extIdsHex)) throw new InputError('E_FACTOMD_ARG', 'expected an array of hex ext IDs', { field: 'extIdsHex' });
  const extids = e.extIdsHex.map((x, i) => hex(x, `extIdsHex.${i}`));
  const content = hex(e.contentHex, 'contentHex');
  // factomd's limit: the payload (2 bytes per ext ID + ext IDs + content) is at most 10 240 bytes.
  const payload = extids.reduce((n, x) => n + 2 + x.length / 2, 0) + content.length / 2;
  if (payload > MAX_ENTRY_BYTES) throw new InputError('E_FACTOMD_ARG', `entry payload is ${payload} bytes; the limit is ${MAX_ENTRY_BYTES}`, { field: 'entry' });
  return { extids, content };
}

/** Client for factom-walletd's JSON-RPC `/v2` (port 8089 by default). */
export function createWalletdClient(opts: WalletdClientOptions): WalletdClient {
  const { factomd, ...conn } = opts;
  const transport = createTransport(conn);
  const rpc = createRpcCaller(transport, '/v2');
  return {
    url: transport.origin,
    properties: () => rpc('properties', undefined, walletdPropertiesSchema, true),
    address: async (a) => {
      const pub = a.startsWith('E') ? requirePublicAddress(a, 'address', 'EC') : requirePublicAddress(a, 'address', 'FA');
      const r = await rpc('address', { address: pub }, walletdAddressSchema, true);
      return { public: r.public, hasSecret: true };
    },
    composeChain: async (first, ec) => rpc('compose-chain', {
      chain: { firstentry: entryParams(first) },
      ecpub: requirePublicAddress(ec, 'ecAddress', 'EC'),
    }, composeChainSchema, false),
    composeEntry: async (chainId, e, ec) => rpc('compose-entry', {
      entry: { chainid: requireHash32(chainId, 'chainId'), ...entryParams(e) },
      ecpub: requirePublicAddress(ec, 'ecAddress', 'EC'),
    }, composeEntrySchema, false),
    entryCreditBalance: async (ec) => {
      if (!factomd) throw new InputError('E_FACTOMD_ARG', 'balances come from factomd: pass a factomd client to createWalletdClient', { field: 'factomd' });
      return factomd.entryCreditBalance(ec);
    },
  };
}
