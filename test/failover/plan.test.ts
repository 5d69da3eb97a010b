import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSwap, chooseSwapHeight } from '../../src/failover/plan.js';
import { inspectConf, swapConfs, demoteConf, promoteConf, readIdentityTriple } from '../../src/failover/conf-identity.js';
import { verifySwap, planRollback } from '../../src/failover/verify.js';
import { beforeConfs, ID_A, ID_C, snapshot } from './helpers.js';

const h1 = { n2: snapshot('api-n2-205139-H-1.json'), n3: snapshot('api-n3-205139-H-1.json') };

function input(over: Partial<Parameters<typeof planSwap>[0]> = {}): Parameters<typeof planSwap>[0] {
  const c = beforeConfs();
  return {
    identity: ID_A,
    holder: { name: 'n2', ...h1.n2, confText: c.holder },
    standby: { name: 'n3', ...h1.n3, confText: c.standby },
    ...over,
  };
}

const failing = (p: ReturnType<typeof planSwap>): string[] => p.checks.filter((c) => !c.ok).map((c) => c.id);

test('plan: case-3 snapshots at block 37 minute 5 give H = 39 (two blocks ahead) and pass every check', () => {
  const p = planSwap(input());
  assert.deepEqual(failing(p), []);
  assert.equal(p.ok, true);
  assert.equal(p.height, 39);
  assert.ok(p.edit);
  // Same ChangeAcksHeight in both, identity moved to the standby only.
  assert.equal(inspectConf(p.edit.holder).changeAcksHeight, 39);
  assert.equal(inspectConf(p.edit.standby).changeAcksHeight, 39);
  assert.equal(inspectConf(p.edit.standby).identityChainId, ID_A);
  assert.equal(p.mode, 'transfer');
  assert.equal(inspectConf(p.edit.holder).identityChainId, '');
  // The private key never appears in the preview.
  assert.doesNotMatch(p.preview!.standby, /3838383838383135/);
  assert.match(p.preview!.standby, /LocalServerPrivKey = <redacted>/);
});

test('plan: swap mode gives the holder the standby\'s own identity (case 3 did this)', () => {
  const p = planSwap(input({ options: { mode: 'swap' } }));
  assert.equal(p.ok, true);
  assert.equal(p.mode, 'swap');
  assert.equal(inspectConf(p.edit!.holder).identityChainId, ID_C);
});

test('plan: refuses minute 0 and too late in the block (case-3 "before" snapshot is at minute 9)', () => {
  const late = snapshot('api-n2-205123-before.json');
  const lateS = snapshot('api-n3-205124-before.json');
  const p = planSwap(input({ holder: { name: 'n2', ...late, confText: beforeConfs().holder }, standby: { name: 'n3', ...lateS, confText: beforeConfs().standby } }));
  assert.equal(p.ok, false);
  assert.equal(p.height, 0);
  assert.ok(failing(p).includes('safe-minute'));
  const m0 = structuredClone(h1.n2);
  const s0 = structuredClone(h1.n3);
  m0.diagnostics.currentminute = 0;
  s0.diagnostics.currentminute = 0;
  assert.ok(failing(planSwap(input({ holder: { name: 'n2', ...m0, confText: beforeConfs().holder }, standby: { name: 'n3', ...s0, confText: beforeConfs().standby } }))).includes('safe-minute'));
});

test('plan: refuses election, pending ChangeAcksHeight, different heights, unhealthy standby, a standby holding the id', () => {
  const el = structuredClone(h1.n3);
  el.diagnostics.elections.inprogress = true;
  assert.ok(failing(planSwap(input({ standby: { name: 'n3', ...el, confText: beforeConfs().standby } }))).includes('no-election'));

  const pending = `${beforeConfs().standby.replace('[app]\n', '[app]\nChangeAcksHeight = 50\n')}`;
  assert.ok(failing(planSwap(input({ standby: { name: 'n3', ...h1.n3, confText: pending } }))).includes('no-pending-swap'));
  assert.ok(failing(planSwap(input({ pendingSwap: true }))).includes('no-pending-swap'));

  const behind = structuredClone(h1.n3);
  behind.diagnostics.leaderheight = 36;
  assert.ok(failing(planSwap(input({ standby: { name: 'n3', ...behind, confText: beforeConfs().standby } }))).includes('same-height-minute'));

  assert.ok(failing(planSwap(input({ standbyHealthy: false }))).includes('standby-healthy'));

  const both = beforeConfs().holder;
  const p = planSwap(input({ standby: { name: 'n3', ...h1.n3, confText: both } }));
  assert.ok(failing(p).includes('identity-before'));
  assert.equal(p.edit, undefined);
});

