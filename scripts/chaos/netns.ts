/**
 * Network namespaces of one chaos world: `fo<seed>m` (the master's host) and `fo<seed>s` (the
 * standby's host), each joined to the host by a veth pair in its own /30 of 10.77.0.0/16, so that
 * partitions are real packet drops (nft inside the namespace) instead of flags in this process.
 *
 * Ownership: before creating a namespace, its owner pid goes into OWNERS/<name>; a sweep deletes only
 * `fo<digits>[ms]` namespaces whose owner is dead or unknown, so concurrent campaigns (CI and a long
 * run) never tear down each other's worlds.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OWNERS = '/run/anoguard-fo-chaos';
const NAME = /^fo\d{1,10}[ms]$/;

export interface NsEnd {
  ns: string;
  /** The host's address on this veth (where the namespace reaches the host). */
  hostAddr: string;
  /** The namespace's address (what the node listens on). */
  nsAddr: string;
}

export interface WorldNet {
  master: NsEnd;
  standby: NsEnd;
  /**
   * Drops packets on the namespace's link: 'all' = everything; otherwise all but connections to the
   * listed host TCP ports (e.g. the simulator network) and from the host to the listed local ports.
   */
  partition(which: 'master' | 'standby', mode: 'all' | { hostPorts: number[]; localPorts?: number[] }): Promise<void>;
  heal(which: 'master' | 'standby'): Promise<void>;
  close(): Promise<void>;
}

/** Addresses of a seed: /29 number seed mod 8192 inside 10.77.0.0/16, split into two /30s. */
export function addressesOf(seed: number): { master: Omit<NsEnd, 'ns'>; standby: Omit<NsEnd, 'ns'> } {
  const idx = ((seed % 8192) + 8192) % 8192;
  const base = `10.77.${idx >> 5}.`;
  const o = (idx & 31) * 8;
  return {
    master: { hostAddr: `${base}${o + 1}`, nsAddr: `${base}${o + 2}` },
    standby: { hostAddr: `${base}${o + 5}`, nsAddr: `${base}${o + 6}` },
  };
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

function deleteNs(ns: string): void {
  // Processes left in a dead run's namespace are that run's simulator nodes: only ours live there.
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).split(/\s+/).filter(Boolean).map(Number);
    for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  } catch { /* no such namespace */ }
  // The host end first: deleting the namespace frees its veth pair only later, in the kernel's
  // own time (a cleanup worker), and a check or a new world of the same seed could still meet it.
  try { execFileSync('ip', ['link', 'del', ns], { stdio: 'ignore', timeout: 5000 }); } catch { /* no such link */ }
  try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 }); } catch { /* already gone */ }
  rmSync(`${OWNERS}/${ns}`, { force: true });
}

/** Deletes stale chaos namespaces and host tables (owner dead or unknown); returns their names. */
export function sweepStale(): string[] {
  const swept: string[] = sweepHostTables();
  let names: string[] = [];
  try {
    names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => NAME.test(n));
  } catch { return swept; }
  for (const ns of names) {
    const f = `${OWNERS}/${ns}`;
    const owner = existsSync(f) ? Number(readFileSync(f, 'utf8')) : 0;
    if (owner > 0 && alive(owner)) continue;
    deleteNs(ns);
    swept.push(ns);
  }
  // Markers of dead owners whose namespace is gone (a live owner may be about to create it).
  if (existsSync(OWNERS)) {
    for (const f of readdirSync(OWNERS)) {
      if (!NAME.test(f) || names.includes(f)) continue;
      const owner = Number(readFileSync(`${OWNERS}/${f}`, 'utf8'));
      if (!(owner > 0 && alive(owner))) rmSync(`${OWNERS}/${f}`, { force: true });
    }
  }
  return swept;
}

const TABLE = 'fochaos';
/** The host table of one world (partitions of controllers that run on the host): `fochaos<seed>`. */
const HOST_TABLE = /^fochaos(\d{1,10})$/;

/** `nft -f -` on the host with SCRIPT (one transaction). */
async function nftHost(script: string, what: string): Promise<void> {
  const child = execFile('nft', ['-f', '-'], { timeout: 10_000 });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  await new Promise<void>((res, rej) => {
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`nft ${what}: ${err.trim() || `exit ${code}`}`))));
    child.stdin!.end(script);
  });
}

/** One TCP endpoint a host cut drops both ways (the connections' packets, established ones too). */
export interface Endpoint { addr: string; port: number }

