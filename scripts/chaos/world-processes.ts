/**
 * The chaos world with real processes: the same simulator and namespaces as `createWorld`, but the
 * agents are `anoguard agent --config …` processes started with `ip netns exec fo<seed>m|s` (their
 * mTLS connection to the controller crosses the veth, so a partition's nft rule really cuts it),
 * and each controller is an `anoguard server --topology … --operator-key … --listen` process on the
 * host end of the master's veth. "Kill the controller" is SIGKILL; with etcd two servers share one
 * election and the agents list both in `control.servers`. A node is stopped and restarted through the
 * agents' own stopCommand / restartCommand argv (node-ctl.ts), run inside its namespace.
 *
 * With etcd, etcd serves clients on 127.0.0.2 (server A) and 127.0.0.3 (server B), one port;
 * `cutController` drops A's (or B's) address+port both ways in the host table `inet fochaos<seed>`
 * — from etcd only, or also the agents' connections to that server's control port — while the
 * server keeps running; its own dashboard (127.0.0.1) is polled during the cut to see it step down.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { initCa, issueCert } from '../../src/pki/ca.js';
import { tlsFilesFromPkiDir } from '../../src/server/tls.js';
import { loginDashboard, type DashboardClient } from '../../src/server/dashboard/client.js';
import type { FailoverStatus } from '../../src/server/failover/types.js';
import { readIdentityTriple, type IdentityTriple } from '../../src/failover/conf-identity.js';
import { openJournal } from '../../src/failover/journal-file.js';
import { publicKeyFromSeed } from '../../src/factom/ed25519.js';
import { readTail } from '../../src/util/fs.js';
import {
  adoptWorld, applyLinkState, BLOCK_MS, checkWorld, diag, ETCD_TTL_MS, holderAmong, killWorldProcesses, releaseWorld, sleep, startEtcd, startWorldSim, TIMING,
  type ChaosWorld, type CutReport, type CutScope, type WorldOptions,
} from './world.js';
import { hostCuts } from './netns.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');
const NODE_CTL = join(ROOT, 'scripts/chaos/node-ctl.ts');
const TSX = [process.execPath, '--import', 'tsx'];
/** Topology host names (= agent certificate CNs) of the scenarios' 'master' and 'standby'. */
const NAMES = { master: 'auth-a', standby: 'auth-b' } as const;
type HostKey = keyof typeof NAMES;
const isHostKey = (h: string): h is HostKey => h === 'master' || h === 'standby';

interface PHost {
  host: HostKey; name: string; node: string; ns: string; dir: string; yaml: string; proc?: ChildProcess; linkUp: boolean; netCut: boolean;
  /** Wall-clock offset of this host's agent (and what it runs: the fence check), ms; 0 = the real clock. */
  skewMs: number;
  /** The tmpfs holding its factomd.conf directory (disk-full worlds). */
  tmpfs?: string;
}
/** libfaketime (Debian package faketime): the agent's process sees its host's skewed wall clock. */
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
/** Size of a disk-full world's tmpfs: a few factomd.conf files and their temp copies fit, a filler fills it. */
const TMPFS_SIZE = '512k';
const FILLER = '.fo-filler';
interface PCtl { name: string; dataDir: string; port: number; etcdAddr: string; proc?: ChildProcess; client?: DashboardClient; password?: string; watch?: CutWatch }
/** What a cut controller is seen doing through its dashboard while the cut lasts. */
export interface CutWatch { scope: CutScope; at: number; answered: number; answeredLate: number; reachableAtEnd: number; inactiveAt?: number; steppedDown: boolean; violations: Set<string>; stop: boolean; loop?: Promise<void> }
/** Controller events that only the active controller may cause. */
const ACTING = new Set(['promote', 'lease-moved', 'unfenced', 'lease-reconciled', 'swap-started', 'fence-failed']);

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const execP = promisify(execFile);

function freePort(host: string): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, host, () => { const a = s.address(); s.close(() => res(typeof a === 'object' && a ? a.port : 0)); });
  });
}

async function exited(p: ChildProcess, ms: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  await Promise.race([new Promise<void>((r) => p.once('exit', () => r())), sleep(ms)]);
}

