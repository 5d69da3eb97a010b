import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnoguardError, InputError } from '../errors.js';
import { bytesToHex } from '../factom/bytes.js';
import { publicKeyFromSeed } from '../factom/ed25519.js';
import { encodeKey, parsePublicAddress, rcdHash } from '../factom/keys.js';
import { readTail, writeFileAtomic } from '../util/fs.js';
import { NetworkFile, paths, readJsonFile, SimFile, type NodeFile, type SetupFile, type SimNodeEntry } from './layout.js';
import { readLines, send } from './wire.js';

export interface StartSimOptions {
  nodes: number;
  /** Federated servers among the nodes (the first K nodes hold them). Default 1. */
  authorities?: number;
  /** Audit servers (held by the next nodes). Default 0. */
  audits?: number;
  blockTimeMs?: number;
  dir: string;
  host?: string;
  /** EC addresses (EC…) funded at genesis, with their credits. */
  fund?: Record<string, number>;
  /** Extra `[app]` lines per node name (e.g. FactomdRpcUser), written into its factomd.conf. */
  confExtra?: Record<string, string>;
  /**
   * Nodes run inside an existing network namespace (`ip netns exec`), listening on an address of
   * that namespace; the network process (on `host`) must be reachable from there.
   */
  placement?: Record<string, { netns: string; host: string }>;
}

export interface FaultKind {
  kind: 'crash' | 'stall' | 'lag' | 'partition' | 'heal' | 'slow' | 'clock-skew';
}

export interface SimHandle {
  dir: string;
  network: SimFile['network'];
  nodes: SimNodeEntry[];
  fault(node: string, kind: FaultKind['kind'], arg?: number): Promise<unknown>;
  promote(chainId: string, opts?: { audit?: boolean }): Promise<unknown>;
  fund(ecAddress: string, credits: number): Promise<unknown>;
  status(): Promise<unknown>;
  /** Starts a node again (after a crash or a kill), re-reading its factomd.conf at boot. */
  restartNode(name: string): Promise<SimNodeEntry>;
  stop(): Promise<void>;
}

