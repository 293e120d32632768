#pragma once
// The database handle: a bounded pool of SOCI sessions to SQLite, PostgreSQL or MySQL/MariaDB,
// transactions with the isolation each engine needs, and translation of every engine's errors
// into StorageUnavailable / DuplicateKey (domain/errors.hpp).
//
// Thread-safe. Calls block: call them from worker threads, never from an I/O thread.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/database_url.hpp"
#include "storage/dialect.hpp"

namespace rihla::storage {

struct DatabaseOptions {
  std::size_t pool_size = 8;
  std::chrono::seconds connect_timeout{3};
  std::chrono::seconds query_timeout{10};
  std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free connection
};

// A connection inside a transaction (or, for Read, autocommit). Repositories take it.
struct Tx {
  soci::session& sql;
  const Dialect& dialect;
};

class Database {
 public:
  Database(DatabaseUrl url, DatabaseOptions options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `fn` in one transaction: SQLite BEGIN IMMEDIATE (one writer, no upgrade deadlocks),
  // PostgreSQL and MySQL READ COMMITTED (writes are guarded, single-statement conditional
  // updates, so no lost updates). Commits when fn returns, rolls back when it throws.
  // A serialization failure or deadlock reported by the engine re-runs fn (up to 3 times), so
  // fn must not have effects outside the transaction.
  // Throws StorageUnavailable (connection lost, timeout, pool exhausted), DuplicateKey, or what fn throws.
  void Write(const std::function<void(Tx&)>& fn);
  // Runs `fn` on a connection without an explicit transaction (single-statement reads).
  void Read(const std::function<void(Tx&)>& fn);
  // Runs one write statement in autocommit mode (no BEGIN/COMMIT round trips); on SQLite it is
  // serialized with the other writers of this process like Write.
  void WriteStatement(const std::function<void(Tx&)>& fn);
  // Runs statements outside any transaction (migrations manage their own).
  void Raw(const std::function<void(Tx&)>& fn);

  // True when a trivial query succeeds within the timeouts.
  bool Ping();

  std::size_t pool_size() const { return options_.pool_size; }
  std::size_t in_use() const;

 private:
  struct Slot;
  enum class Mode { kWrite, kRead, kRaw, kWriteStatement };
  void Run(Mode mode, const std::function<void(Tx&)>& fn);
  std::unique_ptr<Slot> Acquire();
  void Release(std::unique_ptr<Slot> slot, bool broken);
  void Connect(Slot& slot);

  const Dialect& dialect_;
  std::string connect_string_;
  std::string file_path_;
  DatabaseOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Slot>> idle_;  // guarded by mu_
  std::size_t created_ = 0;                  // guarded by mu_
  std::size_t in_use_ = 0;                   // guarded by mu_
  // A single-writer engine (SQLite) allows one writer at a time; writers of this process queue
  // here instead of in SQLite's busy handler, whose sleeping back-off inflates tail latency.
  // Other processes on the same file still meet the busy timeout.
  std::mutex writer_mu_;
};

}  // namespace rihla::storage