/** ARGV inside namespace NS, bounded; rejects with its stderr. */
function runIn(ns: string, argv: string[], timeoutMs: number): Promise<void> {
  return new Promise((res, rej) => {
    execFile('ip', ['netns', 'exec', ns, ...argv], { cwd: ROOT, timeout: timeoutMs, env: { ...process.env, NODE_ENV: 'test' } }, (e, _out, err) => {
      if (e) rej(new Error(`${argv.slice(-4).join(' ')} in ${ns}: ${err.trim().split('\n').pop() || e.message}`));
      else res();
    });
  });
}

/** `anoguard --json server …` as its own process; resolves with what it prints once it listens. */
function spawnServer(args: string[], logPath: string): Promise<{ proc: ChildProcess; json: { web: string; user: string; passwordFile: string | null } }> {
  const fd = openSync(logPath, 'a');
  const proc = spawn(TSX[0]!, [...TSX.slice(1), MAIN, '--json', 'server', ...args], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', ANOGUARD_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', fd] });
  closeSync(fd);
  return new Promise((resolve, reject) => {
    let out = '';
    let settled = false;
    const timer = setTimeout(() => { settled = true; proc.kill('SIGKILL'); reject(new Error(`the server did not start within 90 s (log ${logPath})`)); }, 90_000);
    proc.stdout!.on('data', (d: Buffer) => {
      if (settled) return;
      out += d.toString();
      try {
        const json = JSON.parse(out) as { web: string; user: string; passwordFile: string | null };
        settled = true;
        clearTimeout(timer);
        resolve({ proc, json });
      } catch { /* not complete yet */ }
    });
    proc.once('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`the server exited ${code}: ${readTail(logPath, 3)}`));
    });
  });
}

/**
 * One look at a cut controller's status, asked at T (ms): alive, stepped down, or still acting as
 * the controller after its etcd lease could have ended (the etcd TTL after the cut)?
 */
export function observeCut(w: CutWatch, t: number, st: Pick<FailoverStatus, 'active' | 'leaseEnd' | 'timing' | 'events' | 'hosts'>): void {
  const late = w.at + ETCD_TTL_MS;
  w.answered++;
  if (t > late) {
    w.answeredLate++;
  }
  w.reachableAtEnd = st.hosts.filter((x) => x.reachable).length;
  if (!st.active && w.inactiveAt === undefined) w.inactiveAt = t;
  if (st.active && t > late) w.violations.add(`said active: true ${t - w.at} ms after the cut`);
  // A grant sets the record's end to grant time + lease TTL (in memory even when etcd refused it).
  if (st.leaseEnd > late + st.timing.leaseTtlMs) w.violations.add(`its lease record runs to ${st.leaseEnd - w.at - st.timing.leaseTtlMs} ms after the cut + TTL: it granted after its etcd lease ended`);
  for (const e of st.events) {
    if (e.ts < w.at) continue;
    if (e.kind === 'stepped-down') w.steppedDown = true;
    if (ACTING.has(e.kind) && e.ts > late) w.violations.add(`${e.kind} ${e.detail ?? ''} ${e.ts - w.at} ms after the cut`);
  }
}

