import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chromium, type Browser } from 'playwright-core';
import { startAnoguard, type Started } from '../../src/demo/start.js';
import { createLogger } from '../../src/log.js';
import { readIdentityTriple } from '../../src/failover/conf-identity.js';
import { checkTruth } from '../../src/failover/safety-check.js';
import { createFactomdClient } from '../../src/factomd/client.js';
import { readTruth } from '../../src/sim/index.js';
import type { SwapHistoryRow, SwapRun } from '../../src/server/dashboard/swaps.js';
import type { FailoverStatus } from '../../src/server/failover/types.js';
import { loadTopology } from '../../src/topology/load.js';
import { lintTopology } from '../../src/topology/lint.js';

/**
 * `npm start`'s demo rehearses a planned brain swap the production way: the server hosts the
 * controller from DATA/demo's topology and operator key, the master's and standby's agents take
 * signed commands over their mTLS control channel and edit the simulator nodes' own factomd.conf
 * files, and the simulator (1 s blocks) decides who signs. One swap master → standby through the
 * dashboard API as the admin operator, the swap back by clicking in chromium.
 */
const BLOCK_MS = 1000;
const dir = mkdtempSync(join(tmpdir(), 'demo-swap-'));
const logs: string[] = [];
let s: Started;
let identity = '';
let authorityKey = '';
let firstH = 0;
let cookie = '';
let csrf = '';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, f: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function get<T>(path: string): Promise<T> {
  const r = await fetch(`${s.webUrl}${path}`, { headers: { cookie } });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return await r.json() as T;
}

function post(path: string, body: unknown, withCsrf = true): Promise<Response> {
  return fetch(`${s.webUrl}${path}`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { cookie, 'content-type': 'application/json', ...(withCsrf ? { 'x-csrf-token': csrf } : {}) },
  });
}

const simNode = (name: string) => s.sim!.nodes.find((n) => n.name === name)!;
const diag = (name: string) => createFactomdClient({ url: simNode(name).api, timeoutMs: 1500, retries: 0 }).diagnostics();

/** Nodes that ran the identity as an authority from `height` on, per the simulator's record of truth. */
function runnersFrom(height: number): Set<string> {
  return new Set(readTruth(s.sim!.dir).signatures.filter((x) => x.identityChainId === identity && x.role !== 'Follower' && x.height >= height).map((x) => x.node));
}

