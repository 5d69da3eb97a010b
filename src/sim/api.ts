import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { checkCommit, checkCommitWindow, commitTxId, parseCommit } from '../factom/commit.js';
import { bytesToHex } from '../factom/bytes.js';
import { unmarshalEntry } from '../factom/entry.js';
import { parsePublicAddress } from '../factom/keys.js';
import type { AppConfig } from './conf.js';
import { authAt, isStalled, nowMs, refreshMinute, roleAt, type NodeState } from './state.js';

/**
 * The node's listeners, answering like factomd v6.17.1 (factomd-ops.md §3–§5, shapes from
 * shared/factomd-samples): JSON-RPC /v2, /debug (non-MAIN only), control panel, Prometheus /metrics.
 */

type RpcError = { code: number; message: string; data?: string };
class RpcFail extends Error {
  constructor(readonly err: RpcError) { super(err.message); }
}
const invalidParams = (data?: string): RpcFail => new RpcFail(data === undefined ? { code: -32602, message: 'Invalid params' } : { code: -32602, message: 'Invalid params', data });

const NS_MARK = '\u0000ns';
/** Nanosecond times exceed 2^53: emitted as exact integers through a marker, never as floats. */
function ns(ms: number): string {
  return `${NS_MARK}${(BigInt(Math.round(ms * 1000)) * 1000n).toString()}`;
}
function toJson(v: unknown): string {
  return JSON.stringify(v).replace(/"\\u0000ns(\d+)"/g, '$1');
}

const NETWORK_IDS: Record<string, { number: number; id: number }> = {
  MAIN: { number: 0, id: 0xfa92e5a2 }, TEST: { number: 1, id: 0xfa92e5a3 }, LOCAL: { number: 2, id: 0xfa92e5a4 }, CUSTOM: { number: 3, id: 0 },
};

function heightPrefix(h: number): string {
  return String(h).padStart(4, '0').slice(-4);
}

function authoritiesOf(s: NodeState, h: number): unknown[] {
  const a = authAt(s, h);
  const recs = new Map(s.authorities.map((r) => [r.chainid, r]));
  return [...a.fed.map((id) => [id, 'federated'] as const), ...a.audit.map((id) => [id, 'audit'] as const)].map(([id, status]) => {
    const r = recs.get(id);
    return {
      chainid: id, manageid: r?.manageid ?? '0'.repeat(64), matroyshka: r?.matroyshka ?? '0'.repeat(64), signingkey: r?.signingkey ?? '',
      status, anchorkeys: null, efficiency: r?.efficiency ?? 10000, coinbaseaddress: r?.coinbaseaddress ?? '',
    };
  });
}

/**
 * The true leader height: one ahead of the saved height during minute 0 of a block that started
 * normally (APIDOCS; case 3 "heights.leaderheight lags diagnostics.leaderheight by one except in
 * minute 0"), but not while a block is stuck at minute 0 (case 4: dbh 44 / leaderheight 45 / dl 46).
 */
function trueLeaderHeight(s: NodeState): number {
  return s.synced && s.minute === 0 && !s.stall && s.height > 0 ? s.height : Math.max(0, s.height - 1);
}

function currentMinute(s: NodeState): Record<string, unknown> {
  return {
    leaderheight: trueLeaderHeight(s),
    directoryblockheight: Math.max(0, s.height - 1),
    minute: s.minute,
    currentblockstarttime: s.blockStartMs === 0 ? 0 : ns(s.blockStartMs),
    currentminutestarttime: s.minuteStartMs === 0 ? 0 : ns(s.minuteStartMs),
    currenttime: ns(nowMs(s)),
    directoryblockinseconds: s.blockTimeMs / 1000,
    stalldetected: isStalled(s),
    faulttimeout: 120,
    roundtimeout: 30,
  };
}

