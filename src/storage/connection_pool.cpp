#include "storage/connection_pool.hpp"

#include <soci/soci.h>

#include "domain/errors.hpp"

namespace rihla::storage {

struct ConnectionPool::Slot {
  std::unique_ptr<soci::session> session;  // null until connected, and after a broken lease
  std::unique_ptr<StatementCache> statements;  // of `session`; cleared before it closes
  ~Slot() {
    statements.reset();
    session.reset();
  }
};

ConnectionPool::ConnectionPool(const Dialect& dialect, std::string connect_string, DatabaseOptions options)
    : dialect_(dialect), connect_string_(std::move(connect_string)), options_(options) {
  if (options_.pool_size == 0) options_.pool_size = 1;
}

ConnectionPool::~ConnectionPool() = default;

std::size_t ConnectionPool::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

ConnectionPool::Lease ConnectionPool::Acquire() {
  std::unique_lock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    if (!idle_.empty()) {
      auto slot = std::move(idle_.back());
      idle_.pop_back();
      ++in_use_;
      return Lease(*this, std::move(slot));
    }
    if (created_ < options_.pool_size) {
      ++created_;
      ++in_use_;
      return Lease(*this, std::make_unique<Slot>());
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && created_ >= options_.pool_size) {
      throw StorageUnavailable("no database connection became free in time");
    }
  }
}

void ConnectionPool::Release(std::unique_ptr<Slot> slot, bool broken) {
  if (broken) {  // reconnect on next use
    slot->statements.reset();
    slot->session.reset();
  }
  {
    std::lock_guard lock(mu_);
    --in_use_;
    idle_.push_back(std::move(slot));
  }
  cv_.notify_one();
}

void ConnectionPool::Connect(Slot& slot) {
  slot.statements.reset();
  slot.session.reset();
  auto session = std::make_unique<soci::session>();
  try {
    dialect_.open(*session, connect_string_,
                  SessionTimeouts{options_.connect_timeout, options_.query_timeout,
                                  options_.pooler == Pooler::kTransaction});
  } catch (const soci::soci_error& e) {
    // The message may contain the host but never the password (libpq and MariaDB omit it).
    throw StorageUnavailable("cannot connect to the " + std::string(dialect_.name) +
                             " database: " + e.get_error_message());
  }
  slot.session = std::move(session);
  slot.statements = std::make_unique<StatementCache>(dialect_, options_.prepared, counters_);
}

ConnectionPool::Lease::Lease(ConnectionPool& pool, std::unique_ptr<Slot> slot) : pool_(pool), slot_(std::move(slot)) {}

ConnectionPool::Lease::~Lease() { pool_.Release(std::move(slot_), broken_); }

soci::session& ConnectionPool::Lease::Session() {
  if (!slot_->session) {
    try {
      pool_.Connect(*slot_);
    } catch (...) {
      broken_ = true;
      throw;
    }
  }
  return *slot_->session;
}

StatementCache& ConnectionPool::Lease::Statements() {
  Session();
  return *slot_->statements;
}

}  // namespace rihla::storage
