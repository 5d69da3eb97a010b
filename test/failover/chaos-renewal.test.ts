/**
 * Renewals on a CPU-starved host, as seen in the chaos campaigns under load: a newly promoted
 * holder's agent demoted itself because each renewal took a little longer than the renewal period
 * and was given up, although the controller granted every one of them. A late answer is still a
 * good lease (it is counted from when it was asked for), so the keeper and the control client wait
 * up to the demotion window — and a server that never answers still does not hold up the lease of
 * one that does. Safety is unchanged: when no lease comes, the holder still demotes before the end.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCommand, type CommandInput } from '../../src/failover/command.js';
import type { ControlRequest, ControlResponse } from '../../src/failover/control-wire.js';
import { publicKeyFromSeed } from '../../src/factom/ed25519.js';
import { createCommandAgent } from '../../src/agent/commands/execute.js';
import { startLeaseKeeper } from '../../src/agent/commands/lease-keeper.js';
import { startControlClient, type ControlCall } from '../../src/agent/commands/client.js';
import { openReplaySet } from '../../src/agent/commands/replay.js';
import { writeFileAtomic } from '../../src/util/fs.js';
import { beforeConfs, ID_A } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'fo-renew-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const seed = new Uint8Array(randomBytes(32));
const key = Buffer.from(publicKeyFromSeed(seed)).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TTL = 1500;
const lease = (): ReturnType<typeof signCommand> => signCommand(seed, { type: 'lease', host: 'master', identity: ID_A, expiresAt: Date.now() + TTL, payload: { ttlMs: TTL, epoch: 1 } } satisfies CommandInput);

/** An agent on a host whose factomd.conf holds the identity. */
function holder(name: string): ReturnType<typeof createCommandAgent> {
  const h = join(dir, name);
  mkdirSync(h, { recursive: true });
  writeFileAtomic(join(h, 'factomd.conf'), beforeConfs().holder, { mode: 0o600 });
  return createCommandAgent({
    host: 'master', identity: ID_A, confPath: join(h, 'factomd.conf'), statePath: join(h, 'fence.json'), replay: openReplaySet(join(h, 'replay.json')),
    trustedKeys: [key], localNode: () => Promise.resolve({ id: ID_A, height: 30 }),
  });
}

test('lease keeper: renewals answered later than the renewal period still keep the identity', async () => {
  const a = holder('fo-slow-keeper');
  let renewed = 0;
  const demoted: string[] = [];
  // Every answer takes 1.5 renewal periods (a starved host): each one must still count.
  const k = startLeaseKeeper({
    agent: a, renew: () => sleep(150).then(lease), renewEveryMs: 100, demoteBeforeMs: 600,
    onEvent: (e) => { if (e.kind === 'renewed') renewed++; if (e.kind === 'demoted') demoted.push(e.detail ?? ''); },
  });
  try {
    await sleep(2000);
    assert.deepEqual(demoted, [], 'no self-demotion while every renewal was granted');
    assert.equal(a.holdsIdentity(), true);
    assert.ok(renewed >= 5, `renewed ${renewed} times`);
    // The lease still counts from when each renewal was sent: it ends at most TTL after the last send.
    assert.ok(a.leaseEndMono() <= performance.now() + TTL);
  } finally {
    k.stop();
  }
});

test('control client: a slow server\'s lease is taken and a silent one does not hold it up; with neither, the holder demotes in time', async () => {
  const a = holder('fo-slow-client');
  let slowUp = true;
  const reply = (withLease: boolean): ControlResponse => ({ v: 1, serverTime: Date.now(), ...(withLease ? { lease: lease() } : {}), commands: [], statusWanted: false, leaseTtlMs: TTL, blockMs: 1000 });
  const wait = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((r) => { const t = setTimeout(r, ms); signal?.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true }); });
  // Never answers (a partitioned server): every call hangs until its timeout.
  const silent: ControlCall = (_b: ControlRequest, _t: number, signal?: AbortSignal) => wait(60_000, signal).then(() => Promise.reject(new Error('aborted')));
  // The active server on a starved host: renewals answered after 1.5 renewal periods.
  const slow: ControlCall = async (b: ControlRequest, _t: number, signal?: AbortSignal) => {
    if (!b.lease) { await wait(200, signal); return reply(false); }
    await wait(150, signal);
    if (!slowUp) throw new Error('connection refused');
    return reply(true);
  };
  const demoted: string[] = [];
  const c = startControlClient({
    host: 'master', calls: [silent, slow], agent: a, renewEveryMs: 100, demoteBeforeMs: 600, pollWaitMs: 200,
    status: () => Promise.resolve({ host: 'master', holdsIdentity: a.holdsIdentity(), fenced: false }),
    quickStatus: () => ({ host: 'master', holdsIdentity: a.holdsIdentity(), fenced: false }),
  });
  try {
    await sleep(2000);
    assert.deepEqual(demoted, []);
    assert.equal(a.holdsIdentity(), true, 'renewed through the slow server while the other never answered');
    // Nobody grants any more: the holder still demotes itself before its lease ends.
    slowUp = false;
    await sleep(50);
    const end = a.leaseEndMono();
    const stopAt = performance.now() + 3000;
    while (a.holdsIdentity() && performance.now() < stopAt) await sleep(20);
    assert.equal(a.holdsIdentity(), false);
    assert.ok(performance.now() < end, 'demoted before the lease ended');
  } finally {
    await c.stop();
  }
});