before(async () => {
  s = await startAnoguard({
    dataDir: dir, web: { host: '127.0.0.1', port: 0 }, demo: true,
    logger: createLogger('demo-swap', { level: 'debug' }, { write: (m: string) => { logs.push(m); } }),
    blockTimeMs: BLOCK_MS, agentIntervalMs: 1000, evaluateEveryMs: 1000,
  });
  const r = await fetch(`${s.webUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password: readFileSync(s.passwordFile!, 'utf8').trim() }) });
  assert.equal(r.status, 200);
  cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  csrf = (await r.json() as { csrf: string }).csrf;
});

after(async () => {
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the demo hosts the controller from DATA/demo files: master holds the lease, auto failover off, secrets 0600 and never logged', async () => {
  const st = await until('both demo agents on the control channel, master leased', 20_000, async () => {
    const v = await get<{ configured: boolean; status: FailoverStatus }>('/api/failover');
    return v.status.hosts.every((h) => h.reachable && h.node) && v.status.hosts.find((h) => h.host === 'master')?.leased ? v.status : undefined;
  });
  identity = st.identity;
  assert.equal(st.master, 'master');
  assert.equal(st.standby, 'standby');
  assert.equal(st.auto, false);
  assert.deepEqual(st.holders, ['master']);
  // The identity is the one n1's real factomd.conf carries, and n1 runs it as a federated leader.
  const n1conf = join(s.sim!.dir, 'n1', '.factom', 'm2', 'factomd.conf');
  assert.equal(readIdentityTriple(readFileSync(n1conf, 'utf8'))?.identityChainId, identity);
  assert.equal((await diag('n1')).id, identity);
  assert.notEqual((await diag('n4')).id, identity);
  assert.equal(st.hosts.find((h) => h.host === 'master')?.node?.id, identity);
  assert.equal(st.hosts.find((h) => h.host === 'standby')?.node?.role, 'Follower');

  const topoFile = join(dir, 'demo', 'topology.yaml');
  const topo = parse(readFileSync(topoFile, 'utf8')) as { authority: { master: string; standby: string; failover: { identity: string; auto: boolean } } };
  assert.equal(topo.authority.failover.identity, identity);
  assert.equal(topo.authority.failover.auto, false);
  // Every host on one machine breaks production lints (one site, one address); the failover timings must not.
  assert.deepEqual(lintTopology(loadTopology(topoFile)).filter((f) => f.id.startsWith('TOPO-FAILOVER')), []);
  const keyFile = join(dir, 'demo', 'failover', 'operator.key');
  const seedHex = readFileSync(keyFile, 'utf8').trim();
  assert.match(seedHex, /^[0-9a-f]{64}$/);
  authorityKey = readIdentityTriple(readFileSync(n1conf, 'utf8'))!.localServerPrivKey;
  for (const f of [keyFile, join(dir, 'demo', 'agents', 'master', 'control', 'authority.json'), join(dir, 'demo', 'agents', 'standby', 'control', 'authority.json')]) {
    assert.equal(statSync(f).mode & 0o077, 0, `${f} is 0600`);
  }
  assert.ok(logs.length > 0, 'the logger was used');
  assert.ok(logs.some((l) => l.includes('controller-started')), 'the controller logged its start');
  const all = logs.join('');
  assert.ok(!all.includes(seedHex), 'the operator key is never logged');
  assert.ok(!all.includes(authorityKey), 'the authority signing key is never logged');
});

test('an operator plans and runs a swap master → standby through the dashboard API; n4 runs the identity from H on, the journal shows the verified steps', async () => {
  const refused = await post('/api/swap/plan', {}, false);
  assert.equal(refused.status, 403);
  assert.equal((await refused.json() as { error: { code: string } }).error.code, 'E_CSRF');

  const planRes = await post('/api/swap/plan', {});
  const plan = await planRes.json() as { planId: string; ok: boolean; height: number; checks: { id: string; ok: boolean; message: string }[]; preview?: { holder: string; standby: string } };
  assert.equal(planRes.status, 200, JSON.stringify(plan));
  assert.equal(plan.ok, true, JSON.stringify(plan.checks.filter((c) => !c.ok)));
  assert.match(plan.preview!.standby, new RegExp(`IdentityChainID\\s*=\\s*${identity}`));
  assert.ok(authorityKey.length === 64 && !JSON.stringify(plan).includes(authorityKey), 'the plan never carries the signing key');

  const runRes = await post('/api/swap/run', { planId: plan.planId });
  assert.equal(runRes.status, 202);
  const started = await runRes.json() as SwapRun;
  const run = await until('the swap run ends', 25_000, async () => {
    const r = await get<SwapRun>(`/api/swap/runs/${started.id}`);
    return r.state === 'running' ? undefined : r;
  });
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.equal(run.ok, true, run.detail);
  const H = run.plan!.height;
  firstH = H;

  // The simulator's record of truth: n1 ran it up to H − 1, from H on only n4.
  const before = new Set(readTruth(s.sim!.dir).signatures.filter((x) => x.identityChainId === identity && x.signed && x.height === H - 1).map((x) => x.node));
  assert.deepEqual([...before], ['n1']);
  assert.deepEqual([...await until('the truth records block H', 10_000, () => { const r = runnersFrom(H); return r.size > 0 ? r : undefined; })], ['n4']);
  const d4 = await diag('n4');
  assert.equal(d4.id, identity);
  assert.equal(d4.role, 'Leader');
  assert.notEqual((await diag('n1')).id, identity);
  // The network still counts the identity among its federated servers, signing with the same key.
  const auth = await createFactomdClient({ url: simNode('n2').api, timeoutMs: 1500, retries: 0 }).authorities();
  assert.equal((auth.authorities ?? []).find((a) => a.chainid === identity)?.status, 'federated');

  const rows = await get<SwapHistoryRow[]>('/api/swaps');
  const row = rows.find((r) => r.id === run.swapId)!;
  assert.equal(row.verified, true);
  assert.equal(row.from, 'master');
  assert.equal(row.to, 'standby');
  assert.equal(row.height, H);
  assert.deepEqual(row.steps.map((x) => x.state), ['planned', 'edits-sent', 'edits-applied', 'height-reached', 'verified']);
  const st = (await get<{ status: FailoverStatus }>('/api/failover')).status;
  assert.deepEqual(st.holders, ['standby']);
  const audit = await get<{ action: string }[]>('/api/audit-log');
  assert.ok(audit.some((a) => a.action === 'swap.run'), 'the run is in the operator audit log');
});

test('the swap back, clicked on the Swaps page in chromium: plan, confirm, run, verified; n1 runs the identity again and no height ever had two', async () => {
  const browser: Browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', timeout: 30_000, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(s.webUrl);
    await page.fill('input[name=user]', 'admin');
    await page.fill('input[name=password]', readFileSync(s.passwordFile!, 'utf8').trim());
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=whoami]');
    await page.click('[data-nav=swaps]');
    await page.locator('[data-testid=fo-holder]').waitFor();
    assert.match(await page.textContent('[data-testid=demo-swap-note]') ?? '', /planned swaps only — automatic failover is off/);
    assert.equal(await page.textContent('[data-testid=fo-holder]'), 'standby');
    assert.equal(await page.locator('[data-testid=swap-history] tr[data-state=verified]').count(), 1, 'the first swap');

    await page.click('[data-testid=plan-swap]');
    const plan = page.locator('[data-testid=swap-plan]');
    await plan.waitFor();
    assert.equal(await plan.getAttribute('data-ok'), 'true', await plan.textContent() ?? '');
    assert.match(await page.textContent('[data-testid=preview-standby]') ?? '', /LocalServerPrivKey\s*=\s*<redacted>/);
    await page.click('[data-testid=run-swap]');
    await page.click('[data-testid=confirm-run-ok]');
    await page.waitForSelector('[data-testid=run-progress][data-state=done]', { timeout: 25_000 });
    assert.equal(await page.getAttribute('[data-testid=run-progress]', 'data-ok'), 'true', await page.textContent('[data-testid=run-progress]') ?? '');
    await page.locator('[data-testid=run-progress] li[data-step=verified]').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=swap-history] tr[data-state=verified]').length === 2);
  } finally {
    await browser.close().catch(() => undefined);
  }
  const rows = await get<SwapHistoryRow[]>('/api/swaps');
  const back = rows[0]!;
  assert.equal(back.from, 'standby');
  assert.equal(back.to, 'master');
  assert.equal(back.verified, true);
  assert.deepEqual([...await until('the truth records the second H', 10_000, () => { const r = runnersFrom(back.height!); return r.size > 0 ? r : undefined; })], ['n1']);
  assert.equal((await diag('n1')).id, identity);
  assert.deepEqual((await get<{ status: FailoverStatus }>('/api/failover')).status.holders, ['master']);

  // The demo's simulator is fresh: its whole record counts.
  const truth = readTruth(s.sim!.dir);
  const report = checkTruth(truth, { identity, blockMs: BLOCK_MS, boundBlocks: 1000 });
  assert.deepEqual(report.duplicates, [], 'no height at which two nodes ran the identity');
  assert.deepEqual(report.duplicateDeaths, []);
  // Planned swaps leave no gap: some node signed for the identity in every block (3: slack for a loaded machine).
  assert.ok(report.longestGapBlocks <= 3, `longest gap ${report.longestGapBlocks} blocks`);
  // A swap that left nobody with the identity would stall the network at H waiting for it alone.
  // (A loaded machine makes 1 s blocks stall now and then, with other leaders missing too: not the swaps'.)
  const atSwap = truth.events.filter((e) => e.event === 'stall' && [firstH, back.height!].some((h) => Math.abs(Number(e.height) - h) <= 1)
    && Array.isArray(e.missing) && e.missing.length === 1 && e.missing[0] === identity);
  assert.deepEqual(atSwap, [], 'no stall for the identity at either swap height');
});

test('the demo refuses an operator topology and key (it hosts its own controller), before starting anything', async () => {
  const other = mkdtempSync(join(tmpdir(), 'demo-refuse-'));
  try {
    await assert.rejects(startAnoguard({
      dataDir: other, web: { host: '127.0.0.1', port: 0 }, demo: true, logger: createLogger('demo-refuse', { level: 'silent' }),
      failover: { topologyFile: join(other, 'topology.yaml'), operatorKeyFile: join(other, 'operator.key') },
    }), (e: Error & { code?: string; field?: string }) => e.code === 'E_USAGE' && e.field === 'topology' && /runs its own failover controller/.test(e.message));
    assert.deepEqual(readdirSync(other), [], 'nothing was created');
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});
