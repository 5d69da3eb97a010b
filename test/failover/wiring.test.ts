import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from '../helpers/cli.js';
import { exampleInput } from '../topology/fixture.js';
import { createLogger } from '../../src/log.js';
import { startAnoguard, type Started } from '../../src/demo/start.js';
import { initCa, issueCert } from '../../src/pki/ca.js';
import { tlsFilesFromPkiDir } from '../../src/server/tls.js';
import { isOurProcess, readTruth, startSim, type SimHandle } from '../../src/sim/index.js';
import { readIdentityTriple, type IdentityTriple } from '../../src/failover/conf-identity.js';
import { signCommand } from '../../src/failover/command.js';
import { checkTruth } from '../../src/failover/safety-check.js';
import { publicKeyFromSeed } from '../../src/factom/ed25519.js';
import { createFactomdClient } from '../../src/factomd/client.js';

/**
 * The failover controller wired the way an operator deploys it: the server (startAnoguard, the code
 * path of `anoguard server`) hosts the controller, two real `anoguard agent` processes keep the
 * lease and run signed commands over their own mTLS connection, and the simulator (1 s blocks)
 * keeps the record of truth. n1 is another operator's federated server; the operator's identity is
 * the audit server on n2 (host auth-a, the master) and n3 (auth-b) is the standby.
 */

const PASS = 'fo-wire-passphrase';
const BLOCK_MS = 1000;
const LEASE_MS = 6000;
const MARGIN_BLOCKS = 2;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, f: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => res(typeof a === 'object' && a ? a.port : 0)); });
  });
}

interface Agent { name: string; node: string; yaml: string; proc?: ChildProcess; log: string[] }

