-- Failed logins, one row each, for the login throttle (10 per email in 15 minutes, shared by
-- every instance on this database). email_normalized is the lower-cased, trimmed email whether
-- or not such a user exists. Rows older than the window are deleted by the cleanup job.
CREATE TABLE login_failures (
  id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email_normalized VARCHAR(254) NOT NULL,
  failed_at        BIGINT       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX login_failures_email ON login_failures (email_normalized, failed_at);
CREATE INDEX login_failures_age ON login_failures (failed_at);

-- Keys compare byte for byte, as on the other engines: utf8mb4_bin is a PAD SPACE collation,
-- so 'evt_1' and 'evt_1 ' (and Idempotency-Keys differing in trailing spaces) were one key.
-- Binary strings have no pad attribute on MySQL or MariaDB.
ALTER TABLE idempotency_records MODIFY idem_key VARBINARY(255) NOT NULL;
ALTER TABLE payment_events MODIFY id VARBINARY(255) NOT NULL;

-- The cache scope (domain::CacheScope::Key, e.g. "RUH-JED") a stored answer's operation
-- changed, and when it completed: a replay re-applies that invalidation (the first attempt may
-- have died or lost its answer between commit and invalidation) unless the record is older than
-- the search cache TTL. NULL for answers that changed no scope and for records from before.
ALTER TABLE idempotency_records ADD COLUMN changed_scope VARCHAR(200);
ALTER TABLE idempotency_records ADD COLUMN completed_at BIGINT;

-- The shared search cache's epoch (cache/epoch_lease.hpp): one row. Instances using Redis read
-- it every 250 ms and serve shared entries only of the epoch they hold while their 1 s lease is
-- fresh; a write whose generation bump Redis did not confirm increments it and waits out the
-- lease before it answers.
CREATE TABLE cache_epoch (
  id    INTEGER PRIMARY KEY,
  epoch BIGINT  NOT NULL
) ENGINE=InnoDB;
INSERT INTO cache_epoch (id, epoch) VALUES (1, 0);
