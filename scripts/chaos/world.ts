/**
 * One chaos world: a simulated network (1 s blocks) with a master authority node and a standby
 * follower, an agent per host (command module, lease keeper, fence check before every node start),
 * and a failover controller on the host. The master's and the standby's nodes are real simulator
 * processes inside their own network namespaces (`fo<seed>m`, `fo<seed>s`); the network process and
 * n1 run on the host. Partitions are nft drops inside a namespace. In `createWorld` the agents and
 * controllers are in this process, each behind a link that a scenario cuts together with the
 * namespace's rules; `createProcessWorld` (world-processes.ts) runs them as real processes on the
 * same shared parts (startWorldSim, startEtcd, applyLinkState, the checker).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFactomdClient } from '../../src/factomd/client.js';
import { isOurProcess, readTruth, startSim, type SimHandle } from '../../src/sim/index.js';
import { writeFileAtomic } from '../../src/util/fs.js';
import { readIdentityTriple } from '../../src/failover/conf-identity.js';
import { signCommand, type CommandInput } from '../../src/failover/command.js';
import { createController, type AgentLink, type Controller } from '../../src/failover/controller.js';
import { localLeaseStore, type LeaseStore } from '../../src/failover/lease-store.js';
import { openJournal, type JournalFile } from '../../src/failover/journal-file.js';
import type { JournalEntry } from '../../src/failover/journal.js';
import { checkTruth, type SafetyReport } from '../../src/failover/safety-check.js';
import { etcdLeaseStore, startEtcdElection, type EtcdElection } from '../../src/failover/etcd.js';
import { createServer } from 'node:net';
import { createCommandAgent, fenceCheck, type CommandAgent } from '../../src/agent/commands/execute.js';
import { startLeaseKeeper, type LeaseKeeper } from '../../src/agent/commands/lease-keeper.js';
import { openReplaySet } from '../../src/agent/commands/replay.js';
import { agentStatus } from '../../src/agent/commands/status.js';
import { publicKeyFromSeed } from '../../src/factom/ed25519.js';
import { createWorldNet, type WorldNet } from './netns.js';

export const BLOCK_MS = 1000;
export const TIMING = { leaseTtlMs: 6000, renewEveryMs: 500, demoteBeforeMs: 2500, marginBlocks: 2, downBlocks: 3, tickMs: 250 };
/** Blocks without anyone signing for the identity that count as a liveness failure. */
export const LIVENESS_BOUND_BLOCKS = TIMING.leaseTtlMs / BLOCK_MS + TIMING.marginBlocks + 12;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Closers of this process's worlds, registered before their first process starts. */
const openWorlds = new Set<() => Promise<void>>();
/** Tears down every world of this process (SIGINT), also those still being set up. */
export async function closeAllWorlds(): Promise<void> {
  await Promise.all([...openWorlds].map((c) => c().catch(() => undefined)));
}

const WORLD_DIR = /^fo-chaos-\d+-[A-Za-z0-9]+$/;

/**
 * Kills the processes of world DIR, each checked by its command line: the simulator's (DIR/sim),
 * etcd (DIR/etcd), and the agent and server processes of a process world (an argument inside DIR).
 */
export function killWorldProcesses(dir: string): void {
  killProcessesOf(dir);
  unmountUnder(dir);
}

/** Lazily unmounts every mount below DIR (a disk-full world's tmpfs), deepest first. */
export function unmountUnder(dir: string): void {
  let mounts: string[] = [];
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' ')).filter((m) => m.startsWith(`${dir}/`));
  } catch { return; }
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    try { execFileSync('umount', ['-l', m], { stdio: 'ignore', timeout: 10_000 }); } catch { /* gone meanwhile */ }
  }
}

function killProcessesOf(dir: string): void {
  const simDir = join(dir, 'sim');
  const etcdDir = join(dir, 'etcd');
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const pid = Number(p);
    if (pid === process.pid) continue;
    let mine = isOurProcess(pid, simDir);
    if (!mine) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        mine = (argv[0]?.endsWith('etcd') === true && argv[argv.indexOf('--data-dir') + 1] === etcdDir) || argv.some((a) => a.startsWith(`${dir}/`));
      } catch { /* gone */ }
    }
    if (mine) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }
}

