import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createControlHub } from '../../src/server/failover/hub.js';
import { signCommand } from '../../src/failover/command.js';
import { ControlRequest, MAX_CONTROL_BYTES } from '../../src/failover/control-wire.js';

const ID = 'ab'.repeat(32);
const seed = new Uint8Array(randomBytes(32));
const req = (host: string, o: Partial<ControlRequest> = {}): ControlRequest => ({
  v: 1, host, lease: false, waitMs: 0, status: { host, holdsIdentity: false, fenced: false }, results: [], renewEveryMs: 200, ...o,
});
const hasCode = (code: string) => (e: Error & { code?: string }) => e.code === code;

test('hub: a status is asked through the pending long-poll and answered by the next report; a silent agent is unreachable', async () => {
  const hub = createControlHub({ hosts: ['a', 'b'], leaseTtlMs: 4000, blockMs: 1000, statusTimeoutMs: 1000 });
  try {
    const a = hub.links.find((l) => l.host === 'a')!;
    await assert.rejects(a.status(), hasCode('E_AGENT_UNREACHABLE'), 'never called in');
    const poll = hub.handle('a', req('a', { waitMs: 5000 }));
    const asked = a.status();
    const woke = await poll;
    assert.equal(woke.statusWanted, true, 'the long-poll returns at once with the request');
    assert.deepEqual(woke.commands, []);
    void hub.handle('a', req('a', { status: { host: 'a', holdsIdentity: true, changeAcksHeight: 7, fenced: false } }));
    const s = await asked;
    assert.equal(s.holdsIdentity, true);
    assert.equal(s.changeAcksHeight, 7);
    assert.equal(hub.view().find((v) => v.host === 'a')?.reachable, true);
    assert.equal(hub.view().find((v) => v.host === 'b')?.reachable, false);
    await assert.rejects(hub.handle('x', req('x')), hasCode('E_CONTROL_HOST'));
  } finally {
    hub.close();
  }
});

test('hub: a command goes out on the next call and execute resolves (or rejects) with the result the agent reports for its nonce', async () => {
  const hub = createControlHub({ hosts: ['a'], leaseTtlMs: 4000, blockMs: 1000, executeTimeoutMs: 300 });
  try {
    const a = hub.links[0]!;
    await hub.handle('a', req('a'));
    const c1 = signCommand(seed, { type: 'unfence', host: 'a', identity: ID, expiresAt: Date.now() + 60_000 });
    const done = a.execute(c1);
    const r1 = await hub.handle('a', req('a', { waitMs: 5000 }));
    assert.deepEqual(r1.commands.map((c) => c.nonce), [c1.nonce]);
    await hub.handle('a', req('a', { results: [{ nonce: c1.nonce, ok: true, holdsIdentity: true, changeAcksHeight: 12 }] }));
    assert.deepEqual(await done, { holdsIdentity: true, changeAcksHeight: 12 });

    const c2 = signCommand(seed, { type: 'unfence', host: 'a', identity: ID, expiresAt: Date.now() + 60_000 });
    const refused = a.execute(c2);
    await hub.handle('a', req('a'));
    await hub.handle('a', req('a', { results: [{ nonce: c2.nonce, ok: false, error: { code: 'E_COMMAND_REPLAY', message: 'this command was already used' } }] }));
    await assert.rejects(refused, hasCode('E_COMMAND_REPLAY'));

    // Not taken before the timeout: dropped from the queue, never delivered late.
    const c3 = signCommand(seed, { type: 'unfence', host: 'a', identity: ID, expiresAt: Date.now() + 60_000 });
    await assert.rejects(a.execute(c3), hasCode('E_AGENT_TIMEOUT'));
    assert.deepEqual((await hub.handle('a', req('a'))).commands, []);
  } finally {
    hub.close();
  }
});

test('hub: a renewal is answered at once with the controller\'s lease and does not stand in for a fresh status', async () => {
  const lease = signCommand(seed, { type: 'lease', host: 'a', identity: ID, expiresAt: Date.now() + 4000, payload: { ttlMs: 4000, epoch: 1 } });
  const asked: string[] = [];
  const hub = createControlHub({ hosts: ['a'], leaseTtlMs: 4000, blockMs: 1000, statusTimeoutMs: 200, renew: (h) => { asked.push(h); return Promise.resolve(lease); } });
  try {
    await hub.handle('a', req('a', { status: { host: 'a', holdsIdentity: false, fenced: false } }));
    const fresh = hub.links[0]!.status();
    const r = await hub.handle('a', req('a', { lease: true, waitMs: 5000, status: { host: 'a', holdsIdentity: true, fenced: false } }));
    assert.equal(r.lease?.nonce, lease.nonce);
    assert.deepEqual(r.commands, []);
    assert.deepEqual(asked, ['a']);
    // Nobody reported afresh within the timeout: the last full report (not the renewal's) is used.
    assert.equal((await fresh).holdsIdentity, false);
  } finally {
    hub.close();
  }
});

test('control request: bounded and field-named', () => {
  const bad = ControlRequest.safeParse({ ...req('a'), results: Array.from({ length: 33 }, () => ({ nonce: '0'.repeat(32), ok: true })) });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ['results']);
  const big = ControlRequest.safeParse(req('a', { status: { host: 'a', holdsIdentity: false, fenced: false, maskedConf: 'x'.repeat(MAX_CONTROL_BYTES) } }));
  assert.deepEqual(big.error?.issues[0]?.path, ['status', 'maskedConf']);
  assert.equal(ControlRequest.safeParse({ ...req('a'), extra: 1 }).success, false, 'strict');
});
