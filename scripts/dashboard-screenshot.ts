/**
 * Takes docs/screenshot.png for the README: the demo (as `npm start` runs it) in a temporary data
 * directory, logged in as the generated admin, overview at 1280×800 after the data has settled.
 * Run: node --import tsx scripts/dashboard-screenshot.ts [OUT.png]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startAnoguard } from '../src/demo/start.js';
import { createLogger } from '../src/log.js';

const out = process.argv[2] ?? 'docs/screenshot.png';
const dir = mkdtempSync(join(tmpdir(), 'dash-shot-'));
const s = await startAnoguard({ dataDir: dir, web: { host: '127.0.0.1', port: 0 }, demo: true, logger: createLogger('dash-shot', { level: 'silent' }), blockTimeMs: 6000, agentIntervalMs: 2000 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(s.webUrl);
  await page.fill('input[name=user]', 'admin');
  await page.fill('input[name=password]', readFileSync(s.passwordFile!, 'utf8').trim());
  await page.click('button[type=submit]');
  await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid=nodes-table] [data-testid=height]')).every((td) => /^\d+$/.test(td.textContent ?? '')), undefined, { timeout: 60_000 });
  await new Promise((r) => setTimeout(r, 20_000));
  await page.screenshot({ path: out });
  await page.goto(`${s.webUrl}/#/node/master`);
  await new Promise((r) => setTimeout(r, 6_000));
  await page.screenshot({ path: out.replace(/\.png$/, '-node.png'), fullPage: false });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  await s.stop();
  rmSync(dir, { recursive: true, force: true });
}