/**
 * World directories of crashed runs: owner pid dead (or no owner file and untouched for 15 min, from
 * before owner files). Their simulator and etcd processes are killed, the directory removed.
 */
export function sweepStaleWorlds(): string[] {
  const swept: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!WORLD_DIR.test(name)) continue;
    const dir = join(tmpdir(), name);
    try {
      let owner = 0;
      try { owner = Number(readFileSync(join(dir, 'owner'), 'utf8')); } catch { /* none */ }
      let alive = false;
      if (owner > 0) { try { process.kill(owner, 0); alive = true; } catch { alive = false; } } else alive = Date.now() - statSync(dir).mtimeMs < 15 * 60_000;
      if (alive) continue;
      killWorldProcesses(dir);
      rmSync(dir, { recursive: true, force: true });
      swept.push(name);
    } catch { /* raced with its owner's own teardown */ }
  }
  return swept;
}

export interface Host {
  host: string;
  node: string;
  dir: string;
  conf: string;
  linkUp: boolean;
  /** Cut from everything, the simulator network included (nft drop all in its namespace). */
  netCut: boolean;
  agentUp: boolean;
  skewMs: number;
  /** When set, the agent's file writes fail with this errno code (disk full). */
  failWrites?: string;
  agent: CommandAgent;
  keeper?: LeaseKeeper;
}

/**
 * What a scenario drives, whichever world runs it: the in-process one (`createWorld`: agents and
 * controllers in the chaos process) or the process one (`createProcessWorld`: real `anoguard
 * agent` processes inside the namespaces, real `anoguard server` processes on the host). Hosts are
 * 'master' and 'standby' in both.
 */
export interface ChaosWorld {
  /** 'in-process' worlds also offer the agent knobs of `World` (clock skew, failing writes). */
  kind: 'in-process' | 'processes';
  sim: SimHandle;
  net: WorldNet;
  dir: string;
  identity: string;
  /** Controller names: ['A'], or ['A', 'B'] with etcd. */
  controllerNames: string[];
  log: string[];
  t0: number;
  /** A planned swap to `to` through the active controller; resolves when it is done or refused. */
  runSwap(to: string): Promise<{ ok: boolean; detail: string }>;
  startController(name?: string): Promise<void>;
  /** Kills the named controller, by default the active one. */
  killController(name?: string): Promise<void>;
  /** Cuts a controller from etcd and from every agent ('all', the default), or from etcd only. */
  cutController(name: string, cut: boolean, scope?: CutScope): Promise<void>;
  /** What each healed controller cut did (process world: observed from outside; in-process: none). */
  cutReports: CutReport[];
  activeController(): Promise<string | undefined>;
  /** Cuts the host from the controller (not from the simulator network). */
  setLink(host: string, up: boolean): Promise<void>;
  /** Cuts the host from everything, the simulator network included. */
  cutNetwork(host: string, cut: boolean): Promise<void>;
  /** factomd only (SIGKILL), the agent stays. */
  killNode(host: string): Promise<void>;
  /** The whole host: node and agent. */
  killHost(host: string): Promise<void>;
  /** Agent back, fence check, node start (what systemd does at boot). */
  bootHost(host: string): Promise<void>;
  /** Restart factomd the way systemd would: stop, ExecStartPre fence check, start. */
  restartNode(host: string): Promise<void>;
  holderOf(): Promise<string | undefined>;
  /** The host's factomd.conf. */
  confPath(host: string): string;
  /** The host's agent stops (its node keeps running): nobody fences or renews there any more. */
  stopAgent(host: string): Promise<void>;
  /**
   * Disk full for the agent's config writes (true) or freed (false). Process world: a filler file
   * on the tmpfs that holds the factomd.conf directory (real ENOSPC); in-process: injected errors.
   */
  fillDisk(host: string, full: boolean): Promise<void>;
  /** Process world with clock skew: each agent's wall-clock offset (libfaketime), ms. */
  agentSkewMs?: Record<string, number>;
  /** The active controller's journal as it is on disk now. */
  journal(): { entries(): readonly JournalEntry[] };
  check(): SafetyReport;
  close(): Promise<void>;
}

export type CutScope = 'etcd' | 'all';

