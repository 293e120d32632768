// Contract test: a representative subset of the functional scenarios, sent through a Prism
// validating proxy (tools/, `prism proxy`) in front of a real `rihla serve` on a temporary
// SQLite database. Prism reports every mismatch with docs/openapi.json in the `sl-violations`
// response header; this test asserts:
//   - no response (status, headers, body) ever violates the document;
//   - the requests that violate it are exactly the ones listed in
//     prism-request-violations.txt (negative tests that send bad input on purpose);
//   - body validation is really active: a fake upstream's wrong body is flagged.
// Needs RIHLA_BINARY (the rihla executable) and tools/node_modules (tools/install.sh).
// Run: RIHLA_BINARY=build/dev/rihla node --test tests/contract/prism_proxy.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const spec = join(root, 'docs', 'openapi.json');
const prismBin = join(root, 'tools', 'node_modules', '.bin', 'prism');
const rihlaBin = process.env.RIHLA_BINARY;
const adminToken = 'contract-admin-token';
const webhookSecret = 'contract-webhook-secret';

const children = [];
let workDir;

function startChild(cmd, args, env) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.output = '';
  child.stdout.on('data', (d) => { child.output += d; });
  child.stderr.on('data', (d) => { child.output += d; });
  children.push(child);
  return child;
}

// Resolves with the first value `probe` returns that is not undefined; rejects after `ms`.
async function waitFor(what, child, probe, ms = 60000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (child.exitCode !== null) throw new Error(`${what} exited:\n${child.output}`);
    if (Date.now() > deadline) throw new Error(`${what} did not start in time:\n${child.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Starts Prism on a port it may pick itself (0 is not supported, so try a few random ones).
async function startPrism(upstream) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const prism = startChild(prismBin, ['proxy', spec, upstream, '--host', '127.0.0.1', '--port', String(port)], {});
    try {
      await waitFor('prism', prism, async () => (prism.output.includes('Prism is listening') ? true : undefined));
      return { prism, base: `http://127.0.0.1:${port}` };
    } catch (e) {
      if (!/EADDRINUSE/.test(prism.output)) throw e;
    }
  }
  throw new Error('no free port for prism');
}

function violationsOf(res) {
  const h = res.headers.get('sl-violations');
  return h ? JSON.parse(h) : [];
}

let base;       // the proxy in front of rihla
const results = [];  // {name, status, violations}

// Sends one request through the proxy and records its violations under `name`.
async function send(name, method, path, { body, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers } };
  if (raw !== undefined) init.body = raw;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  const violations = violationsOf(res);
  results.push({ name, status: res.status, violations });
  return { status: res.status, json, text, headers: res.headers };
}

