/**
 * The controller's journal across a failover whose promoted host loses the identity before the
 * height (its agent demoted itself when renewals failed, as seen under load in the chaos campaign):
 * the attempt is closed as failed and the new promotion is journaled as a new failover, so the
 * journal never tries to go back and never reports an error.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostics } from '../../src/factomd/schemas.js';
import { signCommand } from '../../src/failover/command.js';
import { createController, type AgentStatus } from '../../src/failover/controller.js';
import { openJournal } from '../../src/failover/journal-file.js';
import { localLeaseStore } from '../../src/failover/lease-store.js';
import { ID_A, snapshot } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'fo-ctl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a promoted host that lost the identity before the height is promoted again under a new failover id', async () => {
  const BLOCK = 1000;
  let clock = 1_000_000;
  let height = 100;
  const snap = snapshot('api-n2-205123-before.json');
  const diag = (id: string): Diagnostics => ({ ...snap.diagnostics, id, leaderheight: height, role: id === ID_A ? 'Audit' : 'Follower' });
  const status = new Map<string, AgentStatus | undefined>([
    ['a', { host: 'a', holdsIdentity: true, fenced: false, diagnostics: diag(ID_A), currentMinute: snap.currentMinute }],
    ['b', { host: 'b', holdsIdentity: false, fenced: false, diagnostics: diag('ff'.repeat(32)), currentMinute: snap.currentMinute }],
  ]);
  const promotions: string[] = [];
  const events: string[] = [];
  const journal = openJournal(join(dir, 'journal.jsonl'));
  const links = ['a', 'b'].map((host) => ({
    host,
    status: () => { const s = status.get(host); return s ? Promise.resolve(s) : Promise.reject(new Error('unreachable')); },
    execute: (c: { type: string }) => {
      if (c.type === 'swap-edit') promotions.push(host);
      return Promise.resolve({ holdsIdentity: c.type === 'swap-edit' });
    },
  }));
  const seed = new Uint8Array(32).fill(7);
  const ctl = await createController({
    identity: ID_A, links, store: localLeaseStore(join(dir, 'lease.json')), sign: (c) => signCommand(seed, c),
    initialHolder: 'a', blockMs: BLOCK, leaseTtlMs: 6000, marginBlocks: 2, autoFailover: true, journal,
    now: () => clock, mono: () => clock, onEvent: (e) => events.push(`${e.kind} ${e.detail ?? ''}`),
  });
  const step = async (ms: number) => { clock += ms; height += Math.floor(ms / BLOCK); await ctl.tick(); };

  assert.ok(await ctl.renew('a'));
  await step(500);
  // The master dies (agent and node): after its lease and the margin, the lease moves to b.
  status.set('a', undefined);
  await step(6000 + 2 * BLOCK + 100);
  assert.deepEqual(ctl.record()?.holders, ['b']);
  assert.ok(await ctl.renew('b'));
  await step(100);
  assert.deepEqual(promotions, ['b']);
  const first = journal.entries().filter((e) => e.kind === 'failover').map((e) => e.state);
  assert.deepEqual(first, ['planned', 'fencing', 'fenced', 'edits-sent', 'edits-applied']);

  // b's agent demoted itself before the height (its file no longer holds the identity): promote again.
  assert.ok(await ctl.renew('b'));
  await step(100);
  assert.deepEqual(promotions, ['b', 'b']);
  assert.deepEqual(events.filter((e) => e.startsWith('journal-error')), []);
  const ids = [...new Set(journal.entries().filter((e) => e.kind === 'failover').map((e) => e.swapId))];
  assert.equal(ids.length, 2, 'the second promotion is its own failover record');
  const byId = (sid: string) => journal.entries().filter((e) => e.swapId === sid).map((e) => e.state);
  assert.equal(byId(ids[0]!).at(-1), 'failed');
  assert.deepEqual(byId(ids[1]!), ['planned', 'edits-sent', 'edits-applied']);

  // b now runs the identity: the open failover is verified.
  status.set('b', { host: 'b', holdsIdentity: true, fenced: false, diagnostics: diag(ID_A), currentMinute: snap.currentMinute });
  await step(BLOCK);
  assert.equal(byId(ids[1]!).at(-1), 'verified');
  assert.deepEqual(journal.openSwaps(), []);
  ctl.stop();
});

test('a controller that loses the etcd key sends nothing: not while a tick waits for statuses, not a swap', async () => {
  const BLOCK = 1000;
  let clock = 2_000_000;
  const snap = snapshot('api-n2-205123-before.json');
  const diag = (id: string): Diagnostics => ({ ...snap.diagnostics, id, leaderheight: 100, role: id === ID_A ? 'Audit' : 'Follower' });
  let active = true;
  let loseKeyDuringStatus = false;
  const sent: string[] = [];
  const events: string[] = [];
  const status = new Map<string, AgentStatus | undefined>([
    ['a', undefined],
    ['b', { host: 'b', holdsIdentity: false, fenced: false, diagnostics: diag('ff'.repeat(32)), currentMinute: snap.currentMinute }],
  ]);
  const links = ['a', 'b'].map((host) => ({
    host,
    status: () => {
      // The etcd keep-alives stop answering while the controller waits for this agent.
      if (loseKeyDuringStatus) active = false;
      const s = status.get(host);
      return s ? Promise.resolve(s) : Promise.reject(new Error('unreachable'));
    },
    execute: (c: { type: string }) => { sent.push(`${c.type} ${host}`); return Promise.resolve({ holdsIdentity: c.type === 'swap-edit' }); },
  }));
  const store = localLeaseStore(join(dir, 'lease-stepdown.json'));
  const ctl = await createController({
    identity: ID_A, links, store, sign: (c) => signCommand(new Uint8Array(32).fill(9), c),
    initialHolder: 'a', blockMs: BLOCK, leaseTtlMs: 6000, marginBlocks: 2, autoFailover: true,
    now: () => clock, mono: () => clock, isActive: () => active, onEvent: (e) => events.push(e.kind),
  });
  assert.ok(await ctl.renew('a'));
  // a is gone: after its lease and the margin the lease moves to b, and b takes a lease.
  clock += 6000 + 2 * BLOCK + 100;
  await ctl.tick();
  assert.deepEqual(ctl.record()?.holders, ['b']);
  assert.ok(await ctl.renew('b'));
  // The tick that would promote b: the key is lost while it waits for the statuses.
  loseKeyDuringStatus = true;
  clock += 100;
  await ctl.tick();
  assert.deepEqual(sent, [], 'no promotion left a controller that had stepped down');
  assert.ok(events.includes('stepped-down'));
  // Not active: no lease for anyone, no swap (and the lease record is not touched).
  loseKeyDuringStatus = false;
  assert.equal(await ctl.renew('b'), undefined);
  const before = await store.read();
  await assert.rejects(ctl.runSwap('a'), (e: unknown) => (e as { code?: string }).code === 'E_NOT_ACTIVE');
  assert.deepEqual(await store.read(), before);
  assert.deepEqual(sent, []);
  // Active again (it won the key back): it reloads, waits out the recorded grant plus the margin, then promotes.
  active = true;
  clock += 100;
  await ctl.tick();
  assert.deepEqual(sent, [], 'the recorded grant is waited out first');
  clock += 6000 + 2 * BLOCK + 100;
  assert.ok(await ctl.renew('b'));
  await ctl.tick();
  assert.deepEqual(sent, ['swap-edit b']);
  ctl.stop();
});