/**
 * A controller cut off and healed, observed through its own dashboard (127.0.0.1, never cut): it
 * kept running, and it stopped acting as the controller once its etcd lease could have ended (the
 * etcd TTL after the cut).
 */
export interface CutReport {
  controller: string;
  scope: CutScope;
  ms: number;
  /** Status polls it answered during the cut (it ran all along), and how many after its etcd lease could have ended. */
  answered: number;
  answeredLate: number;
  /**
   * Agents it counted as calling in (reachable) at its last status before the heal: > 0 when only
   * etcd was cut, 0 when the agents were cut too. Read at the end, not just after the etcd TTL: a
   * call that reached the socket before the cut can be handled seconds later by a CPU-starved
   * server, and then counts as seen for 3 renewal periods more.
   */
  agentsReachableAtEnd: number;
  /** Its process was alive when the cut was healed. */
  running: boolean;
  /** ms after the cut at which it first said `active: false`; undefined = never. */
  inactiveAfterMs?: number;
  /** It reported the `stepped-down` event. */
  steppedDownEvent: boolean;
  /** Anything it did as a controller after its etcd lease ended (empty = stepped down correctly). */
  violations: string[];
}
/** The etcd election's TTL in the servers (src/server/failover/service.ts): a cut controller's key is gone by then. */
export const ETCD_TTL_MS = 2000;

export interface World extends ChaosWorld {
  kind: 'in-process';
  hosts: Map<string, Host>;
  /** The active controller (with etcd: the one holding the etcd key), else the first running one. */
  controller: Controller | undefined;
  journal(): JournalFile;
}

export async function diag(api: string): Promise<{ id: string; role: string; leaderheight: number } | undefined> {
  try {
    return await createFactomdClient({ url: api, timeoutMs: 2000, retries: 0 }).diagnostics();
  } catch {
    return undefined;
  }
}

/** The host whose node runs the identity as an authority now, if any. */
export async function holderAmong(hosts: Iterable<{ host: string; node: string }>, identity: string, apiOf: (node: string) => string): Promise<string | undefined> {
  for (const h of hosts) {
    const d = await diag(apiOf(h.node));
    if (d && d.id === identity && d.role !== 'Follower') return h.host;
  }
  return undefined;
}

/** The checker over the simulator's record of truth, from the world's start until now. */
export function checkWorld(simDir: string, identity: string, t0: number): SafetyReport {
  return checkTruth(readTruth(simDir), { identity, blockMs: BLOCK_MS, boundBlocks: LIVENESS_BOUND_BLOCKS, fromTs: t0, toTs: Date.now() });
}

/**
 * The part every world shares: its directory (owner pid inside), its two namespaces and its
 * simulator (n1 and the network on the host, n2 in the master's namespace, n3 in the standby's).
 * Until the caller swaps `early` for its own closer (`adoptWorld`), a signal tears down what is there.
 */
