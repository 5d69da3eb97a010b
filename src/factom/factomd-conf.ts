import { readGcfg, zeroGcfgValues, type GcfgEntry, type GcfgFatal, type GcfgReadResult, type GcfgSchema, type GcfgType, type GcfgValues, type GcfgWarning } from './gcfg.js';

/**
 * factomd's config struct (`util.FactomdConfig`, factomd v6.17.1) and its load semantics
 * (`util.ReadConfig`, factomd-ops.md §1.1). The struct is a gcfg schema rather than a zod schema
 * because what matters here is the Go field type (it decides gcfg's parsing and error wording);
 * the TypeScript type is inferred from this one table all the same.
 */
export const FACTOMD_CONF_SCHEMA = [
  {
    name: 'App',
    fields: [
      { name: 'PortNumber', type: 'int' },
      { name: 'HomeDir', type: 'string' },
      { name: 'ControlPanelPort', type: 'int' },
      { name: 'ControlPanelFilesPath', type: 'string' },
      { name: 'ControlPanelSetting', type: 'string' },
      { name: 'DBType', type: 'string' },
      { name: 'LdbPath', type: 'string' },
      { name: 'BoltDBPath', type: 'string' },
      { name: 'DataStorePath', type: 'string' },
      { name: 'DirectoryBlockInSeconds', type: 'int' },
      { name: 'ExportData', type: 'bool' },
      { name: 'ExportDataSubpath', type: 'string' },
      { name: 'FastBoot', type: 'bool' },
      { name: 'FastBootLocation', type: 'string' },
      { name: 'NodeMode', type: 'string' },
      { name: 'IdentityChainID', type: 'string' },
      { name: 'LocalServerPrivKey', type: 'string' },
      { name: 'LocalServerPublicKey', type: 'string' },
      { name: 'ExchangeRate', type: 'uint64' },
      { name: 'ExchangeRateChainId', type: 'string' },
      { name: 'ExchangeRateAuthorityPublicKey', type: 'string' },
      { name: 'ExchangeRateAuthorityPublicKeyMainNet', type: 'string' },
      { name: 'ExchangeRateAuthorityPublicKeyTestNet', type: 'string' },
      { name: 'ExchangeRateAuthorityPublicKeyLocalNet', type: 'string' },
      { name: 'BitcoinAnchorRecordPublicKeys', type: 'string', multi: true },
      { name: 'EthereumAnchorRecordPublicKeys', type: 'string', multi: true },
      { name: 'Network', type: 'string' },
      { name: 'MainNetworkPort', type: 'string' },
      { name: 'PeersFile', type: 'string' },
      { name: 'MainSeedURL', type: 'string' },
      { name: 'MainSpecialPeers', type: 'string' },
      { name: 'TestNetworkPort', type: 'string' },
      { name: 'TestSeedURL', type: 'string' },
      { name: 'TestSpecialPeers', type: 'string' },
      { name: 'LocalNetworkPort', type: 'string' },
      { name: 'LocalSeedURL', type: 'string' },
      { name: 'LocalSpecialPeers', type: 'string' },
      { name: 'CustomNetworkPort', type: 'string' },
      { name: 'CustomSeedURL', type: 'string' },
      { name: 'CustomSpecialPeers', type: 'string' },
      { name: 'CustomBootstrapIdentity', type: 'string' },
      { name: 'CustomBootstrapKey', type: 'string' },
      { name: 'P2PIncoming', type: 'int' },
      { name: 'P2POutgoing', type: 'int' },
      { name: 'FactomdTlsEnabled', type: 'bool' },
      { name: 'FactomdTlsPrivateKey', type: 'string' },
      { name: 'FactomdTlsPublicCert', type: 'string' },
      { name: 'FactomdRpcUser', type: 'string' },
      { name: 'FactomdRpcPass', type: 'string' },
      { name: 'RequestTimeout', type: 'int' },
      { name: 'RequestLimit', type: 'int' },
      { name: 'CorsDomains', type: 'string' },
      { name: 'ChangeAcksHeight', type: 'uint32' },
    ],
  },
  {
    name: 'Peer',
    fields: [
      { name: 'AddPeers', type: 'string', multi: true },
      { name: 'ConnectPeers', type: 'string', multi: true },
      { name: 'Listeners', type: 'string', multi: true },
      { name: 'MaxPeers', type: 'int' },
      { name: 'BanDuration', type: 'time.Duration' },
      { name: 'TestNet', type: 'bool' },
      { name: 'SimNet', type: 'bool' },
    ],
  },
  {
    name: 'Log',
    fields: [
      { name: 'LogPath', type: 'string' },
      { name: 'LogLevel', type: 'string' },
      { name: 'ConsoleLogLevel', type: 'string' },
    ],
  },
  {
    name: 'Wallet',
    fields: [
      { name: 'Address', type: 'string' },
      { name: 'Port', type: 'int' },
      { name: 'DataFile', type: 'string' },
      { name: 'RefreshInSeconds', type: 'string' },
      { name: 'BoltDBPath', type: 'string' },
      { name: 'FactomdAddress', type: 'string' },
      { name: 'FactomdPort', type: 'int' },
    ],
  },
  {
    name: 'Walletd',
    fields: [
      { name: 'WalletRpcUser', type: 'string' },
      { name: 'WalletRpcPass', type: 'string' },
      { name: 'WalletTlsEnabled', type: 'bool' },
      { name: 'WalletTlsPrivateKey', type: 'string' },
      { name: 'WalletTlsPublicCert', type: 'string' },
      { name: 'FactomdLocation', type: 'string' },
      { name: 'WalletdLocation', type: 'string' },
      { name: 'WalletEncrypted', type: 'bool' },
    ],
  },
  {
    name: 'LiveFeedAPI',
    fields: [
      { name: 'EnableLiveFeedAPI', type: 'bool' },
      { name: 'EventReceiverProtocol', type: 'string' },
      { name: 'EventReceiverHost', type: 'string' },
      { name: 'EventReceiverPort', type: 'int' },
      { name: 'EventSenderPort', type: 'int' },
      { name: 'EventFormat', type: 'string' },
      { name: 'EventReplayDuringStartup', type: 'bool' },
      { name: 'EventSendStateChange', type: 'bool' },
      { name: 'EventBroadcastContent', type: 'string' },
      { name: 'PersistentReconnect', type: 'bool' },
    ],
  },
] as const satisfies GcfgSchema;

