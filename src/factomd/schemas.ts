import { z } from 'zod';

/*
 * The shapes factomd v6.17.1 actually sends (captured in shared/factomd-samples/), as zod schemas.
 * They are the single source of the response types, and the simulator parses its own answers with
 * them to prove it speaks the same dialect.
 *
 * Policy: strict on what a caller acts on (types, hex lengths, enums, bounded strings and arrays, so a
 * hostile node cannot make us hold megabytes in one field); tolerant of extra fields (z.object strips
 * unknown keys), because newer factomd releases add fields. Where factomd serialises an empty Go slice
 * as `null`, the schema accepts `null` and keeps it, so the wire shape stays faithful.
 */

// ---------------------------------------------------------------------------------------- building blocks

const HEX_RE = /^[0-9a-fA-F]*$/;

/** Hex of exactly `bytes` bytes. */
export const hexBytes = (bytes: number) =>
  z.string().length(bytes * 2, `expected ${bytes} bytes of hex (${bytes * 2} characters)`).regex(HEX_RE, 'expected hex');

/** Hex of at most `maxBytes` bytes, even length. */
export const hexUpTo = (maxBytes: number) =>
  z.string()
    .max(maxBytes * 2, `expected at most ${maxBytes} bytes of hex`)
    .regex(HEX_RE, 'expected hex')
    .refine((s) => s.length % 2 === 0, 'expected an even number of hex characters');

/** A 32-byte hash, chain ID, key MR or ed25519 public key in hex. */
export const hash32 = hexBytes(32);
/** Block heights, counts, small integers: safe, non-negative integers. */
export const uint = z.number().int().nonnegative();
/**
 * Unix nanoseconds and nanosecond durations. They exceed 2^53, so JSON.parse rounds them (to about
 * 256 ns); z.int() would reject them, hence the plain integer check. factomd has been seen reporting a
 * whole Unix time as a "duration" (previousminuteduration), so no upper bound.
 */
export const nanoseconds = z.number().refine(Number.isInteger, 'expected an integer number of nanoseconds');
/** A short human-readable string field (names, statuses, versions). */
export const shortText = z.string().max(256);
/** A human-readable Factom address (FA…/EC…): 52 base58 characters. */
export const publicAddress = z.string().regex(/^(FA|EC)[1-9A-HJ-NP-Za-km-z]{50}$/, 'expected a public FA… or EC… address');
/** factomd serialises an empty Go slice as null. */
const list = <T extends z.ZodType>(item: T, max: number) => z.array(item).max(max).nullable();

/** Large but bounded text dumps (process lists, summaries, control-panel dumps). */
const dumpText = z.string().max(4 * 1024 * 1024);

// ---------------------------------------------------------------------------------------- JSON-RPC envelope

export const rpcIdSchema = z.union([z.number(), z.string().max(256), z.null()]);

export const rpcErrorSchema = z.object({
  code: z.number().int(),
  message: z.string().max(1024),
  // factomd puts a string here ("Invalid Address"); other servers put objects. Kept as is.
  data: z.unknown().optional(),
});
export type RpcError = z.infer<typeof rpcErrorSchema>;

export const rpcResponseSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: rpcIdSchema.optional(),
  result: z.unknown().optional(),
  error: rpcErrorSchema.optional(),
});
export type RpcResponse = z.infer<typeof rpcResponseSchema>;

// ---------------------------------------------------------------------------------------- /v2 results

export const heightsSchema = z.object({
  directoryblockheight: uint,
  leaderheight: uint,
  entryblockheight: uint,
  entryheight: uint,
});
export type Heights = z.infer<typeof heightsSchema>;

export const currentMinuteSchema = z.object({
  leaderheight: uint,
  directoryblockheight: uint,
  /** 0–9, transiently 10 at the end of a block. */
  minute: z.number().int().min(0).max(10),
  currentblockstarttime: nanoseconds,
  currentminutestarttime: nanoseconds,
  currenttime: nanoseconds,
  directoryblockinseconds: uint,
  stalldetected: z.boolean(),
  faulttimeout: uint,
  roundtimeout: uint,
});
export type CurrentMinute = z.infer<typeof currentMinuteSchema>;

