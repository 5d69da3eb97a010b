import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { connect as netConnect, createServer, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { addressesOf, createWorldNet, hostCuts, sweepStale, type WorldNet } from '../../scripts/chaos/netns.js';

/**
 * The chaos worlds' namespaces: real veth pairs and nft drops (root, as in CI). Seeds 7_990_000+
 * are this file's own, far from the campaign's and CI's.
 */
const nets: WorldNet[] = [];
const servers: Server[] = [];
after(async () => {
  for (const s of servers) s.close();
  for (const n of nets) await n.close();
});

const listNs = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);

/** Can a process inside `ns` open a TCP connection to addr:port within 1.5 s? */
function canConnect(ns: string, addr: string, port: number): Promise<boolean> {
  // bash's /dev/tcp: a connect without starting a node per probe.
  return new Promise((res) => execFile('ip', ['netns', 'exec', ns, 'timeout', '1.5', 'bash', '-c', `exec 3<>/dev/tcp/${addr}/${port}`], { timeout: 10_000 }, (e) => res(!e)));
}

async function listen(addr: string): Promise<number> {
  const s = createServer((c) => { c.on('error', () => undefined); c.end(); });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, addr, () => r()));
  const a = s.address();
  return typeof a === 'object' && a ? a.port : 0;
}

const ipv4 = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);

test('addresses: every seed gets four distinct addresses of 10.77.0.0/16, host and namespace ends in one /30; seeds apart by less than 8192 never share one', () => {
  fc.assert(fc.property(fc.nat(1_000_000), fc.integer({ min: 1, max: 8191 }), (seed, d) => {
    const a = addressesOf(seed);
    const b = addressesOf(seed + d);
    const mine = [a.master.hostAddr, a.master.nsAddr, a.standby.hostAddr, a.standby.nsAddr];
    for (const x of mine) assert.ok(x.startsWith('10.77.'), x);
    assert.equal(new Set(mine).size, 4);
    for (const e of [a.master, a.standby]) {
      assert.equal(ipv4(e.hostAddr) >>> 2, ipv4(e.nsAddr) >>> 2, 'same /30');
      assert.notEqual(ipv4(e.hostAddr) & 3, 0, 'not the network address');
      assert.notEqual(ipv4(e.nsAddr) & 3, 3, 'not the broadcast address');
    }
    // /30 blocks of the two seeds are disjoint.
    const blocks = (x: typeof a): number[] => [ipv4(x.master.hostAddr) >>> 2, ipv4(x.standby.hostAddr) >>> 2];
    for (const k of blocks(a)) assert.ok(!blocks(b).includes(k));
  }));
});

test('namespaces: both reach the host; "all" drops everything, the exception keeps only the listed host port; heal restores; close removes them', async () => {
  const net = await createWorldNet(7_990_001);
  nets.push(net);
  assert.ok(listNs().includes('fo7990001m') && listNs().includes('fo7990001s'));
  const [p1, p2] = [await listen(net.master.hostAddr), await listen(net.master.hostAddr)];
  // The standby reaches the network process's address on the master's veth through its own.
  assert.deepEqual(await Promise.all([canConnect(net.master.ns, net.master.hostAddr, p1), canConnect(net.standby.ns, net.master.hostAddr, p1)]), [true, true]);
  await net.partition('master', 'all');
  assert.equal(await canConnect(net.master.ns, net.master.hostAddr, p1), false);
  assert.equal(await canConnect(net.standby.ns, net.master.hostAddr, p1), true, 'the other namespace is not cut');
  await net.partition('master', { hostPorts: [p1] });
  assert.deepEqual(await Promise.all([canConnect(net.master.ns, net.master.hostAddr, p1), canConnect(net.master.ns, net.master.hostAddr, p2)]), [true, false]);
  await net.heal('master');
  assert.equal(await canConnect(net.master.ns, net.master.hostAddr, p2), true);
  await net.close();
  assert.ok(!listNs().some((n) => n.startsWith('fo7990001')));
  const links = execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' });
  assert.doesNotMatch(links, /fo7990001/, 'the host ends of the veth pairs went with them');
});