/** `mount -t tmpfs` on DIR keeping what DIR held (its files are copied onto the new mount). */
async function mountTmpfs(dir: string, source: string): Promise<void> {
  const files = readdirSync(dir).map((f) => ({ f, data: readFileSync(join(dir, f)), mode: statSync(join(dir, f)).mode & 0o777 }));
  await execP('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0700`, source, dir], { timeout: 10_000 });
  for (const x of files) writeFileSync(join(dir, x.f), x.data, { mode: x.mode });
}

/** Fills the tmpfs at DIR with a filler file until the kernel answers ENOSPC; returns the bytes written. */
function fillTmpfs(dir: string): number {
  const fd = openSync(join(dir, FILLER), 'w', 0o600);
  let total = 0;
  try {
    // Bounded: a 512 KiB tmpfs takes at most a few hundred of these.
    for (const size of [65_536, 4096, 512, 1]) {
      const buf = Buffer.alloc(size, 0x66);
      for (let i = 0; i < 4096; i++) {
        try { total += writeSync(fd, buf); } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally { closeSync(fd); }
  return total;
}

export async function createProcessWorld(seed: number, note: (s: string) => void = () => undefined, opts: WorldOptions = {}): Promise<ChaosWorld> {
  const { dir, net, sim, early } = await startWorldSim(seed);
  const log: string[] = [];
  let t0 = Date.now();
  const say = (s: string): void => { const line = `${((Date.now() - t0) / 1000).toFixed(1)}s ${s}`; log.push(line); note(line); };
  const confOf = (node: string): string => join(sim.dir, node, '.factom/m2/factomd.conf');
  const apiOf = (node: string): string => sim.nodes.find((n) => n.name === node)!.api;
  const authority = readIdentityTriple(readFileSync(confOf('n2'), 'utf8'))!;
  const standbyOwn = readIdentityTriple(readFileSync(confOf('n3'), 'utf8'))!;
  const identity = authority.identityChainId;
  const pkiDir = join(dir, 'pki');
  const keyFile = join(dir, 'operator.key');
  const topoFile = join(dir, 'topology.yaml');
  const hosts = new Map<HostKey, PHost>();
  const ctls = new Map<string, PCtl>();
  let etcd: ChildProcess | undefined;
  let etcdPort = 0;
  let lastActive = 'A';
  const cuts = hostCuts(seed);
  const cutReports: CutReport[] = [];
  const hostOf = (h: string): PHost => {
    if (!isHostKey(h)) throw new Error(`no host ${h} (master or standby)`);
    return hosts.get(h)!;
  };
  const urlOf = (c: PCtl): string => `https://${net.master.hostAddr}:${c.port}`;

  function startAgent(h: PHost): void {
    const fd = openSync(join(h.dir, 'agent.log'), 'a');
    // A skewed host: the agent (and the fence check its restartCommand runs) reads a wall clock off
    // by skewMs; node-ctl starts the simulated factomd on the real clock (its skew is the simulator's fault).
    const skew = h.skewMs ? { LD_PRELOAD: FAKETIME_LIB, FAKETIME: `${h.skewMs >= 0 ? '+' : '-'}${(Math.abs(h.skewMs) / 1000).toFixed(3)}s` } : {};
    const p = spawn('ip', ['netns', 'exec', h.ns, ...TSX, MAIN, 'agent', '--config', h.yaml], {
      cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', ANOGUARD_LOG_LEVEL: 'info', ...skew }, stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    h.proc = p;
    p.once('exit', (code, sig) => { if (h.proc === p) say(`${h.host} agent exited ${sig ?? code}`); });
  }
  async function stopAgent(h: PHost): Promise<void> {
    const p = h.proc;
    h.proc = undefined;
    if (!p) return;
    p.kill('SIGKILL');
    await exited(p, 5000);
  }
  const nodeCtl = (h: PHost, op: 'stop' | 'restart'): string[] => [...TSX, NODE_CTL, op, sim.dir, h.node, ...(op === 'restart' ? [h.yaml] : [])];
  const running = (): PCtl[] => [...ctls.values()].filter((c) => c.proc);
  async function statusOf(c: PCtl): Promise<FailoverStatus | undefined> {
    if (!c.client) return undefined;
    return (await c.client.get<{ status: FailoverStatus }>('/api/failover').catch(() => undefined))?.status;
  }
  async function activeCtl(): Promise<PCtl | undefined> {
    for (const c of running()) {
      if ((await statusOf(c))?.active === true) { lastActive = c.name; return c; }
    }
    return undefined;
  }

  /** Polls a cut controller's dashboard until the cut is healed. */
  async function watchCut(c: PCtl, w: CutWatch): Promise<void> {
    while (!w.stop) {
      const t = Date.now();
      const st = await statusOf(c);
      if (st) observeCut(w, t, st);
      await sleep(250);
    }
  }

  const world: ChaosWorld = {
    kind: 'processes', sim, net, dir, identity, log, cutReports,
    controllerNames: opts.etcd ? ['A', 'B'] : ['A'],
    get t0() { return t0; },
    async activeController() { return (await activeCtl())?.name; },
    async runSwap(to) {
      const c = await activeCtl();
      const client = c?.client;
      if (!c || !client) throw new Error('no controller is active');
      let id: string;
      try {
        id = (await client.post<{ id: string }>('/api/swap/run', { standby: hostOf(to).name })).body.id;
      } catch (e) {
        return { ok: false, detail: message(e) };
      }
      // The run answers at once; its outcome is polled (the swap waits for its height).
      const end = Date.now() + 180_000;
      for (;;) {
        await sleep(250);
        let run: { state: string; ok?: boolean; detail?: string };
        try {
          run = await client.get(`/api/swap/runs/${id}`);
        } catch (e) {
          return { ok: false, detail: `controller ${c.name} gone mid-swap: ${message(e)}` };
        }
        if (run.state !== 'running') return { ok: run.ok === true, detail: run.detail ?? run.state };
        if (Date.now() > end) return { ok: false, detail: 'the swap was still running after 180 s' };
      }
    },
    async startController(name = 'A') {
      const c = ctls.get(name)!;
      if (c.proc) return;
      const { proc, json } = await spawnServer([
        '--pki-dir', pkiDir, '--data-dir', c.dataDir, '--listen', `${net.master.hostAddr}:${c.port}`, '--web-listen', '127.0.0.1:0',
        '--topology', topoFile, '--operator-key', keyFile, ...(etcdPort ? ['--etcd', `http://${c.etcdAddr}:${etcdPort}`] : []),
      ], join(dir, `server-${name}.log`));
      c.proc = proc;
      proc.once('exit', (code, sig) => { if (c.proc === proc) { c.proc = undefined; c.client = undefined; say(`controller ${name} exited ${sig ?? code}`); } });
      // The first start of a data dir creates the operator account and its password file.
      if (json.passwordFile) c.password = readFileSync(json.passwordFile, 'utf8').trim();
      c.client = await loginDashboard({ url: json.web, user: json.user, password: c.password ?? '', timeoutMs: 5000 });
      say(`controller ${name} started (pid ${proc.pid})`);
    },
    async killController(name) {
      const c = name ? ctls.get(name) : await activeCtl();
      const p = c?.proc;
      if (!c || !p) return;
      c.proc = undefined;
      c.client = undefined;
      p.kill('SIGKILL');
      await exited(p, 5000);
      say(`controller ${c.name} killed (SIGKILL)`);
    },
    async cutController(name, cut, scope = 'all') {
      const c = ctls.get(name)!;
      if (cut) {
        if (c.watch) return;
        const eps = [{ addr: c.etcdAddr, port: etcdPort }, ...(scope === 'all' ? [{ addr: net.master.hostAddr, port: c.port }] : [])];
        await cuts.set(name, eps);
        const w: CutWatch = { scope, at: Date.now(), answered: 0, answeredLate: 0, reachableAtEnd: 0, steppedDown: false, violations: new Set(), stop: false };
        w.loop = watchCut(c, w);
        c.watch = w;
        say(`controller ${name} cut from etcd${scope === 'all' ? ' and its agents' : ' only'} (nft table ${cuts.table}; the server keeps running)`);
        return;
      }
      const w = c.watch;
      await cuts.set(name, []);
      if (!w) return;
      c.watch = undefined;
      w.stop = true;
      await w.loop;
      const r: CutReport = {
        controller: name, scope: w.scope, ms: Date.now() - w.at, answered: w.answered, answeredLate: w.answeredLate, agentsReachableAtEnd: w.reachableAtEnd,
        running: c.proc !== undefined && c.proc.exitCode === null && c.proc.signalCode === null,
        ...(w.inactiveAt !== undefined ? { inactiveAfterMs: w.inactiveAt - w.at } : {}),
        steppedDownEvent: w.steppedDown, violations: [...w.violations],
      };
      cutReports.push(r);
      say(`controller ${name} healed after ${r.ms} ms: ${r.running ? 'running' : 'NOT running'}, answered ${r.answered} status calls during the cut, ` +
        `active: false after ${r.inactiveAfterMs ?? 'never'} ms${r.steppedDownEvent ? ', stepped-down event' : ''}, agents calling it at the end: ${r.agentsReachableAtEnd}; ${r.violations.length ? `STEP-DOWN VIOLATIONS: ${r.violations.join('; ')}` : 'did nothing as a controller after its etcd lease'}`);
    },
    async setLink(host, up) {
      const h = hostOf(host);
      h.linkUp = up;
      await applyLinkState(net, sim, h.host, h.node, h);
      say(`link ${host} ${up ? 'up' : 'down'} (controller)`);
    },
    async cutNetwork(host, cut) {
      const h = hostOf(host);
      h.netCut = cut;
      await applyLinkState(net, sim, h.host, h.node, h);
      say(`${host} ${cut ? 'cut from every network' : 'network back'}`);
    },
    async killNode(host) {
      const h = hostOf(host);
      await runIn(h.ns, nodeCtl(h, 'stop'), 30_000);
      say(`${host} factomd killed`);
    },
    async killHost(host) {
      const h = hostOf(host);
      await stopAgent(h);
      await runIn(h.ns, nodeCtl(h, 'stop'), 30_000);
      say(`${host} host down`);
    },
    async bootHost(host) {
      const h = hostOf(host);
      startAgent(h);
      await runIn(h.ns, nodeCtl(h, 'restart'), 60_000);
      say(`${host} host booted`);
    },
    async restartNode(host) {
      const h = hostOf(host);
      await runIn(h.ns, nodeCtl(h, 'restart'), 60_000);
      say(`${host} factomd restarted`);
    },
    holderOf: () => holderAmong(hosts.values(), identity, apiOf),
    confPath: (host) => confOf(hostOf(host).node),
    async stopAgent(host) {
      await stopAgent(hostOf(host));
      say(`${host} agent stopped (SIGKILL)`);
    },
    fillDisk(host, full) {
      const h = hostOf(host);
      if (!h.tmpfs) return Promise.reject(new Error(`${host}: this world has no tmpfs for factomd.conf (create it with tmpfsConf)`));
      if (full) {
        const n = fillTmpfs(h.tmpfs);
        say(`${host} disk full: ${n} bytes of filler on the ${TMPFS_SIZE} tmpfs of ${h.tmpfs}`);
      } else {
        unlinkSync(join(h.tmpfs, FILLER));
        let seen = 0;
        try { seen = (readFileSync(join(h.dir, 'agent.log'), 'utf8').match(/ENOSPC/g) ?? []).length; } catch { /* none */ }
        say(`${host} disk freed (ENOSPC in its agent's log: ${seen})`);
      }
      return Promise.resolve();
    },
    ...(opts.skewMs ? { agentSkewMs: { master: opts.skewMs.master ?? 0, standby: opts.skewMs.standby ?? 0 } } : {}),
    journal: () => openJournal(join(ctls.get(lastActive)?.dataDir ?? join(dir, 'server-A'), 'failover-journal.jsonl')),
    check: () => checkWorld(sim.dir, identity, t0),
    async close() {
      releaseWorld(closeWorld);
      for (const c of ctls.values()) { if (c.watch) c.watch.stop = true; c.proc?.kill('SIGKILL'); c.proc = undefined; }
      await cuts.close();
      for (const h of hosts.values()) await stopAgent(h);
      etcd?.kill('SIGKILL');
      await sim.stop().catch(() => undefined);
      await net.close().catch(() => undefined);
      killWorldProcesses(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const closeWorld = (): Promise<void> => world.close();
  adoptWorld(early, closeWorld);

  try {
    const seedBytes = randomBytes(32);
    writeFileSync(keyFile, `${seedBytes.toString('hex')}\n`, { mode: 0o600 });
    const opKey = Buffer.from(publicKeyFromSeed(new Uint8Array(seedBytes))).toString('hex');
    const pass = randomBytes(16).toString('hex');
    await initCa({ dir: pkiDir, passphrase: pass, scrypt: { N: 1 << 14, r: 8, p: 1 } });
    await issueCert({ dir: pkiDir, passphrase: pass, kind: 'server', name: 'server', sans: [`IP:${net.master.hostAddr}`, 'IP:127.0.0.1'] });
    for (const n of Object.values(NAMES)) await issueCert({ dir: pkiDir, passphrase: pass, kind: 'agent', name: n });
    const topo = parse(readFileSync(join(ROOT, 'examples/topology.yaml'), 'utf8')) as { authority: Record<string, unknown> };
    topo.authority.master = NAMES.master;
    topo.authority.standby = NAMES.standby;
    topo.authority.failover = {
      identity, auto: true, leaseTtl: `${TIMING.leaseTtlMs}ms`, renewEvery: `${TIMING.renewEveryMs}ms`, marginBlocks: TIMING.marginBlocks,
      downBlocks: TIMING.downBlocks, blockTime: `${BLOCK_MS}ms`,
    };
    writeFileSync(topoFile, stringify(topo));
    // Each server reaches etcd through its own loopback address, so that one can be cut alone.
    const etcdAddrs = world.controllerNames.map((_, i) => `127.0.0.${i + 2}`);
    if (opts.etcd) {
      const e = await startEtcd(dir, seed, etcdAddrs);
      etcd = e.proc;
      etcdPort = e.port;
    }
    for (const [i, name] of world.controllerNames.entries()) {
      const dataDir = join(dir, `server-${name}`);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      ctls.set(name, { name, dataDir, port: await freePort(net.master.hostAddr), etcdAddr: etcdAddrs[i]! });
    }
    const triple = (t: IdentityTriple): string => JSON.stringify({ IdentityChainID: t.identityChainId, LocalServerPrivKey: t.localServerPrivKey, LocalServerPublicKey: t.localServerPublicKey });
    for (const [host, node] of [['master', 'n2'], ['standby', 'n3']] as const) {
      const name = NAMES[host];
      const hdir = join(dir, host);
      mkdirSync(hdir, { recursive: true, mode: 0o700 });
      writeFileSync(join(hdir, 'identity.json'), triple(authority), { mode: 0o600 });
      if (host === 'standby') writeFileSync(join(hdir, 'follower.json'), triple(standbyOwn), { mode: 0o600 });
      const h: PHost = { host, name, node, ns: net[host].ns, dir: hdir, yaml: join(hdir, 'agent.yaml'), linkUp: true, netCut: false, skewMs: opts.skewMs?.[host] ?? 0 };
      if (opts.tmpfsConf) {
        h.tmpfs = dirname(confOf(node));
        await mountTmpfs(h.tmpfs, `fo${seed}${host[0]!}`);
        // `ip netns exec` gave the running node a private copy of the mount table (no propagation
        // here): started again, it reads its factomd.conf from the tmpfs like the agent does.
        const pid = sim.nodes.find((n) => n.name === node)?.pid ?? 0;
        if (pid > 0) {
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
          for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(50);
        }
        await sim.restartNode(node);
      }
      const tls = tlsFilesFromPkiDir(pkiDir, name);
      const servers = [...ctls.values()].map(urlOf);
      writeFileSync(h.yaml, stringify({
        name, server: servers[0], tls: { ca: tls.ca, cert: tls.cert, key: tls.key },
        interval: '60s', stateDir: join(hdir, 'state'), watch: { files: [h.yaml] },
        factomd: [{ name: node, url: apiOf(node), timeout: '2s' }],
        control: {
          factomdConf: confOf(node), stateFile: join(hdir, 'fence.json'), replayFile: join(hdir, 'replay.json'), identity, trustedKeys: [opKey],
          identityFile: join(hdir, 'identity.json'), ...(host === 'standby' ? { followerFile: join(hdir, 'follower.json') } : {}),
          ...(servers.length > 1 ? { servers } : {}),
          renewEvery: `${TIMING.renewEveryMs}ms`, demoteBefore: `${TIMING.demoteBeforeMs}ms`,
          restartCommand: nodeCtl(h, 'restart'), stopCommand: nodeCtl(h, 'stop'),
        },
      }), { mode: 0o600 });
      hosts.set(host, h);
    }
    // Controllers first, then the agents (as at a deployment: the agents connect out to them).
    await Promise.all(world.controllerNames.map((n) => world.startController(n)));
    for (const h of hosts.values()) startAgent(h);
    // Ready: the master leads, the active controller sees its lease, and the standby's agent has
    // called in (before that the controller rightly refuses a swap to it). Generous: 2 cores, other suites.
    const end = Date.now() + 90_000;
    let ready = false;
    while (!ready && Date.now() < end) {
      const c = await activeCtl();
      const s = c ? await statusOf(c) : undefined;
      ready = (await world.holderOf()) === 'master' && s?.hosts.find((x) => x.host === NAMES.master)?.leased === true
        && s.hosts.find((x) => x.host === NAMES.standby)?.reachable === true;
      if (!ready) await sleep(250);
    }
    if (!ready) {
      const d = await diag(apiOf('n2'));
      throw new Error(`the master never led with a lease and a called-in standby (its node: ${d ? `${d.role} at ${d.leaderheight}` : 'no answer'}); agent log: ${readTail(join(dir, 'master', 'agent.log'), 3)}`);
    }
    // A skewed agent must really run on the faked clock: libfaketime mapped into its process.
    for (const h of hosts.values()) {
      if (!h.skewMs) continue;
      const maps = h.proc?.pid ? readFileSync(`/proc/${h.proc.pid}/maps`, 'utf8') : '';
      if (!maps.includes('libfaketime')) throw new Error(`${h.host} agent: libfaketime is not loaded (LD_PRELOAD ${FAKETIME_LIB})`);
      say(`${h.host} agent runs ${h.skewMs > 0 ? '+' : ''}${h.skewMs} ms off the host clock (libfaketime loaded)`);
    }
    t0 = Date.now();
  } catch (e) {
    await world.close();
    throw e;
  }
  return world;
}
