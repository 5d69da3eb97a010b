import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createLogger } from '../../src/log.js';
import { startAnoguard, type Started } from '../../src/demo/start.js';
import { runCli } from '../helpers/cli.js';

/**
 * The whole product from a browser: `startAnoguard` (what `npm start` runs) brings up the demo
 * network, agents, server and dashboard; Debian's chromium drives the UI through playwright-core.
 */
const dir = mkdtempSync(join(tmpdir(), 'dash-e2e-'));
let s: Started;
let browser: Browser;
const contexts: BrowserContext[] = [];
const external: string[] = [];

before(async () => {
  s = await startAnoguard({
    dataDir: dir, web: { host: '127.0.0.1', port: 0 }, demo: true, logger: createLogger('dash-e2e', { level: 'silent' }),
    blockTimeMs: 4000, agentIntervalMs: 1000, evaluateEveryMs: 1000,
  });
  browser = await chromium.launch({
    // playwright gives every launch a fresh temporary --user-data-dir of its own (and removes it).
    executablePath: '/usr/bin/chromium', timeout: 30_000, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function login(user: string, password: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  page.on('request', (r) => { if (!r.url().startsWith(s.webUrl) && !r.url().startsWith('data:')) external.push(r.url()); });
  await page.goto(s.webUrl);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=whoami]');
  return page;
}

const adminPassword = () => readFileSync(s.passwordFile!, 'utf8').trim();

test('the admin password is written 0600 under the data dir; a wrong password is refused', async () => {
  assert.equal(statSync(s.passwordFile!).mode & 0o077, 0);
  assert.ok(s.passwordFile!.startsWith(dir));
  const ctx = await browser.newContext();
  contexts.push(ctx);
  const page = await ctx.newPage();
  await page.goto(s.webUrl);
  await page.fill('input[name=user]', 'admin');
  await page.fill('input[name=password]', 'not the password');
  await page.click('button[type=submit]');
  await page.waitForFunction(() => (document.querySelector('[data-testid=login-error]')?.textContent ?? '') !== '');
  assert.match(await page.textContent('[data-testid=login-error]') ?? '', /wrong user or password/);
});

test('log in and see every demo node with role, height and the identity holder', async () => {
  const page = await login('admin', adminPassword());
  assert.equal(await page.isVisible('[data-testid=demo-banner]'), true);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=nodes-table] tbody tr').length === n, s.nodes.length);
  // Heights arrive with the agents' first factomd collections.
  await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid=nodes-table] [data-testid=height]')).every((td) => /^\d+$/.test(td.textContent ?? '')), undefined, { timeout: 30_000 });
  for (const n of s.nodes) assert.equal(await page.locator(`[data-testid=nodes-table] tr[data-node="${n.host}"]`).count(), 1);
  assert.match(await page.locator('[data-testid=nodes-table] tr[data-node=master]').textContent() ?? '', /Leader/);
  assert.match(await page.locator('[data-testid=nodes-table] tr[data-node=standby]').textContent() ?? '', /Follower/);
  const holders = await page.locator('[data-testid=holder]').allTextContents();
  assert.ok(holders.includes('master'), `holders: ${holders.join(' | ')}`);
  assert.match(await page.textContent('[data-testid=network-height]') ?? '', /^\d+$/);
});

test('a node chart loads and then updates live', async () => {
  const page = await login('admin', adminPassword());
  await page.goto(`${s.webUrl}/#/node/master`);
  const chart = page.locator('[data-chart=factomd]');
  await page.waitForFunction(() => Number(document.querySelector('[data-chart=factomd]')?.getAttribute('data-points') ?? 0) > 1, undefined, { timeout: 30_000 });
  const first = Number(await chart.getAttribute('data-last'));
  await page.waitForFunction((f) => Number(document.querySelector('[data-chart=factomd]')?.getAttribute('data-last') ?? 0) > f, first, { timeout: 20_000 });
  assert.equal(await page.locator('[data-chart=cpu] canvas').count(), 1, 'uPlot drew the CPU chart');
  await page.click('button[data-range="6h"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-chart=load]')?.getAttribute('data-points') ?? 0) > 0);
});

test('a crashed node raises node-down; restarting it resolves the alert', async () => {
  const page = await login('admin', adminPassword());
  await s.sim!.fault('n5', 'crash');
  const row = page.locator('[data-testid=alerts-table] tr[data-rule=node-down][data-node=follower-1]');
  await row.waitFor({ timeout: 30_000 });
  assert.match(await row.textContent() ?? '', /critical/);
  await s.sim!.restartNode('n5');
  await row.waitFor({ state: 'detached', timeout: 40_000 });
  await page.goto(`${s.webUrl}/#/alerts`);
  await page.locator('[data-testid=alert-history] tr[data-rule=node-down][data-type=resolved]').first().waitFor({ timeout: 10_000 });
});

test('a viewer cannot reach operator actions', async () => {
  const r = await runCli(['user', 'add', 'vera', '--role', 'viewer', '--data-dir', dir], { stdin: 'viewer password 123\n' });
  assert.equal(r.code, 0, r.stderr);
  const page = await login('vera', 'viewer password 123');
  assert.equal(await page.locator('[data-nav=audit]').count(), 0);
  await page.goto(`${s.webUrl}/#/alerts`);
  await page.waitForSelector('text=Silences are managed by operators.');
  assert.equal(await page.locator('[data-testid=silence-form]').count(), 0);
  const res = await page.evaluate(async () => {
    const me = await (await fetch('/api/session')).json() as { csrf: string };
    const r = await fetch('/api/silences', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf }, body: JSON.stringify({ rule: 'cpu', minutes: 5 }) });
    const a = await fetch('/api/audit-log');
    return { status: r.status, body: await r.json() as { error: { code: string } }, audit: a.status };
  });
  assert.equal(res.status, 403);
  assert.equal(res.body.error.code, 'E_FORBIDDEN');
  assert.equal(res.audit, 403);
});

test('a state change without the CSRF token is refused; with it, it is done and audited', async () => {
  const page = await login('admin', adminPassword());
  const res = await page.evaluate(async () => {
    const body = JSON.stringify({ rule: 'cpu', minutes: 5, comment: 'e2e' });
    const bad = await fetch('/api/silences', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const wrong = await fetch('/api/silences', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': 'forged' }, body });
    const me = await (await fetch('/api/session')).json() as { csrf: string };
    const good = await fetch('/api/silences', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf }, body });
    return { bad: bad.status, badCode: (await bad.json() as { error: { code: string } }).error.code, wrong: wrong.status, good: good.status };
  });
  assert.deepEqual(res, { bad: 403, badCode: 'E_CSRF', wrong: 403, good: 200 });
  await page.goto(`${s.webUrl}/#/audit`);
  await page.locator('[data-testid=audit-log] tr', { hasText: 'silence.add' }).first().waitFor();
});

test('no request left the dashboard origin (no CDN)', () => {
  assert.deepEqual(external, []);
});
