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
