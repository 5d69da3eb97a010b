import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCommand, verifyCommand, type ReplaySet } from '../../src/failover/command.js';
import { publicKeyFromSeed } from '../../src/factom/ed25519.js';
import { openReplaySet } from '../../src/agent/commands/replay.js';
import { createCommandAgent, fenceCheck } from '../../src/agent/commands/execute.js';
import { startLeaseKeeper } from '../../src/agent/commands/lease-keeper.js';
import { inspectConf } from '../../src/failover/conf-identity.js';
import { writeFileAtomic } from '../../src/util/fs.js';
import { beforeConfs, ID_A } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'fo-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const seed = new Uint8Array(randomBytes(32));
const key = Buffer.from(publicKeyFromSeed(seed)).toString('hex');
const memReplay = (): ReplaySet => { const s = new Set<string>(); return { has: (n) => s.has(n), add: (n) => { s.add(n); } }; };
const NOW = 1_800_000_000_000;
const ctx = (over: Partial<Parameters<typeof verifyCommand>[1]> = {}): Parameters<typeof verifyCommand>[1] => ({ trustedKeys: [key], host: 'standby', identity: ID_A, now: NOW, replay: memReplay(), ...over });
const cmd = (over: Partial<Parameters<typeof signCommand>[1]> = {}) => signCommand(seed, { type: 'swap-edit', host: 'standby', identity: ID_A, height: 40, expiresAt: NOW + 60_000, payload: { action: 'promote' }, ...over });

test('commands: a good command verifies once; replay, other host, other identity, expiry, bad signature, untrusted key are refused', () => {
  const c = cmd();
  const replay = memReplay();
  assert.equal(verifyCommand(c, ctx({ replay })).height, 40);
  assert.throws(() => verifyCommand(c, ctx({ replay })), /already used/);
  assert.throws(() => verifyCommand(cmd(), ctx({ host: 'master' })), /meant for host standby/);
  assert.throws(() => verifyCommand(cmd(), ctx({ identity: 'ab'.repeat(32) })), /another identity/);
  assert.throws(() => verifyCommand(cmd({ expiresAt: NOW - 10_000 }), ctx()), /expired/);
  assert.throws(() => verifyCommand(cmd({ expiresAt: NOW + 24 * 3600_000 }), ctx()), /too far/);
  const tampered = { ...cmd(), height: 41 };
  assert.throws(() => verifyCommand(tampered, ctx()), /bad signature/);
  const other = signCommand(new Uint8Array(randomBytes(32)), { type: 'fence', host: 'standby', identity: ID_A, height: 3, expiresAt: NOW + 1000 });
  assert.throws(() => verifyCommand(other, ctx()), /does not trust/);
  assert.throws(() => verifyCommand({ ...cmd(), extra: 1 }, ctx()), /not a signed command/);
  assert.throws(() => signCommand(seed, { type: 'swap-edit', host: 'standby', identity: ID_A, height: 1, expiresAt: NOW + 1, payload: { action: 'explode' } }), /bad swap-edit payload/);
});

test('replay set: persisted 0600, survives a reopen, forgets only expired nonces, refuses a corrupt file', () => {
  const p = join(dir, 'replay.json');
  let t = NOW;
  const r = openReplaySet(p, () => t);
  r.add('a'.repeat(32), NOW + 1000);
  r.add('b'.repeat(32), NOW + 10);
  assert.equal(statSync(p).mode & 0o777, 0o600);
  t = NOW + 100;
  const r2 = openReplaySet(p, () => t);
  assert.ok(r2.has('a'.repeat(32)));
  r2.add('c'.repeat(32), NOW + 1000);
  assert.ok(!openReplaySet(p, () => t).has('b'.repeat(32)));
  writeFileSync(p, '{');
  assert.throws(() => openReplaySet(p), /unreadable/);
});

function hostDir(name: string, conf: string): string {
  const h = join(dir, name);
  rmSync(h, { recursive: true, force: true });
  mkdirSync(h, { recursive: true });
  writeFileAtomic(join(h, 'factomd.conf'), conf, { mode: 0o600 });
  return h;
}

const authorityTriple = (): string => {
  const t = beforeConfs().holder;
  const get = (k: string): string => new RegExp(`^${k}\\s*=\\s*(\\S+)`, 'm').exec(t)![1]!;
  return JSON.stringify({ IdentityChainID: get('IdentityChainID'), LocalServerPrivKey: get('LocalServerPrivKey'), LocalServerPublicKey: get('LocalServerPublicKey') });
};

function agentFor(h: string, name: string, o: { height?: number; mono?: () => number; write?: typeof writeFileAtomic } = {}) {
  writeFileAtomic(join(h, 'identity.json'), authorityTriple(), { mode: 0o600 });
  return createCommandAgent({
    host: name, identity: ID_A, confPath: join(h, 'factomd.conf'), statePath: join(h, 'fence.json'), replay: openReplaySet(join(h, 'replay.json')),
    trustedKeys: [key], identityFile: join(h, 'identity.json'), localNode: () => Promise.resolve({ id: 'ff'.repeat(32), height: o.height ?? 30 }),
    ...(o.mono ? { mono: o.mono } : {}), ...(o.write ? { writeFile: o.write } : {}),
  });
}
const sign = (c: Parameters<typeof signCommand>[1]) => signCommand(seed, c);
const lease = (h: string, ttlMs = 5000, epoch = 1) => sign({ type: 'lease', host: h, identity: ID_A, expiresAt: Date.now() + ttlMs, payload: { ttlMs, epoch } });

