import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { listAudit } from '../../src/server/accounts/audit.js';
import { nextJournalEntry, type JournalEntry } from '../../src/failover/journal.js';
import { swapHistory, type FailoverApi, type SwapHistoryRow, type SwapRun } from '../../src/server/dashboard/swaps.js';
import { fakeFailover, PRIVATE_KEY_PREFIX, type FakeFailover } from './fake-failover.js';
import { login, OPERATOR, startDashboard, VIEWER } from './harness.js';

let fake: FakeFailover;
let configured: FailoverApi | undefined;
let d: Awaited<ReturnType<typeof startDashboard>>;
let op: Who;
let viewer: Who;

before(async () => {
  fake = fakeFailover({ stepMs: 30 });
  configured = fake;
  d = await startDashboard(() => configured);
  // scrypt makes each login cost ~0.1 s: one session per role for the whole file.
  [op, viewer] = await Promise.all([login(d.url, OPERATOR), login(d.url, VIEWER)]);
});
after(async () => { await d.stop(); });

type Who = { cookie: string; csrf: string };
const get = (who: Who, path: string) => fetch(`${d.url}${path}`, { headers: { cookie: who.cookie } });
/** `csrf: null` sends no token at all. */
const post = (who: Who, path: string, body: unknown, csrf: string | null = who.csrf) => fetch(`${d.url}${path}`, {
  method: 'POST', headers: { cookie: who.cookie, 'content-type': 'application/json', ...(csrf !== null ? { 'x-csrf-token': csrf } : {}) }, body: JSON.stringify(body),
});
const errorOf = async (r: Response) => (await r.json() as { error: { code: string; message: string; field?: string } }).error;

