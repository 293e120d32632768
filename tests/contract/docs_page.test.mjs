// Browser test of GET /docs: headless Chromium (Debian's chromium, driven by puppeteer-core)
// opens the API reference page served by a real `rihla serve`, and checks that it renders the
// operations, logs no console error, and requests nothing from any other host (every request
// off loopback is aborted and reported; the browser's resolver maps every other name to
// NOTFOUND, so nothing leaves the machine). Saves a screenshot to $RIHLA_ARTIFACTS_DIR
// (default: ./artifacts).
// Needs RIHLA_BINARY, tools/node_modules (tools/install.sh) and chromium (or CHROMIUM_PATH).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchBrowser, startRihla } from './harness.mjs';

// puppeteer-core is installed under tools/, not next to this file.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const puppeteer = createRequire(join(root, 'tools', 'package.json'))('puppeteer-core');

const rihlaBin = process.env.RIHLA_BINARY;
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const artifacts = resolve(process.env.RIHLA_ARTIFACTS_DIR || 'artifacts');
let server;
let browser;
let base;
let workDir;

before(async () => {
  assert.ok(rihlaBin, 'RIHLA_BINARY must name the rihla executable');
  workDir = mkdtempSync(join(tmpdir(), 'rihla-docs-'));
  ({ server, base } = await startRihla(rihlaBin, { ...process.env, RIHLA_DATABASE_URL: `sqlite:${join(workDir, 'rihla.db')}` }));
  browser = await launchBrowser(puppeteer, chromium);
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) server.kill('SIGTERM');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('the API reference page renders offline without console errors', async () => {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const external = [];
  const errors = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const url = req.url();
    if (url.startsWith(`${base}/`) || url.startsWith('data:') || url.startsWith('blob:')) {
      req.continue();
    } else {
      external.push(url);
      req.abort();
    }
  });
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });

  const res = await page.goto(`${base}/docs`, { waitUntil: 'networkidle0' });
  assert.equal(res.status(), 200);
  assert.equal(await page.title(), 'rihla API reference');
  // Redoc hydrated: its search box and the operations' headings are there.
  await page.waitForSelector('input[placeholder="Search..."]', { timeout: 30000 });
  const headings = await page.$$eval('h2', (hs) => hs.map((h) => h.textContent));
  for (const summary of ['Search flights', 'Create a booking', 'Payment provider webhook']) {
    assert.ok(headings.some((h) => h.includes(summary)), `no heading "${summary}" in: ${headings.join(' | ')}`);
  }
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'docs.png') });

  assert.deepEqual(external, [], 'requests to other hosts');
  assert.deepEqual(errors, [], 'console errors');
});