export const propertiesSchema = z.object({
  factomdversion: shortText,
  factomdapiversion: shortText,
});
export type Properties = z.infer<typeof propertiesSchema>;

export const roleSchema = z.enum(['Leader', 'Audit', 'Follower']);
export type Role = z.infer<typeof roleSchema>;

export const syncingSchema = z.object({
  status: z.enum(['Processing', 'Syncing EOMs', 'Syncing DBSigs']),
  received: uint.optional(),
  expected: uint.optional(),
  /** Identity chain IDs of the leaders whose EOM/DBSig has not arrived. */
  missing: list(hash32, 1000).optional(),
});
export type Syncing = z.infer<typeof syncingSchema>;

export const authsetSchema = z.object({
  leaders: list(z.object({
    id: hash32,
    vm: uint,
    listheight: uint,
    listlength: uint,
    nextnil: uint,
  }), 1000),
  audits: list(z.object({
    id: hash32,
    /** A heartbeat was seen; not proof that the node is alive (factomd-ops.md §11). */
    online: z.boolean(),
  }), 1000),
});
export type Authset = z.infer<typeof authsetSchema>;

export const electionsSchema = z.object({
  inprogress: z.boolean(),
  vmindex: z.number().int().optional(),
  fedindex: z.number().int().optional(),
  fedid: hash32.optional(),
  round: z.number().int().optional(),
});
export type Elections = z.infer<typeof electionsSchema>;

export const diagnosticsSchema = z.object({
  name: shortText,
  id: hash32,
  publickey: hash32,
  role: roleSchema,
  leaderheight: uint,
  currentminute: z.number().int().min(0).max(10),
  currentminuteduration: nanoseconds,
  previousminuteduration: nanoseconds,
  balancehash: hash32,
  tempbalancehash: hash32,
  lastblockfromdbstate: z.boolean(),
  syncing: syncingSchema,
  authset: authsetSchema,
  elections: electionsSchema,
});
export type Diagnostics = z.infer<typeof diagnosticsSchema>;

export const authorityStatusSchema = z.enum(['federated', 'audit', 'none', 'skeleton', 'NA']);

export const authoritySchema = z.object({
  chainid: hash32,
  manageid: hash32,
  matroyshka: hash32,
  signingkey: hash32,
  status: authorityStatusSchema,
  anchorkeys: list(z.object({
    blockchain: shortText,
    level: uint,
    keytype: uint,
    key: hexUpTo(64),
  }), 100),
  /** Hundredths of a percent: 10000 = 100.00 %. */
  efficiency: z.number().int().min(0).max(10000),
  coinbaseaddress: publicAddress,
});
export type Authority = z.infer<typeof authoritySchema>;

export const authoritiesSchema = z.object({ authorities: list(authoritySchema, 10_000) });
export type Authorities = z.infer<typeof authoritiesSchema>;

export const balanceSchema = z.object({ balance: z.number().int() });
export type Balance = z.infer<typeof balanceSchema>;

export const commitChainResultSchema = z.object({
  message: shortText,
  txid: hash32,
  entryhash: hash32,
  chainidhash: hash32.optional(),
});
export type CommitChainResult = z.infer<typeof commitChainResultSchema>;

export const commitEntryResultSchema = z.object({
  message: shortText,
  txid: hash32,
  entryhash: hash32,
});
export type CommitEntryResult = z.infer<typeof commitEntryResultSchema>;

export const revealResultSchema = z.object({
  message: shortText,
  entryhash: hash32,
  chainid: hash32,
});
export type RevealResult = z.infer<typeof revealResultSchema>;

/** An entry is at most 10 KiB of payload plus its header; 64 KiB bounds hostile answers. */
export const entrySchema = z.object({
  chainid: hash32,
  content: hexUpTo(64 * 1024),
  extids: list(hexUpTo(64 * 1024), 10_240),
});
export type Entry = z.infer<typeof entrySchema>;

export const entryBlockSchema = z.object({
  header: z.object({
    blocksequencenumber: uint,
    chainid: hash32,
    prevkeymr: hash32,
    timestamp: uint,
    dbheight: uint,
  }),
  entrylist: list(z.object({ entryhash: hash32, timestamp: uint }), 100_000),
});
export type EntryBlock = z.infer<typeof entryBlockSchema>;