function signature(body, t = Math.floor(Date.now() / 1000)) {
  const hex = createHmac('sha256', webhookSecret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${hex}`;
}

function tomorrow() {
  return new Date(Date.now() + 86400000).toISOString().slice(0, 10);
}

before(async () => {
  assert.ok(rihlaBin, 'RIHLA_BINARY must name the rihla executable');
  workDir = mkdtempSync(join(tmpdir(), 'rihla-contract-'));
  const env = {
    RIHLA_DATABASE_URL: `sqlite:${join(workDir, 'rihla.db')}`,
    RIHLA_ADMIN_TOKEN: adminToken,
    RIHLA_WEBHOOK_SECRET: webhookSecret,
    RIHLA_THREADS: '2',
  };
  const seeded = spawnSync(rihlaBin, ['seed', '--days', '3'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.equal(seeded.status, 0, `rihla seed failed: ${seeded.stderr}`);
  const rihla = startChild(rihlaBin, ['serve', '--listen', '127.0.0.1:0'], env);
  const port = await waitFor('rihla', rihla, async () => {
    const m = rihla.output.match(/"msg":"listening".*?"port":(\d+)/);
    return m ? Number(m[1]) : undefined;
  });
  ({ base } = await startPrism(`http://127.0.0.1:${port}`));
});

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('the functional subset through the validating proxy breaks no response schema', async () => {
  // Service endpoints.
  await send('healthz', 'GET', '/healthz');
  await send('readyz', 'GET', '/readyz');
  await send('metrics', 'GET', '/metrics');
  await send('airports', 'GET', '/v1/airports');
  const web = await send('booking-page', 'GET', '/');
  assert.match(web.text, /<script src="\/app.js">/);
  await send('booking-page-script', 'GET', '/app.js');
  await send('booking-page-style', 'GET', '/style.css');
  const docs = await send('docs', 'GET', '/docs');
  assert.match(docs.headers.get('content-type'), /^text\/html/);
  assert.match(docs.text, /rihla API reference/);
  const openapi = await send('openapi', 'GET', '/openapi.json');
  assert.deepEqual(openapi.json, JSON.parse(readFileSync(spec, 'utf8')), 'GET /openapi.json serves docs/openapi.json');

  // Search and flights.
  const search = await send('search', 'GET', `/v1/flights/search?from=RUH&to=JED&date=${tomorrow()}&passengers=2`);
  assert.equal(search.status, 200);
  assert.ok(search.json.count > 0, 'the seeded schedule has RUH-JED flights tomorrow');
  await send('search-cached', 'GET', `/v1/flights/search?from=ruh&to=jed&date=${tomorrow()}&passengers=2`);
  await send('search-business', 'GET', `/v1/flights/search?from=RUH&to=JED&date=${tomorrow()}&cabin=business`);
  await send('search-missing-params', 'GET', '/v1/flights/search?from=RUH');
  await send('search-bad-date', 'GET', '/v1/flights/search?from=RUH&to=JED&date=2026-13-45');
  await send('search-bad-passengers', 'GET', `/v1/flights/search?from=RUH&to=JED&date=${tomorrow()}&passengers=10`);
  const flight = search.json.flights[0];
  await send('flight', 'GET', `/v1/flights/${flight.id}`);
  await send('flight-unknown', 'GET', '/v1/flights/fl_doesnotexist');

  // Admin.
  const admin = { authorization: `Bearer ${adminToken}` };
  const dep = new Date(Date.now() + 2 * 86400000);
  dep.setUTCHours(8, 0, 0, 0);
  const arr = new Date(dep.getTime() + 105 * 60000);
  const newFlight = {
    flight_number: 'SV9001', from: 'RUH', to: 'DMM', departure_time: dep.toISOString().replace('.000', ''),
    arrival_time: arr.toISOString().replace('.000', ''), cabin: 'economy', price: { amount: '300.00', currency: 'SAR' },
    seats_total: 2,
  };
  const created = await send('admin-create', 'POST', '/v1/admin/flights', { body: newFlight, headers: admin });
  assert.equal(created.status, 201);
  await send('admin-create-no-token', 'POST', '/v1/admin/flights', { body: newFlight });
  await send('admin-create-invalid', 'POST', '/v1/admin/flights', { body: { ...newFlight, seats_total: 0 }, headers: admin });
  await send('admin-patch', 'PATCH', `/v1/admin/flights/${created.json.id}`,
    { body: { price: { amount: '320.00', currency: 'SAR' } }, headers: admin });
  await send('admin-patch-empty', 'PATCH', `/v1/admin/flights/${created.json.id}`, { body: {}, headers: admin });
  await send('admin-patch-unknown-field', 'PATCH', `/v1/admin/flights/${created.json.id}`,
    { body: { cabin: 'first' }, headers: admin });
  await send('admin-patch-unknown-flight', 'PATCH', '/v1/admin/flights/fl_nope', { body: { seats_total: 5 }, headers: admin });

  // Accounts.
  const email = `c-${randomUUID()}@example.com`;
  const signup = await send('signup', 'POST', '/v1/auth/signup', { body: { email, password: 'correct horse' } });
  assert.equal(signup.status, 201);
  await send('signup-taken', 'POST', '/v1/auth/signup', { body: { email, password: 'correct horse' } });
  await send('signup-short-password', 'POST', '/v1/auth/signup', { body: { email: `x${email}`, password: 'short' } });
  const login = await send('login', 'POST', '/v1/auth/login', { body: { email, password: 'correct horse' } });
  await send('login-wrong', 'POST', '/v1/auth/login', { body: { email, password: 'wrong horse' } });
  await send('login-wrong-media-type', 'POST', '/v1/auth/login', { raw: 'email=x', headers: { 'content-type': 'text/plain' } });
  const user = { authorization: `Bearer ${login.json.token}` };

  // Bookings.
  const key = randomUUID();
  const booking = { flight_id: flight.id, passengers: [{ given_name: 'Amal', family_name: 'Saleh' }] };
  const booked = await send('book', 'POST', '/v1/bookings', { body: booking, headers: { ...user, 'idempotency-key': key } });
  assert.equal(booked.status, 201);
  await send('book-replay', 'POST', '/v1/bookings', { body: booking, headers: { ...user, 'idempotency-key': key } });
  await send('book-key-reused', 'POST', '/v1/bookings',
    { body: { ...booking, passengers: [...booking.passengers, booking.passengers[0]] }, headers: { ...user, 'idempotency-key': key } });
  await send('book-no-key', 'POST', '/v1/bookings', { body: booking, headers: user });
  await send('book-no-token', 'POST', '/v1/bookings', { body: booking, headers: { 'idempotency-key': randomUUID() } });
  await send('book-unknown-flight', 'POST', '/v1/bookings',
    { body: { ...booking, flight_id: 'fl_nope' }, headers: { ...user, 'idempotency-key': randomUUID() } });
  await send('book-ten-passengers', 'POST', '/v1/bookings',
    { body: { ...booking, passengers: Array(10).fill(booking.passengers[0]) }, headers: { ...user, 'idempotency-key': randomUUID() } });
  const small = { flight_id: created.json.id, passengers: [booking.passengers[0], booking.passengers[0]] };
  await send('book-fill-flight', 'POST', '/v1/bookings', { body: small, headers: { ...user, 'idempotency-key': randomUUID() } });
  await send('book-sold-out', 'POST', '/v1/bookings', { body: small, headers: { ...user, 'idempotency-key': randomUUID() } });
  await send('bookings-list', 'GET', '/v1/bookings?limit=1', { headers: user });
  await send('bookings-list-bad-cursor', 'GET', '/v1/bookings?cursor=%21%21', { headers: user });
  await send('booking', 'GET', `/v1/bookings/${booked.json.id}`, { headers: user });
  await send('booking-unknown', 'GET', '/v1/bookings/bk_nope', { headers: user });

  // Payment webhook.
  const event = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'payment.succeeded',
    data: { booking_id: booked.json.id, amount: booked.json.total } });
  await send('webhook-paid', 'POST', '/v1/webhooks/payments',
    { raw: event, headers: { 'content-type': 'application/json', 'rihla-signature': signature(event) } });
  await send('webhook-replay', 'POST', '/v1/webhooks/payments',
    { raw: event, headers: { 'content-type': 'application/json', 'rihla-signature': signature(event) } });
  await send('webhook-bad-signature', 'POST', '/v1/webhooks/payments',
    { raw: event, headers: { 'content-type': 'application/json', 'rihla-signature': 't=1,v1=00' } });
  const ignored = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'payment.succeeded',
    data: { booking_id: 'bk_nope', amount: { amount: '1.00', currency: 'SAR' } } });
  await send('webhook-unknown-booking', 'POST', '/v1/webhooks/payments',
    { raw: ignored, headers: { 'content-type': 'application/json', 'rihla-signature': signature(ignored) } });

  // Demo payments are off on this server.
  await send('demo-pay-off', 'POST', `/v1/demo/bookings/${booked.json.id}/pay`, { headers: user });

  // Cancel.
  const key2 = randomUUID();
  const second = await send('book-second', 'POST', '/v1/bookings', { body: booking, headers: { ...user, 'idempotency-key': key2 } });
  await send('cancel', 'POST', `/v1/bookings/${second.json.id}/cancel`, { headers: { ...user, 'idempotency-key': randomUUID() } });
  await send('cancel-confirmed', 'POST', `/v1/bookings/${booked.json.id}/cancel`, { headers: { ...user, 'idempotency-key': randomUUID() } });
  await send('cancel-unknown', 'POST', '/v1/bookings/bk_nope/cancel', { headers: { ...user, 'idempotency-key': randomUUID() } });

  // Transport-level answers on documented operations.
  // Valid JSON (Prism answers unparsable bodies itself), over the 64 KiB body limit.
  await send('body-too-large', 'POST', '/v1/auth/login', { body: { email, password: 'correct horse', padding: 'x'.repeat(70 * 1024) } });
  await send('headers-too-large', 'GET', '/v1/airports', { headers: { 'x-padding': 'p'.repeat(9 * 1024) } });
  // Prism matches no operation ("Selected route not found"), so it checks this one here.
  const wrongMethod = await send('method-not-allowed', 'DELETE', '/healthz');
  assert.equal(wrongMethod.headers.get('allow'), 'GET');
  await send('cancel-with-text-body', 'POST', `/v1/bookings/${second.json.id}/cancel`,
    { raw: 'hello', headers: { ...user, 'idempotency-key': randomUUID(), 'content-type': 'text/plain' } });

  const responseViolations = results.flatMap((r) =>
    r.violations.filter((v) => v.location[0] === 'response').map((v) => `${r.name} (${r.status}): ${v.location.join('.')} ${v.message}`));
  assert.deepEqual(responseViolations, [], 'responses that break docs/openapi.json');

  const expected = readFileSync(join(here, 'prism-request-violations.txt'), 'utf8').split('\n')
    .map((l) => l.replace(/#.*/, '').trim()).filter(Boolean).sort();
  const actual = results.filter((r) => r.violations.some((v) => v.location[0] === 'request')).map((r) => r.name).sort();
  const detail = results.filter((r) => r.violations.length)
    .map((r) => `${r.name}: ${r.violations.map((v) => `${v.location.join('.')} ${v.message}`).join('; ')}`).join('\n');
  assert.deepEqual(actual, expected, `requests that break docs/openapi.json:\n${detail}`);
  // Each step got the answer its scenario is about (so a passing run covers those statuses).
  const expectedStatus = {
    healthz: 200, readyz: 200, metrics: 200, airports: 200, 'booking-page': 200, 'booking-page-script': 200,
    'booking-page-style': 200, docs: 200, openapi: 200, search: 200, 'search-cached': 200, 'search-business': 200,
    'search-missing-params': 400, 'search-bad-date': 400, 'search-bad-passengers': 400, flight: 200,
    'flight-unknown': 404, 'admin-create': 201, 'admin-create-no-token': 401, 'admin-create-invalid': 400,
    'admin-patch': 200, 'admin-patch-empty': 400, 'admin-patch-unknown-field': 400, 'admin-patch-unknown-flight': 404,
    signup: 201, 'signup-taken': 409, 'signup-short-password': 400, login: 200, 'login-wrong': 401,
    'login-wrong-media-type': 415, book: 201, 'book-replay': 201, 'book-key-reused': 422, 'book-no-key': 400,
    'book-no-token': 401, 'book-unknown-flight': 404, 'book-ten-passengers': 400, 'book-fill-flight': 201,
    'book-sold-out': 409, 'bookings-list': 200, 'bookings-list-bad-cursor': 400, booking: 200, 'booking-unknown': 404,
    'webhook-paid': 200, 'webhook-replay': 200, 'webhook-bad-signature': 401, 'webhook-unknown-booking': 200, 'demo-pay-off': 404,
    'book-second': 201, cancel: 200, 'cancel-confirmed': 200, 'cancel-unknown': 404, 'body-too-large': 413,
    'headers-too-large': 431, 'method-not-allowed': 405, 'cancel-with-text-body': 415,
  };
  assert.deepEqual(Object.fromEntries(results.map((r) => [r.name, r.status])), expectedStatus);
  const names = results.map((r) => r.name);
  assert.equal(new Set(names).size, names.length, 'step names are unique');
});

test('the proxy flags a response body that breaks the schema', async () => {
  const fake = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-correlation-id': 'c1' });
    res.end('{"status":"broken"}');
  });
  await new Promise((r) => fake.listen(0, '127.0.0.1', r));
  try {
    const { base: proxied, prism } = await startPrism(`http://127.0.0.1:${fake.address().port}`);
    const res = await fetch(`${proxied}/healthz`);
    await res.text();
    const body = violationsOf(res).filter((v) => v.location.slice(0, 2).join('.') === 'response.body');
    assert.ok(body.length > 0, `no body violation reported:\n${prism.output}`);
    prism.kill('SIGTERM');
  } finally {
    fake.close();
  }
});
