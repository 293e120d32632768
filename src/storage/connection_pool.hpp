#pragma once
// A bounded pool of SOCI sessions to one database. Sessions open lazily, with the dialect's
// per-session settings, on first use; a session whose lease was marked broken is dropped, with
// its prepared statements, and reopened by its next user.
//
// Thread-safe. Acquire blocks: call it from worker threads, never from an I/O thread.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/dialect.hpp"
#include "storage/statement_cache.hpp"

namespace rihla::storage {

// What sits between rihla and the database server.
enum class Pooler {
  kNone,         // direct connections, or a session pooler: session settings hold
  kTransaction,  // PgBouncer pool_mode=transaction: each transaction may run on another
                 // server connection, so nothing session-level is relied on (PostgreSQL only)
};

struct DatabaseOptions {
  std::size_t pool_size = 8;
  std::chrono::seconds connect_timeout{3};
  std::chrono::seconds query_timeout{10};
  std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free connection
  Pooler pooler = Pooler::kNone;
  // Keep each connection's prepared statements for reuse (StatementCache). Must be false
  // behind a transaction pooler: a named statement lives on one server connection.
  bool prepared = true;
};

class ConnectionPool {
  struct Slot;

 public:
  // pool_size 0 is taken as 1.
  ConnectionPool(const Dialect& dialect, std::string connect_string, DatabaseOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // One checked-out connection; goes back to the pool when destroyed. Used by one thread.
  class Lease {
   public:
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    // The open session, connecting first if the slot has none. Throws StorageUnavailable when
    // the engine refuses (the lease is then broken).
    soci::session& Session();
    // The prepared statements of that session (valid while the lease is).
    StatementCache& Statements();
    // The session is unusable: it is dropped when the lease goes back, so the next user reconnects.
    void MarkBroken() { broken_ = true; }
    bool broken() const { return broken_; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool& pool, std::unique_ptr<Slot> slot);
    ConnectionPool& pool_;
    std::unique_ptr<Slot> slot_;
    bool broken_ = false;
  };

  // Throws StorageUnavailable when no connection becomes free within acquire_timeout.
  Lease Acquire();

  std::size_t size() const { return options_.pool_size; }
  const StatementCounters& statement_counters() const { return counters_; }
  std::size_t in_use() const;

 private:
  void Release(std::unique_ptr<Slot> slot, bool broken);
  void Connect(Slot& slot);

  const Dialect& dialect_;
  std::string connect_string_;
  DatabaseOptions options_;
  StatementCounters counters_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Slot>> idle_;  // guarded by mu_
  std::size_t created_ = 0;                  // guarded by mu_
  std::size_t in_use_ = 0;                   // guarded by mu_
};

}  // namespace rihla::storage