export const chainHeadSchema = z.object({
  chainhead: z.union([hash32, z.literal('')]),
  chaininprocesslist: z.boolean(),
});
export type ChainHead = z.infer<typeof chainHeadSchema>;

export const ackStatusSchema = z.enum(['Invalid', 'Unknown', 'NotConfirmed', 'TransactionACK', '1Minute', 'DBlockConfirmed']);
export type AckStatus = z.infer<typeof ackStatusSchema>;

const ackDetailSchema = z.object({
  status: ackStatusSchema,
  transactiondate: uint.optional(),
  transactiondatestring: shortText.optional(),
  blockdate: uint.optional(),
  blockdatestring: shortText.optional(),
});

/** Entry acks carry commit and entry parts; factoid acks carry txid and one status. */
const hashOrEmpty = z.union([hash32, z.literal('')]);
export const ackSchema = z.object({
  // factomd leaves a hash empty while it does not know it yet (e.g. the entry of an unrevealed commit).
  committxid: hashOrEmpty.optional(),
  entryhash: hashOrEmpty.optional(),
  commitdata: ackDetailSchema.optional(),
  entrydata: ackDetailSchema.optional(),
  txid: hash32.optional(),
  status: ackStatusSchema.optional(),
  transactiondate: uint.optional(),
  blockdate: uint.optional(),
});
export type Ack = z.infer<typeof ackSchema>;

export const pendingEntriesSchema = list(z.object({
  entryhash: hash32,
  chainid: hash32,
  status: shortText,
}), 100_000);
export type PendingEntries = z.infer<typeof pendingEntriesSchema>;

export const pendingTransactionsSchema = list(z.object({
  transactionid: hash32,
  dbheight: uint.optional(),
  status: shortText,
  fees: z.number().int().optional(),
}), 100_000);
export type PendingTransactions = z.infer<typeof pendingTransactionsSchema>;

export const directoryBlockHeadSchema = z.object({ keymr: hash32 });
export type DirectoryBlockHead = z.infer<typeof directoryBlockHeadSchema>;

/** Raw blocks are bounded by the DBlock/ABlock sizes factomd produces; 4 MiB of hex is generous. */
const rawData = hexUpTo(2 * 1024 * 1024);

export const dblockByHeightSchema = z.object({
  dblock: z.object({
    dbhash: hash32,
    keymr: hash32,
    headerhash: hash32.optional(),
    header: z.object({
      version: uint,
      networkid: uint,
      bodymr: hash32,
      prevkeymr: hash32,
      prevfullhash: hash32,
      /** Minutes since the Unix epoch (not seconds). */
      timestamp: uint,
      dbheight: uint,
      blockcount: uint,
      chainid: hash32,
    }),
    dbentries: list(z.object({ chainid: hash32, keymr: hash32 }), 1_000_000),
  }),
  rawdata: rawData.optional(),
});
export type DblockByHeight = z.infer<typeof dblockByHeightSchema>;

export const ablockByHeightSchema = z.object({
  ablock: z.object({
    header: z.object({
      prevbackrefhash: hash32,
      dbheight: uint,
      headerexpansionsize: uint,
      headerexpansionarea: hexUpTo(64 * 1024),
      messagecount: uint,
      bodysize: uint,
      adminchainid: hash32,
      chainid: hash32,
    }),
    // Admin entries have one shape per adminidtype; only the type is guaranteed, the rest kept loose.
    abentries: list(z.looseObject({ adminidtype: uint }), 100_000),
    backreferencehash: hash32,
    lookuphash: hash32,
  }),
  rawdata: rawData.optional(),
});
export type AblockByHeight = z.infer<typeof ablockByHeightSchema>;

export const tpsRateSchema = z.object({ totaltxrate: z.number().nonnegative(), instanttxrate: z.number().nonnegative() });
export type TpsRate = z.infer<typeof tpsRateSchema>;

export const entryCreditRateSchema = z.object({ rate: uint });
export type EntryCreditRate = z.infer<typeof entryCreditRateSchema>;

