// JSON answers are untyped on purpose (checked field by field against the samples).
/* eslint-disable @typescript-eslint/no-unsafe-return */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOurProcess, prepareNode, readTruth, signerAt, startSim, type SimHandle } from '../../src/sim/index.js';
import { publicKeyFromSeed } from '../../src/factom/ed25519.js';
import { editConf, result, rpc, runAttached, simTempDir, sleep, waitUntil, type Attached } from './helpers.js';

interface Triple { IdentityChainID: string; LocalServerPrivKey: string; LocalServerPublicKey: string }
const confPath = (dir: string, n: string): string => join(dir, n, '.factom/m2/factomd.conf');
function tripleOf(dir: string, n: string): Triple {
  const text = readFileSync(confPath(dir, n), 'utf8');
  const get = (k: string): string => new RegExp(`^${k}\\s*=\\s*(\\S+)`, 'm').exec(text)![1]!;
  return { IdentityChainID: get('IdentityChainID'), LocalServerPrivKey: get('LocalServerPrivKey'), LocalServerPublicKey: get('LocalServerPublicKey') };
}
function freshTriple(): Triple {
  const seed = randomBytes(32);
  return { IdentityChainID: `888888${randomBytes(29).toString('hex')}`, LocalServerPrivKey: seed.toString('hex'), LocalServerPublicKey: Buffer.from(publicKeyFromSeed(new Uint8Array(seed))).toString('hex') };
}
const dl = async (a: string): Promise<number> => (await result(a, 'diagnostics')).leaderheight;

/** Replaces a detached node by the same node run attached (to read its exit status). */
async function attach(sim: SimHandle, name: string): Promise<Attached> {
  const e = sim.nodes.find((n) => n.name === name)!;
  if (isOurProcess(e.pid, sim.dir)) process.kill(e.pid, 'SIGTERM');
  await waitUntil(`${name} down`, async () => { try { await result(e.api, 'heights'); return false; } catch { return true; } }, 5000);
  const a = await runAttached(sim.dir, name);
  await waitUntil(`${name} synced`, async () => (await result(e.api, 'diagnostics')).syncing && Math.abs((await dl(e.api)) - (await dl(sim.nodes[0]!.api))) <= 1, 10_000);
  return a;
}

