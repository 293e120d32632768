#pragma once
// Engine traits: everything that differs between SQLite, PostgreSQL and MySQL/MariaDB, in one
// table (dialect.cpp) that the URL parser, the connection pool, the transaction runner, the
// migrations and the composition root consult. Nothing outside dialect.cpp branches on Engine.
//
// The table is immutable and static: entries never dangle and are safe to read from any thread.
#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "storage/engine_errors.hpp"

namespace soci {
class session;
class statement;
}

namespace rihla::storage {

class StatementCache;
struct QueuedWrite;

enum class Engine { kSqlite, kPostgres, kMysql };

// What a database URL names, before a dialect turns it into its SOCI connection string.
struct UrlParts {
  std::string path;                                  // file engines
  std::string host, port, user, password, database;  // server engines (password: never log it)
};

struct SessionTimeouts {
  std::chrono::seconds connect;
  std::chrono::seconds query;  // statement and lock waits
  // A transaction pooler shares the server session: `open` then sets no query timeout and
  // every transaction sets it with transaction_settings instead.
  bool per_transaction = false;
};

struct Dialect {
  Engine engine;
  // Names the migrations folder (migrations/<name>/) and the engine in logs and errors.
  std::string_view name;
  // URL schemes, the first one canonical: `<scheme>:PATH` for file engines,
  // `<scheme>://user:pass@host:port/db` for server engines.
  std::span<const std::string_view> schemes;
  bool file_based;
  std::string_view default_port;  // server engines
  std::size_t default_pool_size;  // when RIHLA_DB_POOL is not set
  // The SOCI connection string for `parts`. Throws std::invalid_argument naming the problem.
  std::string (*connect_string)(const UrlParts& parts);
  // Opens `session` and applies the per-session settings (timeouts, pragmas, isolation).
  // Throws soci::soci_error.
  void (*open)(soci::session& session, const std::string& connect_string, const SessionTimeouts& timeouts);
  // Starts a Database::Write transaction and each migration's.
  std::string_view begin;
  // Appended to `begin` behind a transaction pooler (the same simple-query string, so no extra
  // round trip): statements that set the query timeouts for this transaction only, e.g.
  // "; SET LOCAL statement_timeout=10000; ...". nullptr: the engine does not run behind one.
  std::string (*transaction_settings)(const SessionTimeouts& timeouts);
  // The engine admits one writer at a time: this process's writers queue in-process
  // (Database::Write and WriteStatement) instead of in the engine's busy handler.
  bool single_writer;
  // Appended to a SELECT that claims rows inside a Write transaction for a batch update (the
  // expiry sweep): " FOR UPDATE SKIP LOCKED" where the engine has it, so concurrent claimers in
  // several instances lock disjoint rows instead of queueing for the same ones; empty on a
  // single-writer engine, whose BEGIN already excludes every other writer.
  std::string_view claim_rows_suffix;
  // UPDATE ... RETURNING exists (PostgreSQL; SQLite 3.35+): a guarded update reads the row it
  // changed in the same statement, one round trip instead of two. MariaDB has it for INSERT and
  // DELETE only.
  bool update_returning;
  // A transaction-scoped lock on a 64-bit key that never waits: a SQL expression with one
  // placeholder (:h) that yields 1 when this transaction took the lock, 0 when another holds
  // it; the lock ends with the transaction (commit, rollback, lost connection) and is
  // safe behind a transaction pooler. Empty when the engine has none. With it the idempotency
  // executor claims a fresh key inside the business transaction (docs/idempotency.md).
  std::string_view try_transaction_lock;
  // Where the engine has no such lock: a prefix that makes the INSERT after it answer at once
  // instead of waiting when another, uncommitted transaction holds the same unique key; the
  // engine then reports a lock wait timeout (classified kRetry, though it is not to be re-run)
  // and, for a committed row, a duplicate key as usual. Empty when the engine has none.
  // `no_wait_insert_available` tells whether the connected server accepts it (the mysql
  // dialect serves MariaDB, which does, and MySQL, which does not); it throws soci::soci_error.
  // With it the idempotency executor claims a fresh key as the first statement of the business
  // transaction (docs/idempotency.md).
  std::string_view no_wait_insert;
  bool (*no_wait_insert_available)(soci::session& session) = nullptr;
  // Serialize `migrate` runs across processes. With migration_lock_per_transaction the lock is
  // taken inside each migration's transaction and ends with it (unlock is a no-op); otherwise
  // it is a session lock around all of them and unlock must be called on the session that
  // locked. Throw soci::soci_error.
  void (*lock_migrations)(soci::session& session);
  bool migration_lock_per_transaction;
  void (*unlock_migrations)(soci::session& session);
  // A kept prepared statement after use (StatementCache::Give): SQLite resets it, so that a
  // statement stopped before its last row does not hold a read snapshot. Never throws.
  void (*finish_statement)(soci::statement& statement) noexcept;
  // Makes `statement` forget its server-side handle, so that destroying it costs no round trip
  // and cannot throw: for a session that is closing or broken (PostgreSQL: the named statement
  // is not DEALLOCATEd; the server drops it with the session). Never throws.
  void (*forget_statement)(soci::statement& statement) noexcept;
  // Sends `writes` (ExecuteAtCommit's queue, in order) and then COMMIT in one round trip, on
  // a session inside a transaction; `statements` keeps what it prepares for reuse. Throws
  // soci::soci_error for the first statement that failed (the transaction then needs a
  // ROLLBACK) or a lost connection. nullptr: the engine runs each write at once.
  void (*commit_with_writes)(soci::session& session, StatementCache& statements, std::span<const QueuedWrite> writes);
  // Sends `begin` and then `first` (a write) in one round trip. Throws soci::soci_error when
  // the BEGIN failed; returns the error `first` ended with (only that statement failed, unless
  // it is a lost connection), nullptr when it succeeded. nullptr: the engine sends them one
  // after the other (Database::WriteStartingWith).
  std::exception_ptr (*begin_with_write)(soci::session& session, std::string_view begin, const QueuedWrite& first);
  // The engine's own error codes; nullopt leaves the error to ClassifyEngineError's generic rules.
  std::optional<EngineFailure> (*classify)(const soci::soci_error& error);
};

// The entry for `engine`.
const Dialect& DialectOf(Engine engine);
// The entry one of whose schemes is `scheme`, or nullptr.
const Dialect* DialectForScheme(std::string_view scheme);
// Every entry, in Engine order.
std::span<const Dialect> Dialects();

}  // namespace rihla::storage