test('plan: refuses a config that does not parse or that has the swap key outside [app] or misspelled', () => {
  const broken = beforeConfs().standby.replace('DBType                                = "LDB"', 'DBType = "LDB');
  assert.ok(failing(planSwap(input({ standby: { name: 'n3', ...h1.n3, confText: broken } }))).includes('configs-parse'));
  const misplaced = `${beforeConfs().standby}\n[Walletd]\nChangeAcksHeight = 3\n`;
  assert.ok(failing(planSwap(input({ standby: { name: 'n3', ...h1.n3, confText: misplaced } }))).includes('keys-in-app'));
  const misspelled = beforeConfs().standby.replace('[app]\n', '[app]\nChangeAckHeight = 3\n');
  assert.ok(failing(planSwap(input({ standby: { name: 'n3', ...h1.n3, confText: misspelled } }))).includes('keys-in-app'));
});

test('plan: refuses a holder whose key differs from the on-chain signing key', () => {
  const auth = [{ chainid: ID_A, manageid: '0'.repeat(64), matroyshka: '0'.repeat(64), signingkey: 'ab'.repeat(32), status: 'federated' as const, anchorkeys: null, efficiency: 10000, coinbaseaddress: `FA${'2'.repeat(50)}` }];
  assert.ok(failing(planSwap(input({ authorities: auth }))).includes('holder-is-authority'));
});

test('chooseSwapHeight: pushes H out until the agents have their lead time; 2 blocks at least', () => {
  assert.equal(chooseSwapHeight(100, 5, 600), 102);
  // 1 s blocks, minute 5: block 102 starts ≥ 1.4 s from now; asking for 3 s needs block 104.
  assert.equal(chooseSwapHeight(100, 5, 1, { minLeadSeconds: 3 }), 104);
  assert.equal(chooseSwapHeight(100, 5, 1, { minLeadBlocks: 1 }), 102);
});

test('transforms: comments and unrelated lines are kept; never an empty private key; both files re-read', () => {
  const c = `; my node\n[app]\n; the authority\nIdentityChainID = ${ID_A} ; prod\nLocalServerPrivKey = ${'11'.repeat(32)}\nLocalServerPublicKey = ${'22'.repeat(32)}\nPortNumber = 8088\n; ChangeAcksHeight = 0\n\n[Walletd]\nFactomdLocation = "localhost:8088"\n`;
  const d = demoteConf(c, 77);
  assert.match(d, /^; my node\n\[app\]\n; the authority\n; prod\n/);
  assert.doesNotMatch(d, /LocalServerPrivKey/);
  assert.match(d, /PortNumber = 8088/);
  assert.equal(inspectConf(d).changeAcksHeight, 77);
  // ChangeAcksHeight lands in [app], never after [Walletd].
  assert.ok(d.indexOf('ChangeAcksHeight = 77') < d.indexOf('[Walletd]'));
  const p = promoteConf(d, readIdentityTriple(c)!, 78);
  assert.equal(inspectConf(p).identityChainId, ID_A);
  assert.throws(() => promoteConf(d, { identityChainId: ID_A, localServerPrivKey: '', localServerPublicKey: '22'.repeat(32) }, 5), /LocalServerPrivKey/);
  assert.throws(() => swapConfs(d, c, ID_A, 9, 'transfer'), /holder/);
});

test('verify: passes on the case-3 snapshots after H, fails when the old holder still reports the identity', () => {
  const n = snapshot('api-n3-205150-H+5s.json').diagnostics;
  const o = snapshot('api-n2-205149-H+5s.json').diagnostics;
  // In case 3 the authority moved from n2 to n3 at H = 38.
  assert.equal(verifySwap({ identity: ID_A, height: 38, newHolder: n, oldHolder: o }).status, 'ok');
  assert.equal(verifySwap({ identity: ID_A, height: 39, newHolder: n, oldHolder: o }).status, 'wait');
  assert.equal(verifySwap({ identity: ID_A, height: 38, newHolder: o, oldHolder: n }).status, 'failed');
  assert.equal(verifySwap({ identity: ID_A, height: 38, newHolder: n, oldHolder: undefined }).status, 'failed');
});

test('rollback: the reverse swap at a later height gives the identity back to the old holder', () => {
  const p = planSwap(input());
  const r = planRollback({ identity: ID_A, holderConfNow: p.edit!.holder, standbyConfNow: p.edit!.standby, currentHeight: 40, minute: 3, blockSeconds: 10 });
  assert.ok(r.height > 40);
  assert.equal(inspectConf(r.edit.holder).identityChainId, ID_A);
  assert.notEqual(inspectConf(r.edit.standby).identityChainId, ID_A);
  assert.equal(inspectConf(r.edit.holder).changeAcksHeight, r.height);
  assert.equal(inspectConf(r.edit.standby).changeAcksHeight, r.height);
});
