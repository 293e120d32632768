'use strict';
// Baseline for bench/booking.sh: rihla's POST /v1/bookings contract built "the usual way" on a
// typical Node stack - Express, ioredis, mysql2 - as one process (no cluster), as it is
// typically deployed per container.
//
// Idempotency: a Redis `SET lock NX PX` per (principal, scope, key) guards the first execution;
// the response is stored in MySQL in the same transaction as the booking (guarded seat update +
// insert), and repeats are answered from the stored response (same status and body, plus
// `Idempotent-Replayed: true`). The lock is released (compare-and-delete) afterwards.
// Only what the bench needs is here: signup, admin flight creation, flight lookup, bookings.
//
// Environment: MYSQL_URL (mysql://user:pass@host:port/db; the database is created if missing),
// REDIS_URL, PORT, ADMIN_TOKEN, MYSQL_POOL (16, like rihla's server-database pool).

const crypto = require('node:crypto');
const { promisify } = require('node:util');
const express = require('express');
const mysql = require('mysql2/promise');
const Redis = require('ioredis');

const PORT = Number(process.env.PORT || 0);
const ADMIN_TOKEN = process.env.ADMIN_TOKEN || '';
const HOLD_MS = 15 * 60 * 1000;
const LOCK_MS = 30 * 1000;
const POOL_SIZE = Number(process.env.MYSQL_POOL || 16);
const BOOKING_SCOPE = 'POST /v1/bookings';

const scrypt = promisify(crypto.scrypt);
const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
const randomId = (prefix) => prefix + crypto.randomBytes(12).toString('hex');

// ---------------------------------------------------------------------------------------------
// Problems (RFC 9457), correlation ids

const TITLES = {
  'invalid-request': 'Invalid request',
  unauthorized: 'Unauthorized',
  'not-found': 'Not found',
  'idempotency-key-missing': 'Idempotency-Key missing',
  'idempotency-key-invalid': 'Idempotency-Key invalid',
  'idempotency-in-progress': 'Request in progress',
  'idempotency-key-reused': 'Idempotency-Key reused',
  'sold-out': 'Sold out',
  'email-taken': 'Email taken',
  'unsupported-media-type': 'Unsupported media type',
  internal: 'Internal error',
};

class ApiError extends Error {
  constructor(status, slug, detail, extra = {}) {
    super(detail);
    Object.assign(this, { status, slug, extra });
  }
}

function problemBody(status, slug, detail, correlationId, extra = {}) {
  return JSON.stringify({
    type: `/problems/${slug}`, title: TITLES[slug] || slug, status, detail, correlation_id: correlationId, ...extra,
  });
}

function sendProblem(res, err) {
  res.status(err.status).type('application/problem+json')
    .send(problemBody(err.status, err.slug, err.message, res.locals.correlationId, err.extra));
}

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;
function correlation(req, res, next) {
  const given = req.get('x-correlation-id') || req.get('x-request-id');
  res.locals.correlationId = given && VALID_ID.test(given) ? given : crypto.randomUUID();
  res.set('X-Correlation-ID', res.locals.correlationId);
  next();
}

function requireJson(req, res, next) {
  if (!req.is('application/json')) throw new ApiError(415, 'unsupported-media-type', 'the body must be application/json');
  next();
}

// ---------------------------------------------------------------------------------------------
// Storage

