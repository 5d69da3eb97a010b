import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderTopology } from '../../src/render/render.js';
import { exampleWith, hostIn } from '../topology/fixture.js';

/**
 * The rendered rulesets, loaded for real with nft in network namespaces on one bridge, probed with
 * TCP. The expected matrix below is written from the rules, not computed by the code.
 */

const run = promisify(execFile);
const id = randomBytes(3).toString('hex');
const ns = (n: string): string => `topo-${id}-${n}`;
const NODES = ['auth', 'fol', 'out', 'ops', 'mon'] as const;
type Node = (typeof NODES)[number];

const ADDR: Record<Node, string[]> = {
  auth: ['10.213.1.10'],
  fol: ['10.213.2.21', '10.213.3.21'],
  out: ['10.213.8.8'],
  ops: ['10.213.9.7', '10.213.99.5'], // the ops IP, and an address inside the VPN range
  mon: ['10.213.5.30'],
};

const topo = exampleWith((r) => {
  hostIn(r, 'auth-a').privateAddress = '10.213.1.10';
  hostIn(r, 'auth-b').privateAddress = '10.213.1.11';
  Object.assign(hostIn(r, 'fol-1'), { privateAddress: '10.213.2.21', publicAddress: '10.213.3.21' });
  Object.assign(hostIn(r, 'fol-2'), { privateAddress: '10.213.2.22', publicAddress: '10.213.3.22' });
  Object.assign(hostIn(r, 'mon-1'), { privateAddress: '10.213.5.30', publicAddress: '10.213.6.30' });
  r.access.opsIps = ['10.213.9.7/32'];
  r.access.vpnCidrs = ['10.213.99.0/24'];
});

const dir = mkdtempSync(join(tmpdir(), 'topo-netns-'));
const listeners: ChildProcess[] = [];
const created: string[] = [];

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: 15_000 });
}
async function inNs(n: string, cmd: string, args: string[]): Promise<string> {
  return (await run('ip', ['netns', 'exec', n, cmd, ...args], { timeout: 20_000, encoding: 'utf8' })).stdout;
}

/** A TCP listener on each port, inside the namespace; it exits by itself after a minute at the latest. */
function listen(n: string, ports: number[]): Promise<void> {
  const script = "const net=require('net');const ps=process.argv.slice(1).map(Number);let k=0;" +
    "for(const p of ps)net.createServer((s)=>s.end()).listen(p,'0.0.0.0',()=>{if(++k===ps.length)console.log('ready')});" +
    'setTimeout(()=>process.exit(0),60000);';
  const child = spawn('ip', ['netns', 'exec', n, process.execPath, '-e', script, ...ports.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  listeners.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`listener in ${n} not ready`)), 20_000);
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(timer); resolve(); } });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`listener in ${n} exited ${code}`)); });
  });
}

/** 'open', 'dropped' (no answer: the firewall), or 'error:CODE'. */
type Outcome = string;
/** Probes from one namespace, bound to a given source address; 'dropped' = no answer at all (firewall). */
async function probe(from: Node, jobs: { local: string; host: string; port: number }[]): Promise<Outcome[]> {
  const script = "const net=require('net');const jobs=JSON.parse(process.argv[1]);" +
    'Promise.all(jobs.map((j)=>new Promise((r)=>{const s=net.connect({host:j.host,port:j.port,localAddress:j.local});let d=false;' +
    "const fin=(v)=>{if(!d){d=true;clearTimeout(t);s.destroy();r(v);}};const t=setTimeout(()=>fin('dropped'),2500);" +
    "s.on('connect',()=>fin('open'));s.on('error',(e)=>fin('error:'+e.code));})))" +
    '.then((v)=>console.log(JSON.stringify(v)));';
  const out = await inNs(ns(from), process.execPath, ['-e', script, JSON.stringify(jobs)]);
  return JSON.parse(out) as Outcome[];
}