function diagnostics(s: NodeState): Record<string, unknown> {
  const a = authAt(s, Math.max(s.height, 1));
  const h = heightPrefix(s.height);
  const bh = createHash('sha256').update(`balance|${s.height}`).digest('hex').slice(4);
  const missing = new Set(s.stall?.missing ?? []);
  const listLen = s.synced ? s.minute + 1 : 0;
  return {
    name: 'FNode0',
    id: s.identity,
    publickey: s.publicKey,
    role: roleAt(s, s.height),
    leaderheight: s.height,
    currentminute: s.minute,
    currentminuteduration: s.minuteStartMs === 0 ? 0 : Math.max(0, Math.round((nowMs(s) - s.minuteStartMs) * 1e6)),
    // factomd v6.17.1 reports the minute's start time here, not a duration (seen in every sample).
    previousminuteduration: s.minuteStartMs === 0 ? 0 : ns(s.minuteStartMs),
    balancehash: `${h}${bh}`,
    tempbalancehash: `${h}5dbc339e7316aea2683faf839c1b7b1ee2313db792112588118df066aa35`,
    lastblockfromdbstate: s.lastBlockFromDbState,
    syncing: s.synced && s.stall ? s.stall : { status: 'Processing' },
    authset: {
      leaders: a.fed.map((id, vm) => ({ id, vm, listheight: missing.has(id) ? 0 : listLen, listlength: missing.has(id) ? 0 : listLen, nextnil: 0 })),
      audits: a.audit.length === 0 ? null : a.audit.map((id) => ({ id, online: s.onlineAudits.includes(id) })),
    },
    elections: { inprogress: false },
  };
}

function summaryLine(s: NodeState): string {
  const role = roleAt(s, s.height);
  const a = authAt(s, Math.max(s.height, 1));
  const flag = role === 'Leader' ? `L___vm${String(a.fed.indexOf(s.identity)).padStart(2, '0')}` : role === 'Audit' ? 'A___    ' : '____    ';
  const saved = Math.max(0, s.height - 1);
  return `    FNode0[${s.identity.slice(6, 12)}] ${flag}  0/ 0  0.0%  0.000     ${saved}[000000] ${saved}/${s.height}/${saved + 2}         ${s.minute}/ ${s.minute}`;
}

function configurationOf(c: AppConfig, home: string, network: string): Record<string, unknown> {
  const base = `${home}/`;
  const net = network.toLowerCase();
  // The config as loaded at boot, secrets included, as factomd's debug API returns it on non-MAIN (§3.4).
  return {
    App: {
      PortNumber: c.PortNumber, HomeDir: base, ControlPanelPort: c.ControlPanelPort, ControlPanelFilesPath: base,
      ControlPanelSetting: c.ControlPanelSetting, DBType: c.DBType, LdbPath: `${base}${net}-database/ldb`, BoltDBPath: `${base}${net}-database/bolt`,
      DataStorePath: `${base}${net}-data/export`, DirectoryBlockInSeconds: c.DirectoryBlockInSeconds, ExportData: false,
      ExportDataSubpath: `${base}${net}-database/export/`, FastBoot: true, FastBootLocation: base, NodeMode: c.NodeMode,
      IdentityChainID: c.IdentityChainID, LocalServerPrivKey: c.LocalServerPrivKey, LocalServerPublicKey: c.LocalServerPublicKey,
      ExchangeRate: 0, ExchangeRateChainId: '111111118d918a8be684e0dac725493a75862ef96d2d3f43f84b26969329bf03',
      Network: c.Network, MainNetworkPort: c.MainNetworkPort, PeersFile: `${base}${net}-peers.json`, MainSeedURL: '', MainSpecialPeers: '',
      TestNetworkPort: c.TestNetworkPort, TestSeedURL: '', TestSpecialPeers: '', LocalNetworkPort: c.LocalNetworkPort, LocalSeedURL: '',
      LocalSpecialPeers: '', CustomNetworkPort: c.CustomNetworkPort, CustomSeedURL: '', CustomSpecialPeers: '',
      P2PIncoming: 200, P2POutgoing: 32, FactomdTlsEnabled: c.FactomdTlsEnabled, FactomdTlsPrivateKey: c.FactomdTlsPrivateKey,
      FactomdTlsPublicCert: c.FactomdTlsPublicCert, FactomdRpcUser: c.FactomdRpcUser, FactomdRpcPass: c.FactomdRpcPass,
      RequestTimeout: c.RequestTimeout, RequestLimit: c.RequestLimit, CorsDomains: c.CorsDomains, ChangeAcksHeight: c.ChangeAcksHeight,
    },
    Log: { LogPath: `${base}${net}-database/Log`, LogLevel: 'error', ConsoleLogLevel: 'standard' },
  };
}

