-- Failed logins, one row each, for the login throttle (10 per email in 15 minutes, shared by
-- every instance on this database). email_normalized is the lower-cased, trimmed email whether
-- or not such a user exists. Rows older than the window are deleted by the cleanup job.
CREATE TABLE login_failures (
  id               INTEGER      PRIMARY KEY AUTOINCREMENT,
  email_normalized VARCHAR(254) NOT NULL,
  failed_at        BIGINT       NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email_normalized, failed_at);
CREATE INDEX login_failures_age ON login_failures (failed_at);

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
);
INSERT INTO cache_epoch (id, epoch) VALUES (1, 0);
