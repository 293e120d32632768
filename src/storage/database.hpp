#pragma once
// The database handle: transactions over a bounded pool of SOCI sessions to SQLite, PostgreSQL
// or MySQL/MariaDB, with each engine's BEGIN, isolation and session settings taken from its
// Dialect entry, and every engine's errors translated into StorageUnavailable / DuplicateKey
// (domain/errors.hpp).
//
// Thread-safe. Calls block: call them from worker threads, never from an I/O thread.
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/connection_pool.hpp"
#include "storage/database_url.hpp"
#include "storage/dialect.hpp"

namespace rihla::storage {

struct QueuedWrite;  // commit_writes.hpp

// A connection inside a Write transaction, or in autocommit for the other modes, with its
// engine's traits. Repositories take it; it is valid only during the call that passed it.
struct Tx {
  soci::session& sql;
  const Dialect& dialect;
  // The connection's prepared statements: repositories run their SQL through it (Statement,
  // statement.hpp) so that repeated calls reuse the prepared form.
  StatementCache& statements;
  // What starts a transaction on this database: the dialect's BEGIN, and behind a transaction
  // pooler the statements that set its timeouts, in one simple-query string (Raw callers that
  // run their own transactions, i.e. migrations, begin with it).
  std::string_view begin;
  // Where ExecuteAtCommit (commit_writes.hpp) queues writes for the COMMIT: set inside a Write
  // transaction on an engine with Dialect::commit_with_writes, nullptr elsewhere (they run at once).
  std::vector<QueuedWrite>* queued_writes = nullptr;
};

class Database {
 public:
  Database(DatabaseUrl url, DatabaseOptions options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Every mode below re-runs `fn` when the engine reports a serialization failure or deadlock
  // (at most 3 runs in all), so fn must not have effects outside the database. Each throws
  // StorageUnavailable (connection lost or refused, timeout, pool exhausted, conflicts that
  // persisted), DuplicateKey, std::runtime_error for any other engine error, or what fn throws.

  // Throws std::invalid_argument when options.pooler is kTransaction and the engine has no
  // per-transaction settings (only PostgreSQL runs behind PgBouncer), or options.prepared is
  // set too (named statements do not survive transaction pooling).
  //
  // Runs `fn` in one transaction begun with the dialect's BEGIN (isolation: see its entry in
  // dialect.cpp). Commits when fn returns, rolls back when it throws.
  void Write(const std::function<void(Tx&)>& fn);
  // Write whose first statement is `first`, a write whose only outcomes are success or an
  // engine error: sent with the BEGIN in one round trip where the engine can
  // (Dialect::begin_with_write), right after it elsewhere. `fn` gets the transaction and the
  // error of `first` (nullptr: it succeeded). Only that statement failed then, and fn goes on
  // in the open transaction on engines that keep it (MySQL/MariaDB, SQLite); PostgreSQL aborts
  // the transaction on any error, so there fn can only end it. A lost connection throws
  // instead, as for any statement. A re-run after a conflict sends `first` again.
  void WriteStartingWith(const QueuedWrite& first, const std::function<void(Tx&, std::exception_ptr)>& fn);
  // Runs `fn` on a connection without an explicit transaction: each statement autocommits and
  // sees what was committed before it, so statements of one call may see different states.
  // Behind a transaction pooler (Pooler::kTransaction) it runs in a READ COMMITTED transaction
  // instead, the only way its timeouts hold there (same visibility: each statement sees what
  // was committed before it; two more round trips).
  void Read(const std::function<void(Tx&)>& fn);
  // Runs one write statement in autocommit mode (no BEGIN/COMMIT round trips); on a
  // single-writer engine (SQLite) it queues with this process's other writers like Write.
  // Behind a transaction pooler it runs in a transaction, like Read.
  void WriteStatement(const std::function<void(Tx&)>& fn);
  // Runs statements outside any transaction (migrations manage their own, begun with
  // Tx::begin). Behind a transaction pooler nothing set in one statement outlives it.
  void Raw(const std::function<void(Tx&)>& fn);

  // True when a trivial query succeeds within the timeouts.
  bool Ping();

  // Dialect::no_wait_insert when the connected server accepts it, otherwise empty. Asks the
  // server on the first call (throws StorageUnavailable when it cannot be reached, and asks
  // again next time), then remembers the answer.
  std::string_view NoWaitInsertPrefix();

  const Dialect& dialect() const { return dialect_; }
  std::size_t pool_size() const { return pool_.size(); }
  // Statements prepared and reuses of prepared ones, over every connection.
  const StatementCounters& statement_counters() const { return pool_.statement_counters(); }
  std::size_t in_use() const { return pool_.in_use(); }

 private:
  enum class Mode { kWrite, kRead, kRaw, kWriteStatement };
  // WriteStartingWith's first statement, and where its error goes.
  struct FirstWrite {
    const QueuedWrite& write;
    std::exception_ptr& error;
  };
  void Run(Mode mode, const std::function<void(Tx&)>& fn, const FirstWrite* first = nullptr);
  std::unique_lock<std::mutex> QueueWriter(Mode mode);
  void RunOnce(Mode mode, ConnectionPool::Lease& lease, const std::function<void(Tx&)>& fn, const FirstWrite* first);
  // Sends the BEGIN and first.write (see WriteStartingWith); returns the write's error.
  std::exception_ptr BeginWith(Tx& tx, const QueuedWrite& first);

  const Dialect& dialect_;
  std::string begin_;             // Tx::begin
  bool transaction_everywhere_;  // Read and WriteStatement run in a transaction too (pooler)
  ConnectionPool pool_;
  // A single-writer engine (SQLite) allows one writer at a time; writers of this process queue
  // here instead of in SQLite's busy handler, whose sleeping back-off inflates tail latency.
  // Other processes on the same file still meet the busy timeout.
  std::mutex writer_mu_;
  // NoWaitInsertPrefix's answer: -1 not asked yet, 0 no, 1 yes.
  std::atomic<int> no_wait_insert_{-1};
};

}  // namespace rihla::storage