type Schema = typeof FACTOMD_CONF_SCHEMA;
type FieldValue<F> = F extends { multi: true } ? string[]
  : F extends { type: infer T extends GcfgType } ? (T extends 'string' ? string : T extends 'bool' ? boolean : number) : never;
type SectionValues<S extends Schema[number]> = { [F in S['fields'][number] as F['name']]: FieldValue<F> };
/** The parsed config, by Go section and field name (`config.App.ChangeAcksHeight`). */
export type FactomdConfig = { [S in Schema[number] as S['name']]: SectionValues<S> };
export type FactomdSectionName = Schema[number]['name'];

/** The public, well-known block-signing key of factomd's defaults (anyone can sign with it). */
export const DEFAULT_LOCAL_SERVER_PRIV_KEY = '4c38c72fc5cdad68f13b74674d3ffb1f3d63a112710868c9b08946553448d26d';
export const DEFAULT_LOCAL_SERVER_PUBLIC_KEY = 'cc1985cdfae4e32b5a454dfda8ce5e1361558482684f3367649c3ad852c8e31a';

/** Anchor keys factomd fills in when the config leaves the lists empty (util.ReadConfig). */
const DEFAULT_BITCOIN_ANCHOR_KEYS = [
  '0426a802617848d4d16d87830fc521f4d136bb2d0c352850919c2679f189613a',
  'd569419348ed7056ec2ba54f0ecd9eea02648b260b26e0474f8c07fe9ac6bf83',
];
const DEFAULT_ETHEREUM_ANCHOR_KEYS = ['a4a7905ab2226f267c6b44e1d5db2c97638b7bbba72fd1823d053ccff2892455'];

/**
 * The values of factomd's built-in `defaultConfig` (util/config.go). Only these keys are reset when
 * factomd falls back to its defaults; keys absent here (IdentityChainID, ExchangeRate, the anchor
 * lists, ControlPanelFilesPath, ExchangeRateAuthorityPublicKey, [Peer], [Wallet]) keep whatever
 * was read before the error.
 */