test('sweep: a namespace and a host table whose owner is dead go, with the processes left inside; a live owner keeps its own', async () => {
  const live = await createWorldNet(7_990_002);
  nets.push(live);
  const liveCuts = hostCuts(7_990_002);
  // A crashed run: its namespace, a process left inside, an owner pid that no longer exists.
  const dead = 'fo7990003m';
  execFileSync('ip', ['netns', 'add', dead]);
  const child = spawn('ip', ['netns', 'exec', dead, 'sleep', '60'], { stdio: 'ignore' });
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const exited = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => exited.once('exit', r));
    writeFileSync(`/run/anoguard-fo-chaos/${dead}`, String(exited.pid));
    // The dead run's host table goes too; the live world's stays.
    execFileSync('nft', ['add', 'table', 'inet', 'fochaos7990003']);
    await liveCuts.set('A', [{ addr: '127.0.0.2', port: 9 }]);
    await new Promise((r) => setTimeout(r, 200));
    const swept = sweepStale();
    assert.ok(swept.includes(dead), swept.join(' '));
    assert.ok(swept.includes('fochaos7990003'), swept.join(' '));
    const tables = execFileSync('nft', ['list', 'tables', 'inet'], { encoding: 'utf8' });
    assert.doesNotMatch(tables, /fochaos7990003\b/);
    assert.match(tables, /fochaos7990002\b/);
    await gone;
    assert.ok(!listNs().includes(dead));
    assert.ok(listNs().includes('fo7990002m') && listNs().includes('fo7990002s'), 'the live owner keeps its namespaces');
  } finally {
    child.kill('SIGKILL');
    try { execFileSync('ip', ['netns', 'del', dead], { stdio: 'ignore' }); } catch { /* swept */ }
    try { execFileSync('nft', ['delete', 'table', 'inet', 'fochaos7990003'], { stdio: 'ignore' }); } catch { /* swept */ }
    await liveCuts.close();
  }
});

test('host cuts: a drop of one loopback address+port stops new and established connections both ways, the other address is untouched; heal and close remove the table', async () => {
  const cuts = hostCuts(7_990_004);
  const a = await listen('127.0.0.2');
  const b = await listen('127.0.0.3');
  try {
    const connect = (addr: string, port: number): Promise<boolean> => new Promise((res) => {
      const c = netConnect({ host: addr, port, timeout: 800 }, () => { c.destroy(); res(true); });
      c.on('timeout', () => { c.destroy(); res(false); });
      c.on('error', () => res(false));
    });
    assert.deepEqual([await connect('127.0.0.2', a), await connect('127.0.0.3', b)], [true, true]);
    // An established connection whose packets are dropped from the cut on: no echo gets back.
    const echo = createServer((c) => { c.on('error', () => undefined); c.pipe(c); });
    servers.push(echo);
    await new Promise<void>((r) => echo.listen(0, '127.0.0.2', () => r()));
    const ep = (echo.address() as { port: number }).port;
    const sock = netConnect({ host: '127.0.0.2', port: ep });
    sock.on('error', () => undefined);
    await new Promise((r) => sock.once('connect', r));
    await cuts.set('A', [{ addr: '127.0.0.2', port: a }, { addr: '127.0.0.2', port: ep }]);
    let got = '';
    sock.on('data', (d: Buffer) => { got += d.toString(); });
    sock.write('ping');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(got, '', 'the established connection is cut too');
    assert.deepEqual([await connect('127.0.0.2', a), await connect('127.0.0.3', b)], [false, true]);
    await cuts.set('A', []);
    assert.equal(await connect('127.0.0.2', a), true);
    sock.destroy();
  } finally {
    await cuts.close();
  }
  assert.doesNotMatch(execFileSync('nft', ['list', 'tables', 'inet'], { encoding: 'utf8' }), /fochaos7990004\b/);
});