export interface HostCuts {
  table: string;
  /** Replaces the cut named NAME (e.g. a controller) by drops of these endpoints; [] heals it. */
  set(name: string, endpoints: Endpoint[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Partitions between processes on the host (a controller and etcd, a controller and the agents'
 * connections to it): drops in the host's own nft table `inet fochaos<seed>`, created on the first
 * cut and deleted on close. No other table is ever touched.
 */
export function hostCuts(seed: number): HostCuts {
  const table = `fochaos${seed}`;
  const cuts = new Map<string, Endpoint[]>();
  let created = false;
  const apply = async (): Promise<void> => {
    const eps = [...cuts.values()].flat();
    const rules = eps.flatMap((e) => [`ip daddr ${e.addr} tcp dport ${e.port} drop;`, `ip saddr ${e.addr} tcp sport ${e.port} drop;`]).join(' ');
    // Input and output: loopback traffic passes both, a namespace's traffic to the host only input/output of one side.
    await nftHost(`table inet ${table}\ndelete table inet ${table}\ntable inet ${table} {\n` +
      `  chain in { type filter hook input priority -10; ${rules} }\n  chain out { type filter hook output priority -10; ${rules} }\n}\n`, table);
    created = true;
  };
  return {
    table,
    async set(name, endpoints) {
      if (endpoints.length) cuts.set(name, endpoints); else cuts.delete(name);
      await apply();
    },
    async close() {
      cuts.clear();
      if (created) await nftHost(`table inet ${table}\ndelete table inet ${table}\n`, table).catch(() => undefined);
      created = false;
    },
  };
}

/** Host tables `fochaos<seed>` whose world's owner is dead or unknown (a crashed run): deleted. */
function sweepHostTables(): string[] {
  let out = '';
  try { out = execFileSync('nft', ['list', 'tables', 'inet'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }); } catch { return []; }
  const swept: string[] = [];
  for (const line of out.split('\n')) {
    const t = HOST_TABLE.exec(line.trim().split(' ').pop() ?? '');
    if (!t) continue;
    const f = `${OWNERS}/fo${t[1]!}m`;
    const owner = existsSync(f) ? Number(readFileSync(f, 'utf8')) : 0;
    if (owner > 0 && alive(owner)) continue;
    try { execFileSync('nft', ['delete', 'table', 'inet', t[0]], { stdio: 'ignore', timeout: 5000 }); swept.push(t[0]); } catch { /* gone meanwhile */ }
  }
  return swept;
}

export async function createWorldNet(seed: number): Promise<WorldNet> {
  if (!Number.isInteger(seed) || seed < 0 || seed > 9_999_999_999) throw new Error('seed: a non-negative integer of at most 10 digits');
  const addrs = addressesOf(seed);
  const ends = {
    master: { ns: `fo${seed}m`, ...addrs.master },
    standby: { ns: `fo${seed}s`, ...addrs.standby },
  };
  mkdirSync(OWNERS, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  const close = async (): Promise<void> => {
    for (const ns of created.splice(0)) deleteNs(ns);
  };
  try {
    for (const e of Object.values(ends)) {
      // A namespace of this seed left by a crashed run of this same seed: ours to replace.
      const f = `${OWNERS}/${e.ns}`;
      if (existsSync(f) && alive(Number(readFileSync(f, 'utf8'))) && Number(readFileSync(f, 'utf8')) !== process.pid) {
        throw new Error(`namespace ${e.ns} belongs to a running chaos campaign (pid ${readFileSync(f, 'utf8')}): use another seed`);
      }
      deleteNs(e.ns);
      writeFileSync(f, String(process.pid));
      created.push(e.ns);
      await run('ip', ['netns', 'add', e.ns], { timeout: 10_000 });
      // The host end carries the namespace's name, the inner end is eth0.
      await run('ip', ['link', 'add', e.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', e.ns], { timeout: 10_000 });
      await run('ip', ['addr', 'add', `${e.hostAddr}/30`, 'dev', e.ns], { timeout: 10_000 });
      await run('ip', ['link', 'set', e.ns, 'up'], { timeout: 10_000 });
      const batch = [
        'link set lo up', `addr add ${e.nsAddr}/30 dev eth0`, 'link set eth0 up', `route add default via ${e.hostAddr}`,
      ].join('\n');
      const child = execFile('ip', ['-n', e.ns, '-b', '-'], { timeout: 10_000 });
      await new Promise<void>((res, rej) => {
        child.on('error', rej);
        child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`ip -n ${e.ns} -b: exit ${code}`))));
        child.stdin!.end(`${batch}\n`);
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  const nft = async (ns: string, script: string): Promise<void> => {
    const child = execFile('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { timeout: 10_000 });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
    await new Promise<void>((res, rej) => {
      child.on('error', rej);
      child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`nft in ${ns}: ${err.trim() || `exit ${code}`}`))));
      child.stdin!.end(script);
    });
  };
  return {
    ...ends,
    async partition(which, mode) {
      const e = ends[which];
      // Established flows to the allowed host ports stay up; everything else on eth0 is dropped.
      const out = mode === 'all' ? [] : mode.hostPorts;
      const local = mode === 'all' ? [] : mode.localPorts ?? [];
      const set = (ps: number[]): string => `{ ${ps.join(', ')} }`;
      const inRule = (out.length ? `iifname "eth0" ip saddr ${e.hostAddr} tcp sport ${set(out)} accept\n` : '') +
        (local.length ? `iifname "eth0" ip saddr ${e.hostAddr} tcp dport ${set(local)} accept\n` : '');
      const outRule = (out.length ? `oifname "eth0" ip daddr ${e.hostAddr} tcp dport ${set(out)} accept\n` : '') +
        (local.length ? `oifname "eth0" ip daddr ${e.hostAddr} tcp sport ${set(local)} accept\n` : '');
      await nft(e.ns, `table inet ${TABLE}\ndelete table inet ${TABLE}\ntable inet ${TABLE} {\n` +
        `  chain in { type filter hook input priority 0; ${inRule}iifname "eth0" drop; }\n` +
        `  chain out { type filter hook output priority 0; ${outRule}oifname "eth0" drop; }\n}\n`);
    },
    async heal(which) {
      await nft(ends[which].ns, `table inet ${TABLE}\ndelete table inet ${TABLE}\n`);
    },
    close,
  };
}
