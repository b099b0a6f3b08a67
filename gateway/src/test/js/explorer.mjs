// Drives the explorer page in real headless Chromium (Debian's /usr/bin/chromium through playwright-core):
// load it, ask the network for an answer through the gateway, see the task appear live, open its receipt,
// click Verify, see "verified", and keep a screenshot. Prints one JSON document for ExplorerTest.
// Usage: node explorer.mjs BASE_URL SCREENSHOT.png
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, shot] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'ledgermind-chromium-'));
// an empty profile of its own: playwright passes it to chromium as --user-data-dir
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 1000 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const out = {};
try {
  const page = browser.pages()[0] ?? await browser.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  const external = [];
  page.on('request', r => { if (!r.url().startsWith(base)) external.push(r.url()); });
  await page.goto(base + '/explorer');
  await page.waitForSelector('#contracts tr');
  await page.waitForFunction(() => document.querySelectorAll('#nodes tr').length > 0);
  out.nodes = await page.$$eval('#nodes tr', rows => rows.length);
  const before = await page.$$eval('#tasks tr', rows => rows.map(r => r.dataset.task));

  // an ask: an embedding through the gateway, which the network computes as a task
  const ask = await fetch(base + '/v1/embeddings', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'Ledgermind-Backend': 'network' },
    body: JSON.stringify({ model: 'all-minilm-l6-v2', input: 'The explorer shows this task' }),
  });
  const receiptId = (await ask.json()).ledgermind.receipts[0].id;
  const taskId = receiptId.replace('task-', '');
  out.receiptId = receiptId;
  out.newBefore = before.includes(taskId);

  // it appears in the live table, settled, without a reload
  await page.waitForSelector(`#tasks tr[data-task="${taskId}"] .accepted`, { timeout: 60000 });
  out.row = await page.$eval(`#tasks tr[data-task="${taskId}"]`, r => r.innerText);
  await page.click(`#tasks tr[data-task="${taskId}"] a`);
  await page.waitForSelector('#receipt:not([hidden]) #evidence tr');
  out.evidence = await page.$eval('#evidence', t => t.innerText);
  out.transactions = await page.$$eval('#rtxs tr', rows => rows.length);
  await page.click('#verify');
  await page.waitForFunction(() => ['verified', 'NOT verified'].includes(document.getElementById('verdict').textContent)
      || document.getElementById('verdict').textContent.startsWith('error'), null, { timeout: 120000 });
  out.verdict = await page.$eval('#verdict', e => e.textContent);
  out.checks = await page.$$eval('#checks tr', rows => rows.length);
  await page.screenshot({ path: shot, fullPage: true });
  out.errors = errors;
  out.external = external;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
