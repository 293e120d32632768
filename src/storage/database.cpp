#include "storage/database.hpp"

#include <soci/soci.h>

#include <filesystem>

#include "domain/errors.hpp"
#include "storage/engine_errors.hpp"

namespace rihla::storage {

struct Database::Slot {
  std::unique_ptr<soci::session> session;
};

Database::Database(DatabaseUrl url, DatabaseOptions options)
    : dialect_(DialectOf(url.engine)),
      connect_string_(std::move(url.connect_string)),
      file_path_(std::move(url.file_path)),
      options_(options) {
  if (options_.pool_size == 0) options_.pool_size = 1;
  if (dialect_.file_based) {
    std::filesystem::path p(file_path_);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  }
}

Database::~Database() = default;

std::size_t Database::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

void Database::Connect(Slot& slot) {
  slot.session.reset();
  auto session = std::make_unique<soci::session>();
  try {
    dialect_.open(*session, connect_string_, SessionTimeouts{options_.connect_timeout, options_.query_timeout});
  } catch (const soci::soci_error& e) {
    // The message may contain the host but never the password (libpq and MariaDB omit it).
    throw StorageUnavailable(std::string("cannot connect to the ") + std::string(dialect_.name) +
                             " database: " + e.get_error_message());
  }
  slot.session = std::move(session);
}

std::unique_ptr<Database::Slot> Database::Acquire() {
  std::unique_lock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    if (!idle_.empty()) {
      auto slot = std::move(idle_.back());
      idle_.pop_back();
      ++in_use_;
      return slot;
    }
    if (created_ < options_.pool_size) {
      ++created_;
      ++in_use_;
      return std::make_unique<Slot>();
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && created_ >= options_.pool_size) {
      throw StorageUnavailable("no database connection became free in time");
    }
  }
}

void Database::Release(std::unique_ptr<Slot> slot, bool broken) {
  if (broken) slot->session.reset();  // reconnect on next use
  {
    std::lock_guard lock(mu_);
    --in_use_;
    idle_.push_back(std::move(slot));
  }
  cv_.notify_one();
}

void Database::Run(Mode mode, const std::function<void(Tx&)>& fn) {
  std::unique_lock<std::mutex> writer;
  if (dialect_.single_writer && (mode == Mode::kWrite || mode == Mode::kWriteStatement)) {
    writer = std::unique_lock(writer_mu_);
  }
  auto slot = Acquire();
  bool broken = false;
  struct Returner {
    Database& db;
    std::unique_ptr<Slot>& slot;
    bool& broken;
    ~Returner() { db.Release(std::move(slot), broken); }
  } returner{*this, slot, broken};

  for (int attempt = 1;; ++attempt) {
    if (!slot->session) {
      try {
        Connect(*slot);
      } catch (...) {
        broken = true;
        throw;
      }
    }
    soci::session& sql = *slot->session;
    Tx tx{sql, dialect_};
    bool in_tx = false;
    try {
      if (mode == Mode::kWrite) {
        sql << dialect_.begin;
        in_tx = true;
      }
      fn(tx);
      if (in_tx) {
        in_tx = false;
        sql << "COMMIT";
      }
      return;
    } catch (const soci::soci_error& e) {
      EngineFailure failure = ClassifyEngineError(e, dialect_);
      if (in_tx) {
        try {
          sql << "ROLLBACK";
        } catch (...) {
          failure = EngineFailure::kConnection;
        }
      }
      if (failure == EngineFailure::kRetry && attempt < 3) continue;
      if (failure == EngineFailure::kConnection) broken = true;
      ThrowEngineFailure(failure, e);
    } catch (...) {
      if (in_tx) {
        try {
          sql << "ROLLBACK";
        } catch (...) {
          broken = true;
        }
      }
      throw;
    }
  }
}

void Database::Write(const std::function<void(Tx&)>& fn) { Run(Mode::kWrite, fn); }
void Database::Read(const std::function<void(Tx&)>& fn) { Run(Mode::kRead, fn); }
void Database::WriteStatement(const std::function<void(Tx&)>& fn) { Run(Mode::kWriteStatement, fn); }
void Database::Raw(const std::function<void(Tx&)>& fn) { Run(Mode::kRaw, fn); }

bool Database::Ping() {
  try {
    Read([](Tx& tx) {
      int one = 0;
      tx.sql << "SELECT 1", soci::into(one);
    });
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace rihla::storage