test('agent: promote needs a lease; the edit is atomic, comment-preserving, 0600; restore puts the old file back', async () => {
  const conf = `; standby\n${beforeConfs().standby}`;
  const h = hostDir('fo-standby', conf);
  const a = agentFor(h, 'standby');
  const promote = () => sign({ type: 'swap-edit', host: 'standby', identity: ID_A, height: 40, expiresAt: Date.now() + 60_000, payload: { action: 'promote' } });
  await assert.rejects(a.execute(promote()), /no valid lease/);
  a.acceptLease(lease('standby'), performance.now());
  const r = await a.execute(promote());
  assert.equal(r.holdsIdentity, true);
  const text = readFileSync(join(h, 'factomd.conf'), 'utf8');
  assert.match(text, /^; standby\n\[app\]/);
  assert.equal(inspectConf(text).changeAcksHeight, 40);
  assert.equal(statSync(join(h, 'factomd.conf')).mode & 0o777, 0o600);
  await a.execute(sign({ type: 'swap-edit', host: 'standby', identity: ID_A, height: 40, expiresAt: Date.now() + 60_000, payload: { action: 'restore' } }));
  assert.equal(readFileSync(join(h, 'factomd.conf'), 'utf8'), conf);
});

test('agent: disk full during an edit leaves the old file whole and no temp file behind', async () => {
  const h = hostDir('fo-full', beforeConfs().holder);
  let full = false;
  const write: typeof writeFileAtomic = (p, d, o) => {
    if (full && p.endsWith('factomd.conf')) {
      // What a full disk does to writeFileAtomic: the temp write fails, the target is untouched.
      return writeFileAtomic(join('/proc/self/fo-no-such-dir', 'x'), d, o);
    }
    return writeFileAtomic(p, d, o);
  };
  const a = agentFor(h, 'master', { write });
  full = true;
  await assert.rejects(a.execute(sign({ type: 'swap-edit', host: 'master', identity: ID_A, height: 40, expiresAt: Date.now() + 60_000, payload: { action: 'demote' } })), /cannot write/);
  assert.equal(readFileSync(join(h, 'factomd.conf'), 'utf8'), beforeConfs().holder);
  assert.deepEqual(readdirSync(h).filter((f) => f.endsWith('.tmp')), []);
});

test('lease keeper: renewals keep the identity; when they stop, the holder demotes itself before the lease ends', async () => {
  const h = hostDir('fo-holder', beforeConfs().holder);
  const a = agentFor(h, 'master', { height: 77 });
  let up = true;
  const events: string[] = [];
  const k = startLeaseKeeper({ agent: a, renew: () => (up ? Promise.resolve(lease('master', 1500)) : Promise.reject(new Error('down'))), renewEveryMs: 100, demoteBeforeMs: 600, onEvent: (e) => events.push(e.kind) });
  try {
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(a.holdsIdentity(), true);
    up = false;
    await new Promise((r) => setTimeout(r, 150));
    // No renewal lands after this point: the lease ends at leaseEnd.
    const leaseEnd = a.leaseEndMono();
    const end = performance.now() + 3000;
    while (a.holdsIdentity() && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(a.holdsIdentity(), false);
    assert.ok(performance.now() < leaseEnd, 'demoted before the lease ended');
    const text = readFileSync(join(h, 'factomd.conf'), 'utf8');
    assert.equal(inspectConf(text).changeAcksHeight, 78, 'ChangeAcksHeight = next block');
    assert.doesNotMatch(text, /LocalServerPrivKey/);
    assert.ok(events.includes('demoted'));
  } finally {
    k.stop();
  }
});

test('fence-check: refuses and demotes a config holding the identity without a valid lease; passes with one or without the identity', () => {
  const h = hostDir('fo-boot', beforeConfs().holder);
  const o = { confPath: join(h, 'factomd.conf'), statePath: join(h, 'fence.json'), identity: ID_A };
  writeFileAtomic(o.statePath, JSON.stringify({ identity: ID_A, leaseUntil: Date.now() + 60_000, epoch: 1, fenced: false }), { mode: 0o600 });
  assert.equal(fenceCheck(o).ok, true);
  writeFileAtomic(o.statePath, JSON.stringify({ identity: ID_A, leaseUntil: Date.now() - 1, epoch: 1, fenced: false }), { mode: 0o600 });
  const r = fenceCheck(o);
  assert.equal(r.ok, false);
  assert.equal(r.demoted, true);
  assert.equal(inspectConf(readFileSync(o.confPath, 'utf8')).identityChainId, '');
  assert.equal(fenceCheck(o).ok, true);
  chmodSync(o.confPath, 0o600);
});
