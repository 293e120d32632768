-- rihla schema v1 (PostgreSQL). Every timestamp is BIGINT milliseconds since the Unix epoch (UTC),
-- taken from the application clock, so the three dialects store and compare time identically.
-- Money is BIGINT minor units plus an ISO 4217 currency code.

CREATE TABLE airports (
  code    VARCHAR(3)   NOT NULL PRIMARY KEY,
  name    VARCHAR(200) NOT NULL,
  city    VARCHAR(100) NOT NULL,
  country VARCHAR(2)   NOT NULL
);

-- One row is one sellable flight: a departure in one cabin.
CREATE TABLE flights (
  id              VARCHAR(40) NOT NULL PRIMARY KEY,
  flight_number   VARCHAR(10) NOT NULL,
  origin          VARCHAR(3)  NOT NULL REFERENCES airports (code),
  destination     VARCHAR(3)  NOT NULL REFERENCES airports (code),
  departure_at    BIGINT      NOT NULL,
  arrival_at      BIGINT      NOT NULL,
  cabin           VARCHAR(10) NOT NULL CHECK (cabin IN ('economy', 'business', 'first')),
  price_minor     BIGINT      NOT NULL CHECK (price_minor >= 0),
  currency        VARCHAR(3)  NOT NULL,
  seats_total     INTEGER     NOT NULL CHECK (seats_total >= 0),
  seats_available INTEGER     NOT NULL CHECK (seats_available >= 0 AND seats_available <= seats_total),
  created_at      BIGINT      NOT NULL,
  CHECK (origin <> destination),
  CHECK (arrival_at > departure_at),
  UNIQUE (flight_number, departure_at, cabin)
);
CREATE INDEX flights_search ON flights (origin, destination, cabin, departure_at);

CREATE TABLE users (
  id               VARCHAR(40)  NOT NULL PRIMARY KEY,
  email            VARCHAR(254) NOT NULL,
  email_normalized VARCHAR(254) NOT NULL UNIQUE,
  password_hash    VARCHAR(255) NOT NULL,
  created_at       BIGINT       NOT NULL
);

-- Bearer tokens are stored only as SHA-256 hex of the token.
CREATE TABLE tokens (
  token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
  user_id    VARCHAR(40) NOT NULL REFERENCES users (id),
  created_at BIGINT      NOT NULL
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE bookings (
  id          VARCHAR(40) NOT NULL PRIMARY KEY,
  user_id     VARCHAR(40) NOT NULL REFERENCES users (id),
  flight_id   VARCHAR(40) NOT NULL REFERENCES flights (id),
  status      VARCHAR(20) NOT NULL CHECK (status IN ('pending_payment', 'confirmed', 'cancelled', 'expired')),
  seats       INTEGER     NOT NULL CHECK (seats BETWEEN 1 AND 9),
  total_minor BIGINT      NOT NULL CHECK (total_minor >= 0),
  currency    VARCHAR(3)  NOT NULL,
  created_at  BIGINT      NOT NULL,
  expires_at  BIGINT      NOT NULL,
  updated_at  BIGINT      NOT NULL
);
CREATE INDEX bookings_user_created ON bookings (user_id, created_at, id);
CREATE INDEX bookings_status_expiry ON bookings (status, expires_at);

CREATE TABLE passengers (
  booking_id  VARCHAR(40)  NOT NULL REFERENCES bookings (id),
  seq         INTEGER      NOT NULL,
  given_name  VARCHAR(100) NOT NULL,
  family_name VARCHAR(100) NOT NULL,
  PRIMARY KEY (booking_id, seq)
);

-- Idempotency records. principal is never NULL (NULLs never collide in a unique index).
-- state 'started' = claimed and executing under a lease (locked_until, lease_token);
-- state 'completed' = response_status/response_body hold the stored answer.
CREATE TABLE idempotency_records (
  id              VARCHAR(40)  NOT NULL PRIMARY KEY,
  scope           VARCHAR(100) NOT NULL,
  principal       VARCHAR(100) NOT NULL,
  idem_key        VARCHAR(255) NOT NULL,
  fingerprint     VARCHAR(64)  NOT NULL,
  state           VARCHAR(10)  NOT NULL CHECK (state IN ('started', 'completed')),
  lease_token     VARCHAR(40)  NOT NULL,
  locked_until    BIGINT       NOT NULL,
  response_status INTEGER,
  response_body   TEXT,
  created_at      BIGINT       NOT NULL,
  expires_at      BIGINT       NOT NULL,
  UNIQUE (scope, principal, idem_key)
);
CREATE INDEX idempotency_expiry ON idempotency_records (expires_at);

-- Every payment webhook event that was processed, with what it did.
CREATE TABLE payment_events (
  id           VARCHAR(255) NOT NULL PRIMARY KEY,
  type         VARCHAR(50)  NOT NULL,
  booking_id   VARCHAR(40),
  amount_minor BIGINT,
  currency     VARCHAR(3),
  result       VARCHAR(20)  NOT NULL,
  reason       VARCHAR(200),
  received_at  BIGINT       NOT NULL
);