/** Result schema of every /v2 method the client exposes, by method name. */
export const v2ResultSchemas = {
  heights: heightsSchema,
  'current-minute': currentMinuteSchema,
  properties: propertiesSchema,
  diagnostics: diagnosticsSchema,
  authorities: authoritiesSchema,
  'entry-credit-balance': balanceSchema,
  'factoid-balance': balanceSchema,
  'commit-chain': commitChainResultSchema,
  'commit-entry': commitEntryResultSchema,
  'reveal-chain': revealResultSchema,
  'reveal-entry': revealResultSchema,
  entry: entrySchema,
  'entry-block': entryBlockSchema,
  'chain-head': chainHeadSchema,
  ack: ackSchema,
  'pending-entries': pendingEntriesSchema,
  'pending-transactions': pendingTransactionsSchema,
  'directory-block-head': directoryBlockHeadSchema,
  'dblock-by-height': dblockByHeightSchema,
  'ablock-by-height': ablockByHeightSchema,
  'tps-rate': tpsRateSchema,
  'entry-credit-rate': entryCreditRateSchema,
} as const;
export type V2Method = keyof typeof v2ResultSchemas;

// ---------------------------------------------------------------------------------------- /debug results

export const networkInfoSchema = z.object({
  NodeName: shortText,
  Role: roleSchema,
  NetworkNumber: uint,
  NetworkName: shortText,
  /** MAIN 0xFA92E5A2, TEST …A3, LOCAL …A4. */
  NetworkID: uint,
});
export type NetworkInfo = z.infer<typeof networkInfoSchema>;

export const debugSummarySchema = z.object({ Summary: dumpText });
export type DebugSummary = z.infer<typeof debugSummarySchema>;

export const serverEntrySchema = z.object({
  ChainID: hash32,
  Name: shortText,
  /** Not a liveness signal: a missing leader stays Online (factomd-ops.md §11). */
  Online: z.boolean(),
  Replace: z.unknown().optional(),
});
export type ServerEntry = z.infer<typeof serverEntrySchema>;

export const federatedServersSchema = z.object({ FederatedServers: list(serverEntrySchema, 1000) });
export type FederatedServers = z.infer<typeof federatedServersSchema>;
export const auditServersSchema = z.object({ AuditServers: list(serverEntrySchema, 1000) });
export type AuditServers = z.infer<typeof auditServersSchema>;
export const debugCurrentMinuteSchema = z.object({ Minute: z.number().int().min(0).max(10) });
export const processListSchema = z.object({ ProcessList: dumpText });
export const predictiveFerSchema = z.object({ PredictiveFER: uint });
export const delaySchema = z.object({ Delay: z.number().int() });
export const dropRateSchema = z.object({ DropRate: z.number().int() });
export const debugMessagesSchema = z.object({ Messages: list(z.unknown(), 100_000) });

const confStr = z.string().max(4096);
/**
 * `configuration` returns the whole parsed factomd.conf, secrets included. Only the keys anoguard
 * reasons about are typed; the rest of each section passes through (looseObject) untouched.
 */
export const debugConfigurationSchema = z.looseObject({
  App: z.looseObject({
    PortNumber: uint,
    ControlPanelPort: uint.optional(),
    ControlPanelSetting: confStr,
    DirectoryBlockInSeconds: uint.optional(),
    NodeMode: confStr.optional(),
    IdentityChainID: confStr,
    LocalServerPrivKey: confStr,
    LocalServerPublicKey: confStr,
    Network: confStr,
    FactomdTlsEnabled: z.boolean(),
    FactomdRpcUser: confStr,
    FactomdRpcPass: confStr,
    ChangeAcksHeight: uint,
  }),
  Walletd: z.looseObject({}).optional(),
});
export type DebugConfiguration = z.infer<typeof debugConfigurationSchema>;

export const debugResultSchemas = {
  'network-info': networkInfoSchema,
  summary: debugSummarySchema,
  'federated-servers': federatedServersSchema,
  'audit-servers': auditServersSchema,
  authorities: authoritiesSchema,
  'current-minute': debugCurrentMinuteSchema,
  'process-list': processListSchema,
  'predictive-fer': predictiveFerSchema,
  delay: delaySchema,
  'drop-rate': dropRateSchema,
  'holding-queue': debugMessagesSchema,
  messages: debugMessagesSchema,
  configuration: debugConfigurationSchema,
} as const;
export type DebugMethod = keyof typeof debugResultSchemas;

// ---------------------------------------------------------------------------------------- control panel