function param(params: unknown, key: string): unknown {
  return params && typeof params === 'object' ? (params as Record<string, unknown>)[key] : undefined;
}
function hexParam(params: unknown, key: string, what: string): string {
  const v = param(params, key);
  if (typeof v !== 'string' || !/^[0-9a-fA-F]*$/.test(v) || v.length % 2 !== 0 || v.length === 0) throw invalidParams(what);
  return v.toLowerCase();
}

async function forward(s: NodeState, op: string, args: Record<string, unknown>): Promise<unknown> {
  const r = await s.ask(op, args);
  if (!r.ok) throw new RpcFail(r.value as RpcError);
  return r.value;
}

async function v2(s: NodeState, method: string, params: unknown): Promise<unknown> {
  const dbh = Math.max(0, s.height - 1);
  switch (method) {
    case 'heights':
      // entryblockheight is the same value as directoryblockheight in factomd's code (§3.3).
      return { directoryblockheight: dbh, leaderheight: trueLeaderHeight(s), entryblockheight: dbh, entryheight: dbh };
    case 'current-minute': return currentMinute(s);
    case 'properties': return { factomdversion: '6.17.1', factomdapiversion: '2.0' };
    case 'diagnostics': return diagnostics(s);
    case 'authorities': return { authorities: authoritiesOf(s, Math.max(s.height, 1)) };
    case 'entry-credit-rate': return { rate: 1000 };
    case 'entry-credit-balance': {
      const addr = param(params, 'address');
      let pub: string;
      try {
        const k = parsePublicAddress(typeof addr === 'string' ? addr : '');
        if (k.kind !== 'EC') throw new Error('not EC');
        pub = bytesToHex(k.publicKey);
      } catch {
        throw invalidParams('Invalid Address');
      }
      return forward(s, 'balance', { ecPublicKey: pub });
    }
    case 'factoid-balance': {
      try {
        const fa = param(params, 'address');
        const k = parsePublicAddress(typeof fa === 'string' ? fa : '');
        if (k.kind !== 'FA') throw new Error('not FA');
      } catch {
        throw invalidParams('Invalid Address');
      }
      return { balance: 0 };
    }
    case 'commit-entry':
    case 'commit-chain': {
      const hex = hexParam(params, 'message', method === 'commit-chain' ? 'Invalid Commit Chain' : 'Invalid Commit Entry');
      const bad = invalidParams(method === 'commit-chain' ? 'Invalid Commit Chain' : 'Invalid Commit Entry');
      let c;
      try {
        c = parseCommit(new Uint8Array(Buffer.from(hex, 'hex')));
      } catch {
        throw bad;
      }
      if ((method === 'commit-chain') !== (c.type === 'chain')) throw bad;
      if (!checkCommit(c).ok) throw bad;
      // The ±1 h replay window against THIS node's clock (clock-skew fault included; factom-protocol §3).
      if (!checkCommitWindow(c.milliTime, nowMs(s)).ok) throw bad;
      return forward(s, 'commit', {
        type: c.type, txid: commitTxId(c), entryHash: bytesToHex(c.entryHash), credits: c.credits, ecPublicKey: bytesToHex(c.ecPublicKey),
        milliTime: c.milliTime, raw: hex,
        ...(c.type === 'chain' ? { chainIdHash: bytesToHex(c.chainIdHash), weld: bytesToHex(c.weld) } : {}),
      });
    }
    case 'reveal-entry':
    case 'reveal-chain': {
      const hex = hexParam(params, 'entry', 'Invalid Entry');
      try {
        unmarshalEntry(new Uint8Array(Buffer.from(hex, 'hex')));
      } catch {
        throw invalidParams('Invalid Entry');
      }
      return forward(s, 'reveal', { entry: hex });
    }
    case 'entry': return forward(s, 'entry', { hash: hexParam(params, 'hash', 'Invalid Hash') });
    case 'entry-block': return forward(s, 'entry-block', { keymr: hexParam(params, 'keymr', 'Invalid Hash') });
    case 'chain-head': return forward(s, 'chain-head', { chainid: hexParam(params, 'chainid', 'Invalid Hash') });
    case 'ack': {
      const chainid = param(params, 'chainid');
      return forward(s, 'ack', { hash: hexParam(params, 'hash', 'Invalid Hash'), chainid: typeof chainid === 'string' ? chainid : '' });
    }
    case 'entry-ack': return forward(s, 'ack', { hash: hexParam(params, 'txid', 'Invalid Hash'), chainid: 'c' });
    case 'pending-entries': return forward(s, 'pending-entries', { chainid: param(params, 'chainid') });
    case 'pending-transactions': return [];
    case 'directory-block-head': return forward(s, 'directory-block-head', {});
    case 'dblock-by-height': {
      const h = param(params, 'height');
      if (typeof h !== 'number' || !Number.isInteger(h) || h < 0) throw invalidParams('Invalid Block Height passed');
      return forward(s, 'dblock-by-height', { height: h });
    }
    case 'send-raw-message': {
      hexParam(params, 'message', 'Invalid Message');
      // Queued like a network message; the simulator validates the hex only (documented limitation).
      return { message: 'Successfully sent the message' };
    }
    default: throw new RpcFail({ code: -32601, message: 'Method not found' });
  }
}

