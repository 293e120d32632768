#include "storage/database.hpp"

#include <soci/soci.h>

#include <filesystem>
#include <stdexcept>

#include "storage/commit_writes.hpp"
#include "storage/engine_errors.hpp"

namespace rihla::storage {
namespace {

constexpr int kMaxRuns = 3;  // of one fn, when the engine keeps reporting conflicts
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
constexpr const char* kPing = "SELECT 1";

// The BEGIN of every transaction: behind a transaction pooler, with the statements that set
// its timeouts folded into the same string.
std::string BeginStatement(const Dialect& dialect, const DatabaseOptions& options) {
  std::string begin(dialect.begin);
  if (options.pooler != Pooler::kTransaction) return begin;
  if (options.prepared) {
    throw std::invalid_argument(
        "RIHLA_DB_PREPARED=on cannot be used with RIHLA_DB_POOLER=transaction: a prepared statement lives on one "
        "server connection and the pooler may run the next transaction on another");
  }
  if (dialect.transaction_settings == nullptr) {
    throw std::invalid_argument("RIHLA_DB_POOLER=transaction is supported on PostgreSQL only, not on " +
                                std::string(dialect.name));
  }
  return begin + dialect.transaction_settings(SessionTimeouts{options.connect_timeout, options.query_timeout, true});
}

}  // namespace

Database::Database(DatabaseUrl url, DatabaseOptions options)
    : dialect_(DialectOf(url.engine)),
      begin_(BeginStatement(dialect_, options)),
      transaction_everywhere_(options.pooler == Pooler::kTransaction),
      pool_(dialect_, std::move(url.connect_string), options) {
  if (dialect_.file_based) {
    std::filesystem::path p(url.file_path);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  }
}

Database::~Database() = default;

// Holds this process's writer lock for the whole Run when the engine admits one writer and
// `mode` writes; otherwise returns an empty lock.
std::unique_lock<std::mutex> Database::QueueWriter(Mode mode) {
  if (dialect_.single_writer && (mode == Mode::kWrite || mode == Mode::kWriteStatement)) {
    return std::unique_lock(writer_mu_);
  }
  return {};
}

// Runs `fn` once on the lease's session: between BEGIN and COMMIT for kWrite (and behind a
// transaction pooler for kRead and kWriteStatement), bare otherwise.
// When fn throws inside the transaction it rolls back first (a failed ROLLBACK marks the lease
// broken) and rethrows; so does a failure of the writes fn queued for the COMMIT, or of a BEGIN
// sent with its first write. A failed plain BEGIN or COMMIT throws as is: there is nothing to
// roll back.
void Database::RunOnce(Mode mode, ConnectionPool::Lease& lease, const std::function<void(Tx&)>& fn,
                       const FirstWrite* first) {
  Tx tx{lease.Session(), dialect_, lease.Statements(), begin_};
  bool in_transaction =
      mode == Mode::kWrite || (transaction_everywhere_ && (mode == Mode::kRead || mode == Mode::kWriteStatement));
  if (!in_transaction) {
    fn(tx);
    return;
  }
  std::vector<QueuedWrite> queued;
  if (mode == Mode::kWrite && dialect_.commit_with_writes != nullptr) tx.queued_writes = &queued;
  if (first == nullptr) tx.sql << begin_;
  try {
    // Inside the try: a BEGIN sent with its first write may have begun when the write throws.
    if (first != nullptr) first->error = BeginWith(tx, first->write);
    fn(tx);
    if (!queued.empty()) {
      dialect_.commit_with_writes(tx.sql, tx.statements, queued);
      return;
    }
  } catch (...) {
    try {
      tx.sql << kRollback;
    } catch (...) {
      lease.MarkBroken();
    }
    throw;
  }
  tx.sql << kCommit;
}

// The BEGIN and `first`, in one round trip where the dialect can. Returns first's error unless
// it is a lost connection, which throws like a failed BEGIN.
std::exception_ptr Database::BeginWith(Tx& tx, const QueuedWrite& first) {
  std::exception_ptr error;
  if (dialect_.begin_with_write != nullptr) {
    error = dialect_.begin_with_write(tx.sql, begin_, first);
  } else {
    tx.sql << begin_;
    try {
      ExecuteWrite(tx, first);
    } catch (const soci::soci_error&) {
      error = std::current_exception();
    }
  }
  if (error == nullptr) return error;
  try {
    std::rethrow_exception(error);
  } catch (const soci::soci_error& e) {
    if (ClassifyEngineError(e, dialect_) != EngineFailure::kConnection) return error;
    throw;  // a lost connection: Run sorts it as for any statement
  }
}

// Acquires a connection (throws StorageUnavailable when none frees up or it cannot connect),
// runs fn, and sorts engine errors: conflicts re-run fn up to kMaxRuns, a lost connection
// (or a failed ROLLBACK) drops the session, and every engine error leaves as a domain error.
void Database::Run(Mode mode, const std::function<void(Tx&)>& fn, const FirstWrite* first) {
  std::unique_lock<std::mutex> writer = QueueWriter(mode);
  ConnectionPool::Lease lease = pool_.Acquire();
  for (int run = 1;; ++run) {
    try {
      RunOnce(mode, lease, fn, first);
      return;
    } catch (const soci::soci_error& e) {
      EngineFailure failure = lease.broken() ? EngineFailure::kConnection : ClassifyEngineError(e, dialect_);
      if (failure == EngineFailure::kRetry && run < kMaxRuns) continue;
      if (failure == EngineFailure::kConnection) lease.MarkBroken();
      ThrowEngineFailure(failure, e);
    }
  }
}

void Database::Write(const std::function<void(Tx&)>& fn) { Run(Mode::kWrite, fn); }
void Database::WriteStartingWith(const QueuedWrite& first, const std::function<void(Tx&, std::exception_ptr)>& fn) {
  std::exception_ptr error;
  const FirstWrite start{first, error};
  Run(Mode::kWrite, [&](Tx& tx) { fn(tx, error); }, &start);
}
void Database::Read(const std::function<void(Tx&)>& fn) { Run(Mode::kRead, fn); }
void Database::WriteStatement(const std::function<void(Tx&)>& fn) { Run(Mode::kWriteStatement, fn); }
void Database::Raw(const std::function<void(Tx&)>& fn) { Run(Mode::kRaw, fn); }

bool Database::Ping() {
  try {
    Read([](Tx& tx) {
      int one = 0;
      tx.sql << kPing, soci::into(one);
    });
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string_view Database::NoWaitInsertPrefix() {
  int known = no_wait_insert_.load(std::memory_order_acquire);
  if (known < 0) {
    bool available = false;
    if (!dialect_.no_wait_insert.empty()) {
      Raw([&](Tx& tx) {
        available = dialect_.no_wait_insert_available == nullptr || dialect_.no_wait_insert_available(tx.sql);
      });
    }
    known = available ? 1 : 0;
    no_wait_insert_.store(known, std::memory_order_release);
  }
  return known == 1 ? dialect_.no_wait_insert : std::string_view();
}

}  // namespace rihla::storage