export async function startWorldSim(seed: number): Promise<{ dir: string; net: WorldNet; sim: SimHandle; early: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `fo-chaos-${seed}-`));
  writeFileSync(join(dir, 'owner'), String(process.pid));
  let pending: WorldNet | undefined;
  // Until the world exists, a signal tears down what is there (processes by their command lines).
  const early = async (): Promise<void> => {
    openWorlds.delete(early);
    killWorldProcesses(dir);
    await pending?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  openWorlds.add(early);
  try {
    pending = await createWorldNet(seed);
  } catch (e) {
    openWorlds.delete(early);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const net = pending;
  try {
    // n1 is "the rest of the network" (a federated server of another operator); the operator's
    // identity is the audit server on n2 and n3 is the standby. The simulator has no elections, so a
    // missing federated server would stall it forever, where mainnet would elect a replacement.
    // The network process listens on the host end of the master's veth; the standby's namespace
    // reaches it through its own veth (the host routes between its local addresses).
    const sim = await startSim({
      dir: join(dir, 'sim'), nodes: 3, authorities: 1, audits: 1, blockTimeMs: BLOCK_MS, host: net.master.hostAddr,
      placement: { n2: { netns: net.master.ns, host: net.master.nsAddr }, n3: { netns: net.standby.ns, host: net.standby.nsAddr } },
    });
    return { dir, net, sim, early };
  } catch (e) {
    await early();
    throw e;
  }
}

/** The world's full closer replaces its early one (SIGINT then closes the whole world). */
export function adoptWorld(early: () => Promise<void>, close: () => Promise<void>): void {
  openWorlds.delete(early);
  openWorlds.add(close);
}
export function releaseWorld(close: () => Promise<void>): void { openWorlds.delete(close); }

/**
 * A single-member etcd on loopback, data in DIR/etcd; killed with this process at the latest. It
 * serves clients on one port at each of HOSTS (loopback addresses), so that each controller can
 * reach it through its own address and a host nft rule can cut one controller alone.
 */
export async function startEtcd(dir: string, seed: number, hosts: string[] = ['127.0.0.1']): Promise<{ proc: ChildProcess; url: string; urls: string[]; port: number }> {
  const free = (host: string): Promise<number> => new Promise((res, rej) => { const sv = createServer(); sv.once('error', rej); sv.listen(0, host, () => { const a = sv.address(); sv.close(() => res(typeof a === 'object' && a ? a.port : 0)); }); });
  const [cp, pp] = [await free(hosts[0]!), await free('127.0.0.1')];
  const urls = hosts.map((h) => `http://${h}:${cp}`);
  const url = urls[0]!;
  // etcd fsyncs every write; on a disk shared with the rest of a test suite one fsync can take longer
  // than the 2 s election TTL and depose a healthy controller. Its data goes on a tmpfs (unmounted
  // with the world): what runs here is the controllers' logic, not this machine's disk.
  const dataDir = join(dir, 'etcd');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try { execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m,mode=0700', 'tmpfs', dataDir], { stdio: 'ignore', timeout: 10_000 }); } catch { /* not root: on disk */ }
  const proc = spawn('etcd', ['--name', `fo-${seed}`, '--data-dir', dataDir, '--listen-client-urls', urls.join(','), '--advertise-client-urls', urls.join(','),
    '--listen-peer-urls', `http://127.0.0.1:${pp}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${pp}`, '--initial-cluster', `fo-${seed}=http://127.0.0.1:${pp}`,
    '--log-level', 'error'], { stdio: 'ignore' });
  // Never leave an etcd behind, even when this process dies of an error.
  process.once('exit', () => { proc.kill('SIGKILL'); });
  const end = Date.now() + 15_000;
  for (;;) {
    try { if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(500) })).ok) break; } catch { /* starting */ }
    if (Date.now() > end) { proc.kill('SIGKILL'); throw new Error('etcd did not start'); }
    await sleep(100);
  }
  return { proc, url, urls, port: cp };
}

/**
 * The namespace's nft rules for a host's link state: cut from everything; or cut from the
 * controller only, where the simulator network stays reachable and the node's API stays open to the
 * host (the checker and `holderOf` observe through it); or nothing.
 */
export async function applyLinkState(net: WorldNet, sim: SimHandle, which: 'master' | 'standby', node: string, s: { netCut: boolean; linkUp: boolean }): Promise<void> {
  if (s.netCut) await net.partition(which, 'all');
  else if (!s.linkUp) {
    const api = sim.nodes.find((n) => n.name === node)!.api;
    await net.partition(which, { hostPorts: [Number(sim.network.address.split(':').pop())], localPorts: [Number(new URL(api).port)] });
  } else await net.heal(which);
}

/** What a world is built with for its scenario (the process world uses all; the in-process one etcd only). */
export interface WorldOptions {
  etcd?: boolean;
  /** Agents' wall-clock offsets in ms (libfaketime in the process world). */
  skewMs?: { master?: number; standby?: number };
  /** The factomd.conf directories on small tmpfs mounts (disk-full with processes). */
  tmpfsConf?: boolean;
}