export const cpHeightSchema = z.object({ Height: uint });
export const cpServerCountSchema = z.object({ fed: uint, aud: uint });
export const cpPeerTotalsSchema = z.object({
  PeerQualityAvg: z.number(),
  BytesSentTotal: z.number().nonnegative(),
  BytesReceivedTotal: z.number().nonnegative(),
  MessagesSent: z.number().nonnegative(),
  MessagesReceived: z.number().nonnegative(),
  BPSDown: z.number().nonnegative(),
  BPSUp: z.number().nonnegative(),
});
/** Peer records vary by version; each is an object, at most a few thousand. */
export const cpPeersSchema = z.array(z.looseObject({})).max(10_000).nullable();
export const cpRecentTransactionsSchema = z.looseObject({
  DirectoryBlock: z.looseObject({ KeyMR: z.string().max(64), DBHeight: z.string().max(20) }).optional(),
  FactoidTransactions: list(z.looseObject({}), 10_000).optional(),
  Entries: list(z.looseObject({}), 10_000).optional(),
  LastHeightChecked: uint.optional(),
});
export const cpIgnoreDoneSchema = z.object({ IgnoreDone: z.boolean() });
export const cpChannelLengthSchema = z.object({ length: uint });
export const cpNextNodeSchema = z.number().int();
const dumpSection = z.record(z.string().max(64), dumpText);
export const cpDataDumpSchema = z.object({
  DataDump1: dumpSection,
  DataDump2: dumpSection,
  DataDump3: dumpSection,
  DataDump4: dumpSection,
  DataDump5: dumpSection.optional(),
  ElectionDataDump: dumpSection.optional(),
  LogSettingsDump: dumpSection.optional(),
});
export type CpDataDump = z.infer<typeof cpDataDumpSchema>;

/**
 * The read-only items of `/factomd?item=`. State-changing items (`disconnect`) are deliberately
 * absent, so the client cannot send them.
 */
export const controlPanelItemSchemas = {
  myHeight: cpHeightSchema,
  leaderHeight: cpHeightSchema,
  completeHeight: cpHeightSchema,
  servercount: cpServerCountSchema,
  peers: cpPeersSchema,
  peerTotals: cpPeerTotalsSchema,
  recentTransactions: cpRecentTransactionsSchema,
  ignoreDone: cpIgnoreDoneSchema,
  channelLength: cpChannelLengthSchema,
  nextNode: cpNextNodeSchema,
  dataDump: cpDataDumpSchema,
} as const;
export type ControlPanelItem = keyof typeof controlPanelItemSchemas;
export type ControlPanelValue<K extends ControlPanelItem> = z.infer<(typeof controlPanelItemSchemas)[K]>;

// ---------------------------------------------------------------------------------------- walletd

export const walletdPropertiesSchema = z.object({
  walletversion: shortText,
  walletapiversion: shortText,
});
export type WalletdProperties = z.infer<typeof walletdPropertiesSchema>;

/** walletd answers `address` with the secret too; the client checks its form and drops it. */
export const walletdAddressSchema = z.object({
  public: publicAddress,
  secret: z.string().regex(/^(Fs|Es)[1-9A-HJ-NP-Za-km-z]{50}$/, 'expected a secret Fs… or Es… address'),
});

const composedCallSchema = <M extends string, P extends z.ZodType>(method: M, params: P) => z.object({
  jsonrpc: z.literal('2.0'),
  id: rpcIdSchema.optional(),
  method: z.literal(method),
  params,
});

/** commit-chain message is 200 bytes, commit-entry 136; reveals are the marshalled entry (≤ 10 KiB payload). */
export const composeChainSchema = z.object({
  commit: composedCallSchema('commit-chain', z.object({ message: hexBytes(200) })),
  reveal: composedCallSchema('reveal-chain', z.object({ entry: hexUpTo(64 * 1024) })),
});
export type ComposeChain = z.infer<typeof composeChainSchema>;

export const composeEntrySchema = z.object({
  commit: composedCallSchema('commit-entry', z.object({ message: hexBytes(136) })),
  reveal: composedCallSchema('reveal-entry', z.object({ entry: hexUpTo(64 * 1024) })),
});
export type ComposeEntry = z.infer<typeof composeEntrySchema>;
