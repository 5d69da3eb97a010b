// JSON answers are untyped on purpose (checked field by field against the samples).
/* eslint-disable @typescript-eslint/no-unsafe-return */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareNode, readTruth, renderConf, startSim, type SimHandle } from '../../src/sim/index.js';
import { publicKeyFromSeed } from '../../src/factom/ed25519.js';
import { result, rpc, runAttached, simTempDir, sleep, waitUntil } from './helpers.js';

/** A fresh non-authority identity's factomd.conf for an extra node. */
function followerConf(ports: { port: number; controlPanelPort: number }): string {
  const seed = randomBytes(32);
  return renderConf({ ...ports, blockSeconds: 1, id: `888888${randomBytes(29).toString('hex')}`, priv: seed.toString('hex'), pub: Buffer.from(publicKeyFromSeed(new Uint8Array(seed))).toString('hex'), host: '127.0.0.1' });
}

// Behaviour cases 1, 7, 8, 9 and every fault, on one network: n1 the only federated server, n2/n3 followers.
describe('one leader, two followers (cases 1, 7, 8, 9 and faults)', () => {
  const tmp = simTempDir('faults');
  let sim: SimHandle;
  const api = (i: number): string => sim.nodes[i]!.api;
  const dl = async (a: string): Promise<number> => (await result(a, 'diagnostics')).leaderheight;

  before(async () => {
    sim = await startSim({ dir: tmp.dir, nodes: 3, authorities: 1, blockTimeMs: 1000 });
    await waitUntil('followers synced', async () => (await result(api(2), 'heights')).directoryblockheight >= 2, 20_000);
  });
  after(async () => {
    await sim?.stop();
    tmp.cleanup();
  });

  test('case 1: a duplicate federated identity — the NEWCOMER dies ~3 blocks after start, exit 2, factomd\'s text', async () => {
    const n1conf = readFileSync(join(tmp.dir, 'n1/.factom/m2/factomd.conf'), 'utf8');
    const entry = await prepareNode(tmp.dir, 'dup1', () => n1conf);
    const before1 = await dl(api(0));
    const dup = await runAttached(tmp.dir, 'dup1');
    // Before dying it reports role Leader, computed from the authority set (case 1, README item 3).
    let exited = false;
    void dup.exit.then(() => { exited = true; });
    // The node's 3-block window starts when its code runs, so a slow process start does not eat into it.
    const sawLeader = await waitUntil('dup reports Leader', async () => exited ? 'exited' : ((await result(entry.api, 'diagnostics')).role === 'Leader' ? 'Leader' : undefined), 10_000, 50);
    const answeredAt = Date.now();
    assert.equal(sawLeader, 'Leader');
    const ex = await Promise.race([dup.exit, sleep(15_000).then(() => undefined)]);
    assert.ok(ex, 'the duplicate died');
    assert.equal(ex.code, 2);
    // Not before 3 blocks after the process started, and soon after it was up and answering (a
    // loaded machine may take seconds just to start the process, which the window does not count).
    const secs = (ex.at - dup.startedAt) / 1000;
    const sinceUp = (ex.at - answeredAt) / 1000;
    assert.ok(secs >= 2.9 && sinceUp <= 6, `died ${secs}s after start, ${sinceUp}s after it answered (3 blocks of 1 s; 30 s at 10 s blocks)`);
    const err = dup.stderr();
    assert.match(err, new RegExp(`^This  AckHash    [0-9a-f]{64}\\nThis  ChainID    ${sim.nodes[0]!.identity}\\n`));
    assert.ok(err.includes(' for this ackAck   ChainID    '), 'factomd\'s missing newline kept');
    assert.ok(err.includes('for this ackpanic: There are two leaders configured with the same Identity in this network!  This is a configuration problem!'));
    // The incumbent and the network are unaffected.
    assert.equal((await result(api(0), 'diagnostics')).role, 'Leader');
    assert.equal((await result(api(0), 'diagnostics')).id, sim.nodes[0]!.identity);
    assert.ok((await dl(api(0))) > before1 + 1);
    const signedByDup = readTruth(tmp.dir).signatures.filter((s) => s.node === 'dup1' && s.signed);
    assert.deepEqual(signedByDup, [], 'the newcomer never signed');
  });

  test('case 8: the only leader stalls — followers freeze, stalldetected, "Processing", still Online, no election; heal resumes', async () => {
    await sim.fault('n1', 'stall');
    try {
      await sleep(600);
      const h0 = await result(api(1), 'heights');
      await sleep(1500);
      const h1 = await result(api(1), 'heights');
      assert.equal(h1.leaderheight, h0.leaderheight, 'frozen');
      const cm = await result(api(1), 'current-minute');
      assert.equal(cm.stalldetected, true);
      const d = await result(api(1), 'diagnostics');
      assert.deepEqual(d.syncing, { status: 'Processing' });
      assert.deepEqual(d.elections, { inprogress: false });
      const fed = (await result(api(1), 'federated-servers', undefined, '/debug')).FederatedServers;
      assert.deepEqual(fed.map((f: { Online: boolean }) => f.Online), [true]);
    } finally {
      await sim.fault('n1', 'heal');
    }
    const frozen = await dl(api(1));
    await waitUntil('network resumes', async () => (await dl(api(1))) >= frozen + 2, 8000);
    const ev = readTruth(tmp.dir).events.find((e) => e.event === 'fault' && e.fault === 'stall');
    assert.ok(ev && typeof ev.height === 'number', 'the fault is logged with its height');
  });

  test('partition: the node falls behind; heal: it catches up', async () => {
    await sim.fault('n2', 'partition');
    const h0 = await dl(api(1));
    await waitUntil('network 3 blocks ahead', async () => (await dl(api(0))) >= h0 + 3, 10_000);
    assert.ok((await dl(api(1))) <= h0 + 1, 'partitioned node stays behind');
    await sim.fault('n2', 'heal');
    await waitUntil('caught up', async () => Math.abs((await dl(api(1))) - (await dl(api(0)))) <= 1, 8000);
  });

  test('lag N: the node stops hearing blocks for N blocks, then catches up by itself', async () => {
    const h0 = await dl(api(2));
    await sim.fault('n3', 'lag', 3);
    await sleep(2000);
    assert.ok((await dl(api(2))) <= h0 + 1, 'lagging');
    await waitUntil('caught up after lag', async () => Math.abs((await dl(api(2))) - (await dl(api(0)))) <= 1, 10_000);
  });

  test('slow MS delays every answer of the node', async () => {
    await sim.fault('n2', 'slow', 400);
    try {
      const t = Date.now();
      await result(api(1), 'heights');
      assert.ok(Date.now() - t >= 380);
    } finally {
      await sim.fault('n2', 'heal');
    }
    const t2 = Date.now();
    await result(api(1), 'heights');
    assert.ok(Date.now() - t2 < 380);
  });

  test('case 7: crash a follower, restart it: heights 0 at once, then it catches up ("Processing" throughout)', async () => {
    await sim.fault('n2', 'crash');
    await waitUntil('n2 gone', async () => { try { await result(api(1), 'heights'); return false; } catch { return true; } }, 5000);
    await sleep(2000);
    const n = await runAttached(tmp.dir, 'n2');
    try {
      const first = await waitUntil('n2 answers', async () => result(api(1), 'heights'), 5000, 20);
      assert.equal(first.directoryblockheight, 0, 'answers at once with heights 0');
      assert.equal((await result(api(1), 'diagnostics')).syncing.status, 'Processing');
      await waitUntil('caught up', async () => Math.abs((await dl(api(1))) - (await dl(api(0)))) <= 1, 8000);
      assert.equal((await result(api(1), 'diagnostics')).syncing.status, 'Processing');
    } finally {
      n.child.kill('SIGTERM');
      await n.exit;
    }
  });

  test('case 9: SIGTERM kills at once (signal, no message); SIGINT is graceful (exit 0, factomd\'s messages)', async () => {
    await prepareNode(tmp.dir, 'sig1', followerConf);
    await prepareNode(tmp.dir, 'sig2', followerConf);
    const a = await runAttached(tmp.dir, 'sig1');
    const b = await runAttached(tmp.dir, 'sig2');
    await waitUntil('both answer', async () => (await rpc(sim.nodes[0]!.api, 'heights')).status === 200 && a.stdout().includes('Salt') && b.stdout().includes('Salt'), 20_000);
    await sleep(300);
    const outBefore = a.stdout();
    const t = Date.now();
    a.child.kill('SIGTERM');
    const ea = await a.exit;
    assert.equal(ea.signal, 'SIGTERM', 'killed by the signal: shell status 143');
    assert.ok(ea.at - t < 1000);
    assert.equal(a.stdout(), outBefore, 'nothing printed');
    b.child.kill('SIGINT');
    const eb = await b.exit;
    assert.equal(eb.code, 0);
    assert.ok(b.stdout().includes('Received SIGINT (Ctrl+C).  Shutting down...'));
    assert.ok(b.stdout().includes('Initiating a graceful shutdown of node FNode0. The exit code is 0.'));
    assert.ok(b.stdout().trimEnd().endsWith('Waiting to Shut Down'));
  });

  test('the record of truth: one signer per identity and height, every minute recorded', () => {
    const t = readTruth(tmp.dir);
    const n1 = t.signatures.filter((s) => s.node === 'n1' && s.signed);
    assert.ok(n1.length > 20);
    const minutes = new Set(n1.map((s) => s.minute));
    assert.equal(minutes.size, 10);
    const byKey = new Map<string, Set<string>>();
    for (const s of t.signatures.filter((x) => x.signed)) {
      const k = `${s.identityChainId}@${s.height}`;
      byKey.set(k, (byKey.get(k) ?? new Set()).add(s.node));
    }
    for (const [k, v] of byKey) assert.equal(v.size, 1, k);
  });
});