describe('failover wired across processes: server controller ↔ agents over mTLS', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fo-wire-'));
  const pkiDir = join(dir, 'pki');
  const dataDir = join(dir, 'server');
  let sim: SimHandle;
  let server: Started | undefined;
  let port = 0;
  let identity = '';
  let authority: IdentityTriple;
  const seed = new Uint8Array(randomBytes(32));
  const opKey = Buffer.from(publicKeyFromSeed(seed)).toString('hex');
  const keyFile = join(dir, 'operator.key');
  const agents: Agent[] = [{ name: 'auth-a', node: 'n2', yaml: '', log: [] }, { name: 'auth-b', node: 'n3', yaml: '', log: [] }];
  const t0 = Date.now();
  const confOf = (node: string): string => join(sim.dir, node, '.factom/m2/factomd.conf');
  const apiOf = (node: string): string => sim.nodes.find((n) => n.name === node)!.api;
  const logger = createLogger('fo-wire', { level: 'silent' });

  async function startServer(auto: boolean): Promise<Started> {
    const topo = exampleInput();
    topo.authority.failover = { identity, auto, leaseTtl: `${LEASE_MS}ms`, renewEvery: '1s', marginBlocks: MARGIN_BLOCKS, downBlocks: 3, blockTime: `${BLOCK_MS}ms` };
    const file = join(dir, `topology-${auto ? 'auto' : 'manual'}.yaml`);
    writeFileSync(file, stringify(topo));
    return startAnoguard({
      dataDir, demo: false, logger, web: { host: '127.0.0.1', port: 0 }, ingest: { host: '127.0.0.1', port },
      tls: tlsFilesFromPkiDir(pkiDir, 'server'), pkiDir, failover: { topologyFile: file, operatorKeyFile: keyFile },
    });
  }

  function startAgent(a: Agent): void {
    const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'agent', '--config', a.yaml], {
      cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', ANOGUARD_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    p.stderr.on('data', (d: Buffer) => { a.log.push(...d.toString().split('\n').filter((l) => l.includes('command') || l.includes('fence') || l.includes('lease'))); });
    a.proc = p;
  }

  async function leader(): Promise<string | undefined> {
    for (const a of agents) {
      const d = await createFactomdClient({ url: apiOf(a.node), timeoutMs: 1500, retries: 0 }).diagnostics().catch(() => undefined);
      if (d && d.id === identity && d.role !== 'Follower') return a.name;
    }
    return undefined;
  }

  const killNode = async (node: string): Promise<void> => {
    const pid = JSON.parse(readFileSync(join(sim.dir, 'sim.json'), 'utf8')).nodes.find((n: { name: string }) => n.name === node).pid as number;
    if (isOurProcess(pid, sim.dir)) process.kill(pid, 'SIGKILL');
    await until(`${node} gone`, 5000, () => !isOurProcess(pid, sim.dir));
  };

  before(async () => {
    sim = await startSim({ dir: join(dir, 'sim'), nodes: 3, authorities: 1, audits: 1, blockTimeMs: BLOCK_MS });
    authority = readIdentityTriple(readFileSync(confOf('n2'), 'utf8'))!;
    const standbyOwn = readIdentityTriple(readFileSync(confOf('n3'), 'utf8'))!;
    identity = authority.identityChainId;
    await initCa({ dir: pkiDir, passphrase: PASS, scrypt: { N: 1 << 14, r: 8, p: 1 } });
    await issueCert({ dir: pkiDir, passphrase: PASS, kind: 'server', name: 'server', sans: ['IP:127.0.0.1', 'DNS:localhost'] });
    for (const n of ['auth-a', 'auth-b', 'fol-1']) await issueCert({ dir: pkiDir, passphrase: PASS, kind: 'agent', name: n });
    writeFileSync(keyFile, `${Buffer.from(seed).toString('hex')}\n`, { mode: 0o600 });
    port = await freePort();
    server = await startServer(false);
    const triple = (t: IdentityTriple): string => JSON.stringify({ IdentityChainID: t.identityChainId, LocalServerPrivKey: t.localServerPrivKey, LocalServerPublicKey: t.localServerPublicKey });
    for (const a of agents) {
      const h = join(dir, a.name);
      mkdirSync(h, { mode: 0o700 });
      writeFileSync(join(h, 'identity.json'), triple(authority), { mode: 0o600 });
      if (a.name === 'auth-b') writeFileSync(join(h, 'follower.json'), triple(standbyOwn), { mode: 0o600 });
      const tls = tlsFilesFromPkiDir(pkiDir, a.name);
      const ctl = [process.execPath, '--import', 'tsx', join(ROOT, 'test/failover/fixtures/node-ctl.ts')];
      a.yaml = join(h, 'agent.yaml');
      writeFileSync(a.yaml, stringify({
        name: a.name, server: `https://127.0.0.1:${port}`, tls: { ca: tls.ca, cert: tls.cert, key: tls.key },
        interval: '60s', stateDir: join(h, 'state'), watch: { files: [a.yaml] },
        factomd: [{ name: a.node, url: apiOf(a.node), timeout: '2s' }],
        control: {
          factomdConf: confOf(a.node), stateFile: join(h, 'fence.json'), replayFile: join(h, 'replay.json'), identity, trustedKeys: [opKey],
          identityFile: join(h, 'identity.json'), ...(a.name === 'auth-b' ? { followerFile: join(h, 'follower.json') } : {}),
          renewEvery: '1s', demoteBefore: '2500ms',
          restartCommand: [...ctl, 'restart', sim.dir, a.node, a.yaml], stopCommand: [...ctl, 'stop', sim.dir, a.node],
        },
      }));
      startAgent(a);
    }
  });

  after(async () => {
    for (const a of agents) a.proc?.kill('SIGKILL');
    await server?.stop().catch(() => undefined);
    await sim?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const fo = () => server!.failover!;
  const dump = (): string => `status ${JSON.stringify(fo().status())}\n${agents.map((a) => `${a.name}: ${a.log.slice(-15).join('\n')}`).join('\n')}`;

  it('the master\'s agent takes and renews the lease over the channel; both hosts report', async () => {
    await until('both agents reporting and auth-a leased', 30_000, () => {
      const s = fo().status();
      return s.hosts.every((h) => h.reachable && h.node) && s.hosts.find((h) => h.host === 'auth-a')?.leased ? s : undefined;
    }).catch((e: unknown) => { throw new Error(`${String(e)}\n${dump()}`); });
    const first = fo().status().leaseEnd;
    // Renewals come every renewEvery; a loaded machine may delay one, so wait for it (bounded).
    const s = await until('the lease renewed', 10_000, () => { const st = fo().status(); return st.leaseEnd > first ? st : undefined; })
      .catch((e: unknown) => { throw new Error(`${String(e)}\n${dump()}`); });
    assert.ok(s.leaseEnd > first, 'the lease was renewed');
    assert.deepEqual(s.holders, ['auth-a']);
    assert.equal(s.auto, false);
    assert.equal(s.hosts.find((h) => h.host === 'auth-a')?.holdsIdentity, true);
    assert.equal(s.hosts.find((h) => h.host === 'auth-b')?.holdsIdentity, false);
    assert.equal(await leader(), 'auth-a');
  });

  it('refuses a command for another host, a replayed command, and a call made with another host\'s certificate', async () => {
    const link = server!.control!.links.find((l) => l.host === 'auth-a')!;
    const forB = signCommand(seed, { type: 'unfence', host: 'auth-b', identity, expiresAt: Date.now() + 60_000 });
    await assert.rejects(link.execute(forB), (e: Error & { code?: string }) => e.code === 'E_COMMAND_HOST');
    const once = signCommand(seed, { type: 'unfence', host: 'auth-a', identity, expiresAt: Date.now() + 60_000 });
    assert.equal((await link.execute(once)).holdsIdentity, true);
    await assert.rejects(link.execute(once), (e: Error & { code?: string }) => e.code === 'E_COMMAND_REPLAY');
    const bad = signCommand(new Uint8Array(randomBytes(32)), { type: 'unfence', host: 'auth-a', identity, expiresAt: Date.now() + 60_000 });
    await assert.rejects(link.execute(bad), (e: Error & { code?: string }) => e.code === 'E_COMMAND_SIGNER');

    const post = (name: string, body: unknown): Promise<{ status: number; body: { error?: { code: string; field?: string } } }> => new Promise((res, rej) => {
      const t = tlsFilesFromPkiDir(pkiDir, name);
      const data = JSON.stringify(body);
      const req = request({ host: '127.0.0.1', port, path: '/v1/control', method: 'POST', ca: readFileSync(t.ca), cert: readFileSync(t.cert), key: readFileSync(t.key), headers: { 'content-type': 'application/json' } }, (r) => {
        let text = '';
        r.on('data', (c: Buffer) => { text += c.toString(); });
        r.on('end', () => res({ status: r.statusCode ?? 0, body: JSON.parse(text) as { error?: { code: string } } }));
      });
      req.on('error', rej);
      req.end(data);
    });
    const claim = (host: string) => ({ v: 1, host, lease: true, waitMs: 0, status: { host, holdsIdentity: false, fenced: false }, results: [], renewEveryMs: 500 });
    const asA = await post('auth-b', claim('auth-a'));
    assert.equal(asA.status, 403);
    assert.equal(asA.body.error?.code, 'E_AGENT_MISMATCH');
    assert.equal(asA.body.error?.field, 'body.host');
    const outsider = await post('fol-1', claim('fol-1'));
    assert.equal(outsider.status, 403);
    assert.equal(outsider.body.error?.code, 'E_CONTROL_HOST');
    const malformed = await post('auth-b', { ...claim('auth-b'), waitMs: 10 ** 9 });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error?.field, 'body.waitMs');
    assert.deepEqual(fo().status().holders, ['auth-a'], 'nothing moved');
  });

  it('a planned swap through server.failover moves the identity to the standby', async () => {
    const plan = await fo().plan();
    assert.equal(plan.edit, undefined, 'no secrets in a plan');
    assert.ok(plan.checks.length > 5);
    const r = await fo().run({ standby: 'auth-b' });
    assert.ok(r.ok, `${r.detail}\n${dump()}`);
    assert.ok(r.swapId);
    assert.deepEqual(fo().status().holders, ['auth-b']);
    assert.equal(await until('auth-b leads', 10_000, leader), 'auth-b');
    const states = fo().journal().filter((e) => e.swapId === r.swapId).map((e) => e.state);
    assert.deepEqual(states, ['planned', 'edits-sent', 'edits-applied', 'height-reached', 'verified']);
    // The truth: from H on, only n3 runs the identity as an authority.
    const holders = await until('the truth records H', 10_000, () => {
      const at = readTruth(sim.dir).signatures.filter((s) => s.identityChainId === identity && s.role !== 'Follower' && s.height >= r.plan.height);
      return at.length > 0 ? new Set(at.map((s) => s.node)) : undefined;
    });
    assert.deepEqual([...holders], ['n3']);
  });

  it('with auto off, a dead holder is not replaced; with auto on, the standby leads after lease end + margin', async () => {
    const b = agents.find((a) => a.name === 'auth-b')!;
    b.proc!.kill('SIGKILL');
    await killNode('n3');
    const killedAt = Date.now();
    // Lease end + margin + 3 blocks: a controller that would promote has done it by now.
    await sleep(LEASE_MS + (MARGIN_BLOCKS + 2) * BLOCK_MS);
    assert.equal(await leader(), undefined, 'auto off: nobody was promoted');
    assert.deepEqual(fo().status().holders, ['auth-b']);
    assert.equal(fo().status().hosts.find((h) => h.host === 'auth-b')?.reachable, false);

    await server!.stop();
    server = await startServer(true);
    const restartedAt = Date.now();
    assert.equal(fo().status().auto, true);
    const who = await until('auth-a leads', 30_000, leader).catch((e: unknown) => { throw new Error(`${String(e)}\n${dump()}`); });
    assert.equal(who, 'auth-a');
    const tookMs = Date.now() - restartedAt;
    // A restarted controller waits out the margin (the old grant is long over), then promotes at the next block but one.
    assert.ok(tookMs >= MARGIN_BLOCKS * BLOCK_MS, `promoted after ${tookMs} ms`);
    assert.ok(Date.now() - killedAt >= LEASE_MS + MARGIN_BLOCKS * BLOCK_MS);
    assert.deepEqual(fo().status().holders, ['auth-a']);
    await until('the failover journaled as verified', 5000, () => fo().journal().some((e) => e.kind === 'failover' && e.state === 'verified'));
    const steps = fo().journal().filter((e) => e.kind === 'failover').map((e) => e.state);
    assert.deepEqual(steps.slice(0, 3), ['planned', 'fencing', 'fenced']);
  });

  it('the record of truth has no height with two signers for the identity', () => {
    const report = checkTruth(readTruth(sim.dir), { identity, blockMs: BLOCK_MS, boundBlocks: 1000, fromTs: t0 });
    assert.deepEqual(report.duplicates, []);
    assert.deepEqual(report.duplicateDeaths, []);
  });
});
