#pragma once
// Group commit for a single-writer engine (SQLite): concurrent callers' write units run in ONE
// write transaction, each inside its own SAVEPOINT, and the transaction commits once for the
// whole batch (one WAL commit instead of one per request).
//
// Contract of Run(fn):
//  - fn runs on some caller's thread (the batch's leader, perhaps not the caller's own), inside
//    a savepoint of the shared transaction, after the units queued before it, in arrival order;
//    the caller's thread is blocked meanwhile, so fn may use the caller's stack and state.
//  - fn throws: only its savepoint rolls back (the other units of the batch are kept); once the
//    batch committed, Run rethrows fn's exception (an engine error translated like Database
//    does: DuplicateKey, StorageUnavailable, std::runtime_error).
//  - fn returns: Run returns once the batch committed, so fn's writes are durable as a whole.
//  - the batch itself fails (BEGIN, a ROLLBACK TO or COMMIT fails, or a unit left the
//    connection unusable): nothing of it commits and every unit whose fn had returned gets
//    that error.
//  - fn must have no effects outside the database: the runner may re-run a batch after a
//    conflict (Database::Write), and then re-runs every unit in it.
// A batch holds at most `max_batch` units; callers arriving while one runs form the next. No
// timer: a caller with no one ahead of it runs at once, alone.
//
// Thread-safe. Run blocks: call it from worker threads.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string_view>

#include "storage/database.hpp"

namespace rihla::storage {

class GroupCommit {
 public:
  // max_batch 0 is taken as 1.
  GroupCommit(Database& db, std::size_t max_batch);
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  void Run(const std::function<void(Tx&)>& fn);

  std::size_t max_batch() const { return max_batch_; }
  // Batches committed so far and units they held (for tests and metrics).
  std::size_t batches() const;
  std::size_t units() const;
  // Units waiting for a batch to take them.
  std::size_t queued() const;

 private:
  struct Unit {
    const std::function<void(Tx&)>* fn;
    std::exception_ptr error;
    bool done = false;            // guarded by mu_
    std::condition_variable cv;  // wakes this unit's caller: done, or its turn to lead
  };
  void RunBatch(const std::deque<Unit*>& batch);

  Database& db_;
  const std::size_t max_batch_;
  mutable std::mutex mu_;
  std::deque<Unit*> queue_;  // guarded by mu_: units not yet taken by a leader, in arrival order
  bool leading_ = false;     // guarded by mu_: a caller is running a batch
  std::size_t batches_ = 0, units_ = 0;  // guarded by mu_
};

// Savepoints inside a Database::Write transaction (SQL standard; every engine): a nested unit of
// work that can be undone alone. `name` is a fixed identifier, never user input.
void Savepoint(Tx& tx, std::string_view name);
void RollbackToSavepoint(Tx& tx, std::string_view name);
void ReleaseSavepoint(Tx& tx, std::string_view name);

}  // namespace rihla::storage