const FROM_SOURCE = import.meta.url.endsWith('.ts');
let procPath: string = fileURLToPath(new URL(`./proc${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url));

/**
 * Run from sources (tests, tsx), the processes would each carry the tsx loader (~90 MB RSS). So the
 * process entry is bundled once per simulation directory with esbuild (a dev dependency) and run by
 * plain node; from the built dist/ it runs as is.
 */
async function prepareEntry(dir: string): Promise<void> {
  if (!FROM_SOURCE) return;
  const esbuild = await import('esbuild');
  const out = `${dir}/.sim-proc.mjs`;
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./proc.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    outfile: out, logLevel: 'silent',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  procPath = out;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `entry`: this simulation's own bundle; the module-wide one may be another concurrent simulation's. */
function spawnDetached(args: string[], logPath: string, netns?: string, entry: string = procPath): number {
  const fd = openSync(logPath, 'a');
  try {
    // `ip netns exec` execs the command in place: the pid stays the node's own (isOurProcess holds).
    const [cmd, argv] = netns ? ['ip', ['netns', 'exec', netns, process.execPath, entry, ...args]] : [process.execPath, [entry, ...args]];
    const child = spawn(cmd, argv, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, NO_COLOR: '1' } });
    child.unref();
    if (child.pid === undefined) throw new AnoguardError('E_SIM_SPAWN', 'could not start a simulator process', { field: args[1] ?? 'sim' });
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** True when `pid` is a live simulator process of this DIR (never signal a stranger). */
export function isOurProcess(pid: number, dir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = cmd.indexOf('--dir');
    if (!cmd.includes('sim') || i < 0 || cmd[i + 1] === undefined) return false;
    // A relative --dir is relative to that process's working directory.
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    return resolvePath(cwd, cmd[i + 1]!) === resolvePath(dir);
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new AnoguardError('E_SIM_TIMEOUT', `${what} did not come up within ${timeoutMs / 1000} s`, { field: what });
}

function withLogTail(err: unknown, path: string): unknown {
  const tail = readTail(path, 4);
  if (!(err instanceof AnoguardError) || !tail) return err;
  return new AnoguardError(err.code, `${err.shortMessage} (its log: ${tail})`, { field: err.field ?? 'sim' });
}

async function answers(api: string): Promise<boolean> {
  try {
    const r = await fetch(`${api}/v2`, { method: 'POST', body: '{"jsonrpc":"2.0","id":0,"method":"properties"}', signal: AbortSignal.timeout(1000) });
    return r.status === 200 || r.status === 401;
  } catch {
    return false;
  }
}

function makeIdentity(): SetupFile['identities'][number] & { privateKey: string } {
  const seed = randomBytes(32);
  const pub = publicKeyFromSeed(new Uint8Array(seed));
  return {
    chainid: `888888${randomBytes(29).toString('hex')}`,
    signingkey: bytesToHex(pub),
    manageid: `888888${randomBytes(29).toString('hex')}`,
    matroyshka: randomBytes(32).toString('hex'),
    efficiency: 10000,
    coinbaseaddress: encodeKey('FA', rcdHash(pub)),
    privateKey: seed.toString('hex'),
  };
}

export function renderConf(o: { port: number; controlPanelPort: number; blockSeconds: number; id: string; priv: string; pub: string; host: string; extra?: string }): string {
  const k = (key: string, v: string | number): string => `${key.padEnd(38)}= ${v}\n`;
  return '; factomd.conf written by anoguard sim (a real factomd.conf: gcfg syntax, [app] section)\n[app]\n' +
    k('PortNumber', o.port) + k('ControlPanelPort', o.controlPanelPort) + k('ControlPanelSetting', 'readonly') + k('Network', 'LOCAL') +
    k('DirectoryBlockInSeconds', o.blockSeconds) + k('IdentityChainID', o.id) + k('LocalServerPrivKey', o.priv) + k('LocalServerPublicKey', o.pub) +
    (o.extra ? `${o.extra.trimEnd()}\n` : '') +
    '; ChangeAcksHeight                    = 0\n\n[Walletd]\n' + k('FactomdLocation', `${o.host}:${o.port}`);
}

/** Sends one control request to the network process and returns its answer. */
export function controlNetwork(dir: string, op: string, args: Record<string, unknown> = {}, timeoutMs = 5000): Promise<unknown> {
  const nf = readJsonFile(paths.network(dir), NetworkFile, 'network.json');
  return new Promise((resolve, reject) => {
    const sock = connect({ host: nf.host, port: nf.port });
    const t = setTimeout(() => { sock.destroy(); reject(new AnoguardError('E_SIM_TIMEOUT', 'the network process did not answer', { field: 'network' })); }, timeoutMs);
    sock.on('error', (e) => { clearTimeout(t); reject(new AnoguardError('E_SIM_DOWN', `cannot reach the network process: ${e.message}`, { field: 'network' })); });
    sock.on('connect', () => send(sock, { t: 'ctl', id: 1, op, args }));
    readLines(sock, (raw) => {
      const m = raw as { t?: string; ok?: boolean; value?: unknown };
      if (m.t !== 'reply') return;
      clearTimeout(t);
      sock.end();
      if (m.ok) resolve(m.value);
      else reject(new AnoguardError('E_SIM_REFUSED', String(m.value), { field: op }));
    });
  });
}

function handleFor(dir: string, sim: SimFile): SimHandle {
  const h: SimHandle = {
    dir,
    network: sim.network,
    nodes: sim.nodes,
    fault: (node, kind, arg) => controlNetwork(dir, 'fault', { node, kind, arg }),
    promote: (chainid, o = {}) => controlNetwork(dir, 'promote', { chainid, audit: Boolean(o.audit) }),
    fund: (ecAddress, credits) => {
      const k = parsePublicAddress(ecAddress, 'address');
      if (k.kind !== 'EC') throw new InputError('E_BAD_ADDRESS', 'an EC address is required', { field: 'address' });
      return controlNetwork(dir, 'fund', { ecPublicKey: bytesToHex(k.publicKey), credits });
    },
    status: () => controlNetwork(dir, 'status'),
    restartNode: async (name) => {
      if (FROM_SOURCE && !existsSync(`${dir}/.sim-proc.mjs`)) await prepareEntry(dir);
      else if (FROM_SOURCE) procPath = `${dir}/.sim-proc.mjs`;
      const cur = readJsonFile(paths.sim(dir), SimFile, 'sim.json');
      const entry = cur.nodes.find((n) => n.name === name);
      if (!entry) throw new InputError('E_SIM_NODE', `no node ${name} in this simulation`, { field: 'node' });
      const pid = spawnDetached(['sim', 'node', '--dir', resolvePath(dir), '--name', name], paths.log(dir, name), entry.netns, FROM_SOURCE ? `${dir}/.sim-proc.mjs` : procPath);
      const next = { ...entry, pid };
      cur.nodes = cur.nodes.map((n) => (n.name === name ? next : n));
      writeFileAtomic(paths.sim(dir), JSON.stringify(cur, null, 2));
      h.nodes = cur.nodes;
      await waitFor(`node ${name}`, async () => ((await answers(entry.api)) ? true : undefined), 30_000);
      return next;
    },
    stop: async () => { await stopSim(dir); },
  };
  return h;
}

/**
 * Prepares an extra node home in DIR (node.json with fresh ports, the given factomd.conf text, mode
 * 0600) without starting it; `nodeCommand` gives the command line to run it attached (tests read its
 * exit code and stderr), `restartNode` runs it detached. Used to start duplicates and followers.
 */
export async function prepareNode(dirIn: string, name: string, conf: (ports: { port: number; controlPanelPort: number }) => string): Promise<SimNodeEntry> {
  const dir = resolvePath(dirIn);
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(name)) throw new InputError('E_SIM_NODE', 'node names are 1–32 letters, digits, _ or -', { field: 'name' });
  const sim = readJsonFile(paths.sim(dir), SimFile, 'sim.json');
  const nf = readJsonFile(paths.network(dir), NetworkFile, 'network.json');
  const host = nf.host;
  const ports = { port: await freePort(host), controlPanelPort: await freePort(host), metricsPort: await freePort(host) };
  mkdirSync(paths.home(dir, name), { recursive: true, mode: 0o700 });
  writeFileAtomic(paths.nodeFile(dir, name), JSON.stringify({ name, host, flags: { network: 'LOCAL', ...ports } } satisfies NodeFile, null, 2));
  writeFileAtomic(paths.conf(dir, name), conf(ports), { mode: 0o600 });
  const url = (p: number): string => `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
  const entry: SimNodeEntry = { name, pid: 0, home: paths.home(dir, name), api: url(ports.port), controlPanel: url(ports.controlPanelPort), metrics: `${url(ports.metricsPort)}/metrics`, identity: '' };
  sim.nodes = [...sim.nodes.filter((n) => n.name !== name), entry];
  writeFileAtomic(paths.sim(dir), JSON.stringify(sim, null, 2));
  return entry;
}

/** Command line that runs node `name` of DIR in the foreground (plain node, no loader). */
export async function nodeCommand(dirIn: string, name: string): Promise<{ command: string; args: string[] }> {
  const dir = resolvePath(dirIn);
  if (FROM_SOURCE) {
    if (!existsSync(`${dir}/.sim-proc.mjs`)) await prepareEntry(dir);
    else procPath = `${dir}/.sim-proc.mjs`;
  }
  return { command: process.execPath, args: [procPath, 'sim', 'node', '--dir', dir, '--name', name] };
}

/** Records a foreground-started node's pid in sim.json so that `sim down` stops it too. */
export function recordNodePid(dirIn: string, name: string, pid: number): void {
  const dir = resolvePath(dirIn);
  const sim = readJsonFile(paths.sim(dir), SimFile, 'sim.json');
  sim.nodes = sim.nodes.map((n) => (n.name === name ? { ...n, pid } : n));
  writeFileAtomic(paths.sim(dir), JSON.stringify(sim, null, 2));
}

/** `sim up`: one network process and one process per node, detached; returns once every node answers. */
export async function startSim(opts: StartSimOptions): Promise<SimHandle> {
  const dir = resolvePath(opts.dir);
  const host = opts.host ?? '127.0.0.1';
  const blockTimeMs = opts.blockTimeMs ?? 6000;
  const k = opts.authorities ?? 1;
  const a = opts.audits ?? 0;
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 32) throw new InputError('E_SIM_NODES', 'nodes must be 1..32', { field: 'nodes', exitCode: 2 });
  if (!Number.isInteger(k) || k < 1 || k + a > opts.nodes) throw new InputError('E_SIM_AUTH', 'authorities must be ≥ 1 and authorities + audits ≤ nodes', { field: 'authorities', exitCode: 2 });
  if (!Number.isInteger(blockTimeMs) || blockTimeMs < 1000 || blockTimeMs % 1000 !== 0) {
    // directoryblockinseconds is an integer in factomd's answers: whole seconds only.
    throw new InputError('E_SIM_BLOCKTIME', 'block time must be a whole number of seconds, ≥ 1 s', { field: 'block-time', exitCode: 2 });
  }
  if (existsSync(paths.sim(dir))) {
    const old = readJsonFile(paths.sim(dir), SimFile, 'sim.json');
    if ([old.network.pid, ...old.nodes.map((n) => n.pid)].some((p) => isOurProcess(p, dir))) {
      throw new AnoguardError('E_SIM_RUNNING', 'a simulation is already running in this directory (sim down first)', { field: 'dir' });
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await prepareEntry(dir);
  const entryPath = FROM_SOURCE ? `${dir}/.sim-proc.mjs` : procPath;
  const ids = Array.from({ length: opts.nodes }, makeIdentity);
  const funded: Record<string, number> = {};
  for (const [addr, credits] of Object.entries(opts.fund ?? {})) {
    const key = parsePublicAddress(addr, 'fund');
    if (key.kind !== 'EC') throw new InputError('E_BAD_ADDRESS', 'an EC address is required', { field: 'fund', exitCode: 2 });
    funded[bytesToHex(key.publicKey)] = credits;
  }
  const setup: SetupFile = {
    blockTimeMs, host, network: 'LOCAL',
    identities: ids.map(({ privateKey: _p, ...pub }) => pub),
    fed: ids.slice(0, k).map((i) => i.chainid),
    audit: ids.slice(k, k + a).map((i) => i.chainid),
    funded,
  };
  writeFileAtomic(paths.setup(dir), JSON.stringify(setup, null, 2));
  try { writeFileAtomic(paths.network(dir), '{}'); } catch { /* replaced by the network process */ }
  const netPid = spawnDetached(['sim', 'network', '--dir', dir], `${dir}/network.log`, undefined, entryPath);
  const nf = await waitFor('network', () => {
    try {
      const v = readJsonFile(paths.network(dir), NetworkFile, 'network.json');
      return v.pid === netPid ? v : undefined;
    } catch {
      return undefined;
    }
  }, 15_000);
  const entries: SimNodeEntry[] = [];
  // Picks free ports, writes the node's files and starts it. The ports are free when picked, but
  // another process (an outgoing connection takes its source port from the same range) can bind
  // one before the node does: the caller starts the node again on new ports when that happens.
  const launch = async (i: number): Promise<SimNodeEntry> => {
    const name = `n${i + 1}`;
    const id = ids[i]!;
    const place = opts.placement?.[name];
    const nodeHost = place?.host ?? host;
    // A fresh namespace has every port free; loopback only picks distinct numbers.
    const portHost = place ? '127.0.0.1' : host;
    const ports = { port: await freePort(portHost), controlPanelPort: await freePort(portHost), metricsPort: await freePort(portHost) };
    mkdirSync(paths.home(dir, name), { recursive: true, mode: 0o700 });
    const nodeFile: NodeFile = { name, host: nodeHost, flags: { network: 'LOCAL', ...ports } };
    writeFileAtomic(paths.nodeFile(dir, name), JSON.stringify(nodeFile, null, 2));
    writeFileAtomic(paths.conf(dir, name), renderConf({
      port: ports.port, controlPanelPort: ports.controlPanelPort, blockSeconds: blockTimeMs / 1000, id: id.chainid, priv: id.privateKey,
      pub: id.signingkey, host: nodeHost, ...(opts.confExtra?.[name] ? { extra: opts.confExtra[name] } : {}),
    }), { mode: 0o600 });
    const pid = spawnDetached(['sim', 'node', '--dir', dir, '--name', name], paths.log(dir, name), place?.netns, entryPath);
    const url = (p: number): string => `http://${nodeHost.includes(':') ? `[${nodeHost}]` : nodeHost}:${p}`;
    return {
      name, pid, home: paths.home(dir, name), api: url(ports.port), controlPanel: url(ports.controlPanelPort), metrics: `${url(ports.metricsPort)}/metrics`,
      identity: id.chainid, ...(place ? { netns: place.netns } : {}),
    };
  };
  const save = (): SimFile => {
    const sim: SimFile = { network: { pid: nf.pid, address: `${nf.host}:${nf.port}`, blockTimeMs }, nodes: entries };
    writeFileAtomic(paths.sim(dir), JSON.stringify(sim, null, 2));
    return sim;
  };
  try {
    for (let i = 0; i < opts.nodes; i++) entries.push(await launch(i));
    // Written before the wait, so that a failure's stopSim finds the started nodes.
    let sim = save();
    for (let i = 0; i < entries.length; i++) {
      for (let attempt = 1; ; attempt++) {
        const e = entries[i]!;
        const up = await waitFor(`node ${e.name}`, async () => ((await answers(e.api)) ? 'up' as const : alive(e.pid) ? undefined : 'exited' as const), 30_000)
          .catch((err: unknown) => { throw withLogTail(err, paths.log(dir, e.name)); });
        if (up === 'up') break;
        const tail = readTail(paths.log(dir, e.name), 4);
        if (!/EADDRINUSE/.test(tail) || attempt >= 3) {
          throw new AnoguardError('E_SIM_NODE_EXIT', `node ${e.name} exited while starting: ${tail || '(empty log)'}`, { field: `node ${e.name}` });
        }
        entries[i] = await launch(i);
        sim = save();
      }
    }
    return handleFor(dir, sim);
  } catch (e) {
    await stopSim(dir).catch(() => undefined);
    throw e;
  }
}

/** A handle on an already running simulation (from DIR/sim.json). */
export function openSim(dirIn: string): SimHandle {
  const dir = resolvePath(dirIn);
  return handleFor(dir, readJsonFile(paths.sim(dir), SimFile, 'sim.json'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `sim down`: stops exactly the processes in DIR/sim.json, each checked to be ours before signalling. */
export async function stopSim(dirIn: string): Promise<{ stopped: number[] }> {
  const dir = resolvePath(dirIn);
  let pids: number[] = [];
  if (existsSync(paths.sim(dir))) {
    const sim = readJsonFile(paths.sim(dir), SimFile, 'sim.json');
    pids = [...sim.nodes.map((n) => n.pid), sim.network.pid];
  } else if (existsSync(paths.network(dir))) {
    try { pids = [readJsonFile(paths.network(dir), NetworkFile, 'network.json').pid]; } catch { pids = []; }
  }
  const ours = pids.filter((p) => isOurProcess(p, dir));
  for (const p of ours) {
    try {
      process.kill(p, 'SIGTERM');
      // A stalled (SIGSTOPped) node keeps SIGTERM pending until continued.
      process.kill(p, 'SIGCONT');
    } catch { /* already gone */ }
  }
  const end = Date.now() + 3000;
  while (Date.now() < end && ours.some(alive)) await sleep(50);
  for (const p of ours) if (alive(p) && isOurProcess(p, dir)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  return { stopped: ours };
}