describe('brain swap done right (case 3) and duplicate audit (case 2)', () => {
  const tmp = simTempDir('swap');
  let sim: SimHandle;
  before(async () => {
    sim = await startSim({ dir: tmp.dir, nodes: 4, authorities: 2, audits: 1, blockTimeMs: 1000 });
    await waitUntil('synced', async () => (await result(sim.nodes[2]!.api, 'heights')).directoryblockheight >= 2, 20_000);
  });
  after(async () => {
    await sim?.stop();
    tmp.cleanup();
  });

  test('case 3: both nodes flip at minute 0 of block H — not one block early or late; nothing printed', async () => {
    // n1, n2 federated; n3 audit; n4 the standby follower.
    const [n2, n3] = [sim.nodes[1]!, sim.nodes[3]!];
    const a = tripleOf(tmp.dir, 'n2');
    const c = tripleOf(tmp.dir, 'n4');
    const H = (await dl(n2.api)) + 3;
    editConf(confPath(tmp.dir, 'n2'), { ...c, ChangeAcksHeight: String(H) });
    editConf(confPath(tmp.dir, 'n4'), { ...a, ChangeAcksHeight: String(H) });
    assert.ok((await dl(n2.api)) < H, 'edited before H');
    await waitUntil('past H', async () => (await dl(sim.nodes[0]!.api)) >= H + 1, 10_000);
    const t = readTruth(tmp.dir);
    // Block H−1, last minute: still the old holder.
    assert.equal(signerAt(t, 'n2', H - 1, 9)?.identityChainId, a.IdentityChainID);
    assert.equal(signerAt(t, 'n2', H - 1, 9)?.signed, true);
    // A follower's record is written at minute 0 of each block (it signs nothing).
    assert.equal(signerAt(t, 'n4', H - 1, 0)?.role, 'Follower');
    assert.equal(signerAt(t, 'n4', H - 1, 0)?.identityChainId, c.IdentityChainID);
    // Block H, minute 0: swapped on both.
    assert.equal(signerAt(t, 'n4', H, 0)?.identityChainId, a.IdentityChainID);
    assert.equal(signerAt(t, 'n4', H, 0)?.signed, true);
    assert.equal(signerAt(t, 'n2', H, 0)?.identityChainId, c.IdentityChainID);
    assert.equal(signerAt(t, 'n2', H, 0)?.role, 'Follower');
    const d2 = await result(n2.api, 'diagnostics');
    const d3 = await result(n3.api, 'diagnostics');
    assert.equal(d3.role, 'Leader');
    assert.equal(d3.id, a.IdentityChainID);
    assert.equal(d3.publickey, a.LocalServerPublicKey);
    assert.equal(d2.role, 'Follower');
    // No stall at the swap: block H took a normal block time.
    assert.equal(t.events.filter((e) => e.event === 'stall' && (e.height as number) >= H - 1).length, 0);
    for (const n of ['n2', 'n4']) assert.ok(!readFileSync(join(tmp.dir, n, 'factomd.log'), 'utf8').includes('panic'));
    // debug configuration is the config as loaded at boot, not the file now (case 6 side observation).
    const conf = await result(n3.api, 'configuration', undefined, '/debug');
    assert.equal(conf.App.IdentityChainID, c.IdentityChainID);
    assert.equal(conf.App.ChangeAcksHeight, 0);
  });

  test('case 2: a duplicate audit identity — the INCUMBENT dies once both are at the same height; the duplicate takes over', async () => {
    const n4 = await attach(sim, 'n3');
    const text = readFileSync(confPath(tmp.dir, 'n3'), 'utf8');
    const dupEntry = await prepareNode(tmp.dir, 'dup4', () => text);
    const dup = await runAttached(tmp.dir, 'dup4');
    try {
      const ex = await Promise.race([n4.exit, sleep(15_000).then(() => undefined)]);
      assert.ok(ex, 'the incumbent died');
      assert.equal(ex.code, 2);
      const secs = (ex.at - dup.startedAt) / 1000;
      assert.ok(secs >= 2.5 && secs <= 12, `died ${secs}s after the duplicate started (26–34 s at 10 s blocks)`);
      assert.match(n4.stderr(), /^panic: We have seen a heartbeat using our Identity that isn't ours\.\n {4}Node: FNode0\n {4}LLeaderHeight: \d+\n {4}Message dbHeight: \d+\n/);
      // The duplicate runs on, silently; audit-servers stays Online.
      await sleep(1500);
      assert.equal((await result(dupEntry.api, 'diagnostics')).role, 'Audit');
      const aud = (await result(sim.nodes[0]!.api, 'audit-servers', undefined, '/debug')).AuditServers;
      assert.equal(aud[0].Online, true);
      assert.equal(dup.stderr(), '');
    } finally {
      dup.child.kill('SIGTERM');
      await dup.exit;
    }
  });
});

describe('brain swap with the standby restarted before H (case 4)', () => {
  const tmp = simTempDir('swap4');
  let sim: SimHandle;
  before(async () => {
    sim = await startSim({ dir: tmp.dir, nodes: 3, authorities: 2, blockTimeMs: 1000 });
    await waitUntil('synced', async () => (await result(sim.nodes[2]!.api, 'heights')).directoryblockheight >= 2, 20_000);
  });
  after(async () => {
    await sim?.stop();
    tmp.cleanup();
  });

  test('the restarted standby dies (duplicate); the old master still swaps away at H; the network stalls at H minute 0', async () => {
    const [n1, n2] = [sim.nodes[0]!, sim.nodes[1]!];
    const a = tripleOf(tmp.dir, 'n2');
    // Far enough ahead that the restarted node's start-up (seconds on a loaded machine) plus its
    // 3-block duplicate window still ends before H, which is the case being reproduced.
    const H = (await dl(n2.api)) + 14;
    editConf(confPath(tmp.dir, 'n3'), { ...a, ChangeAcksHeight: String(H) });
    editConf(confPath(tmp.dir, 'n2'), { ...freshTriple(), ChangeAcksHeight: String(H) });
    const n3 = await attach(sim, 'n3');
    const ex = await Promise.race([n3.exit, sleep(20_000).then(() => undefined)]);
    assert.ok(ex, 'the restarted standby died');
    assert.equal(ex.code, 2);
    assert.ok(n3.stderr().includes('panic: There are two leaders configured with the same Identity in this network!'));
    assert.ok((await dl(n2.api)) < H, 'it died before H');
    await waitUntil('at H', async () => (await dl(n1.api)) >= H, 20_000);
    await sleep(2000);
    const d = await result(n1.api, 'diagnostics');
    assert.equal(d.leaderheight, H, 'frozen at H');
    assert.equal(d.currentminute, 0);
    assert.deepEqual(d.syncing, { status: 'Syncing DBSigs', received: 1, expected: 2, missing: [a.IdentityChainID] });
    assert.deepEqual(d.elections, { inprogress: false });
    const cm = await result(n1.api, 'current-minute');
    assert.equal(cm.stalldetected, true);
    assert.equal(cm.leaderheight, H - 1);
    const fed = (await result(n1.api, 'federated-servers', undefined, '/debug')).FederatedServers;
    assert.deepEqual(fed.map((f: { ChainID: string; Online: boolean }) => [f.ChainID, f.Online]).sort(), [[n1.identity, true], [a.IdentityChainID, true]].sort());
    assert.equal((await result(n2.api, 'diagnostics')).role, 'Follower');
    const stall = readTruth(tmp.dir).events.filter((e) => e.event === 'stall').at(-1);
    assert.equal(stall?.height, H);
  });
});

describe('bad identity at ChangeAcksHeight (case 5) and config errors (case 6)', () => {
  const tmp = simTempDir('swap5');
  let sim: SimHandle;
  before(async () => {
    sim = await startSim({ dir: tmp.dir, nodes: 5, authorities: 1, blockTimeMs: 1000 });
    await waitUntil('synced', async () => (await result(sim.nodes[4]!.api, 'heights')).directoryblockheight >= 2, 20_000);
  });
  after(async () => {
    await sim?.stop();
    tmp.cleanup();
  });

  test('non-hex id → panic exit 2; empty key → nil-pointer panic exit 2; empty id → zero id, no crash; runtime syntax error → message once, no swap', async () => {
    const n2 = await attach(sim, 'n2');
    const n3 = await attach(sim, 'n3');
    const n5 = await attach(sim, 'n5');
    const H = (await dl(sim.nodes[0]!.api)) + 4;
    const before5 = tripleOf(tmp.dir, 'n5');
    editConf(confPath(tmp.dir, 'n2'), { IdentityChainID: `x${'8'.repeat(63)}`, ChangeAcksHeight: String(H) });
    editConf(confPath(tmp.dir, 'n3'), { LocalServerPrivKey: '', ChangeAcksHeight: String(H) });
    editConf(confPath(tmp.dir, 'n4'), { IdentityChainID: '', ChangeAcksHeight: String(H) });
    editConf(confPath(tmp.dir, 'n5'), { ...freshTriple(), ChangeAcksHeight: String(H), CorsDomains: '"unterminated' });
    const [e2, e3] = await Promise.all([n2.exit, n3.exit]);
    assert.equal(e2.code, 2);
    assert.match(n2.stderr(), /^panic: encoding\/hex: invalid byte: U\+0078 'x'\n/);
    assert.equal(e3.code, 2);
    assert.match(n3.stderr(), /^panic: runtime error: invalid memory address or nil pointer dereference\n\[signal SIGSEGV: segmentation violation/);
    const t = readTruth(tmp.dir);
    // Both died at the block boundary of H, not before.
    assert.ok(signerAt(t, 'n2', H - 1, 0), 'n2 alive in H−1 (a follower is recorded at minute 0)');
    assert.equal(signerAt(t, 'n2', H, 0), undefined, 'n2 died entering H');
    await waitUntil('past H', async () => (await dl(sim.nodes[0]!.api)) >= H + 1, 8000);
    const d4 = await result(sim.nodes[3]!.api, 'diagnostics');
    assert.equal(d4.id, '0'.repeat(64));
    assert.equal(d4.role, 'Follower');
    const d5 = await result(sim.nodes[4]!.api, 'diagnostics');
    assert.equal(d5.id, before5.IdentityChainID, 'no swap after a runtime syntax error');
    const out = n5.stdout();
    const msg = `Reading from '${confPath(tmp.dir, 'n5')}'\nCannot open custom config file,\nStarting with default settings.\n${confPath(tmp.dir, 'n5')}:`;
    assert.equal(out.split(msg).length - 1, 1, 'printed once');
    assert.match(out, /factomd\.conf:\d+:\d+: string not terminated\n/);
    n5.child.kill('SIGTERM');
    await n5.exit;
  });

  test('syntax error at boot: 4-line message, runs on defaults — RPC auth lost, default public key; flags still win', async () => {
    const id = `888888${randomBytes(29).toString('hex')}`;
    const entry = await prepareNode(tmp.dir, 'n8', (p) => `[app]\nIdentityChainID = ${id}\nFactomdRpcUser = admin\nFactomdRpcPass = secret\nPortNumber = ${p.port}\nLocalServerPrivKey = "3838\nNetwork = LOCAL\n`);
    const n8 = await runAttached(tmp.dir, 'n8');
    try {
      await waitUntil('n8 answers', async () => (await rpc(entry.api, 'properties')).status === 200, 5000);
      const p = confPath(tmp.dir, 'n8');
      assert.ok(n8.stdout().includes(`Reading from '${p}'\nCannot open custom config file,\nStarting with default settings.\n${p}:6:22: string not terminated\n`));
      // No credentials, yet HTTP 200: the RPC user of the broken file is gone.
      assert.equal((await rpc(entry.api, 'heights')).status, 200);
      const d = await result(entry.api, 'diagnostics');
      assert.equal(d.publickey, 'cc1985cdfae4e32b5a454dfda8ce5e1361558482684f3367649c3ad852c8e31a');
      assert.equal(d.id, id, 'IdentityChainID parsed before the error is kept');
      const conf = (await result(entry.api, 'configuration', undefined, '/debug')).App;
      assert.equal(conf.FactomdRpcUser, '');
      assert.equal(conf.Network, 'MAIN');
      assert.equal(conf.LocalServerPrivKey, '4c38c72fc5cdad68f13b74674d3ffb1f3d63a112710868c9b08946553448d26d');
    } finally {
      n8.child.kill('SIGTERM');
      await n8.exit;
    }
  });
});