export async function createWorld(seed: number, note: (s: string) => void = () => undefined, opts: WorldOptions = {}): Promise<World> {
  const { dir, net, sim, early } = await startWorldSim(seed);
  const log: string[] = [];
  const say = (s: string): void => { const line = `${((Date.now() - t0) / 1000).toFixed(1)}s ${s}`; log.push(line); note(line); };
  let t0 = Date.now();
  const confOf = (node: string): string => join(sim.dir, node, '.factom/m2/factomd.conf');
  const authority = readIdentityTriple(readFileSync(confOf('n2'), 'utf8'))!;
  const standbyOwn = readIdentityTriple(readFileSync(confOf('n3'), 'utf8'))!;
  const identity = authority.identityChainId;
  const opSeed = new Uint8Array(randomBytes(32));
  const opKey = Buffer.from(publicKeyFromSeed(opSeed)).toString('hex');
  const sign = (c: CommandInput) => signCommand(opSeed, c);
  const tripleJson = (t: typeof authority): string => JSON.stringify({ IdentityChainID: t.identityChainId, LocalServerPrivKey: t.localServerPrivKey, LocalServerPublicKey: t.localServerPublicKey });

  const hosts = new Map<string, Host>();
  const apiOf = (node: string): string => sim.nodes.find((n) => n.name === node)!.api;
  /** cut: from etcd and every agent; etcdCut: from etcd only. */
  interface Ctl { name: string; controller?: Controller; timer?: NodeJS.Timeout; cut: boolean; etcdCut: boolean; election?: EtcdElection }
  const ctls = new Map<string, Ctl>((opts.etcd ? ['A', 'B'] : ['A']).map((n) => [n, { name: n, cut: false, etcdCut: false }]));
  let etcd: ChildProcess | undefined;
  let etcdUrl = '';
  if (opts.etcd) {
    try {
      const e = await startEtcd(dir, seed);
      etcd = e.proc;
      etcdUrl = e.url;
    } catch (e) {
      await sim.stop().catch(() => undefined);
      await early();
      throw e;
    }
  }
  const etcdFetch = (c: Ctl): typeof fetch => (input, init) => (c.cut || c.etcdCut ? Promise.reject(new Error('partitioned from etcd')) : fetch(input, init));
  const storeFor = (c: Ctl): LeaseStore => (opts.etcd ? etcdLeaseStore({ endpoint: etcdUrl, key: `/anoguard/lease/${identity}`, fetch: etcdFetch(c), leadership: () => c.election?.leadership() }) : localLeaseStore(join(dir, 'lease.json')));
  const activeCtl = (): Ctl | undefined => {
    const running = [...ctls.values()].filter((c) => c.controller);
    return opts.etcd ? running.find((c) => c.election?.isActive()) : running[0];
  };

  function makeAgent(h: Omit<Host, 'agent'>): CommandAgent {
    const write: typeof writeFileAtomic = (p, d, o) => {
      if (h.failWrites) throw Object.assign(new Error(`${h.failWrites}: no space left on device`), { code: h.failWrites });
      writeFileAtomic(p, d, o);
    };
    return createCommandAgent({
      host: h.host, identity, confPath: h.conf, statePath: join(h.dir, 'fence.json'), replay: openReplaySet(join(h.dir, 'replay.json')),
      trustedKeys: [opKey], identityFile: join(h.dir, 'identity.json'), ...(h.host === 'standby' ? { followerFile: join(h.dir, 'follower.json') } : {}),
      localNode: async () => { const d = await diag(apiOf(h.node)); return d ? { id: d.id, height: d.leaderheight } : undefined; },
      restartFactomd: () => world.restartNode(h.host),
      stopFactomd: async () => { await stopNodeProcess(h.node); },
      now: () => Date.now() + h.skewMs,
      writeFile: write,
    });
  }

  function startKeeper(h: Host): void {
    h.keeper?.stop();
    h.keeper = startLeaseKeeper({
      agent: h.agent,
      renew: async () => {
        if (!h.linkUp || !h.agentUp) throw new Error('controller unreachable');
        // Agents know every controller and take the lease from whichever grants one.
        for (const c of ctls.values()) {
          if (!c.controller || c.cut) continue;
          const l = await c.controller.renew(h.host).catch(() => undefined);
          if (l) return l;
        }
        throw new Error('no controller granted a lease');
      },
      renewEveryMs: TIMING.renewEveryMs,
      demoteBeforeMs: TIMING.demoteBeforeMs,
      onEvent: (e) => { if (e.kind !== 'renewed' && e.kind !== 'renew-failed') say(`${h.host} agent: ${e.kind} ${e.detail ?? ''}`); },
    });
  }

  for (const [host, node] of [['master', 'n2'], ['standby', 'n3']] as const) {
    const hdir = join(dir, host);
    mkdirSync(hdir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(hdir, 'identity.json'), tripleJson(authority), { mode: 0o600 });
    writeFileAtomic(join(hdir, 'follower.json'), tripleJson(standbyOwn), { mode: 0o600 });
    const base = { host, node, dir: hdir, conf: confOf(node), linkUp: true, netCut: false, agentUp: true, skewMs: 0 };
    const h = { ...base } as Host;
    h.agent = makeAgent(h);
    hosts.set(host, h);
  }

  const linksFor = (c: Ctl): AgentLink[] => [...hosts.values()].map((h) => ({
    host: h.host,
    status: async () => {
      if (!h.linkUp || !h.agentUp || c.cut) throw new Error('agent unreachable');
      return agentStatus(h.host, identity, h.conf, h.agent, createFactomdClient({ url: apiOf(h.node), timeoutMs: 2000, retries: 0 }));
    },
    execute: async (cmd) => {
      if (!h.linkUp || !h.agentUp || c.cut) throw new Error('agent unreachable');
      const r = await h.agent.execute(cmd);
      return { holdsIdentity: r.holdsIdentity, ...(r.changeAcksHeight !== undefined ? { changeAcksHeight: r.changeAcksHeight } : {}) };
    },
  }));

  async function stopNodeProcess(node: string): Promise<void> {
    const e = sim.nodes.find((n) => n.name === node);
    if (e && e.pid > 0 && isOurProcess(e.pid, sim.dir)) {
      try { process.kill(e.pid, 'SIGKILL'); } catch { /* gone */ }
      const end = Date.now() + 5000;
      while (Date.now() < end && isOurProcess(e.pid, sim.dir)) await sleep(50);
    }
  }

  async function startNode(h: Host): Promise<void> {
    // ExecStartPre: refused once (and demoted) without a lease; the retry starts a follower.
    for (let i = 0; i < 3; i++) {
      const f = fenceCheck({ confPath: h.conf, statePath: join(h.dir, 'fence.json'), identity, now: Date.now() + h.skewMs });
      if (f.ok) break;
      say(`${h.host} fence-check refused start: ${f.reason}${f.demoted ? ' (demoted)' : ''}`);
      if (i === 2) throw new Error(`fence-check keeps refusing on ${h.host}`);
    }
    await sim.restartNode(h.node);
  }

  /** The namespace's nft rules follow the host's link state. */
  const applyNet = (h: Host): Promise<void> => applyLinkState(net, sim, h.host === 'master' ? 'master' : 'standby', h.node, h);

  const world: World = {
    kind: 'in-process', sim, net, dir, identity, hosts, log,
    get controller() { return activeCtl()?.controller; },
    controllerNames: [...ctls.keys()],
    get t0() { return t0; },
    activeController: () => Promise.resolve(activeCtl()?.name),
    async runSwap(to) {
      const c = activeCtl()?.controller;
      if (!c) throw new Error('no controller is running');
      const r = await c.runSwap(to);
      return { ok: r.ok, detail: r.detail };
    },
    async startController(name = 'A') {
      const c = ctls.get(name)!;
      if (c.controller) return;
      c.cut = false;
      c.etcdCut = false;
      if (opts.etcd) c.election = startEtcdElection({ endpoint: etcdUrl, key: `/anoguard/controller/${identity}`, me: name, ttlSeconds: 2, fetch: etcdFetch(c) });
      const el = c.election;
      const ctl = await createController({
        identity, links: linksFor(c), store: storeFor(c), sign, initialHolder: 'master', blockMs: BLOCK_MS, leaseTtlMs: TIMING.leaseTtlMs,
        marginBlocks: TIMING.marginBlocks, autoFailover: true, downBlocks: TIMING.downBlocks,
        ...(opts.etcd ? {} : { journal: openJournal(join(dir, 'journal.jsonl')) }),
        ...(el ? { isActive: () => el.isActive() } : {}),
        onEvent: (e) => say(`controller ${name}: ${e.kind} ${e.detail ?? ''}`),
      });
      c.controller = ctl;
      const loop = (): void => { void ctl.tick().finally(() => { if (c.controller === ctl) c.timer = setTimeout(loop, TIMING.tickMs); }); };
      loop();
      say(`controller ${name} started`);
    },
    killController(name) {
      const c = name ? ctls.get(name) : activeCtl();
      if (!c?.controller) return Promise.resolve();
      c.controller.stop();
      c.controller = undefined;
      if (c.timer) clearTimeout(c.timer);
      const el = c.election;
      c.election = undefined;
      say(`controller ${c.name} killed`);
      void el?.stop();
      return Promise.resolve();
    },
    cutReports: [],
    cutController(name, cut, scope = 'all') {
      const c = ctls.get(name)!;
      if (cut && scope === 'etcd') c.etcdCut = true; else if (cut) c.cut = true; else { c.cut = false; c.etcdCut = false; }
      say(`controller ${name} ${cut ? `cut off${scope === 'etcd' ? ' from etcd' : ''}` : 'reconnected'}`);
      return Promise.resolve();
    },
    async setLink(host, up) {
      const h = hosts.get(host)!;
      h.linkUp = up;
      await applyNet(h);
      say(`link ${host} ${up ? 'up' : 'down'} (controller)`);
    },
    async cutNetwork(host, cut) {
      const h = hosts.get(host)!;
      h.netCut = cut;
      await applyNet(h);
      say(`${host} ${cut ? 'cut from every network' : 'network back'}`);
    },
    async killNode(host) { await stopNodeProcess(hosts.get(host)!.node); say(`${host} factomd killed`); },
    async killHost(host) {
      const h = hosts.get(host)!;
      h.keeper?.stop();
      h.agentUp = false;
      await stopNodeProcess(h.node);
      say(`${host} host down`);
    },
    async bootHost(host) {
      const h = hosts.get(host)!;
      h.agent = makeAgent(h);
      h.agentUp = true;
      startKeeper(h);
      await startNode(h);
      say(`${host} host booted`);
    },
    async restartNode(host) {
      const h = hosts.get(host)!;
      await stopNodeProcess(h.node);
      await startNode(h);
      say(`${host} factomd restarted`);
    },
    holderOf: () => holderAmong(hosts.values(), identity, apiOf),
    confPath: (host) => hosts.get(host)!.conf,
    stopAgent(host) {
      const h = hosts.get(host)!;
      h.keeper?.stop();
      h.agentUp = false;
      say(`${host} agent stopped`);
      return Promise.resolve();
    },
    fillDisk(host, full) {
      hosts.get(host)!.failWrites = full ? 'ENOSPC' : undefined;
      say(`${host} disk ${full ? 'full (injected ENOSPC)' : 'freed'}`);
      return Promise.resolve();
    },
    journal: () => openJournal(join(dir, 'journal.jsonl')),
    check: () => checkWorld(sim.dir, identity, t0),
    async close() {
      for (const n of ctls.keys()) await world.killController(n);
      etcd?.kill('SIGKILL');
      for (const h of hosts.values()) h.keeper?.stop();
      await sim.stop().catch(() => undefined);
      await net.close().catch(() => undefined);
      killWorldProcesses(dir);
      rmSync(dir, { recursive: true, force: true });
      releaseWorld(closeWorld);
    },
  };

  const closeWorld = (): Promise<void> => world.close();
  adoptWorld(early, closeWorld);
  try {
    for (const h of hosts.values()) startKeeper(h);
    for (const n of ctls.keys()) await world.startController(n);
    // Ready: the master leads and holds a lease.
    // Bounded; generous because a starved machine (2 cores, other suites) slows the first blocks.
    const end = Date.now() + 60_000;
    const master = hosts.get('master')!;
    let ready = false;
    while (!ready && Date.now() < end) {
      ready = (await world.holderOf()) === 'master' && master.agent.leaseEndMono() > performance.now();
      if (!ready) await sleep(200);
    }
    if (!ready) {
      const d = await diag(apiOf('n2'));
      throw new Error(`the master never led (its node: ${d ? `${d.role} at ${d.leaderheight}${d.id === identity ? '' : ', another identity'}` : 'no answer'}; lease ${master.agent.leaseEndMono() > performance.now() ? 'held' : 'none'}): ${log.join(' | ')}`);
    }
    t0 = Date.now();
  } catch (e) {
    await world.close();
    throw e;
  }
  return world;
}