export const FACTOMD_DEFAULT_CONFIG_TEXT = `[app]
PortNumber = 8088
HomeDir = ""
ControlPanelSetting = readonly
ControlPanelPort = 8090
DBType = "LDB"
LdbPath = "database/ldb"
BoltDBPath = "database/bolt"
DataStorePath = "data/export"
DirectoryBlockInSeconds = 6
ExportData = false
ExportDataSubpath = "database/export/"
FastBoot = true
FastBootLocation = ""
Network = MAIN
PeersFile = "peers.json"
MainNetworkPort = 8108
MainSeedURL = "https://raw.githubusercontent.com/FactomProject/factomproject.github.io/master/seed/mainseed.txt"
MainSpecialPeers = ""
TestNetworkPort = 8109
TestSeedURL = "https://raw.githubusercontent.com/FactomProject/factomproject.github.io/master/seed/testseed.txt"
TestSpecialPeers = ""
LocalNetworkPort = 8110
LocalSeedURL = "https://raw.githubusercontent.com/FactomProject/factomproject.github.io/master/seed/localseed.txt"
LocalSpecialPeers = ""
CustomNetworkPort = 8110
CustomSeedURL = ""
CustomSpecialPeers = ""
CustomBootstrapIdentity = 38bab1455b7bd7e5efd15c53c777c79d0c988e9210f1da49a99d95b3a6417be9
CustomBootstrapKey = cc1985cdfae4e32b5a454dfda8ce5e1361558482684f3367649c3ad852c8e31a
P2PIncoming = 200
P2POutgoing = 32
NodeMode = FULL
LocalServerPrivKey = ${DEFAULT_LOCAL_SERVER_PRIV_KEY}
LocalServerPublicKey = ${DEFAULT_LOCAL_SERVER_PUBLIC_KEY}
ExchangeRateChainId = 111111118d918a8be684e0dac725493a75862ef96d2d3f43f84b26969329bf03
ExchangeRateAuthorityPublicKeyMainNet = daf5815c2de603dbfa3e1e64f88a5cf06083307cf40da4a9b539c41832135b4a
ExchangeRateAuthorityPublicKeyTestNet = 1d75de249c2fc0384fb6701b30dc86b39dc72e5a47ba4f79ef250d39e21e7a4f
ExchangeRateAuthorityPublicKeyLocalNet = 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29
FactomdTlsEnabled = false
FactomdTlsPrivateKey = "/full/path/to/factomdAPIpriv.key"
FactomdTlsPublicCert = "/full/path/to/factomdAPIpub.cert"
FactomdRpcUser = ""
FactomdRpcPass = ""
RequestTimeout = 30
RequestLimit = 200
CorsDomains = ""
ChangeAcksHeight = 0

[log]
logLevel = error
LogPath = "database/Log"
ConsoleLogLevel = standard

[Walletd]
WalletRpcUser = ""
WalletRpcPass = ""
WalletTlsEnabled = false
WalletTlsPrivateKey = "/full/path/to/walletAPIpriv.key"
WalletTlsPublicCert = "/full/path/to/walletAPIpub.cert"
FactomdLocation = "localhost:8088"
WalletdLocation = "localhost:8089"
WalletEncrypted = false

[LiveFeedAPI]
EnableLiveFeedAPI = false
EventReceiverProtocol = tcp
EventReceiverHost = 127.0.0.1
EventReceiverPort = 8040
EventSenderPort = 8040
EventFormat = protobuf
EventReplayDuringStartup = false
EventSendStateChange = false
EventBroadcastContent = once
PersistentReconnect = false
`;

function applyDefaults(into: GcfgValues): void {
  // Our own constant: a failure here is a bug in this file, caught by the tests.
  readGcfg(FACTOMD_CONF_SCHEMA, FACTOMD_DEFAULT_CONFIG_TEXT, { into, skipBom: false });
}

/** The config exactly as factomd's built-in defaults give it (before ReadConfig's post-processing). */
export function factomdDefaultConfig(): FactomdConfig {
  const v = zeroGcfgValues(FACTOMD_CONF_SCHEMA);
  applyDefaults(v);
  return v as FactomdConfig;
}

/**
 * The file alone, read against factomd's struct (no defaults): every entry with its position,
 * gcfg's warnings (ignored keys and sections) and the fatal error if any. For lint and editors;
 * use loadFactomdConfig for what factomd ends up running with.
 */
export function parseFactomdConf(text: string | Uint8Array, opts: { path?: string } = {}): GcfgReadResult {
  return readGcfg(FACTOMD_CONF_SCHEMA, text, { filename: opts.path ?? '' });
}

export interface LoadFactomdConfigOptions {
  /** The path factomd was given (after its `-config` resolution); it prefixes error positions. */
  path: string;
  /** What `os.Open` said when `text` is undefined; default `open <path>: no such file or directory`. */
  openError?: string;
  /**
   * The user's home directory (or $FACTOM_HOME). When given, HomeDir and FastBootLocation are
   * resolved as ReadConfig does (`<home>/.factom/m2/`); otherwise they are left as read.
   */
  homeDir?: string;
}