async function debug(s: NodeState, method: string): Promise<unknown> {
  const a = authAt(s, Math.max(s.height, 1));
  const role = roleAt(s, s.height);
  switch (method) {
    // A missing leader stays Online:true (cases 4 and 8): Online is not a liveness signal.
    case 'federated-servers': return { FederatedServers: a.fed.map((id) => ({ ChainID: id, Name: '', Online: true, Replace: null })) };
    case 'audit-servers': return { AuditServers: a.audit.map((id) => ({ ChainID: id, Name: '', Online: s.onlineAudits.includes(id), Replace: null })) };
    case 'network-info': {
      const n = NETWORK_IDS[s.network] ?? NETWORK_IDS.LOCAL!;
      return { NodeName: 'FNode0', Role: role, NetworkNumber: n.number, NetworkName: s.network, NetworkID: n.id };
    }
    case 'summary': return { Summary: summaryLine(s) };
    case 'configuration': return configurationOf(s.bootConfig, s.home, s.network);
    case 'current-minute': return { Minute: s.minute };
    case 'authorities': return { authorities: authoritiesOf(s, Math.max(s.height, 1)) };
    case 'holding-queue': return { Messages: null };
    case 'process-list': return { ProcessList: `===ProcessListStart===\nFNode0 #VMs ${a.fed.length} Complete false DBHeight ${s.height}\n===ProcessListEnd===\n` };
    default: throw new RpcFail({ code: -32601, message: 'Method not found' });
  }
}

function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string | undefined> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) { resolve(undefined); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

/** factomd compares sha256 of the whole Authorization header in constant time (FD wsapi checkAuthHeader). */
function authOk(req: IncomingMessage, c: AppConfig): boolean {
  if (c.FactomdRpcUser === '') return true;
  const want = createHash('sha256').update(`Basic ${Buffer.from(`${c.FactomdRpcUser}:${c.FactomdRpcPass}`).toString('base64')}`).digest();
  const got = createHash('sha256').update(req.headers.authorization ?? '').digest();
  return timingSafeEqual(want, got);
}

function reply(res: ServerResponse, status: number, body: string, slowMs: number, type = 'application/json'): void {
  const go = (): void => {
    res.writeHead(status, { 'Content-Type': type });
    res.end(body);
  };
  if (slowMs > 0) setTimeout(go, slowMs); else go();
}

async function handleRpc(s: NodeState, cfg: AppConfig, req: IncomingMessage, res: ServerResponse, isDebug: boolean): Promise<void> {
  refreshMinute(s);
  if (!authOk(req, cfg)) {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="factomd RPC"', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('401 Unauthorized.\n');
    return;
  }
  const body = await readBody(req);
  let msg: unknown;
  try {
    msg = body === undefined ? undefined : JSON.parse(body);
  } catch {
    msg = undefined;
  }
  const invalid = toJson({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } });
  // No batches, and "jsonrpc":"2.0" is mandatory (§3.1).
  if (!msg || typeof msg !== 'object' || Array.isArray(msg) || (msg as Record<string, unknown>).jsonrpc !== '2.0') {
    reply(res, 400, invalid, s.slowMs);
    return;
  }
  const m = msg as { id?: unknown; method?: unknown; params?: unknown };
  const id = m.id ?? null;
  try {
    const method = typeof m.method === 'string' ? m.method : '';
    const result = isDebug ? await debug(s, method) : await v2(s, method, m.params);
    reply(res, 200, toJson({ jsonrpc: '2.0', id, result }), s.slowMs);
  } catch (e) {
    const err: RpcError = e instanceof RpcFail ? e.err : { code: -32603, message: 'Internal error' };
    reply(res, 400, toJson({ jsonrpc: '2.0', id, error: err }), s.slowMs);
  }
}

