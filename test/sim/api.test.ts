// JSON answers are untyped on purpose (checked field by field against the samples).
/* eslint-disable @typescript-eslint/no-unsafe-return */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../helpers/cli.js';
import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { prepareNode, renderConf, startSim, type SimHandle } from '../../src/sim/index.js';
import { publicKeyFromSeed } from '../../src/factom/ed25519.js';
import { controlPanelItemSchemas, debugResultSchemas, v2ResultSchemas } from '../../src/factomd/schemas.js';
import { buildChainCommit, buildEntryCommit } from '../../src/factom/commit.js';
import { chainIdFromExtIds, marshalEntry, type Entry } from '../../src/factom/entry.js';
import { keyPairFromSeed } from '../../src/factom/keys.js';
import { buildNewBitcoinKey, buildNewBlockSigningKey, buildNewMatryoshkaHash, buildRegisterFactomIdentity, buildRegisterServerManagement } from '../../src/factom/identity-messages.js';
import { result, rpc, runAttached, sampleKeys, simTempDir, waitUntil, type Json } from './helpers.js';

const SAMPLES = join(SHARED, 'factomd-samples');
const sample = (f: string): string => readFileSync(join(SAMPLES, f), 'utf8');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('simulated node API (3 nodes, 2 federated, 1 s blocks)', () => {
  const tmp = simTempDir('api');
  const ecSeed = new Uint8Array(randomBytes(32));
  const ec = keyPairFromSeed('Es', ecSeed).public.text;
  let sim: SimHandle;
  let n1: string;
  let n3: string;

  before(async () => {
    sim = await startSim({
      dir: tmp.dir, nodes: 3, authorities: 2, blockTimeMs: 1000, fund: { [ec]: 1000 },
      confExtra: { n3: `${'FactomdRpcUser'.padEnd(38)}= admin\n${'FactomdRpcPass'.padEnd(38)}= secret` },
    });
    n1 = sim.nodes[0]!.api;
    n3 = sim.nodes[2]!.api;
    await waitUntil('n1 synced', async () => (await result(n1, 'heights')).directoryblockheight >= 1, 15_000);
  });
  after(async () => {
    await sim?.stop();
    tmp.cleanup();
  });

  test('answers have the key sets of real factomd (samples)', async () => {
    for (const [m, f] of [['heights', 'v2-heights.json'], ['current-minute', 'v2-current-minute.json'], ['diagnostics', 'v2-diagnostics.json'], ['properties', 'v2-properties.json']] as const) {
      assert.deepEqual(Object.keys(await result(n1, m)).sort(), sampleKeys(sample(f)), m);
    }
    const auth = (await result(n1, 'authorities')).authorities;
    assert.equal(auth.length, 2);
    assert.deepEqual(Object.keys(auth[0]).sort(), sampleKeys(sample('v2-authorities-2node.json'), (r) => r.result.authorities[0]));
    for (const [m, f] of [['federated-servers', 'debug-federated-servers.json'], ['network-info', 'debug-network-info.json'], ['summary', 'debug-summary.json'], ['current-minute', 'debug-current-minute.json']] as const) {
      assert.deepEqual(Object.keys(await result(n1, m, undefined, '/debug')).sort(), sampleKeys(sample(f)), m);
    }
    const fed = (await result(n1, 'federated-servers', undefined, '/debug')).FederatedServers;
    assert.deepEqual(Object.keys(fed[0]).sort(), sampleKeys(sample('debug-federated-servers.json'), (r) => r.result.FederatedServers[0]));
    const conf = await result(n1, 'configuration', undefined, '/debug');
    const sampleApp = Object.keys(JSON.parse(sample('debug-configuration.json')).result.App);
    for (const k of Object.keys(conf.App)) assert.ok(sampleApp.includes(k), `configuration App.${k} exists in factomd`);
    // The debug configuration leaks the private key, as factomd does on non-MAIN networks (§3.4).
    assert.match(conf.App.LocalServerPrivKey, /^[0-9a-f]{64}$/);
  });

  test('every answer validates against the client\'s schemas (src/factomd/schemas.ts)', async () => {
    for (const m of ['heights', 'current-minute', 'properties', 'diagnostics', 'authorities', 'directory-block-head', 'pending-entries', 'entry-credit-rate'] as const) {
      const p = v2ResultSchemas[m].safeParse(await result(n1, m, m === 'pending-entries' ? {} : undefined));
      assert.ok(p.success, `${m}: ${p.success ? '' : p.error.message}`);
    }
    const bal = v2ResultSchemas['entry-credit-balance'].safeParse(await result(n1, 'entry-credit-balance', { address: ec }));
    assert.ok(bal.success);
    for (const m of ['network-info', 'summary', 'federated-servers', 'audit-servers', 'authorities', 'current-minute', 'process-list', 'holding-queue', 'configuration'] as const) {
      const p = debugResultSchemas[m].safeParse(await result(n1, m, undefined, '/debug'));
      assert.ok(p.success, `debug ${m}: ${p.success ? '' : p.error.message}`);
    }
    for (const item of Object.keys(controlPanelItemSchemas) as (keyof typeof controlPanelItemSchemas)[]) {
      const v: unknown = await (await fetch(`${sim.nodes[0]!.controlPanel}/factomd?item=${item}`)).json();
      const p = controlPanelItemSchemas[item].safeParse(v);
      assert.ok(p.success, `cp ${item}: ${p.success ? '' : p.error.message}`);
    }
  });

  test('nanosecond times and units as factomd reports them', async () => {
    const cm = await result(n1, 'current-minute');
    const now = Date.now() * 1e6;
    assert.ok(Math.abs(cm.currenttime - now) < 5e9, 'currenttime is Unix nanoseconds');
    assert.ok(cm.currentminutestarttime <= cm.currenttime);
    assert.equal(cm.directoryblockinseconds, 1);
    const raw = (await rpc(n1, 'current-minute')).text;
    assert.match(raw, /"currenttime":\d{19}[,}]/, 'an exact 19-digit integer, not a float');
    const d = await result(n1, 'diagnostics');
    assert.ok(Number.isInteger(d.currentminuteduration) && d.currentminuteduration < 5e9);
    assert.equal(d.name, 'FNode0');
    assert.equal(d.role, 'Leader');
    assert.equal(d.id, sim.nodes[0]!.identity);
  });

  test('roles follow the authority set: Leader, Leader, Follower', async () => {
    assert.equal((await result(sim.nodes[1]!.api, 'diagnostics')).role, 'Leader');
    const d3 = await rpc(n3, 'diagnostics', undefined, { auth: 'admin:secret' });
    assert.equal(d3.body.result.role, 'Follower');
  });

  test('JSON-RPC errors exactly like factomd', async () => {
    const bad = await rpc(n1, '', undefined, { raw: '{nope' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } });
    const noVersion = await rpc(n1, '', undefined, { raw: '{"id":3,"method":"heights"}' });
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.body.error.code, -32600);
    const batch = await rpc(n1, '', undefined, { raw: '[{"jsonrpc":"2.0","id":1,"method":"heights"}]' });
    assert.equal(batch.status, 400);
    assert.equal(batch.body.error.code, -32600);
    const unknown = await rpc(n1, 'no-such-method');
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, { jsonrpc: '2.0', id: 7, error: { code: -32601, message: 'Method not found' } });
    const get = await fetch(`${n1}/v2`);
    assert.equal(get.status, 400);
  });

  test('RPC user set: 401 with factomd\'s realm without credentials, 200 with them', async () => {
    const r = await rpc(n3, 'heights');
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="factomd RPC"');
    assert.equal((await rpc(n3, 'heights', undefined, { auth: 'admin:wrong' })).status, 401);
    assert.equal((await rpc(n3, 'heights', undefined, { auth: 'admin:secret' })).status, 200);
    const cp = await fetch(`${sim.nodes[2]!.controlPanel}/factomd?item=myHeight`);
    assert.equal(cp.status, 401);
    assert.equal(cp.headers.get('www-authenticate'), 'Basic realm="factomd Control Panel"');
  });

  test('control panel items and batch have the samples\' shapes', async () => {
    const cp = sim.nodes[0]!.controlPanel;
    const my = await (await fetch(`${cp}/factomd?item=myHeight`)).json();
    assert.deepEqual(Object.keys(my), Object.keys(JSON.parse(sample('cp-myHeight.json'))));
    const sc = await (await fetch(`${cp}/factomd?item=servercount`)).json();
    assert.deepEqual(sc, { fed: 2, aud: 0 });
    const batch = await (await fetch(`${cp}/factomdBatch?batch=myHeight,leaderHeight,completeHeight,servercount`)).json();
    const sb = JSON.parse(sample('cp-batch.json'));
    assert.equal(batch.length, sb.length);
    batch.forEach((x: object, i: number) => assert.deepEqual(Object.keys(x).sort(), Object.keys(sb[i]).sort()));
  });

  test('metrics use factomd\'s metric names and track the saved height', async () => {
    const names = new Set(sample('metric-names.txt').split('\n').map((s) => s.trim()).filter(Boolean));
    const text = await (await fetch(sim.nodes[0]!.metrics)).text();
    const mine = [...text.matchAll(/^(factomd_[a-z0-9_]+) /gm)].map((m) => m[1]!);
    assert.ok(mine.length >= 10);
    for (const n of mine) assert.ok(names.has(n), `${n} is a real factomd metric name`);
    const saved = Number(/^factomd_state_highest_saved (\d+)$/m.exec(text)![1]);
    assert.ok(saved >= 1);
  });

  test('commit and reveal a chain and an entry, read them back after the block, acks progress', async () => {
    const first: Entry = { chainId: new Uint8Array(32), extIds: [Buffer.from('anoguard-sim'), randomBytes(8)], content: Buffer.from('hello') };
    first.chainId = chainIdFromExtIds(first.extIds);
    const chainId = hex(first.chainId);
    const cc = buildChainCommit({ entry: first, ecSeed, milliTime: Date.now() });
    const c = await result(n1, 'commit-chain', { message: hex(cc) });
    assert.equal(c.message, 'Chain Commit Success');
    // Commits are shared: the same commit through another node is a Repeated Commit (-32011).
    const rep = await rpc(sim.nodes[1]!.api, 'commit-chain', { message: hex(cc) });
    assert.equal(rep.status, 400);
    assert.deepEqual(rep.body.error, { code: -32011, message: 'Repeated Commit' });
    const rv = await result(n1, 'reveal-chain', { entry: hex(marshalEntry(first)) });
    assert.equal(rv.message, 'Entry Reveal Success');
    assert.equal(rv.chainid, chainId);
    const ack1 = await result(n1, 'ack', { hash: rv.entryhash, chainid: chainId });
    assert.equal(ack1.entrydata.status, 'TransactionACK');
    const entryHash = rv.entryhash as string;
    const read = await waitUntil('entry readable', async () => {
      const r = await rpc(sim.nodes[1]!.api, 'entry', { hash: entryHash });
      return r.status === 200 ? r.body.result : undefined;
    }, 15_000);
    assert.ok(v2ResultSchemas.entry.safeParse(read).success);
    assert.ok(v2ResultSchemas['commit-chain'].safeParse(c).success);
    assert.ok(v2ResultSchemas['reveal-chain'].safeParse(rv).success);
    assert.ok(v2ResultSchemas.ack.safeParse(ack1).success);
    assert.equal(read.chainid, chainId);
    assert.equal(read.content, hex(Buffer.from('hello')));
    assert.deepEqual(read.extids, first.extIds.map(hex));
    assert.equal((await result(n1, 'ack', { hash: entryHash, chainid: chainId })).entrydata.status, 'DBlockConfirmed');
    const head = await result(n1, 'chain-head', { chainid: chainId });
    assert.equal(head.chaininprocesslist, false);
    const eb = await result(n1, 'entry-block', { keymr: head.chainhead });
    assert.equal(eb.header.chainid, chainId);
    assert.ok(v2ResultSchemas['entry-block'].safeParse(eb).success);
    assert.ok(v2ResultSchemas['chain-head'].safeParse(head).success);
    assert.deepEqual(eb.entrylist.map((e: { entryhash: string }) => e.entryhash), [entryHash]);

    const second: Entry = { chainId: first.chainId, extIds: [Buffer.from('x')], content: Buffer.from('second') };
    const ce = buildEntryCommit({ entry: second, ecSeed, milliTime: Date.now() });
    assert.equal((await result(n1, 'commit-entry', { message: hex(ce) })).message, 'Entry Commit Success');
    const r2 = await result(n1, 'reveal-entry', { entry: hex(marshalEntry(second)) });
    const pend = await result(n1, 'pending-entries', {});
    assert.ok(pend.some((p: { entryhash: string }) => p.entryhash === r2.entryhash) || (await result(n1, 'ack', { hash: r2.entryhash, chainid: chainId })).entrydata.status === 'DBlockConfirmed');
    const bal = await result(n1, 'entry-credit-balance', { address: ec });
    assert.equal(bal.balance, 1000 - 11 - 1);
  });

  test('a commit outside ±1 h of the node clock is refused; clock-skew moves the node clock', async () => {
    const e: Entry = { chainId: chainIdFromExtIds([Buffer.from('w')]), extIds: [Buffer.from('w')], content: randomBytes(4) };
    const old = buildEntryCommit({ entry: e, ecSeed, milliTime: Date.now() - 2 * 3600_000 });
    const r = await rpc(n1, 'commit-entry', { message: hex(old) });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, -32602);
    await sim.fault('n1', 'clock-skew', -2 * 3600);
    try {
      const cm = await result(n1, 'current-minute');
      assert.ok(cm.currenttime < (Date.now() - 3600_000) * 1e6, 'node clock moved back 2 h');
      assert.equal((await result(n1, 'commit-entry', { message: hex(old) })).message, 'Entry Commit Success');
    } finally {
      await sim.fault('n1', 'heal');
    }
  });

  test('bad signature and wrong size are Invalid params', async () => {
    const e: Entry = { chainId: chainIdFromExtIds([Buffer.from('s')]), extIds: [Buffer.from('s')], content: randomBytes(4) };
    const c = buildEntryCommit({ entry: e, ecSeed, milliTime: Date.now() });
    c[100] = c[100]! ^ 1;
    const r = await rpc(n1, 'commit-entry', { message: hex(c) });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.error, { code: -32602, message: 'Invalid params', data: 'Invalid Commit Entry' });
    assert.equal((await rpc(n1, 'commit-entry', { message: 'abcd' })).body.error.code, -32602);
  });

  test('FactomdTlsEnabled: the API and the control panel speak TLS ≥ 1.2 with the configured cert/key', async () => {
    const key = join(tmp.dir, 'tls.key');
    const cert = join(tmp.dir, 'tls.cert');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const seed = randomBytes(32);
    const entry = await prepareNode(tmp.dir, 'tls1', (p) => renderConf({
      ...p, blockSeconds: 1, id: `888888${randomBytes(29).toString('hex')}`, priv: seed.toString('hex'), pub: hex(publicKeyFromSeed(new Uint8Array(seed))), host: '127.0.0.1',
      extra: `FactomdTlsEnabled = true\nFactomdTlsPrivateKey = ${key}\nFactomdTlsPublicCert = ${cert}`,
    }));
    const node = await runAttached(tmp.dir, 'tls1');
    try {
      const url = new URL(entry.api);
      const post = (): Promise<{ status: number; body: string; protocol: string }> => new Promise((resolve, reject) => {
        const req = request({ host: url.hostname, port: Number(url.port), path: '/v2', method: 'POST', ca: readFileSync(cert), timeout: 3000 }, (res) => {
          let b = '';
          const protocol = (res.socket as import('node:tls').TLSSocket).getProtocol() ?? '';
          res.on('data', (d: Buffer) => { b += d.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, protocol }));
        });
        req.on('error', reject);
        req.end('{"jsonrpc":"2.0","id":1,"method":"properties"}');
      });
      const r = await waitUntil('tls answers', post, 5000);
      assert.equal(r.status, 200);
      assert.match(r.protocol, /^TLSv1\.[23]$/);
      assert.equal(JSON.parse(r.body).result.factomdapiversion, '2.0');
      await assert.rejects(fetch(`${entry.api}/v2`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(3000) }), 'plain HTTP is not served');
    } finally {
      node.child.kill('SIGTERM');
      await node.exit;
    }
  });

  test('an identity registered on chain (factomd\'s rules, core reducer) appears in authorities once promoted', async () => {
    const vectors = JSON.parse(readFileSync(join(SHARED, 'vectors/factom-vectors.json'), 'utf8'));
    const vec = (id: string): Json => vectors.vectors.find((v: { id: string }) => v.id === id).expected.entry;
    const fromVec = (e: { chainId: string; extIdsHex: string[]; contentHex: string }): Entry => ({
      chainId: Buffer.from(e.chainId, 'hex'), extIds: e.extIdsHex.map((x) => Buffer.from(x, 'hex')), content: Buffer.from(e.contentHex, 'hex'),
    });
    const root = fromVec(vec('server.identity-root-chain'));
    const mgmt = fromVec(vec('server.server-management-chain'));
    const sk1Seed = new Uint8Array(Buffer.from(vectors.fixedInputs.levelSeedsHex[0], 'hex'));
    const signing = new Uint8Array(randomBytes(32));
    const signingPub = publicKeyFromSeed(signing);
    const ts = Math.floor(Date.now() / 1000);
    const m = { rootChainId: root.chainId, managementChainId: mgmt.chainId, sk1Seed };
    const steps: { entry: Entry; chain: boolean }[] = [
      { entry: root, chain: true },
      { entry: buildRegisterFactomIdentity({ rootChainId: root.chainId, sk1Seed }), chain: false },
      { entry: mgmt, chain: true },
      { entry: buildRegisterServerManagement(m), chain: false },
      { entry: buildNewBlockSigningKey({ ...m, timestampSeconds: ts, blockSigningPublicKey: signingPub }), chain: false },
      { entry: buildNewBitcoinKey({ ...m, timestampSeconds: ts, keyLevel: 0, keyType: 0, hash160: new Uint8Array(20).fill(7) }), chain: false },
      { entry: buildNewMatryoshkaHash({ ...m, timestampSeconds: ts, mhash: new Uint8Array(32).fill(9) }), chain: false },
    ];
    const rootId = hex(root.chainId);
    // Before the chains exist, promotion is refused with factomd's missing pieces.
    await assert.rejects(sim.promote(rootId, { audit: true }), /cannot be promoted/);
    let last = '';
    for (const st of steps) {
      const c = st.chain ? buildChainCommit({ entry: st.entry, ecSeed, milliTime: Date.now() }) : buildEntryCommit({ entry: st.entry, ecSeed, milliTime: Date.now() });
      await result(n1, st.chain ? 'commit-chain' : 'commit-entry', { message: hex(c) });
      last = (await result(n1, st.chain ? 'reveal-chain' : 'reveal-entry', { entry: hex(marshalEntry(st.entry)) })).entryhash;
    }
    await waitUntil('identity entries confirmed', async () => (await result(n1, 'ack', { hash: last, chainid: hex(mgmt.chainId) })).entrydata.status === 'DBlockConfirmed', 15_000);
    await sim.promote(rootId, { audit: true });
    const auth = await waitUntil('in authorities', async () => (await result(n1, 'authorities')).authorities.find((a: { chainid: string }) => a.chainid === rootId), 8000);
    assert.equal(auth.status, 'audit');
    assert.equal(auth.signingkey, hex(signingPub));
    assert.equal(auth.manageid, hex(mgmt.chainId));
    assert.equal(auth.matroyshka, '09'.repeat(32));
  });
});
