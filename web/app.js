// rihla's booking page: plain JS over the public API (docs/openapi.json).
// State lives in this module; the bearer token in sessionStorage (per browser tab).
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  token: sessionStorage.getItem('rihla.token') || '',
  email: sessionStorage.getItem('rihla.email') || '',
  flight: null,        // the flight being booked
  attempt: null,       // {key, body}: one Idempotency-Key per booking attempt, reused on retry
  booking: null,
  timer: null,
};

// --- Problems: every error is an RFC 9457 problem; show its title, detail and correlation id.
class Problem extends Error {
  constructor(p) {
    super(p.detail || p.title);
    this.problem = p;
  }
}
function showProblem(p) {
  $('problem-title').textContent = p.title || 'Error';
  $('problem-detail').textContent = p.detail || '';
  $('problem-cid').textContent = p.correlation_id || 'none';
  $('problem').hidden = false;
}
function clearProblem() { $('problem').hidden = true; }

// api(method, path, {body, key}): the parsed JSON body; throws Problem on a 4xx/5xx answer.
// Retries, with the same Idempotency-Key, while the server says the key is still in progress
// (409 idempotency-in-progress) or it is briefly unavailable (503), and on network errors.
async function api(method, path, { body, key } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (key) headers['Idempotency-Key'] = key;
  for (let attempt = 1; ; attempt++) {
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      if (attempt < 3 && key) { await sleep(500 * attempt); continue; }
      throw new Problem({ title: 'Network error', detail: String(e.message || e) });
    }
    const json = await res.json().catch(() => ({}));
    if (res.ok) return json;
    const retryable = (res.status === 409 && json.type === '/problems/idempotency-in-progress') || res.status === 503;
    if (retryable && attempt < 5) {
      await sleep(1000 * Number(res.headers.get('Retry-After') || 1));
      continue;
    }
    throw new Problem({ correlation_id: res.headers.get('X-Correlation-ID'), ...json });
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs an async UI action with its button disabled and problems shown.
function action(button, fn) {
  return async (event) => {
    if (event) event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    clearProblem();
    try {
      await fn(event);
    } catch (e) {
      if (e instanceof Problem) showProblem(e.problem);
      else showProblem({ title: 'Unexpected error', detail: String(e) });
    } finally {
      button.disabled = false;
    }
  };
}

// --- Account
function renderAccount() {
  $('who').textContent = state.token ? `signed in as ${state.email}` : 'not signed in';
  $('logout').hidden = !state.token;
  $('account').hidden = Boolean(state.token);
}
async function authenticate(kind) {
  const body = { email: $('email').value.trim(), password: $('password').value };
  const res = await api('POST', `/v1/auth/${kind}`, { body });
  state.token = res.token;
  state.email = body.email;
  sessionStorage.setItem('rihla.token', state.token);
  sessionStorage.setItem('rihla.email', state.email);
  renderAccount();
}
$('signup').addEventListener('click', action($('signup'), () => authenticate('signup')));
$('login').addEventListener('click', action($('login'), () => authenticate('login')));
$('auth-form').addEventListener('submit', (e) => e.preventDefault());
$('logout').addEventListener('click', () => {
  state.token = '';
  sessionStorage.clear();
  renderAccount();
});

// --- Search
async function loadAirports() {
  const res = await api('GET', '/v1/airports');
  const list = $('airports');
  for (const a of res.airports) {
    const option = document.createElement('option');
    option.value = a.code;
    option.label = `${a.code} · ${a.city} (${a.name})`;
    list.append(option);
  }
}
const money = (m) => `${m.amount} ${m.currency}`;
const time = (t) => t.replace('T', ' ').replace(/:00Z$/, ' UTC');

async function search() {
  const q = new URLSearchParams({
    from: $('from').value.trim(), to: $('to').value.trim(), date: $('date').value,
    passengers: $('passengers').value, cabin: $('cabin').value,
  });
  const res = await api('GET', `/v1/flights/search?${q}`);
  const tbody = $('results').querySelector('tbody');
  tbody.replaceChildren();
  for (const f of res.flights) {
    const row = tbody.insertRow();
    for (const text of [f.flight_number, time(f.departure_time), time(f.arrival_time), money(f.price), String(f.seats_available)]) {
      row.insertCell().textContent = text;
    }
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Select';
    button.className = 'select';
    button.addEventListener('click', () => startBooking(f));
    row.insertCell().append(button);
  }
  $('results').hidden = res.count === 0;
  $('no-results').hidden = res.count !== 0;
}
$('search-form').addEventListener('submit', action($('search-button'), search));

// --- Booking
function startBooking(flight) {
  clearProblem();
  state.flight = flight;
  state.attempt = null;
  $('book-flight').textContent = `${flight.flight_number} ${flight.from}→${flight.to}, ${time(flight.departure_time)}`;
  const fields = $('passenger-fields');
  fields.replaceChildren();
  for (let i = 0; i < Number($('passengers').value); i++) {
    const div = document.createElement('div');
    div.className = 'passenger';
    div.innerHTML = `<label>Given name <input class="given" required maxlength="100"></label>
      <label>Family name <input class="family" required maxlength="100"></label>`;
    fields.append(div);
  }
  $('book').hidden = false;
  $('booking').hidden = true;
}

async function book() {
  if (!state.token) throw new Problem({ title: 'Not signed in', detail: 'Sign up or log in to book.' });
  const passengers = [...document.querySelectorAll('#passenger-fields .passenger')].map((p) => ({
    given_name: p.querySelector('.given').value.trim(),
    family_name: p.querySelector('.family').value.trim(),
  }));
  const body = { flight_id: state.flight.id, passengers };
  // Same attempt (same flight and names) → same key, so a retry never books twice.
  if (!state.attempt || JSON.stringify(state.attempt.body) !== JSON.stringify(body)) {
    state.attempt = { key: crypto.randomUUID(), body };
  }
  const booking = await api('POST', '/v1/bookings', { body, key: state.attempt.key });
  state.attempt = null;
  $('book').hidden = true;
  showBooking(booking);
}
$('book-form').addEventListener('submit', action($('book-button'), book));

function showBooking(b) {
  state.booking = b;
  $('booking-id').textContent = b.id;
  $('booking-status').textContent = b.status;
  $('booking-total').textContent = money(b.total);
  $('booking').hidden = false;
  $('pay-button').hidden = b.status !== 'pending_payment';
  $('booking-expiry').hidden = b.status !== 'pending_payment';
  clearInterval(state.timer);
  if (b.status === 'pending_payment') {
    const tick = () => {
      const left = Math.max(0, Math.round((Date.parse(b.expires_at) - Date.now()) / 1000));
      $('countdown').textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
      if (left === 0) { clearInterval(state.timer); refreshBooking(); }
    };
    tick();
    state.timer = setInterval(tick, 1000);
  }
}
async function refreshBooking() {
  showBooking(await api('GET', `/v1/bookings/${encodeURIComponent(state.booking.id)}`));
}

// Demo payments (RIHLA_DEMO_PAYMENTS=1): the server signs and applies a payment.succeeded event.
async function pay() {
  await api('POST', `/v1/demo/bookings/${encodeURIComponent(state.booking.id)}/pay`);
  await refreshBooking();
}
$('pay-button').addEventListener('click', action($('pay-button'), pay));

// --- Start
$('date').value = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
renderAccount();
loadAirports().catch((e) => showProblem(e.problem || { title: 'Unexpected error', detail: String(e) }));