function controlPanelItem(s: NodeState, item: string): unknown {
  const dbh = Math.max(0, s.height - 1);
  const a = authAt(s, Math.max(s.height, 1));
  switch (item) {
    case 'myHeight': return { Height: dbh };
    case 'leaderHeight': return { Height: Math.max(dbh, s.networkHeight - 1) };
    case 'completeHeight': return { Height: dbh };
    case 'servercount': return { fed: a.fed.length, aud: a.audit.length };
    case 'peers': return [];
    case 'peerTotals': return { PeerQualityAvg: 0, BytesSentTotal: 0, BytesReceivedTotal: 0, MessagesSent: 0, MessagesReceived: 0, BPSDown: 0, BPSUp: 0 };
    case 'ignoreDone': return { IgnoreDone: s.synced };
    case 'channelLength': return { length: 0 };
    case 'nextNode': return 0;
    case 'recentTransactions': return { DirectoryBlock: { KeyMR: '0'.repeat(64), DBHeight: String(dbh) }, FactoidTransactions: [], Entries: [], LastHeightChecked: dbh };
    case 'dataDump': {
      // Same sections as factomd's dataDump (cp-dataDump.json); "My Node" reveals the running identity (§4.2).
      const pl = `===ProcessListStart===\nFNode0 #VMs ${a.fed.length} Complete false DBHeight ${s.height}\n===ProcessListEnd===\n`;
      return {
        DataDump1: { ShortDump: 'Currently disabled', RawDump: `===SummaryStart===\n${summaryLine(s)} \n===SummaryEnd===\n`, SyncingDump: '' },
        DataDump2: { NextDump: pl, RawDump: pl, PrevDump: pl },
        DataDump3: { RawDump: '' },
        DataDump4: {
          Authorities: `=== Authority List ===   Total: ${a.fed.length + a.audit.length} Displaying: All\n`,
          Identities: `=== Identity List ===   Total: ${s.authorities.length} Displaying: All\n`,
          MyNode: `My Node: FNode0\nIdentity ChainID: ${s.identity}\nSigning Key: ${s.publicKey}\n`,
        },
        DataDump5: { RawDump: '', SortedDump: '' },
        ElectionDataDump: { Elections: '', SimulatedElection: '' },
        LogSettingsDump: { CurrentLogSettings: '' },
      };
    }
    default: return null;
  }
}

async function handleControlPanel(s: NodeState, cfg: AppConfig, req: IncomingMessage, res: ServerResponse): Promise<void> {
  refreshMinute(s);
  if (!authOk(req, cfg)) {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="factomd Control Panel"', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('401 Unauthorized.\n');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/factomd') {
    reply(res, 200, toJson(controlPanelItem(s, url.searchParams.get('item') ?? '')), s.slowMs);
  } else if (url.pathname === '/factomdBatch') {
    const items = (url.searchParams.get('batch') ?? '').split(',').filter((x) => x !== '');
    reply(res, 200, toJson(items.map((i) => controlPanelItem(s, i))), s.slowMs);
  } else if (url.pathname === '/') {
    reply(res, 200, '<html><head><title>Factom Control Panel</title></head><body>Factom Control Panel (anoguard simulator)</body></html>', s.slowMs, 'text/html; charset=utf-8');
  } else {
    reply(res, 404, '404 page not found\n', s.slowMs, 'text/plain; charset=utf-8');
  }
}

