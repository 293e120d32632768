// Browser test of the booking page (GET /, web/): headless Chromium (Debian's chromium, driven
// by puppeteer-core) against a real `rihla serve` with demo payments, on a temporary SQLite
// database with the demo schedule. The whole flow: sign up, search, book (double-clicked: one
// booking), the pending booking with its countdown, pay, confirmed; then a flight that sells out
// under the user shows the problem's title, detail and correlation id. No console errors (but
// the 409 the sold-out step provokes), nothing requested off loopback. Screenshots go to
// $RIHLA_ARTIFACTS_DIR (default ./artifacts).
// Needs RIHLA_BINARY, tools/node_modules (tools/install.sh) and chromium (or CHROMIUM_PATH).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchBrowser, startRihla } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const puppeteer = createRequire(join(root, 'tools', 'package.json'))('puppeteer-core');
const rihlaBin = process.env.RIHLA_BINARY;
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const artifacts = resolve(process.env.RIHLA_ARTIFACTS_DIR || 'artifacts');
const adminToken = 'page-admin-token';
let server;
let browser;
let base;
let workDir;

async function api(method, path, { body, token, key } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  if (key) headers['idempotency-key'] = key;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

before(async () => {
  assert.ok(rihlaBin, 'RIHLA_BINARY must name the rihla executable');
  workDir = mkdtempSync(join(tmpdir(), 'rihla-page-'));
  const env = {
    ...process.env,
    RIHLA_DATABASE_URL: `sqlite:${join(workDir, 'rihla.db')}`,
    RIHLA_ADMIN_TOKEN: adminToken,
    RIHLA_WEBHOOK_SECRET: 'page-webhook-secret',
    RIHLA_DEMO_PAYMENTS: '1',
  };
  const seeded = spawnSync(rihlaBin, ['seed', '--days', '3'], { env, encoding: 'utf8' });
  assert.equal(seeded.status, 0, `rihla seed failed: ${seeded.stderr}`);
  ({ server, base } = await startRihla(rihlaBin, env));
  browser = await launchBrowser(puppeteer, chromium);
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) server.kill('SIGTERM');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('sign up, search, book with a double click, pay, and see a sold-out problem', async () => {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  const external = [];
  const errors = [];
  let allowConflict = false;  // the sold-out step's 409 is logged by Chromium as a resource error
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const url = req.url();
    if (url.startsWith(`${base}/`) || url.startsWith('data:')) req.continue();
    else { external.push(url); req.abort(); }
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const expected = allowConflict && msg.text().includes('status of 409') && msg.location().url === `${base}/v1/bookings`;
    if (!expected) errors.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  mkdirSync(artifacts, { recursive: true });

  await page.goto(`${base}/`, { waitUntil: 'networkidle0' });
  assert.ok(await page.$eval('#airports', (l) => l.options.length) > 10, 'airport suggestions from /v1/airports');

  // Sign up.
  const email = `page-${randomUUID()}@example.com`;
  await page.type('#email', email);
  await page.type('#password', 'a long password');
  await page.click('#signup');
  await page.waitForFunction((e) => document.getElementById('who').textContent.includes(e), {}, email);
  const token = await page.evaluate(() => sessionStorage.getItem('rihla.token'));

  // Search RUH→JED tomorrow, economy, one passenger.
  await page.type('#from', 'RUH');
  await page.type('#to', 'JED');
  await page.click('#search-button');
  await page.waitForSelector('#results:not([hidden]) tbody tr');
  const firstRow = await page.$eval('#results tbody tr', (tr) => [...tr.cells].map((c) => c.textContent));
  assert.match(firstRow[1], /UTC$/, 'departure time shown');
  assert.match(firstRow[3], /^\d+\.\d{2} [A-Z]{3}$/, 'price shown');
  assert.match(firstRow[4], /^\d+$/, 'seats shown');
  await page.screenshot({ path: join(artifacts, 'booking-search.png') });

  // Book, double-clicked: exactly one booking.
  await page.click('#results tbody tr button.select');
  await page.type('#passenger-fields .given', 'Sara');
  await page.type('#passenger-fields .family', 'Ali');
  await page.click('#book-button', { count: 2 });
  await page.waitForSelector('#booking:not([hidden])');
  assert.equal(await page.$eval('#booking-status', (e) => e.textContent), 'pending_payment');
  await page.waitForFunction(() => /^\d+:\d\d$/.test(document.getElementById('countdown').textContent));
  const mine = await api('GET', '/v1/bookings', { token });
  assert.equal(mine.json.bookings.length, 1, 'a double click on Book makes exactly one booking');
  await page.screenshot({ path: join(artifacts, 'booking-pending.png'), fullPage: true });

  // Pay (demo mode) → confirmed.
  await page.click('#pay-button');
  await page.waitForFunction(() => document.getElementById('booking-status').textContent === 'confirmed');
  assert.equal((await api('GET', `/v1/bookings/${mine.json.bookings[0].id}`, { token })).json.status, 'confirmed');
  await page.screenshot({ path: join(artifacts, 'booking-confirmed.png'), fullPage: true });

  // A one-seat flight the user selects, which someone else books first.
  const date = await page.$eval('#date', (e) => e.value);
  const flight = await api('POST', '/v1/admin/flights', {
    token: adminToken,
    body: {
      flight_number: 'SV9999', from: 'RUH', to: 'JED', departure_time: `${date}T23:00:00Z`,
      arrival_time: `${date}T23:59:00Z`, cabin: 'first', price: { amount: '999.00', currency: 'SAR' }, seats_total: 1,
    },
  });
  assert.equal(flight.status, 201);
  await page.select('#cabin', 'first');
  await page.click('#search-button');
  await page.waitForFunction(() => [...document.querySelectorAll('#results tbody tr')].some((tr) => tr.cells[0].textContent === 'SV9999'));
  await page.evaluate(() => {
    const row = [...document.querySelectorAll('#results tbody tr')].find((tr) => tr.cells[0].textContent === 'SV9999');
    row.querySelector('button.select').click();
  });
  await page.type('#passenger-fields .given', 'Omar');
  await page.type('#passenger-fields .family', 'Hassan');
  const other = await api('POST', '/v1/auth/signup', { body: { email: `other-${randomUUID()}@example.com`, password: 'another long one' } });
  const taken = await api('POST', '/v1/bookings', {
    token: other.json.token, key: randomUUID(),
    body: { flight_id: flight.json.id, passengers: [{ given_name: 'Lina', family_name: 'Saad' }] },
  });
  assert.equal(taken.status, 201);
  allowConflict = true;
  await page.click('#book-button');
  await page.waitForSelector('#problem:not([hidden])');
  allowConflict = false;
  assert.equal(await page.$eval('#problem-title', (e) => e.textContent), 'Sold out');
  assert.ok((await page.$eval('#problem-detail', (e) => e.textContent)).length > 0, 'the problem detail is shown');
  assert.match(await page.$eval('#problem-cid', (e) => e.textContent), /^[A-Za-z0-9._:-]{8,}$/, 'the correlation id is shown');
  await page.screenshot({ path: join(artifacts, 'booking-sold-out.png') });

  assert.deepEqual(external, [], 'requests to other hosts');
  assert.deepEqual(errors, [], 'console errors');
});

test('demo payments are refused on an address other hosts can reach', () => {
  const env = { ...process.env, RIHLA_DATABASE_URL: `sqlite:${join(workDir, 'refused.db')}`,
    RIHLA_WEBHOOK_SECRET: 'x', RIHLA_DEMO_PAYMENTS: '1' };
  const run = spawnSync(rihlaBin, ['serve', '--listen', '0.0.0.0:0'], { env, encoding: 'utf8', timeout: 30000 });
  assert.equal(run.status, 2, `rihla serve should refuse to start:\n${run.stdout}${run.stderr}`);
  assert.match(run.stdout + run.stderr, /RIHLA_DEMO_PAYMENTS=1 needs a loopback RIHLA_LISTEN/);
});