function mysqlConfig(url) {
  const u = new URL(url);
  return {
    host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password), database: u.pathname.replace(/^\//, ''),
  };
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS users (
     id VARCHAR(40) PRIMARY KEY, email VARCHAR(254) NOT NULL UNIQUE, password_hash VARCHAR(200) NOT NULL,
     created_at DATETIME(3) NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS tokens (
     token_hash CHAR(64) PRIMARY KEY, user_id VARCHAR(40) NOT NULL, created_at DATETIME(3) NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS flights (
     id VARCHAR(40) PRIMARY KEY, flight_number VARCHAR(10) NOT NULL, origin CHAR(3) NOT NULL,
     destination CHAR(3) NOT NULL, departure_time DATETIME NOT NULL, arrival_time DATETIME NOT NULL,
     cabin VARCHAR(10) NOT NULL, price_minor BIGINT NOT NULL, currency CHAR(3) NOT NULL,
     seats_total INT NOT NULL, seats_available INT NOT NULL,
     UNIQUE (flight_number, departure_time, cabin), INDEX (origin, destination, departure_time))`,
  `CREATE TABLE IF NOT EXISTS bookings (
     id VARCHAR(40) PRIMARY KEY, user_id VARCHAR(40) NOT NULL, flight_id VARCHAR(40) NOT NULL,
     status VARCHAR(20) NOT NULL, passengers JSON NOT NULL, total_minor BIGINT NOT NULL, currency CHAR(3) NOT NULL,
     created_at DATETIME(3) NOT NULL, expires_at DATETIME(3) NOT NULL,
     INDEX (user_id, created_at), INDEX (status, expires_at))`,
  `CREATE TABLE IF NOT EXISTS idempotency_keys (
     principal VARCHAR(64) NOT NULL, scope VARCHAR(64) NOT NULL, idem_key VARCHAR(255) NOT NULL,
     fingerprint CHAR(64) NOT NULL, status_code INT NOT NULL, body MEDIUMTEXT NOT NULL,
     created_at DATETIME(3) NOT NULL, PRIMARY KEY (principal, scope, idem_key), INDEX (created_at))`,
];

async function openMysql(url) {
  const cfg = mysqlConfig(url);
  const admin = await mysql.createConnection({ ...cfg, database: undefined });
  await admin.query(`CREATE DATABASE IF NOT EXISTS \`${cfg.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const pool = mysql.createPool({ ...cfg, connectionLimit: POOL_SIZE, waitForConnections: true, timezone: 'Z' });
  for (const ddl of SCHEMA) await pool.query(ddl);
  return pool;
}

const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 2 });
redis.defineCommand('unlock', {
  numberOfKeys: 1,
  lua: 'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end',
});
let pool;

// ---------------------------------------------------------------------------------------------
// Rendering and validation

const money = (minor, currency) => ({ amount: (Number(minor) / 100).toFixed(2), currency });
const rfc3339 = (d) => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');

function flightJson(f) {
  return {
    id: f.id, flight_number: f.flight_number, from: f.origin, to: f.destination,
    departure_time: rfc3339(f.departure_time), arrival_time: rfc3339(f.arrival_time), cabin: f.cabin,
    price: money(f.price_minor, f.currency), seats_available: f.seats_available,
  };
}

// Key order and whitespace do not change the fingerprint.
function canonicalJson(v) {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function parseNewBooking(body) {
  const errors = [];
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'invalid-request', 'the body must be a JSON object');
  }
  if (typeof body.flight_id !== 'string' || body.flight_id === '') errors.push({ field: 'flight_id', message: 'required' });
  const ps = body.passengers;
  if (!Array.isArray(ps) || ps.length < 1 || ps.length > 9) {
    errors.push({ field: 'passengers', message: 'must be 1 to 9 passengers' });
  } else {
    ps.forEach((p, i) => {
      for (const f of ['given_name', 'family_name']) {
        if (!p || typeof p[f] !== 'string' || p[f].trim() === '' || p[f].length > 100) {
          errors.push({ field: `passengers[${i}].${f}`, message: 'must be a non-empty string' });
        }
      }
    });
  }
  if (errors.length) throw new ApiError(400, 'invalid-request', 'invalid booking', { errors });
  return {
    flightId: body.flight_id,
    passengers: ps.map((p) => ({ given_name: p.given_name, family_name: p.family_name })),
  };
}

// ---------------------------------------------------------------------------------------------
// Auth

function bearer(req) {
  const m = /^Bearer (.+)$/i.exec(req.get('authorization') || '');
  return m ? m[1] : '';
}

async function userAuth(req, res, next) {
  const token = bearer(req);
  if (!token) throw new ApiError(401, 'unauthorized', 'a bearer token is required');
  const [rows] = await pool.execute('SELECT user_id FROM tokens WHERE token_hash = ?', [sha256(token)]);
  if (!rows.length) throw new ApiError(401, 'unauthorized', 'the bearer token is not valid');
  res.locals.userId = rows[0].user_id;
  next();
}

function adminAuth(req, res, next) {
  const a = Buffer.from(sha256(bearer(req)));
  const b = Buffer.from(sha256(ADMIN_TOKEN));
  if (!ADMIN_TOKEN || !crypto.timingSafeEqual(a, b)) throw new ApiError(401, 'unauthorized', 'a valid admin token is required');
  next();
}

// ---------------------------------------------------------------------------------------------
// Bookings

// Runs the booking in one transaction and stores its response with it. Returns {status, body}.
async function executeBooking(ctx, input) {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    let status;
    let body;
    let route = null;
    const [flights] = await conn.execute(
      'SELECT id, origin, destination, price_minor, currency FROM flights WHERE id = ?', [input.flightId]);
    const seats = input.passengers.length;
    if (!flights.length) {
      status = 404;
      body = problemBody(404, 'not-found', 'no flight with this id', ctx.correlationId);
    } else {
      const f = flights[0];
      const [upd] = await conn.execute(
        'UPDATE flights SET seats_available = seats_available - ? WHERE id = ? AND seats_available >= ?',
        [seats, f.id, seats]);
      if (upd.affectedRows === 0) {
        status = 409;
        body = problemBody(409, 'sold-out', `not enough seats left for ${seats} passenger(s)`, ctx.correlationId);
      } else {
        const now = new Date();
        const booking = {
          id: randomId('bk_'), status: 'pending_payment', flight_id: f.id, passengers: input.passengers,
          total: money(Number(f.price_minor) * seats, f.currency), created_at: rfc3339(now),
          expires_at: rfc3339(now.getTime() + HOLD_MS),
        };
        await conn.execute(
          `INSERT INTO bookings (id, user_id, flight_id, status, passengers, total_minor, currency, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [booking.id, ctx.userId, f.id, booking.status, JSON.stringify(booking.passengers),
            Number(f.price_minor) * seats, f.currency, now, new Date(now.getTime() + HOLD_MS)]);
        status = 201;
        body = JSON.stringify(booking);
        route = `${f.origin}-${f.destination}`;
      }
    }
    await conn.execute(
      `INSERT INTO idempotency_keys (principal, scope, idem_key, fingerprint, status_code, body, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [ctx.principal, BOOKING_SCOPE, ctx.key, ctx.fingerprint, status, body, new Date()]);
    await conn.commit();
    // Cached searches of the route are stale now: move the route's cache generation on.
    if (route) await redis.incr(`search:gen:${route}`);
    return { status, body };
  } catch (err) {
    await conn.rollback().catch(() => {});
    throw err;
  } finally {
    conn.release();
  }
}

function sendStored(res, row) {
  const type = row.status_code >= 400 ? 'application/problem+json' : 'application/json';
  res.status(row.status_code).set('Idempotent-Replayed', 'true').type(type).send(row.body);
}

async function createBooking(req, res) {
  const key = req.get('idempotency-key');
  if (key === undefined) throw new ApiError(400, 'idempotency-key-missing', 'this request requires an Idempotency-Key header');
  if (!/^[\x20-\x7e]{1,255}$/.test(key)) {
    throw new ApiError(400, 'idempotency-key-invalid', 'Idempotency-Key must be 1 to 255 printable ASCII bytes');
  }
  const input = parseNewBooking(req.body);
  const ctx = {
    key, userId: res.locals.userId, principal: `user:${res.locals.userId}`, correlationId: res.locals.correlationId,
    fingerprint: sha256(`POST\n${req.path}\n${canonicalJson(req.body)}`),
  };
  const lockKey = `idem:lock:${sha256(`${ctx.principal}\n${BOOKING_SCOPE}\n${key}`)}`;
  const lockToken = crypto.randomUUID();
  const locked = (await redis.set(lockKey, lockToken, 'PX', LOCK_MS, 'NX')) === 'OK';
  try {
    const [rows] = await pool.execute(
      'SELECT fingerprint, status_code, body FROM idempotency_keys WHERE principal = ? AND scope = ? AND idem_key = ?',
      [ctx.principal, BOOKING_SCOPE, key]);
    if (rows.length) {
      if (rows[0].fingerprint !== ctx.fingerprint) {
        throw new ApiError(422, 'idempotency-key-reused',
          'this Idempotency-Key was used with a different request; use a new key for a new request');
      }
      return sendStored(res, rows[0]);
    }
    if (!locked) {
      res.set('Retry-After', '1');
      throw new ApiError(409, 'idempotency-in-progress', 'a request with this Idempotency-Key is still being processed');
    }
    const { status, body } = await executeBooking(ctx, input);
    res.status(status).type(status >= 400 ? 'application/problem+json' : 'application/json').send(body);
  } finally {
    if (locked) await redis.unlock(lockKey, lockToken);
  }
}

// ---------------------------------------------------------------------------------------------
// Other routes the bench uses

async function signup(req, res) {
  const { email, password } = req.body || {};
  if (typeof email !== 'string' || !email.includes('@') || typeof password !== 'string' || password.length < 8) {
    throw new ApiError(400, 'invalid-request', 'invalid signup');
  }
  const salt = crypto.randomBytes(16);
  const hash = `scrypt$${salt.toString('hex')}$${(await scrypt(password, salt, 32)).toString('hex')}`;
  const userId = randomId('usr_');
  const token = crypto.randomBytes(32).toString('base64url');
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    await conn.execute('INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)',
      [userId, email.trim().toLowerCase(), hash, new Date()]);
    await conn.execute('INSERT INTO tokens (token_hash, user_id, created_at) VALUES (?, ?, ?)', [sha256(token), userId, new Date()]);
    await conn.commit();
  } catch (err) {
    await conn.rollback().catch(() => {});
    if (err.code === 'ER_DUP_ENTRY') throw new ApiError(409, 'email-taken', 'an account with this email exists');
    throw err;
  } finally {
    conn.release();
  }
  res.status(201).json({ user_id: userId, token });
}

async function createFlight(req, res) {
  const b = req.body || {};
  const price = Math.round(Number(b.price && b.price.amount) * 100);
  if (!/^[A-Z]{3}$/.test(b.from) || !/^[A-Z]{3}$/.test(b.to) || !Number.isInteger(b.seats_total) || !(price >= 0)) {
    throw new ApiError(400, 'invalid-request', 'invalid flight');
  }
  const f = {
    id: randomId('fl_'), flight_number: b.flight_number, origin: b.from, destination: b.to,
    departure_time: new Date(b.departure_time), arrival_time: new Date(b.arrival_time), cabin: b.cabin || 'economy',
    price_minor: price, currency: b.price.currency, seats_available: b.seats_total,
  };
  await pool.execute(
    `INSERT INTO flights (id, flight_number, origin, destination, departure_time, arrival_time, cabin, price_minor,
       currency, seats_total, seats_available) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [f.id, f.flight_number, f.origin, f.destination, f.departure_time, f.arrival_time, f.cabin, f.price_minor,
      f.currency, b.seats_total, b.seats_total]);
  res.status(201).json(flightJson(f));
}

