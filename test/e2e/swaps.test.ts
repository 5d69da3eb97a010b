import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { listAudit } from '../../src/server/accounts/audit.js';
import { DEFAULT_STATIC_DIR } from '../../src/server/dashboard/assemble.js';
import type { FailoverApi } from '../../src/server/dashboard/swaps.js';
import { fakeFailover, PRIVATE_KEY_PREFIX, type FakeFailover } from '../dashboard/fake-failover.js';
import { OPERATOR, startDashboard, VIEWER } from '../dashboard/harness.js';

/**
 * The Swaps page and the overview's failover badge in Debian's chromium, over the built app and the
 * real dashboard routes, with a fake controller (the real one is covered by test/failover/wiring).
 */
let fake: FakeFailover;
let configured: FailoverApi | undefined;
let d: Awaited<ReturnType<typeof startDashboard>>;
let browser: Browser;
const contexts: BrowserContext[] = [];

before(async () => {
  fake = fakeFailover({ stepMs: 150 });
  configured = fake;
  d = await startDashboard(() => configured, { staticDir: DEFAULT_STATIC_DIR });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', timeout: 30_000, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await d?.stop();
});

async function login(who: { user: string; password: string }, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const ctx = await browser.newContext({ viewport });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(d.url);
  await page.fill('input[name=user]', who.user);
  await page.fill('input[name=password]', who.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=whoami]');
  return page;
}

test('an operator plans a swap (checks, masked previews), runs it after confirming, and sees it verified in the history', async () => {
  const page = await login(OPERATOR);
  // Overview: the failover badge names the lease holder and the auto switch.
  const badge = page.locator('[data-testid=failover-badge]');
  await badge.locator('[data-testid=lease-holder]').waitFor();
  assert.equal(await badge.locator('[data-testid=lease-holder]').textContent(), 'n2');
  assert.match(await badge.textContent() ?? '', /auto failover off/);

  await page.click('[data-nav=swaps]');
  await page.locator('[data-testid=fo-holder]').waitFor();
  assert.equal(await page.textContent('[data-testid=fo-holder]'), 'n2');
  assert.equal(await page.locator('[data-testid=swap-history] tr[data-state=verified]').count(), 1, 'the earlier failover');

  await page.click('[data-testid=plan-swap]');
  const plan = page.locator('[data-testid=swap-plan]');
  await plan.waitFor();
  assert.equal(await plan.getAttribute('data-ok'), 'true');
  assert.equal(await plan.locator('li[data-check].critical').count(), 0);
  const preview = await page.textContent('[data-testid=preview-standby]') ?? '';
  assert.match(preview, /LocalServerPrivKey = <redacted>/);
  assert.doesNotMatch(await page.content(), new RegExp(PRIVATE_KEY_PREFIX));

  await page.click('[data-testid=run-swap]');
  await page.locator('[data-testid=confirm-run]').waitFor();
  // Cancel first: nothing runs.
  await page.click('[data-testid=confirm-cancel]');
  assert.equal(fake.runs.length, 0);
  await page.click('[data-testid=run-swap]');
  await page.click('[data-testid=confirm-run-ok]');
  await page.waitForSelector('[data-testid=run-progress][data-state=done]');
  assert.equal(await page.getAttribute('[data-testid=run-progress]', 'data-ok'), 'true');
  assert.equal(await page.locator('[data-testid=run-progress] li[data-step=verified]').count(), 1);
  assert.equal(fake.runs.length, 1);

  const rows = page.locator('[data-testid=swap-history] tr[data-state=verified]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=swap-history] tr[data-state=verified]').length === 2);
  await rows.first().click();
  const steps = await page.locator('[data-testid=swap-steps] li').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-step')));
  assert.deepEqual(steps, ['planned', 'edits-sent', 'edits-applied', 'height-reached', 'verified']);
  // The run names the plan the operator looked at.
  const run = listAudit(d.db).find((a) => a.action === 'swap.run');
  const planned = listAudit(d.db).find((a) => a.action === 'swap.plan');
  assert.equal(run?.detail.planId, planned?.detail.planId);
});

test('a viewer sees the status and history but no action button, and the API refuses the action', async () => {
  const page = await login(VIEWER, { width: 390, height: 844 });
  await page.goto(`${d.url}/#/swaps`);
  await page.locator('[data-testid=operators-only]').waitFor();
  assert.equal(await page.locator('[data-testid=plan-swap], [data-testid=run-swap]').count(), 0);
  assert.ok(await page.locator('[data-testid=swap-history] tbody tr').count() >= 1);
  // Phone width: the page itself does not scroll sideways (wide tables scroll in their own box).
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
  const status = await page.evaluate(async () => {
    const me = await (await fetch('/api/session')).json() as { csrf: string };
    return (await fetch('/api/swap/run', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf }, body: '{}' })).status;
  });
  assert.equal(status, 403);
});

test('without a controller the pages say "failover not configured"', async () => {
  configured = undefined;
  try {
    const page = await login(OPERATOR);
    await page.waitForFunction(() => /failover not configured/.test(document.querySelector('[data-testid=failover-badge]')?.textContent ?? ''));
    await page.goto(`${d.url}/#/swaps`);
    await page.locator('[data-testid=failover-not-configured]').waitFor();
    assert.equal(await page.locator('[data-testid=plan-swap]').count(), 0);
  } finally {
    configured = fake;
  }
});