export interface FactomdConfigLoad {
  config: FactomdConfig;
  /** Present when factomd would fall back to defaults: the four lines it prints on stdout, and why. */
  fallback?: { lines: [string, string, string, string]; error: string; fatal?: GcfgFatal };
  /** What gcfg would warn about and factomd silently ignores: unknown sections and keys. */
  warnings: GcfgWarning[];
  /** Every key line read, with positions (up to a fatal error). */
  entries: GcfgEntry[];
}

/**
 * factomd's `util.ReadConfig`: built-in defaults, then the file on top. A missing file or a fatal
 * gcfg error prints the 4-line fallback message and re-applies the defaults over what was read,
 * which is why keys absent from the defaults (IdentityChainID) keep a value read above the error.
 * Then the network's exchange-rate key is selected and empty anchor-key lists are filled.
 * Pure: `text` is the file's content, or undefined when it could not be opened.
 */
export function loadFactomdConfig(text: string | Uint8Array | undefined, opts: LoadFactomdConfigOptions): FactomdConfigLoad {
  const values = zeroGcfgValues(FACTOMD_CONF_SCHEMA);
  applyDefaults(values);
  let error: string | undefined;
  let fatal: GcfgFatal | undefined;
  let warnings: GcfgWarning[] = [];
  let entries: GcfgEntry[] = [];
  if (text === undefined) {
    error = opts.openError ?? `open ${opts.path}: no such file or directory`;
  } else {
    const r = readGcfg(FACTOMD_CONF_SCHEMA, text, { filename: opts.path, into: values });
    warnings = r.warnings;
    entries = r.entries;
    if (r.fatal) {
      fatal = r.fatal;
      error = r.fatal.text;
    }
  }
  if (error !== undefined) applyDefaults(values);

  const config = values as FactomdConfig;
  const app = config.App;
  if (opts.homeDir !== undefined) {
    app.HomeDir = `${app.HomeDir.length < 1 ? opts.homeDir : app.HomeDir}/.factom/m2/`;
    if (app.FastBootLocation.length < 1) app.FastBootLocation = app.HomeDir;
  }
  // Exact, case-sensitive match as in factomd; other spellings leave the key as read.
  if (app.Network === 'MAIN') app.ExchangeRateAuthorityPublicKey = app.ExchangeRateAuthorityPublicKeyMainNet;
  else if (app.Network === 'TEST') app.ExchangeRateAuthorityPublicKey = app.ExchangeRateAuthorityPublicKeyTestNet;
  else if (app.Network === 'LOCAL') app.ExchangeRateAuthorityPublicKey = app.ExchangeRateAuthorityPublicKeyLocalNet;
  if (app.BitcoinAnchorRecordPublicKeys.length === 0) app.BitcoinAnchorRecordPublicKeys = [...DEFAULT_BITCOIN_ANCHOR_KEYS];
  if (app.EthereumAnchorRecordPublicKeys.length === 0) app.EthereumAnchorRecordPublicKeys = [...DEFAULT_ETHEREUM_ANCHOR_KEYS];

  const out: FactomdConfigLoad = { config, warnings, entries };
  if (error !== undefined) {
    out.fallback = {
      lines: [`Reading from '${opts.path}'`, 'Cannot open custom config file,', 'Starting with default settings.', error],
      error,
      ...(fatal ? { fatal } : {}),
    };
  }
  return out;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
export function editDistance(a0: string, b0: string): number {
  const a = a0.toLowerCase();
  const b = b0.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export interface KeySuggestion {
  section: FactomdSectionName;
  name: string;
  distance: number;
}

/**
 * The known key a written name most likely meant: an exact case-insensitive match in any section
 * first (a key in the wrong section), else the nearest name within a small edit distance (a typo),
 * preferring `section` on ties. Undefined when nothing is close.
 */
export function suggestFactomdKey(name: string, section?: string): KeySuggestion | undefined {
  let best: KeySuggestion | undefined;
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 4)));
  for (const s of FACTOMD_CONF_SCHEMA) {
    for (const f of s.fields) {
      const distance = editDistance(name, f.name);
      if (distance > limit) continue;
      const better = !best || distance < best.distance || (distance === best.distance && section !== undefined && s.name.toLowerCase() === section.toLowerCase());
      if (better) best = { section: s.name, name: f.name, distance };
    }
  }
  return best;
}

/** The section name as factomd's sample file spells it (`[app]`, `[log]`, `[Walletd]`). */
export function sectionHeaderName(section: FactomdSectionName): string {
  return section === 'App' ? 'app' : section === 'Log' ? 'log' : section;
}