function metricsText(s: NodeState): string {
  const saved = Math.max(0, s.height - 1);
  const g = (name: string, help: string, v: number, type = 'gauge'): string => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${v}\n`;
  const mem = process.memoryUsage();
  return [
    g('factomd_state_highest_saved', 'Highest saved block to the database', saved),
    g('factomd_state_highest_completed', 'Highest completed block, which may or may not be saved to the database', saved),
    g('factomd_state_highest_known', 'Highest known block (which can be different than the highest ack)', Math.max(saved, s.networkHeight - 1)),
    g('factomd_state_highest_ack', 'Acknowledgement with the highest directory block height', s.height),
    g('factomd_state_es_entry_dbheight_complete', 'Entry DBHeight Complete', saved),
    g('factomd_state_es_missing_entries', 'Number of known missing entries', 0),
    g('factomd_state_txrate_total_tps', 'Total transactions over life of node', 0),
    g('factomd_state_txrate_instant_tps', 'Total transactions over life of node weighted for last 3 seconds', 0),
    g('factomd_p2p_peers_online', 'Number of established connections', 0),
    g('factomd_p2p_peers_connecting', 'Number of connections currently dialing or awaiting handshake', 0),
    g('factomd_p2p_peers_incoming', 'Number of peers that have dialed to us', 0),
    g('factomd_p2p_peers_outgoing', 'Number of peers that we have dialed to', 0),
    g('factomd_p2p_cat_rounds', 'Number of CAT rounds', 0),
    g('factomd_p2p_messages_sent', 'Number of messages sent', 0),
    g('factomd_p2p_messages_received', 'Number of messages received', 0),
    g('go_memstats_alloc_bytes', 'Number of bytes allocated and still in use.', mem.heapUsed),
    g('process_resident_memory_bytes', 'Resident memory size in bytes.', mem.rss),
  ].join('');
}

export interface Listeners {
  api: Server;
  controlPanel?: Server;
  metrics: Server;
}

function tlsOrPlain(cfg: AppConfig, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  if (!cfg.FactomdTlsEnabled) return createHttp(handler);
  // Same cert/key for the API and the control panel (FD wsapi/server.go, controlPanel.go).
  return createHttps({ key: readFileSync(cfg.FactomdTlsPrivateKey), cert: readFileSync(cfg.FactomdTlsPublicCert), minVersion: 'TLSv1.2' }, handler);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** Starts the API (/v2, /debug if not MAIN), control panel (unless disabled) and metrics listeners. */
export async function startListeners(s: NodeState, cfg: AppConfig, ports: { api: number; controlPanel: number; metrics: number }, host: string): Promise<Listeners> {
  const debugOn = s.network !== 'MAIN';
  const api = tlsOrPlain(cfg, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/v2') void handleRpc(s, cfg, req, res, false);
    else if (path === '/debug' && debugOn && (req.method === 'POST' || req.method === 'GET')) void handleRpc(s, cfg, req, res, true);
    else reply(res, 404, '404 page not found\n', 0, 'text/plain; charset=utf-8');
  });
  await listen(api, ports.api, host);
  let controlPanel: Server | undefined;
  if (cfg.ControlPanelSetting !== 'disabled') {
    controlPanel = tlsOrPlain(cfg, (req, res) => void handleControlPanel(s, cfg, req, res));
    await listen(controlPanel, ports.controlPanel, host);
  }
  // Prometheus: plain HTTP, no auth, like factomd's hard-coded :9876 (§5.1); the port is per node here.
  const metrics = createHttp((req, res) => {
    if ((req.url ?? '').split('?')[0] === '/metrics') reply(res, 200, metricsText(s), 0, 'text/plain; version=0.0.4; charset=utf-8');
    else reply(res, 404, '404 page not found\n', 0, 'text/plain; charset=utf-8');
  });
  await listen(metrics, ports.metrics, host);
  return controlPanel ? { api, controlPanel, metrics } : { api, metrics };
}