before(async () => {
  const files = renderTopology(topo);
  const nftOf = (host: string): string => {
    const f = files.find((h) => h.host === host)!.files.find((x) => x.name === 'nftables.conf')!;
    const p = join(dir, `${host}.nft`);
    writeFileSync(p, f.content);
    return p;
  };
  // One `ip -b` batch per namespace keeps the set-up to a handful of processes.
  const batch = async (n: string, lines: string[]): Promise<void> => {
    const file = join(dir, `${n}.ip`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    await ip('-n', ns(n), '-b', file);
  };
  await Promise.all(['br', ...NODES].map(async (n) => {
    await ip('netns', 'add', ns(n));
    created.push(ns(n));
  }));
  await batch('br', ['link set lo up', 'link add br0 type bridge', 'link set br0 up']);
  await Promise.all(NODES.map((n) => batch(n, [
    'link set lo up',
    `link add eth0 type veth peer name v-${n} netns ${ns('br')}`,
    ...ADDR[n].map((a) => `addr add ${a}/16 dev eth0`),
    'link set eth0 up',
  ])));
  await batch('br', NODES.map((n) => `link set v-${n} master br0 up`));
  await inNs(ns('auth'), 'nft', ['-f', nftOf('auth-a')]);
  await inNs(ns('fol'), 'nft', ['-f', nftOf('fol-1')]);
  await Promise.all([
    listen(ns('auth'), [8108, 8088, 8090, 2222, 22, 9876]),
    listen(ns('fol'), [8108, 8088, 8090, 2222, 22, 9876]),
    listen(ns('out'), [8108]),
  ]);
});

after(async () => {
  for (const l of listeners) l.kill('SIGKILL');
  for (const n of created.reverse()) {
    try { await ip('netns', 'del', n); } catch { /* already gone */ }
  }
  rmSync(dir, { recursive: true, force: true });
});

// Sources: who dials, from which address.
const SOURCES = {
  follower: { node: 'fol', local: '10.213.2.21' },
  outsider: { node: 'out', local: '10.213.8.8' },
  ops: { node: 'ops', local: '10.213.9.7' },
  vpn: { node: 'ops', local: '10.213.99.5' },
  monitor: { node: 'mon', local: '10.213.5.30' },
} as const;
type Source = keyof typeof SOURCES;
const ALL: Source[] = ['follower', 'outsider', 'ops', 'vpn', 'monitor'];

/** target → port → the sources that must get through; every other source must be dropped. */
const MATRIX: Record<string, { host: string; ports: Record<number, Source[]> }> = {
  authority: {
    host: '10.213.1.10',
    ports: {
      8108: ['follower'],
      8088: ['monitor', 'vpn'],
      8090: ['monitor', 'vpn'],
      2222: ['ops'],
      22: [],
      9876: [],
    },
  },
  follower: {
    host: '10.213.2.21',
    ports: {
      8108: ['outsider', 'ops', 'vpn', 'monitor'],
      8088: ['monitor', 'vpn'],
      8090: ['monitor', 'vpn'],
      2222: ['ops'],
      22: [],
      9876: [],
    },
  },
};

test('reachability matrix of the rendered rulesets (authority, follower)', async () => {
  const rows: { src: Source; target: string; port: number; want: boolean }[] = [];
  for (const [target, spec] of Object.entries(MATRIX)) {
    for (const [port, allowed] of Object.entries(spec.ports)) {
      for (const src of ALL) {
        if (target === 'follower' && src === 'follower') continue; // a host does not probe itself
        rows.push({ src, target, port: Number(port), want: allowed.includes(src) });
      }
    }
  }
  const bySource = await Promise.all(ALL.map(async (src) => {
    const mine = rows.filter((r) => r.src === src);
    const res = await probe(SOURCES[src].node, mine.map((r) => ({ local: SOURCES[src].local, host: MATRIX[r.target]!.host, port: r.port })));
    return mine.map((r, i) => ({ ...r, got: res[i] }));
  }));
  const wrong = bySource.flat().filter((r) => (r.want ? r.got !== 'open' : r.got !== 'dropped'));
  assert.deepEqual(wrong.map((r) => `${r.src} -> ${r.target}:${r.port} want ${r.want ? 'open' : 'dropped'} got ${r.got}`), []);
});

test('the authority dials p2p only to its own followers', async () => {
  const [toFollower, toOutsider] = await probe('auth', [
    { local: '10.213.1.10', host: '10.213.2.21', port: 8108 },
    { local: '10.213.1.10', host: '10.213.8.8', port: 8108 },
  ]);
  assert.equal(toFollower, 'open');
  assert.equal(toOutsider, 'dropped');
  // The outsider's listener is alive: the ops host, with no egress rules, reaches it.
  const [fromOps] = await probe('ops', [{ local: '10.213.9.7', host: '10.213.8.8', port: 8108 }]);
  assert.equal(fromOps, 'open');
});