async function getFlight(req, res) {
  const [rows] = await pool.execute('SELECT * FROM flights WHERE id = ?', [req.params.id]);
  if (!rows.length) throw new ApiError(404, 'not-found', 'no flight with this id');
  res.json(flightJson(rows[0]));
}

// ---------------------------------------------------------------------------------------------

const app = express();
app.disable('x-powered-by');
app.use(correlation);
app.use(express.json({ limit: '64kb' }));
app.get('/healthz', (req, res) => res.json({ status: 'ok' }));
app.post('/v1/auth/signup', requireJson, signup);
app.post('/v1/admin/flights', requireJson, adminAuth, createFlight);
app.get('/v1/flights/:id', getFlight);
app.post('/v1/bookings', requireJson, userAuth, createBooking);
app.use((req, res) => sendProblem(res, new ApiError(404, 'not-found', 'no route for this path')));
// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  if (err instanceof ApiError) return sendProblem(res, err);
  if (err.type === 'entity.parse.failed') return sendProblem(res, new ApiError(400, 'invalid-request', 'malformed JSON'));
  console.error(err);
  return sendProblem(res, new ApiError(500, 'internal', 'an unexpected error occurred'));
});

async function main() {
  pool = await openMysql(process.env.MYSQL_URL);
  const server = app.listen(PORT, '127.0.0.1', () => {
    console.log(JSON.stringify({ msg: 'listening', port: server.address().port }));
  });
  const stop = () => server.close(() => Promise.allSettled([pool.end(), redis.quit()]).then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