async function waitRun(who: Who, id: string): Promise<SwapRun> {
  for (let i = 0; i < 200; i++) {
    const r = await (await get(who, `/api/swap/runs/${id}`)).json() as SwapRun;
    if (r.state !== 'running') return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error('run did not finish');
}

test('without a controller every failover route says "not configured" (never fake data)', async () => {
  configured = undefined;
  try {
    for (const path of ['/api/failover', '/api/swaps']) {
      const r = await get(op, path);
      assert.equal(r.status, 404, path);
      const e = await errorOf(r);
      assert.equal(e.code, 'E_NO_FAILOVER');
      assert.match(e.message, /failover not configured/);
    }
    const p = await post(op, '/api/swap/plan', {});
    assert.equal(p.status, 404);
    assert.equal((await errorOf(p)).code, 'E_NO_FAILOVER');
  } finally {
    configured = fake;
  }
});

test('a viewer sees the status and history but may neither plan nor run (403), and nothing runs', async () => {
  const v = viewer;
  const s = await get(v, '/api/failover');
  assert.equal(s.status, 200);
  const body = await s.json() as { configured: boolean; status: { holder: string; identity: string } };
  assert.equal(body.configured, true);
  assert.equal(body.status.holder, 'n2');
  assert.equal((await get(v, '/api/swaps')).status, 200);
  for (const path of ['/api/swap/plan', '/api/swap/run']) {
    const r = await post(v, path, {});
    assert.equal(r.status, 403, path);
    assert.equal((await errorOf(r)).code, 'E_FORBIDDEN');
  }
  assert.equal(fake.runs.length, 0);
});

test('a plan or run without (or with a wrong) CSRF token is refused before anything happens', async () => {
  const before = listAudit(d.db).filter((a) => a.action.startsWith('swap.')).length;
  for (const path of ['/api/swap/plan', '/api/swap/run']) {
    for (const csrf of [null, 'forged']) {
      const r = await post(op, path, {}, csrf);
      assert.equal(r.status, 403, `${path} ${csrf ?? 'none'}`);
      assert.equal((await errorOf(r)).code, 'E_CSRF');
    }
  }
  assert.equal(fake.runs.length, 0);
  assert.equal(listAudit(d.db).filter((a) => a.action.startsWith('swap.')).length, before);
});

test('operator plan: every check, both previews with the key masked, no edit, an audit row with the plan id', async () => {
  const r = await post(op, '/api/swap/plan', { standby: 'n3', minLeadSeconds: 5 });
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.doesNotMatch(text, new RegExp(PRIVATE_KEY_PREFIX), 'the private key never leaves the server');
  const p = JSON.parse(text) as { planId: string; ok: boolean; height: number; checks: { id: string; ok: boolean }[]; preview: { holder: string; standby: string }; edit?: unknown };
  assert.equal(p.ok, true);
  assert.equal(p.edit, undefined);
  assert.ok(p.height > 0);
  assert.ok(p.checks.some((c) => c.id === 'identity-after' && c.ok));
  assert.match(p.preview.standby, /LocalServerPrivKey = <redacted>/);
  assert.match(p.planId, /^[0-9a-f]{16}$/);
  const row = listAudit(d.db).find((a) => a.action === 'swap.plan' && a.detail.planId === p.planId);
  assert.ok(row, 'audited');
  assert.equal(row.user, OPERATOR.user);
  assert.equal(row.detail.ok, true);
  assert.equal(row.detail.height, p.height);
});

test('plan input errors name the field; a failing check is a plan with ok false; an unknown host is 409', async () => {
  const bad = await post(op, '/api/swap/plan', { standby: 'a b' });
  assert.equal(bad.status, 400);
  assert.equal((await errorOf(bad)).field, 'standby');
  const extra = await post(op, '/api/swap/plan', { height: 5 });
  assert.equal(extra.status, 400);
  const lead = await post(op, '/api/swap/plan', { minLeadSeconds: -1 });
  assert.equal((await errorOf(lead)).field, 'minLeadSeconds');
  const sick = await (await post(op, '/api/swap/plan', { standby: 'sick' })).json() as { ok: boolean; height: number; checks: { id: string; ok: boolean }[] };
  assert.equal(sick.ok, false);
  assert.equal(sick.height, 0);
  assert.deepEqual(sick.checks.filter((c) => !c.ok).map((c) => c.id), ['standby-healthy']);
  const unknown = await post(op, '/api/swap/plan', { standby: 'n9' });
  assert.equal(unknown.status, 400);
  assert.deepEqual(await errorOf(unknown), { code: 'E_SWAP_HOST', message: 'unknown host n9', field: 'standby' });
  const gone = await post(op, '/api/swap/plan', { standby: 'gone' });
  assert.equal(gone.status, 503);
  assert.equal((await errorOf(gone)).field, 'n3');
});

test('operator run: 202 at once, one run at a time, verified in the history with its steps, audited start and result', async () => {
  const planId = (await (await post(op, '/api/swap/plan', {})).json() as { planId: string }).planId;
  const r = await post(op, '/api/swap/run', { planId });
  assert.equal(r.status, 202);
  const started = await r.json() as SwapRun;
  assert.equal(started.state, 'running');
  assert.equal(started.user, OPERATOR.user);
  const again = await post(op, '/api/swap/run', {});
  assert.equal(again.status, 409);
  assert.equal((await errorOf(again)).code, 'E_SWAP_RUNNING');
  const during = await (await get(op, '/api/failover')).json() as { run: SwapRun };
  assert.equal(during.run.id, started.id);
  const done = await waitRun(op, started.id);
  assert.equal(done.state, 'done');
  assert.equal(done.ok, true);
  assert.match(done.swapId ?? '', /^swap-/);
  assert.doesNotMatch(JSON.stringify(done), new RegExp(PRIVATE_KEY_PREFIX));
  const rows = await (await get(op, '/api/swaps')).json() as SwapHistoryRow[];
  const row = rows.find((x) => x.id === done.swapId)!;
  assert.equal(row.kind, 'planned');
  assert.equal(row.from, 'n2');
  assert.equal(row.to, 'n3');
  assert.equal(row.verified, true);
  assert.equal(row.rolledBack, false);
  assert.equal(row.final, true);
  assert.deepEqual(row.steps.map((s) => s.state), ['planned', 'edits-sent', 'edits-applied', 'height-reached', 'verified']);
  assert.equal(rows[0]!.id, done.swapId, 'newest first');
  const one = await (await get(op, '/api/swaps?limit=1')).json() as SwapHistoryRow[];
  assert.deepEqual(one.map((x) => x.id), [done.swapId]);
  assert.equal((await get(op, '/api/swaps?limit=0')).status, 400);
  assert.ok(rows.some((x) => x.kind === 'failover' && x.verified && x.height === 30));
  const audit = listAudit(d.db);
  const start = audit.find((a) => a.action === 'swap.run' && a.detail.runId === started.id)!;
  assert.equal(start.detail.planId, planId);
  assert.equal(start.user, OPERATOR.user);
  const result = audit.find((a) => a.action === 'swap.run.result' && a.detail.runId === started.id)!;
  assert.equal(result.detail.ok, true);
  assert.equal(result.detail.swapId, done.swapId);
  assert.equal(result.detail.planId, planId);
});

test('a run that is not verified ends rolled back, ok false, and says so in the history and the audit log', async () => {
  fake.verify = false;
  try {
    const started = await (await post(op, '/api/swap/run', {})).json() as SwapRun;
    const done = await waitRun(op, started.id);
    assert.equal(done.ok, false);
    assert.match(done.detail ?? '', /rolled back/);
    const row = (await (await get(op, '/api/swaps')).json() as SwapHistoryRow[]).find((x) => x.id === done.swapId)!;
    assert.equal(row.verified, false);
    assert.equal(row.rolledBack, true);
    assert.equal(listAudit(d.db).find((a) => a.action === 'swap.run.result' && a.detail.runId === started.id)?.detail.ok, false);
  } finally {
    fake.verify = true;
  }
});

test('a run the controller refuses (agent unreachable) ends in state error with the code, audited', async () => {
  const started = await (await post(op, '/api/swap/run', { standby: 'gone' })).json() as SwapRun;
  const done = await waitRun(op, started.id);
  assert.equal(done.state, 'error');
  assert.equal(done.ok, false);
  assert.deepEqual(done.error, { code: 'E_SWAP_UNREACHABLE', message: 'a node or its agent does not answer', field: 'n3' });
  assert.equal(listAudit(d.db).find((a) => a.action === 'swap.run.result' && a.detail.runId === started.id)?.detail.error, 'E_SWAP_UNREACHABLE');
});

test('history: the local CLI journal (holder/standby names) and an open swap', () => {
  const es: JournalEntry[] = [];
  const add = (swapId: string, state: JournalEntry['state'], data: Record<string, unknown>, ts: number) => { es.push(nextJournalEntry(es, { swapId, kind: 'swap', state, data }, ts)); };
  add('swap-1', 'planned', { height: 40, holder: 'holder', standby: 'standby', mode: 'transfer' }, 1000);
  add('swap-1', 'edits-sent', {}, 2000);
  add('swap-1', 'aborted', { why: 'holder write failed' }, 3000);
  add('swap-2', 'planned', { from: 'a', to: 'b', height: 50 }, 4000);
  const rows = swapHistory(es);
  assert.deepEqual(rows.map((r) => [r.id, r.state, r.final, r.from, r.to, r.height, r.endedAt]), [
    ['swap-2', 'planned', false, 'a', 'b', 50, undefined],
    ['swap-1', 'aborted', true, 'holder', 'standby', 40, 3000],
  ]);
});
